"""The rules of seal management: powers, separation of duties, approvals and use.

An enterprise seal is reliable only while its creation data is under the enterprise's sole
control (Electronic Signature Law Art. 13 (2)). The enterprise exercises that control through
people: managers decide who may use and audit each seal, users seal documents with a fresh
second factor, auditors read the usage log, and sensitive documents need a manager's approval
of their exact bytes first. The enterprise's policy decides which powers one person may hold
together; nobody here can hold more than it allows.

This module is the app's public API (the approval flow, in ``approvals.py``, and the shared
checks, in ``rules.py``, are reachable from here too). Every function takes plain arguments,
runs its changes in one transaction, writes an audit entry and raises ``AccordError``s with
stable ``seal.*`` codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accord.contracts.models import LABOUR_CONTRACT_KINDS
from accord.core import audit
from accord.core.context import current_actor
from accord.core.errors import AccordError, Conflict
from accord.identity.models import Enterprise, Role, User
from accord.seals.approvals import decide_approval, request_approval
from accord.seals.errors import (
    APPROVAL_EXPIRED,
    APPROVAL_REQUIRED,
    GRANT_EXISTS,
    GRANT_REVOKED,
    GRANTEE_NOT_HR,
    INVALID_KIND,
    INVALID_POWER,
    INVALID_STATUS_CHANGE,
    LAST_MANAGER,
    NAME_TAKEN,
    NAME_TOO_LONG,
    NONE_CONFIGURED,
    NOT_ACTIVE,
    NOT_MANAGER,
    POLICY_CONFLICTS_WITH_GRANTS,
    SEAL_NEEDS_PERSON,
    SEAL_NOT_FOUND,
)
from accord.seals.models import Power, Seal, SealApproval, SealGrant, SealPolicy, SealUsage
from accord.seals.rules import (
    ART_13,
    DOCUMENT_KINDS,
    GENERIC_KIND,
    check_combination,
    describe_policy,
    manages_any_seal,
    needs_approval,
    policy_for,
    power_zh,
    powers_by_seal,
    powers_of,
    require_hr,
    require_kind,
    require_not_retired,
    require_power,
    user_label,
)
from accord.signing.pdf import sha256
from accord.signing.services import SignedDocument, seal_as_enterprise

STATUS_CHANGES: dict[str, set[str]] = {
    Seal.Status.ACTIVE: {Seal.Status.SUSPENDED, Seal.Status.RETIRED},
    Seal.Status.SUSPENDED: {Seal.Status.ACTIVE, Seal.Status.RETIRED},
    Seal.Status.RETIRED: set(),
}


__all__ = [
    "ART_13",
    "DOCUMENT_KINDS",
    "GENERIC_KIND",
    "STATUS_CHANGES",
    "create_seal",
    "decide_approval",
    "default_seal",
    "describe_policy",
    "grant_power",
    "manages_any_seal",
    "needs_approval",
    "policy_for",
    "powers_by_seal",
    "powers_of",
    "request_approval",
    "require_person_for_sealing",
    "revoke_grant",
    "seal_for_document",
    "set_status",
    "setup_default_seals",
    "update_policy",
    "usable_seals",
    "use_seal",
]


# ---- reading the state ------------------------------------------------------------------------


# An approval is for sealing soon after it was given, not for whenever (docs/seals.md).
APPROVAL_VALID_FOR = timedelta(days=7)


def usable_seals(user, enterprise: Enterprise) -> QuerySet[Seal]:
    """The active seals of ``enterprise`` that ``user`` holds the use power on."""
    if not getattr(user, "pk", None) or enterprise.pk not in user.enterprise_ids:
        return Seal.objects.none()
    held = SealGrant.objects.filter(
        user_id=user.pk, power=Power.USE, revoked_at__isnull=True
    ).values("seal_id")
    return Seal.objects.filter(enterprise=enterprise, status=Seal.Status.ACTIVE, pk__in=held)


def default_seal(enterprise: Enterprise, document_kind: str) -> Seal:
    """The seal a document of this kind is sealed with: the contract seal (合同专用章) for labour
    contracts, otherwise the official seal (公章); a labour contract without a contract seal
    falls back to the official seal."""
    kinds = [Seal.Kind.OFFICIAL]
    if document_kind in LABOUR_CONTRACT_KINDS:
        kinds = [Seal.Kind.CONTRACT, Seal.Kind.OFFICIAL]
    active = Seal.objects.filter(enterprise=enterprise, status=Seal.Status.ACTIVE)
    for kind in kinds:
        seal = active.filter(kind=kind).order_by("created_at", "id").first()
        if seal is not None:
            return seal
    page = f"/enterprises/{enterprise.public_id}/seals"
    wanted_zh = "合同专用章或公章" if len(kinds) > 1 else "公章"
    wanted_en = "a contract seal or an official seal" if len(kinds) > 1 else "an official seal"
    raise NONE_CONFIGURED(wanted_zh=wanted_zh, wanted_en=wanted_en, page=page, extra={"link": page})


# ---- seals, grants, policy ----------------------------------------------------------------


@transaction.atomic
def create_seal(enterprise: Enterprise, *, user, name: str = "", kind: str) -> Seal:
    """Create a seal. The enterprise's first seal may be created by any of its HR members
    (bootstrap); later ones only by a manager of one of its seals. The creator manages it."""
    require_hr(user, enterprise)
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
    if kind not in Seal.Kind.values:
        raise INVALID_KIND(kind=kind)
    name = (name or "").strip() or str(Seal.Kind(kind).label)
    if len(name) > 20:
        raise NAME_TOO_LONG("name")
    if Seal.objects.filter(enterprise=enterprise).exists() and not manages_any_seal(
        user, enterprise
    ):
        raise NOT_MANAGER()
    if (
        Seal.objects.filter(enterprise=enterprise, name=name)
        .exclude(status=Seal.Status.RETIRED)
        .exists()
    ):
        raise NAME_TAKEN(name=name)
    seal = Seal.objects.create(enterprise=enterprise, name=name, kind=kind, created_by=user)
    audit.record("seal.create", seal, changes={"name": [None, name], "kind": [None, kind]})
    _grant(seal, grantee=user, power=Power.MANAGE, by=user)
    return seal


def _grant(seal: Seal, *, grantee, power: str, by) -> SealGrant:
    grant = SealGrant.objects.create(
        seal=seal, user=grantee, power=power, granted_by=by, granted_at=timezone.now()
    )
    audit.record(
        "seal.grant",
        grant,
        enterprise_id=seal.enterprise_id,
        changes={"user": [None, grantee.get_username()], "power": [None, power]},
    )
    return grant


@transaction.atomic
def grant_power(seal: Seal, *, user, grantee, power: str) -> SealGrant:
    """A manager of ``seal`` gives ``grantee`` (an HR member of the same enterprise) a power."""
    seal = Seal.objects.select_for_update().select_related("enterprise").get(pk=seal.pk)
    require_power(user, seal, Power.MANAGE)
    require_not_retired(seal)
    if power not in Power.values:
        raise INVALID_POWER(power=power)
    if grantee is None or seal.enterprise_id not in grantee.enterprise_ids:
        raise GRANTEE_NOT_HR("user")
    held = set(
        SealGrant.objects.filter(seal=seal, user=grantee, revoked_at__isnull=True).values_list(
            "power", flat=True
        )
    )
    if power in held:
        raise GRANT_EXISTS(
            who_zh=user_label(grantee),
            who_en=grantee.get_username(),
            power_zh=power_zh(power),
            power=power,
        )
    check_combination(policy_for(seal.enterprise), held, power, f"{user_label(grantee)}")
    return _grant(seal, grantee=grantee, power=power, by=user)


@transaction.atomic
def revoke_grant(grant: SealGrant, *, user) -> SealGrant:
    """A manager of the seal revokes a power; the last manager of a seal cannot be removed."""
    grant = SealGrant.objects.select_for_update().select_related("seal", "user").get(pk=grant.pk)
    seal = Seal.objects.select_for_update().get(pk=grant.seal_id)
    require_power(user, seal, Power.MANAGE)
    if grant.revoked_at is not None:
        raise GRANT_REVOKED()
    if (
        grant.power == Power.MANAGE
        and not SealGrant.objects.filter(seal=seal, power=Power.MANAGE, revoked_at__isnull=True)
        .exclude(pk=grant.pk)
        .exists()
    ):
        raise LAST_MANAGER()
    grant.revoked_at = timezone.now()
    grant.revoked_by = user
    grant.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit.record(
        "seal.revoke",
        grant,
        enterprise_id=seal.enterprise_id,
        changes={"revoked_at": [None, grant.revoked_at.isoformat()], "power": [grant.power, None]},
    )
    return grant


@transaction.atomic
def set_status(seal: Seal, *, user, status: str, reason: str = "") -> Seal:
    """A manager suspends, reactivates or retires a seal. Retiring is final."""
    seal = Seal.objects.select_for_update().get(pk=seal.pk)
    require_power(user, seal, Power.MANAGE)
    if status not in STATUS_CHANGES.get(seal.status, set()):
        raise INVALID_STATUS_CHANGE(
            before=seal.get_status_display(), before_code=seal.status, after=status
        )
    before = seal.status
    seal.status = status
    seal.save(update_fields=["status", "updated_at"])
    audit.record(
        "seal.status", seal, changes={"status": [before, status], "reason": [None, reason[:500]]}
    )
    return seal


@transaction.atomic
def update_policy(
    enterprise: Enterprise,
    *,
    user,
    allow_manage_and_use: bool,
    allow_audit_with_other: bool,
    approval_kinds: list[str],
) -> SealPolicy:
    """A seal manager of the enterprise changes its policy. A stricter policy is refused while
    someone still holds powers it forbids: revoke those first, so nobody exceeds the policy."""
    require_hr(user, enterprise)
    if not manages_any_seal(user, enterprise):
        raise NOT_MANAGER()
    for kind in approval_kinds:
        require_kind(kind, "approval_kinds")
    policy = SealPolicy.objects.select_for_update().filter(enterprise=enterprise).first()
    if policy is None:
        policy = SealPolicy(enterprise=enterprise)
    before = audit.snapshot(
        policy, ["allow_manage_and_use", "allow_audit_with_other", "approval_kinds"]
    )
    policy.allow_manage_and_use = bool(allow_manage_and_use)
    policy.allow_audit_with_other = bool(allow_audit_with_other)
    policy.approval_kinds = sorted(set(approval_kinds))
    held: dict[tuple[int, int], set[str]] = {}
    for seal_id, user_id, power in SealGrant.objects.filter(
        seal__enterprise=enterprise, revoked_at__isnull=True
    ).values_list("seal_id", "user_id", "power"):
        held.setdefault((seal_id, user_id), set()).add(power)
    for powers in held.values():
        power = next(iter(powers))
        try:
            check_combination(policy, powers - {power}, power, "现有授权人员")
        except Conflict as exc:
            raise POLICY_CONFLICTS_WITH_GRANTS("policy", extra=exc.extra) from exc
    policy.save()
    after = audit.snapshot(
        policy, ["allow_manage_and_use", "allow_audit_with_other", "approval_kinds"]
    )
    audit.record(
        "seal.policy", policy, enterprise_id=enterprise.pk, changes=audit.diff(before, after)
    )
    return policy


# ---- use ----------------------------------------------------------------------------------


def _authorise_use(seal: Seal, user, digest: str, document_kind: str) -> SealApproval | None:
    """Check every rule of a use and claim its approval; raise the first rule broken."""
    with transaction.atomic():
        seal = Seal.objects.select_related("enterprise").get(pk=seal.pk)
        require_kind(document_kind)
        require_power(user, seal, Power.USE)
        if seal.status != Seal.Status.ACTIVE:
            raise NOT_ACTIVE(
                seal=seal.name, status_zh=seal.get_status_display(), status=seal.status
            )
        if not needs_approval(seal.enterprise, document_kind):
            return None
        approvals = SealApproval.objects.select_for_update().filter(
            seal=seal, document_sha256=digest, document_kind=document_kind
        )
        approval = approvals.filter(status=SealApproval.Status.APPROVED).first()
        if approval is not None and approval.decided_at is not None:
            if timezone.now() - approval.decided_at > APPROVAL_VALID_FOR:
                raise APPROVAL_EXPIRED(days=APPROVAL_VALID_FOR.days)
        if approval is None:
            pending = approvals.filter(status=SealApproval.Status.PENDING).exists()
            raise APPROVAL_REQUIRED(
                state_zh="该文件的用印申请尚待审批。" if pending else "请先提出用印申请。",
                state_en=(
                    "the request to seal it is still pending."
                    if pending
                    else "ask for an approval first."
                ),
            )
        approval.status = SealApproval.Status.USED
        approval.used_at = timezone.now()
        approval.save(update_fields=["status", "used_at", "updated_at"])
        return approval


def _release(approval: SealApproval | None) -> None:
    """Sealing failed after the approval was claimed: it stays good for another attempt."""
    if approval is None:
        return
    with transaction.atomic():
        SealApproval.objects.filter(pk=approval.pk, status=SealApproval.Status.USED).update(
            status=SealApproval.Status.APPROVED, used_at=None, updated_at=timezone.now()
        )


def _log(
    seal: Seal,
    user,
    *,
    digest: str,
    title: str,
    document_kind: str,
    outcome: str,
    reason: str = "",
    approval: SealApproval | None = None,
    signature=None,
) -> SealUsage:
    usage = SealUsage.objects.create(
        seal=seal,
        user_id=getattr(user, "pk", None),
        user_label=(user_label(user) if getattr(user, "pk", None) else user.get_username())[:200],
        document_sha256=digest,
        document_title=title[:200],
        document_kind=document_kind[:30],
        signature=signature,
        approval=approval,
        outcome=outcome,
        reason=reason[:80],
        ip=current_actor().ip,
    )
    audit.record(
        "seal.use" if outcome == SealUsage.Outcome.SIGNED else "seal.use_refused",
        seal,
        changes={
            "document_sha256": [None, digest],
            "outcome": [None, outcome],
            **({"reason": [None, reason]} if reason else {}),
            **({"approval": [None, str(approval.public_id)]} if approval else {}),
        },
    )
    return usage


def _log_refusal(seal: Seal, user, outcome: str, reason: str, **document) -> None:
    # Its own transaction: the attempt stays in the log although the use is refused.
    with transaction.atomic():
        _log(seal, user, outcome=outcome, reason=reason, **document)


def use_seal(
    document: bytes,
    *,
    seal: Seal,
    user,
    otp_token: str,
    document_kind: str,
    title: str,
    reserve_person_fields: int = 0,
    certify: bool = False,
    second_factor_checked: bool = False,
) -> SignedDocument:
    """Seal ``document`` with ``seal`` as ``user``: the use power, an approval of this exact
    document when its kind needs one (used up), and a fresh TOTP code (Art. 13: sole control).

    ``second_factor_checked`` is for trusted code that has just checked the user's TOTP code
    for this whole act (sealing several documents with one code); it never comes from a request.

    Every attempt is logged in ``SealUsage``; a refused one in its own transaction, so call
    this outside any transaction of your own if refusals must stay in the log.
    """
    digest = sha256(bytes(document or b""))
    title = (title or "").strip()[:200]
    facts = {"digest": digest, "title": title, "document_kind": document_kind or ""}
    try:
        approval = _authorise_use(seal, user, digest, document_kind)
    except AccordError as exc:
        _log_refusal(seal, user, SealUsage.Outcome.REFUSED, exc.code, **facts)
        raise
    try:
        signed = seal_as_enterprise(
            document,
            user=user,
            enterprise=seal.enterprise,
            otp_token=otp_token,
            certify=certify,
            reserve_person_fields=reserve_person_fields,
            document_kind=document_kind,
            reason=f"{seal.enterprise.name} {seal.name} / sealed by the enterprise",
            seal_name=seal.name,
            second_factor_checked=second_factor_checked,
        )
    except AccordError as exc:
        _release(approval)
        _log_refusal(seal, user, SealUsage.Outcome.REFUSED, exc.code, approval=approval, **facts)
        raise
    except Exception:
        _release(approval)
        _log_refusal(
            seal, user, SealUsage.Outcome.FAILED, "seal.signing_failed", approval=approval, **facts
        )
        raise
    with transaction.atomic():
        _log(
            seal,
            user,
            outcome=SealUsage.Outcome.SIGNED,
            approval=approval,
            signature=signed.signature,
            **facts,
        )
    return signed


# ---- demo and tests -----------------------------------------------------------------------


@transaction.atomic
def setup_default_seals(
    enterprise: Enterprise, *, manager, users: Iterable, allow_manage_and_use: bool = False
) -> Seal:
    """A 合同专用章 managed by ``manager`` with the use power for ``users``, within the policy:
    a user the policy forbids (the manager, when manage and use may not be combined) is skipped.
    ``allow_manage_and_use=True`` first relaxes the policy (audited), for an enterprise whose one
    HR person both manages and uses its seal. Running it again adds only what is missing."""
    seal = (
        Seal.objects.filter(enterprise=enterprise, kind=Seal.Kind.CONTRACT)
        .exclude(status=Seal.Status.RETIRED)
        .first()
    )
    if seal is None:
        seal = create_seal(enterprise, user=manager, name="合同专用章", kind=Seal.Kind.CONTRACT)
    if allow_manage_and_use:
        policy = policy_for(enterprise)
        if not policy.allow_manage_and_use:
            update_policy(
                enterprise,
                user=manager,
                allow_manage_and_use=True,
                allow_audit_with_other=policy.allow_audit_with_other,
                approval_kinds=list(policy.approval_kinds),
            )
    for grantee in users:
        try:
            grant_power(seal, user=manager, grantee=grantee, power=Power.USE)
        except Conflict as exc:
            if exc.code not in ("seal.grant_exists", "seal.power_combination_forbidden"):
                raise
    return seal


# ---- who may seal (issue #10: one home for the routers and the services) ---------------------


def require_person_for_sealing(principal) -> None:
    """Sole control (Electronic Signature Law Art. 13): a seal is used by a person with their own
    second factor, never by an API token (which only drafts and sends)."""
    if getattr(principal, "token", None) is not None:
        raise SEAL_NEEDS_PERSON()


def seal_for_document(enterprise: Enterprise, document_kind: str, seal_id=None) -> Seal:
    """The seal named (one of this enterprise's only: another's is 404), else the default one."""
    if seal_id:
        seal = Seal.objects.filter(public_id=seal_id, enterprise=enterprise).first()
        if seal is None:
            raise SEAL_NOT_FOUND()
        return seal
    return default_seal(enterprise, document_kind)


def sealing_users(enterprise: Enterprise, limit: int = 50) -> list:
    """The HR users of the enterprise who hold the use power on one of its active seals."""
    holders = SealGrant.objects.filter(
        seal__enterprise=enterprise,
        seal__status=Seal.Status.ACTIVE,
        power=Power.USE,
        revoked_at__isnull=True,
    ).values("user_id")
    return list(
        User.objects.filter(
            pk__in=holders,
            is_active=True,
            memberships__enterprise=enterprise,
            memberships__role=Role.HR,
            memberships__active=True,
        )
        .select_related("person")
        .distinct()
        .order_by("username")[:limit]
    )


def approvals_of_documents(enterprise: Enterprise, digests: list[str], limit: int = 10) -> list:
    """The latest sealing approvals asked for these exact documents (by SHA-256)."""
    return list(
        SealApproval.objects.filter(
            seal__enterprise=enterprise, document_sha256__in=digests
        ).order_by("-created_at")[:limit]
    )
