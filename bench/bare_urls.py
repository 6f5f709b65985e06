"""Accord's URLs plus ``/bare/enterprises``: a plain Django view running the same queries as
``GET /api/v1/enterprises`` (capped count + one page with street and industry joined) without
django-ninja, authentication classes, scoping, filters or schemas — the baseline of bench_api."""

from django.http import JsonResponse
from django.urls import path

from accord.core.pagination import COUNT_CAP
from accord.identity.models import Enterprise
from accord.urls import handler404, handler500  # noqa: F401
from accord.urls import urlpatterns as accord_urlpatterns


def bare_enterprises(request):
    qs = Enterprise.objects.select_related("street", "industry")
    count = qs.order_by()[: COUNT_CAP + 1].count()
    results = [
        {
            "id": str(e.public_id),
            "name": e.name,
            "uscc": e.uscc,
            "legal_representative": e.legal_representative,
            "address": e.address,
            "street": e.street.code,
            "street_name": e.street.name_zh,
            "industry": e.industry.code,
            "section": e.industry.section,
            "industry_name": e.industry.name_zh,
            "size": e.size,
            "employee_count": e.employee_count,
            "status": e.status,
        }
        for e in qs[:50]
    ]
    return JsonResponse(
        {"count": min(count, COUNT_CAP), "results": results},
        json_dumps_params={"ensure_ascii": False},
    )


urlpatterns = [path("bare/enterprises", bare_enterprises), *accord_urlpatterns]
