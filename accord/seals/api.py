"""Seal management API: seals, powers, policy, approvals and the usage log (docs/seals.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema, Status

from accord.core.api import principal
from accord.core.errors import INVALID_FILTER
from accord.core.middleware import json_body
from accord.core.pagination import ListMeta, page_response, paginate
from accord.core.scoping import get_scoped, scoped
from accord.identity.models import User
from accord.seals import approvals, services
from accord.seals.errors import FILE_TOO_LARGE
from accord.seals.models import Seal, SealApproval, SealGrant, SealPolicy, SealUsage
from accord.seals.scoping import seals_enterprise, usage_filter, usage_seal
from accord.signing.pdf import open_pdf, sha256

router = Router(tags=["seals"])

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class SealOut(Schema):
    id: UUID
    enterprise: UUID
    name: str
    kind: str
    status: str
    created_at: dt.datetime
    my_powers: list[str]


class SealIn(Schema):
    name: str = ""
    kind: str


class SealPatch(Schema):
    status: str
    reason: str = ""


class GrantOut(Schema):
    id: UUID
    seal: UUID
    user: UUID
    user_label: str
    power: str
    granted_by: str
    granted_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None


class GrantIn(Schema):
    user: UUID
    power: str


class PolicyIO(Schema):
    allow_manage_and_use: bool
    allow_audit_with_other: bool
    approval_kinds: list[str]


class ApprovalOut(Schema):
    id: UUID
    seal: UUID
    document_sha256: str
    document_title: str
    document_kind: str
    status: str
    requested_by: str
    decided_by: str | None
    reason: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    used_at: dt.datetime | None


class UsageOut(Schema):
    id: UUID
    at: dt.datetime
    user: str
    document_sha256: str
    document_title: str
    document_kind: str
    outcome: str
    reason: str
    signature: UUID | None
    approval: UUID | None
    ip: str | None


class UsageList(ListMeta):
    results: list[UsageOut]


class SealList(ListMeta):
    results: list[SealOut]


class GrantList(ListMeta):
    results: list[GrantOut]


class ApprovalList(ListMeta):
    results: list[ApprovalOut]


def _label(user) -> str | None:
    if user is None:
        return None
    return user.person.name if user.person_id else user.username


def seal_out(seal: Seal, who, powers: set[str] | None = None) -> dict:
    if powers is None:
        powers = services.powers_of(who, seal)
    return {
        "id": seal.public_id,
        "enterprise": seal.enterprise.public_id,
        "name": seal.name,
        "kind": seal.kind,
        "status": seal.status,
        "created_at": seal.created_at,
        "my_powers": sorted(powers),
    }


def grant_out(g: SealGrant) -> dict:
    return {
        "id": g.public_id,
        "seal": g.seal.public_id,
        "user": g.user.public_id,
        "user_label": _label(g.user),
        "power": g.power,
        "granted_by": _label(g.granted_by),
        "granted_at": g.granted_at,
        "revoked_at": g.revoked_at,
        "revoked_by": _label(g.revoked_by),
    }


def approval_out(a: SealApproval) -> dict:
    return {
        "id": a.public_id,
        "seal": a.seal.public_id,
        "document_sha256": a.document_sha256,
        "document_title": a.document_title,
        "document_kind": a.document_kind,
        "status": a.status,
        "requested_by": _label(a.requested_by),
        "decided_by": _label(a.decided_by),
        "reason": a.reason,
        "created_at": a.created_at,
        "decided_at": a.decided_at,
        "used_at": a.used_at,
    }


def usage_out(u: SealUsage) -> dict:
    return {
        "id": u.public_id,
        "at": u.at,
        "user": u.user_label,
        "document_sha256": u.document_sha256,
        "document_title": u.document_title,
        "document_kind": u.document_kind,
        "outcome": u.outcome,
        "reason": u.reason,
        "signature": u.signature.public_id if u.signature else None,
        "approval": u.approval.public_id if u.approval else None,
        "ip": u.ip,
    }


def policy_out(policy: SealPolicy) -> dict:
    return {
        "allow_manage_and_use": policy.allow_manage_and_use,
        "allow_audit_with_other": policy.allow_audit_with_other,
        "approval_kinds": list(policy.approval_kinds),
    }


def find_grantee(enterprise_id: int, public_id) -> User | None:
    """An HR member of the enterprise by public id; anyone else is as good as unknown."""
    try:
        key = UUID(str(public_id))
    except ValueError:
        return None
    user = User.objects.filter(public_id=key, is_active=True).first()
    return user if user is not None and enterprise_id in user.enterprise_ids else None


def filter_usage(qs: QuerySet[SealUsage], params) -> QuerySet[SealUsage]:
    """Filters of the usage log shared by the page and the API."""
    outcome = params.get("outcome") or ""
    if outcome:
        if outcome not in SealUsage.Outcome.values:
            raise INVALID_FILTER("outcome")
        qs = qs.filter(outcome=outcome)
    if params.get("document_kind"):
        qs = qs.filter(document_kind=params["document_kind"])
    if params.get("q"):
        term = params["q"].strip()
        qs = qs.filter(document_title__icontains=term) | qs.filter(
            document_sha256__startswith=term.lower()
        )
    for name, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
        if params.get(name):
            try:
                day = dt.date.fromisoformat(params[name])
            except ValueError:
                raise INVALID_FILTER(name) from None
            qs = qs.filter(**{lookup: day})
    return qs


@router.get("/enterprises/{enterprise_id}/seals", response=SealList)
def list_seals(request: HttpRequest, enterprise_id: str, page: int = 1, page_size: int = 50):
    who = principal(request)
    enterprise = seals_enterprise(who, enterprise_id)
    p = paginate(scoped(Seal, who).filter(enterprise=enterprise), page, page_size)
    powers = services.powers_by_seal(who, p.items)
    return page_response(p, lambda s: seal_out(s, who, powers[s.pk]))


@router.post("/enterprises/{enterprise_id}/seals", response={201: SealOut})
def create_seal(request: HttpRequest, enterprise_id: str, payload: SealIn):
    """The first seal of an enterprise may be created by any of its HR members, who becomes its
    manager; later seals only by a seal manager."""
    who = principal(request)
    enterprise = seals_enterprise(who, enterprise_id)
    seal = services.create_seal(enterprise, user=who, name=payload.name, kind=payload.kind)
    return Status(201, seal_out(seal, who))


@router.get("/enterprises/{enterprise_id}/seal-policy", response=PolicyIO)
def get_policy(request: HttpRequest, enterprise_id: str):
    enterprise = seals_enterprise(principal(request), enterprise_id)
    return policy_out(services.policy_for(enterprise))


@router.put("/enterprises/{enterprise_id}/seal-policy", response=PolicyIO)
def put_policy(request: HttpRequest, enterprise_id: str, payload: PolicyIO):
    who = principal(request)
    enterprise = seals_enterprise(who, enterprise_id)
    return policy_out(services.update_policy(enterprise, user=who, **payload.dict()))


@router.get("/seals/{seal_id}", response=SealOut)
def get_seal(request: HttpRequest, seal_id: str):
    who = principal(request)
    return seal_out(get_scoped(Seal, who, seal_id), who)


@router.patch("/seals/{seal_id}", response=SealOut)
def patch_seal(request: HttpRequest, seal_id: str, payload: SealPatch):
    """Managers suspend (``suspended``), reactivate (``active``) or retire (``retired``) a seal."""
    who = principal(request)
    seal = get_scoped(Seal, who, seal_id)
    seal = services.set_status(seal, user=who, status=payload.status, reason=payload.reason)
    return seal_out(get_scoped(Seal, who, seal.public_id), who)


@router.get("/seals/{seal_id}/grants", response=GrantList)
def list_grants(
    request: HttpRequest,
    seal_id: str,
    include_revoked: bool = False,
    page: int = 1,
    page_size: int = 50,
):
    who = principal(request)
    seal = get_scoped(Seal, who, seal_id)
    qs = scoped(SealGrant, who).filter(seal=seal)
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return page_response(paginate(qs, page, page_size), grant_out)


@router.post("/seals/{seal_id}/grants", response={201: GrantOut})
def create_grant(request: HttpRequest, seal_id: str, payload: GrantIn):
    who = principal(request)
    seal = get_scoped(Seal, who, seal_id)
    grantee = find_grantee(seal.enterprise_id, payload.user)
    grant = services.grant_power(seal, user=who, grantee=grantee, power=payload.power)
    return Status(201, grant_out(scoped(SealGrant, who).get(pk=grant.pk)))


@router.post("/seal-grants/{grant_id}/revoke", response=GrantOut)
def revoke_grant(request: HttpRequest, grant_id: str):
    who = principal(request)
    grant = services.revoke_grant(get_scoped(SealGrant, who, grant_id), user=who)
    return grant_out(scoped(SealGrant, who).get(pk=grant.pk))


@router.get("/seals/{seal_id}/usage", response=UsageList)
def list_usage(request: HttpRequest, seal_id: str, page: int = 1, page_size: int = 50):
    """The usage log: only holders of the manage or audit power on the seal (and the bureau's
    officers and auditors) may read it. Filters: ``outcome``, ``document_kind``, ``q`` (title or
    SHA-256 prefix), ``since``, ``until`` (dates)."""
    who = principal(request)
    seal = usage_seal(who, seal_id)
    p = paginate(filter_usage(usage_filter(seal, who), request.GET), page, page_size)
    return page_response(p, usage_out)


@router.get("/seals/{seal_id}/approvals", response=ApprovalList)
def list_approvals(
    request: HttpRequest, seal_id: str, status: str = "", page: int = 1, page_size: int = 50
):
    who = principal(request)
    seal = get_scoped(Seal, who, seal_id)
    qs = scoped(SealApproval, who).filter(seal=seal)
    if status:
        qs = qs.filter(status=status)
    return page_response(paginate(qs, page, page_size), approval_out)


def approval_request_fields(request: HttpRequest) -> dict:
    """The document of an approval request: an uploaded PDF (multipart ``file``) or its
    ``document_sha256``; with ``title`` and ``document_kind``."""
    data: Mapping[str, Any]
    if request.content_type and request.content_type.startswith("multipart/"):
        data = request.POST
        upload = request.FILES.get("file")
        digest = data.get("document_sha256", "")
        if upload is not None:
            if (upload.size or 0) > MAX_UPLOAD_BYTES:
                raise FILE_TOO_LARGE("file")
            content = upload.read()
            open_pdf(content)
            digest = sha256(content)
    else:
        data = json_body(request)
        digest = data.get("document_sha256", "")
    return {
        "document_sha256": str(digest or ""),
        "title": str(data.get("title", "") or ""),
        "document_kind": str(data.get("document_kind", "") or ""),
    }


@router.post("/seals/{seal_id}/approvals", response={201: ApprovalOut})
def create_approval(request: HttpRequest, seal_id: str):
    """A holder of the use power asks to seal one document: upload the PDF (multipart ``file``)
    or give its ``document_sha256``, with ``title`` and ``document_kind``."""
    who = principal(request)
    seal = get_scoped(Seal, who, seal_id)
    approval = approvals.request_approval(seal, user=who, **approval_request_fields(request))
    return Status(201, approval_out(scoped(SealApproval, who).get(pk=approval.pk)))


def _reason(request: HttpRequest) -> str:
    """The optional ``{"reason": …}`` of a decision (or a form field); no body, no reason."""
    if request.content_type != "application/json" and request.method == "POST":
        return str(request.POST.get("reason", "") or "")
    body = json_body(request)
    return str(body.get("reason", "") or "") if isinstance(body, dict) else ""


@router.post("/seal-approvals/{approval_id}/approve", response=ApprovalOut)
def approve(request: HttpRequest, approval_id: str):
    """A manager of the seal who did not ask approves; optional body ``{"reason"}``."""
    who = principal(request)
    approval = get_scoped(SealApproval, who, approval_id)
    approval = approvals.decide_approval(approval, user=who, approve=True, reason=_reason(request))
    return approval_out(scoped(SealApproval, who).get(pk=approval.pk))


@router.post("/seal-approvals/{approval_id}/reject", response=ApprovalOut)
def reject(request: HttpRequest, approval_id: str):
    """A manager of the seal who did not ask rejects; body ``{"reason"}`` (required)."""
    who = principal(request)
    approval = get_scoped(SealApproval, who, approval_id)
    approval = approvals.decide_approval(approval, user=who, approve=False, reason=_reason(request))
    return approval_out(scoped(SealApproval, who).get(pk=approval.pk))
