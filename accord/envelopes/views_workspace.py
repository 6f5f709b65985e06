"""Pages of the HR contract workspace, the archive export and the evidence report."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from accord.core.errors import NotFound
from accord.core.pages import staff_page
from accord.core.scoping import get_scoped
from accord.envelopes import archive, services, workspace
from accord.envelopes.http import archive_response, pdf_response
from accord.envelopes.models import Envelope

URGENCY_BADGES = {
    "overdue": "text-bg-danger",
    "due_soon": "text-bg-warning",
    "upcoming": "text-bg-secondary",
    "not_started": "text-bg-light",
}


@staff_page()
@require_GET
def contract_workspace(request: HttpRequest, public_id) -> HttpResponse:
    enterprise = workspace.workspace_enterprise(request.user, public_id)
    data = workspace.build(enterprise)
    is_hr = enterprise.pk in getattr(request.user, "enterprise_ids", set())
    export = None
    export_id = request.GET.get("export", "")
    if is_hr and export_id:
        try:
            export = archive.get_state(enterprise, export_id)
        except NotFound:  # an unknown or expired export: just show the button again
            export = None
    labels = dict(Envelope.Status.choices)
    statuses = [
        {"status": s, "label": labels[s], "count": data.counts.get(s, 0)}
        for s in Envelope.Status.values
    ]
    chart = {
        "labels": [str(s["label"]) for s in statuses],
        "values": [s["count"] for s in statuses],
    }
    return render(
        request,
        "envelopes/workspace/contracts.html",
        {
            "object": enterprise,
            "ws": data,
            "statuses": statuses,
            "chart": chart,
            "is_hr": is_hr,
            "export": export,
            "badges": URGENCY_BADGES,
            "lang_en": get_language() == "en",
        },
    )


@staff_page()
@require_POST
def start_archive_export(request: HttpRequest, public_id) -> HttpResponse:
    enterprise = workspace.hr_enterprise(request.user, public_id)
    state = archive.start_export(enterprise, request.user)
    return redirect(f"/enterprises/{enterprise.public_id}/contracts?export={state['id']}#archive")


@staff_page()
@require_GET
def download_archive_export(request: HttpRequest, public_id, export_id) -> HttpResponseBase:
    enterprise = workspace.hr_enterprise(request.user, public_id)
    state, handle = archive.open_archive(enterprise, str(export_id))
    return archive_response(enterprise, state, handle)


@staff_page()
@require_GET
def evidence_pdf(request: HttpRequest, public_id) -> HttpResponse:
    envelope = get_scoped(Envelope, request.user, public_id)
    return pdf_response(request, services.evidence_report(request.user, envelope))
