"""Seal pages: an enterprise's seals and policy, and one seal's powers, approvals and usage log.

Thin: every change goes through ``accord.seals.services``; a refused change re-renders the page
with the error (code, Chinese and English message).
"""

from __future__ import annotations

import math

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.contracts.models import DocumentKind
from accord.core.errors import AccordError
from accord.core.pages import staff_page
from accord.core.pagination import paginate
from accord.core.roles import ENTERPRISE_RECORD_READS
from accord.core.scoping import get_scoped, scoped
from accord.identity.models import Enterprise, Role, User
from accord.seals import approvals, services
from accord.seals.api import approval_request_fields, filter_usage, find_grantee
from accord.seals.models import Power, Seal, SealApproval, SealGrant, SealUsage
from accord.seals.scoping import can_read_usage, seals_enterprise, usage_filter

SEAL_ROLES = tuple(ENTERPRISE_RECORD_READS)


def arc_letters(text: str, *, radius: float = 35.0, span_per_char: float = 24.0) -> list[dict]:
    """Positions of the characters along a seal's upper arc (SVG user units, centre 50,50)."""
    chars = list(text)
    n = len(chars)
    span = min(250.0, n * span_per_char)
    letters = []
    for i, char in enumerate(chars):
        angle = -span / 2 + span * i / (n - 1) if n > 1 else 0.0
        rad = math.radians(angle)
        letters.append(
            {
                "char": char,
                # Strings: a localised float ("1,5") would break the SVG.
                "x": f"{50 + radius * math.sin(rad):.2f}",
                "y": f"{50 - radius * math.cos(rad):.2f}",
                "rotate": f"{angle:.1f}",
            }
        )
    return letters


def star_points(cx: float = 50, cy: float = 50, r: float = 15.5) -> str:
    points = []
    for i in range(10):
        angle = math.radians(90 + i * 36)
        rr = r if i % 2 == 0 else r * 0.382
        points.append(f"{cx + rr * math.cos(angle):.2f},{cy - rr * math.sin(angle):.2f}")
    return " ".join(points)


def seal_picture(seal: Seal) -> dict:
    """What the inline SVG of a red round seal needs: the same look as the signed appearance."""
    name = seal.enterprise.name
    # Larger than the PDF appearance's type: the picture is shown at about 100 px.
    size = "13" if len(name) <= 8 else "11" if len(name) <= 12 else "9.5"
    return {
        "letters": arc_letters(name, span_per_char=26),
        "font_size": size,
        "star": star_points(),
        "sub": seal.name,
        "muted": seal.status != Seal.Status.ACTIVE,
    }


def _hr_members(enterprise: Enterprise):
    return (
        User.objects.filter(
            memberships__enterprise=enterprise,
            memberships__role=Role.HR,
            memberships__active=True,
            is_active=True,
        )
        .select_related("person")
        .distinct()
        .order_by("username")
    )


def _enterprise_page(request: HttpRequest, enterprise: Enterprise, error=None, form=None):
    who = request.user
    seals = list(scoped(Seal, who).filter(enterprise=enterprise))
    grants = (
        scoped(SealGrant, who)
        .filter(seal__enterprise=enterprise, revoked_at__isnull=True)
        .order_by("power", "user__username")
    )
    by_seal: dict[int, dict[str, list]] = {}
    for g in grants:
        by_seal.setdefault(g.seal_id, {}).setdefault(g.power, []).append(g)
    powers = services.powers_by_seal(who, seals)
    rows = [
        {
            "seal": s,
            "picture": seal_picture(s),
            "powers": [
                (label, by_seal.get(s.pk, {}).get(power, [])) for power, label in Power.choices
            ],
            "mine": powers[s.pk],
        }
        for s in seals
    ]
    policy = services.policy_for(enterprise)
    is_hr = enterprise.pk in who.enterprise_ids
    manager = services.manages_any_seal(who, enterprise)
    policy_zh, policy_en = services.describe_policy(policy)
    return render(
        request,
        "seals/enterprise_seals.html",
        {
            "object": enterprise,
            "rows": rows,
            "policy": policy,
            "policy_zh": policy_zh,
            "policy_en": policy_en,
            "approval_kind_labels": [
                label for value, label in DocumentKind.choices if value in policy.approval_kinds
            ],
            "document_kinds": DocumentKind.choices,
            "seal_kinds": Seal.Kind.choices,
            "can_create": is_hr and (manager or not seals),
            "bootstrap": is_hr and not seals,
            "can_edit_policy": manager,
            "error": error,
            "form": form or {},
        },
        status=error.status if error else 200,
    )


@staff_page(*SEAL_ROLES)
def enterprise_seals(request: HttpRequest, public_id) -> HttpResponse:
    enterprise = seals_enterprise(request.user, public_id)
    if request.method != "POST":
        return _enterprise_page(request, enterprise)
    form = request.POST
    try:
        if form.get("action") == "policy":
            services.update_policy(
                enterprise,
                user=request.user,
                allow_manage_and_use=form.get("allow_manage_and_use") == "on",
                allow_audit_with_other=form.get("allow_audit_with_other") == "on",
                approval_kinds=form.getlist("approval_kinds"),
            )
            messages.success(request, _("用印制度已更新。"))
            return redirect("seals:enterprise_seals", public_id=enterprise.public_id)
        seal = services.create_seal(
            enterprise, user=request.user, name=form.get("name", ""), kind=form.get("kind", "")
        )
    except AccordError as exc:
        return _enterprise_page(request, enterprise, error=exc, form=form)
    messages.success(request, _("已创建印章“%(name)s”，您是它的管理人。") % {"name": seal.name})
    return redirect("seals:seal_detail", public_id=seal.public_id)


def _seal_page(request: HttpRequest, seal: Seal, error=None, form=None) -> HttpResponse:
    who = request.user
    mine = services.powers_of(who, seal)
    grants = scoped(SealGrant, who).filter(seal=seal)
    if request.GET.get("revoked") != "1":
        grants = grants.filter(revoked_at__isnull=True)
    requests = scoped(SealApproval, who).filter(seal=seal)
    usage_page, usage_error, query = None, None, ""
    if can_read_usage(who, seal):
        try:
            usage_page = paginate(
                filter_usage(usage_filter(seal, who), request.GET), request.GET.get("page"), 50
            )
        except AccordError as exc:
            usage_error = exc
        params = request.GET.copy()
        params.pop("page", None)
        query = params.urlencode()
    policy = services.policy_for(seal.enterprise)
    return render(
        request,
        "seals/seal_detail.html",
        {
            "object": seal,
            "picture": seal_picture(seal),
            "mine": mine,
            "is_manager": Power.MANAGE in mine,
            "can_use": Power.USE in mine and seal.status == Seal.Status.ACTIVE,
            "grants": grants.order_by("power", "revoked_at", "user__username"),
            "show_revoked": request.GET.get("revoked") == "1",
            "pending": requests.filter(status=SealApproval.Status.PENDING),
            "decided": requests.exclude(status=SealApproval.Status.PENDING)[:20],
            "usage_page": usage_page,
            "usage_error": usage_error,
            "outcomes": SealUsage.Outcome.choices,
            "query": query,
            "filters": request.GET,
            "members": _hr_members(seal.enterprise) if Power.MANAGE in mine else [],
            "powers": Power.choices,
            "approval_kinds": [
                (value, label)
                for value, label in DocumentKind.choices
                if value in policy.approval_kinds
            ],
            "next_statuses": [
                (value, label)
                for value, label in Seal.Status.choices
                if value in services.STATUS_CHANGES.get(seal.status, set())
            ],
            "error": error,
            "form": form or {},
        },
        status=error.status if error else 200,
    )


@staff_page(*SEAL_ROLES)
def seal_detail(request: HttpRequest, public_id) -> HttpResponse:
    return _seal_page(request, get_scoped(Seal, request.user, public_id))


def _done(request: HttpRequest, seal: Seal, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("seals:seal_detail", public_id=seal.public_id)


@staff_page(*SEAL_ROLES)
@require_POST
def seal_grant(request: HttpRequest, public_id) -> HttpResponse:
    seal = get_scoped(Seal, request.user, public_id)
    try:
        grantee = find_grantee(seal.enterprise_id, request.POST.get("user", ""))
        services.grant_power(
            seal, user=request.user, grantee=grantee, power=request.POST.get("power", "")
        )
    except AccordError as exc:
        return _seal_page(request, seal, error=exc, form=request.POST)
    return _done(request, seal, _("已授权。"))


@staff_page(*SEAL_ROLES)
@require_POST
def grant_revoke(request: HttpRequest, public_id) -> HttpResponse:
    grant = get_scoped(SealGrant, request.user, public_id)
    try:
        services.revoke_grant(grant, user=request.user)
    except AccordError as exc:
        return _seal_page(request, grant.seal, error=exc)
    return _done(request, grant.seal, _("已撤销授权。"))


@staff_page(*SEAL_ROLES)
@require_POST
def seal_status(request: HttpRequest, public_id) -> HttpResponse:
    seal = get_scoped(Seal, request.user, public_id)
    try:
        services.set_status(
            seal,
            user=request.user,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        )
    except AccordError as exc:
        return _seal_page(request, seal, error=exc, form=request.POST)
    return _done(request, seal, _("印章状态已更新。"))


@staff_page(*SEAL_ROLES)
@require_POST
def seal_request_approval(request: HttpRequest, public_id) -> HttpResponse:
    seal = get_scoped(Seal, request.user, public_id)
    try:
        approvals.request_approval(seal, user=request.user, **approval_request_fields(request))
    except AccordError as exc:
        return _seal_page(request, seal, error=exc, form=request.POST)
    return _done(request, seal, _("已提交用印申请，等待印章管理人审批。"))


@staff_page(*SEAL_ROLES)
@require_POST
def approval_decide(request: HttpRequest, public_id) -> HttpResponse:
    approval = get_scoped(SealApproval, request.user, public_id)
    approve = request.POST.get("decision") == "approve"
    try:
        approvals.decide_approval(
            approval, user=request.user, approve=approve, reason=request.POST.get("reason", "")
        )
    except AccordError as exc:
        return _seal_page(request, approval.seal, error=exc, form=request.POST)
    return _done(request, approval.seal, _("已批准。") if approve else _("已驳回。"))
