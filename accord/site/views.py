"""The site's own pages: the home page of each role and the health check."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language

from accord.core.models import AuditEntry, Notification
from accord.core.pages import staff_page
from accord.core.roles import AUDIT_READS, DISTRICT_READS, Role
from accord.envelopes import services as envelope_services
from accord.identity.models import Employment, Enterprise, Street
from accord.identity.summary import bureau_summary


@staff_page()
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    ctx: dict = {"role": user.primary_role}
    if user.has_role(*DISTRICT_READS):
        ctx.update(bureau_summary(user, get_language()))
    if user.has_role(Role.HR):
        ctx["my_enterprises"] = Enterprise.objects.filter(
            pk__in=user.enterprise_ids
        ).select_related("street")
        ctx["employee_count"] = Employment.objects.filter(
            enterprise_id__in=user.enterprise_ids, end_date__isnull=True
        ).count()
    if user.person_id:
        ctx["my_employments"] = (
            Employment.objects.filter(person_id=user.person_id)
            .select_related("enterprise")
            .order_by("-start_date")
        )
        ctx["me"] = user.person
        ctx["waiting"] = envelope_services.waiting_for(user)
    if user.has_role(Role.MEDIATOR):
        ctx["organisations"] = [m.organisation for m in user.memberships_list if m.organisation_id]
    if user.has_role(*AUDIT_READS):
        ctx["recent_audit"] = AuditEntry.objects.all()[:10]
    ctx["unread"] = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return render(request, "site/home.html", ctx)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers, and the task queue can be reached."""
    status: dict = {"database": "ok", "queue": "ok"}
    code = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        status["database"], code = f"error: {type(exc).__name__}", 503
    try:
        status["queue_detail"] = _queue_status()
    except Exception as exc:
        status["queue"], code = f"error: {type(exc).__name__}", 503
    status["streets"] = Street.objects.count() if status["database"] == "ok" else None
    return JsonResponse(status, status=code)


def _queue_status() -> dict:
    backend = settings.TASKS["default"]["BACKEND"]
    if backend.startswith("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        ready = DBTaskResult.objects.filter(status="READY")
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        return {
            "backend": "database",
            "ready": ready.count(),
            "oldest_ready_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
        }
    if backend.startswith("django_tasks_rq"):
        import django_rq

        conn = django_rq.get_connection("default")
        conn.ping()
        return {"backend": "rq", "ready": django_rq.get_queue("default").count}
    return {"backend": backend.rsplit(".", 1)[-1]}
