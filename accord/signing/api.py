"""Signing API: an enterprise's choice of signing providers; public verification by number."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from accord.core.api import principal
from accord.core.middleware import client_ip
from accord.core.scoping import get_scoped
from accord.identity.models import Enterprise
from accord.identity.selectors import managed_enterprise
from accord.signing import lookup, remote, verdict

router = Router(tags=["signing"])


class ProvidersOut(Schema):
    providers: list[str]
    available: list[str]


class ProvidersIn(Schema):
    providers: list[str]


@router.get("/enterprises/{enterprise_id}/signing-providers", response=ProvidersOut)
def get_providers(request: HttpRequest, enterprise_id: str):
    enterprise = get_scoped(Enterprise, principal(request), enterprise_id)
    return {
        "providers": remote.provider_order(enterprise),
        "available": remote.available_providers(),
    }


@router.put("/enterprises/{enterprise_id}/signing-providers", response=ProvidersOut)
def set_providers(request: HttpRequest, enterprise_id: str, payload: ProvidersIn):
    enterprise = managed_enterprise(principal(request), enterprise_id)
    order = remote.set_provider_order(enterprise, payload.providers)
    return {"providers": order, "available": remote.available_providers()}


class VerifiedDocumentOut(Schema):
    number: str
    title: str
    kind: str
    sha256: str
    valid: bool
    report: dict
    ledger_index: int | None = None
    ledger: dict | None = None
    download_url: str | None = None
    verdict: dict | None = None


@router.get(
    "/verify/{number}",
    response=VerifiedDocumentOut,
    auth=None,
    summary="Verify a signed document by its number (public, rate-limited per IP)",
)
def verify_by_number(request: HttpRequest, number: str):
    """The verification report of the stored signed PDF with this number — never its content;
    ``download_url`` only when the document's owner publishes it; ``verdict``: what it means
    for people, in Chinese and English (who signed in which role, when, complete or partly
    signed, changed or not; a person's name masked). Unknown numbers answer 404
    ``signing.document_number_unknown``; too many look-ups 429 ``signing.verify_rate_limited``."""
    from accord.signing.verify import verify_pdf
    from accord.signing.views import report_context

    document = lookup.find_for_public(number, client_ip(request))
    report = verify_pdf(document.pdf)
    context = report_context(report, public=True)
    context["verdict"] = context["verdict"].as_dict()
    return {
        "number": document.number,
        "title": document.title,
        "kind": document.kind,
        "sha256": report.sha256,
        "valid": report.valid,
        "report": verdict.public_report(report),
        **context,
        "download_url": document.download_url or None,
    }
