"""API of the HR contract workspace, the archive export and the evidence report (/api/v1).

- ``GET /enterprises/{id}/contract-workspace``: counts by state, day-30 exposure (LCL Art.
  10/82/14), fixed terms ending in 30 days (Art. 14, 44, 46), probations ending in 14 days.
  HR of the enterprise; the bureau reads.
- ``POST /enterprises/{id}/archive-exports``, ``GET .../{export_id}``,
  ``GET .../{export_id}/download``: the ZIP of every completed envelope. HR of the enterprise
  only (personal data), audit-logged.
- ``GET /envelopes/{id}/evidence-report.pdf``: the sealed evidence report (出证) of a completed
  envelope, for the enterprise's HR, the envelope's own parties and the bureau; audit-logged.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Status

from accord.core.api import principal
from accord.core.scoping import get_scoped
from accord.envelopes import archive, services, workspace
from accord.envelopes.http import archive_response, pdf_response
from accord.envelopes.models import Envelope

router = Router(tags=["envelopes"])


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


@router.get("/enterprises/{enterprise_id}/contract-workspace")
def contract_workspace(request: HttpRequest, enterprise_id: str):
    """The HR workspace as JSON: amounts are strings in yuan (``exposure_at_minimum``: some wages
    are unknown, so the sum is a lower bound computed at the Shenzhen minimum wage)."""
    enterprise = workspace.workspace_enterprise(principal(request), enterprise_id)
    return _plain(workspace.build(enterprise).as_dict())


def _export_out(state: dict) -> dict:
    eid = state["enterprise_id"]
    return {
        "id": state["id"],
        "status": state["status"],
        "done": state["done"],
        "total": state["total"],
        "percent": 100
        if state["status"] == "done"
        else (int(100 * state["done"] / state["total"]) if state["total"] else 0),
        "size": state["size"],
        "sha256": state["sha256"],
        "error": state["error"],
        "created_at": state["created_at"],
        "finished_at": state["finished_at"],
        "progress_url": f"/api/v1/enterprises/{eid}/archive-exports/{state['id']}",
        "download_url": f"/api/v1/enterprises/{eid}/archive-exports/{state['id']}/download"
        if state["status"] == "done"
        else None,
    }


@router.post("/enterprises/{enterprise_id}/archive-exports", response={202: dict})
def start_archive_export(request: HttpRequest, enterprise_id: str):
    who = principal(request)
    enterprise = workspace.hr_enterprise(who, enterprise_id)
    return Status(202, _export_out(archive.start_export(enterprise, who)))


@router.get("/enterprises/{enterprise_id}/archive-exports/{export_id}")
def archive_export(request: HttpRequest, enterprise_id: str, export_id: str):
    enterprise = workspace.hr_enterprise(principal(request), enterprise_id)
    return _export_out(archive.get_state(enterprise, export_id))


@router.get("/enterprises/{enterprise_id}/archive-exports/{export_id}/download")
def download_archive_export(request: HttpRequest, enterprise_id: str, export_id: str):
    enterprise = workspace.hr_enterprise(principal(request), enterprise_id)
    state, handle = archive.open_archive(enterprise, export_id)
    return archive_response(enterprise, state, handle)


@router.get("/envelopes/{envelope_id}/evidence-report.pdf")
def evidence_report(request: HttpRequest, envelope_id: str):
    who = principal(request)
    envelope = get_scoped(Envelope, who, envelope_id)
    return pdf_response(request, services.evidence_report(who, envelope))
