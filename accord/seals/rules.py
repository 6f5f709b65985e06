"""The checks every seal service shares: reading who holds which power under which policy, and
the errors (stable ``seal.*`` codes) raised when a rule is broken.

Sources: 《电子签名法》第十三条 (Electronic Signature Law Art. 13 (2)): the seal's creation data
stays under the enterprise's sole control, which it exercises through these powers.
"""

from __future__ import annotations

from collections.abc import Iterable

from accord.contracts.models import DocumentKind
from accord.identity.models import Enterprise
from accord.seals.errors import (
    INVALID_DOCUMENT_KIND,
    NOT_AUTHORISED,
    NOT_HR_MEMBER,
    NOT_MANAGER,
    POWER_COMBINATION_FORBIDDEN,
    RETIRED,
)
from accord.seals.models import Power, Seal, SealGrant, SealPolicy
from accord.signing.errors import ART_13

# A document sealed without a named kind (an attachment, a notice).
GENERIC_KIND = "document"
DOCUMENT_KINDS = {str(k) for k in DocumentKind.values} | {GENERIC_KIND}


# ---- reading the state ---------------------------------------------------------------------


def policy_for(enterprise: Enterprise) -> SealPolicy:
    """The enterprise's policy; the defaults (unsaved) until a manager changes it."""
    policy = SealPolicy.objects.filter(enterprise=enterprise).first()
    return policy or SealPolicy(enterprise=enterprise)


def describe_policy(policy: SealPolicy) -> tuple[str, str]:
    """The policy in one Chinese and one English sentence, for error messages and pages."""
    zh = [
        "管理权与使用权可由同一人兼任"
        if policy.allow_manage_and_use
        else "管理权与使用权不得由同一人兼任",
        "审计权可与其他权限兼任" if policy.allow_audit_with_other else "审计权不得与其他权限兼任",
    ]
    en = [
        "one person may hold both manage and use"
        if policy.allow_manage_and_use
        else "no one may hold both manage and use",
        "audit may be combined with other powers"
        if policy.allow_audit_with_other
        else "audit may not be combined with any other power",
    ]
    return "；".join(zh) + "。", "; ".join(en) + "."


def powers_of(user, seal: Seal) -> set[str]:
    """The powers ``user`` holds on ``seal`` now (none once they stop being HR of its enterprise)."""
    if not getattr(user, "pk", None) or seal.enterprise_id not in user.enterprise_ids:
        return set()
    return set(
        SealGrant.objects.filter(seal=seal, user_id=user.pk, revoked_at__isnull=True).values_list(
            "power", flat=True
        )
    )


def powers_by_seal(user, seals: Iterable[Seal]) -> dict[int, set[str]]:
    """``powers_of`` for many seals in one query (list pages and endpoints)."""
    seals = list(seals)
    result: dict[int, set[str]] = {s.pk: set() for s in seals}
    if not getattr(user, "pk", None):
        return result
    mine = [s.pk for s in seals if s.enterprise_id in user.enterprise_ids]
    for seal_id, power in SealGrant.objects.filter(
        seal_id__in=mine, user_id=user.pk, revoked_at__isnull=True
    ).values_list("seal_id", "power"):
        result[seal_id].add(power)
    return result


def manages_any_seal(user, enterprise: Enterprise) -> bool:
    if not getattr(user, "pk", None) or enterprise.pk not in user.enterprise_ids:
        return False
    return SealGrant.objects.filter(
        seal__enterprise=enterprise,
        user_id=user.pk,
        power=Power.MANAGE,
        revoked_at__isnull=True,
    ).exists()


def needs_approval(enterprise: Enterprise, document_kind: str) -> bool:
    return document_kind in policy_for(enterprise).approval_kinds


# ---- checks that raise ----------------------------------------------------------------------


def require_hr(user, enterprise: Enterprise) -> None:
    if not getattr(user, "pk", None) or enterprise.pk not in user.enterprise_ids:
        raise NOT_HR_MEMBER()


def require_power(user, seal: Seal, power: str) -> None:
    if power in powers_of(user, seal):
        return
    if power == Power.MANAGE:
        raise NOT_MANAGER()
    raise NOT_AUTHORISED(seal=seal.name, extra={"article": ART_13})


def require_kind(document_kind: str, field: str = "document_kind") -> None:
    if document_kind not in DOCUMENT_KINDS:
        raise INVALID_DOCUMENT_KIND(field, kind=document_kind)


def require_not_retired(seal: Seal) -> None:
    if seal.status == Seal.Status.RETIRED:
        raise RETIRED(seal=seal.name)


def check_combination(policy: SealPolicy, held: Iterable[str], power: str, who: str) -> None:
    combined = set(held) | {power}
    forbidden = (not policy.allow_manage_and_use and {Power.MANAGE, Power.USE} <= combined) or (
        not policy.allow_audit_with_other and Power.AUDIT in combined and len(combined) > 1
    )
    if forbidden:
        zh, en = describe_policy(policy)
        raise POWER_COMBINATION_FORBIDDEN(
            who=who,
            powers_zh="、".join(power_zh(p) for p in sorted(combined)),
            powers_en=", ".join(sorted(combined)),
            policy_zh=zh,
            policy_en=en,
            extra={
                "policy": {
                    "allow_manage_and_use": policy.allow_manage_and_use,
                    "allow_audit_with_other": policy.allow_audit_with_other,
                }
            },
        )


def power_zh(power: str) -> str:
    return {"manage": "管理", "use": "使用", "audit": "审计"}.get(power, power)


def user_label(user) -> str:
    person = getattr(user, "person", None)
    return person.name if person is not None else user.get_username()
