"""Who sees which seals, grants, approvals and usage entries.

HR of the enterprise sees its seals, their grants and approvals; the usage log of a seal only
holders of the manage or audit power on it. Bureau officers, auditors and administrators read
everything (they change nothing: the services require a power, which only HR users hold).
Everyone else gets a 404.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accord.core.errors import NotFound
from accord.core.roles import BUREAU_READS
from accord.core.scoping import get_scoped, scope_for
from accord.identity.models import Enterprise
from accord.seals.models import Power, Seal, SealApproval, SealGrant, SealUsage

ALL_SEEING = BUREAU_READS  # accord.core.roles
LOG_POWERS = (Power.MANAGE, Power.AUDIT)


@scope_for(Seal)
def seals_for(user) -> QuerySet[Seal]:
    qs = Seal.objects.select_related("enterprise")
    if user.has_role(*ALL_SEEING):
        return qs
    return qs.filter(enterprise_id__in=list(user.enterprise_ids))


@scope_for(SealGrant)
def grants_for(user) -> QuerySet[SealGrant]:
    return SealGrant.objects.select_related(
        "seal",
        "seal__enterprise",
        "user__person",
        "granted_by__person",
        "revoked_by__person",
    ).filter(seal__in=seals_for(user))


@scope_for(SealApproval)
def approvals_for(user) -> QuerySet[SealApproval]:
    return SealApproval.objects.select_related(
        "seal", "seal__enterprise", "requested_by__person", "decided_by__person"
    ).filter(seal__in=seals_for(user))


@scope_for(SealUsage)
def usages_for(user) -> QuerySet[SealUsage]:
    qs = SealUsage.objects.select_related("seal", "user", "signature", "approval")
    if user.has_role(*ALL_SEEING):
        return qs
    if not getattr(user, "pk", None):
        return qs.none()
    readable = SealGrant.objects.filter(
        user_id=user.pk,
        power__in=LOG_POWERS,
        revoked_at__isnull=True,
        seal__enterprise_id__in=list(user.enterprise_ids),
    ).values("seal_id")
    return qs.filter(seal_id__in=readable)


def can_see_seals(user, enterprise: Enterprise) -> bool:
    return enterprise.pk in user.enterprise_ids or user.has_role(*ALL_SEEING)


def seals_enterprise(user, public_id) -> Enterprise:
    """The enterprise whose seals the user may see (HR of it, or the bureau); else 404."""
    enterprise = get_scoped(Enterprise, user, public_id)
    if not can_see_seals(user, enterprise):
        raise NotFound()
    return enterprise


def can_read_usage(user, seal: Seal) -> bool:
    if user.has_role(*ALL_SEEING):
        return True
    if not getattr(user, "pk", None) or seal.enterprise_id not in user.enterprise_ids:
        return False
    return SealGrant.objects.filter(
        seal=seal, user_id=user.pk, power__in=LOG_POWERS, revoked_at__isnull=True
    ).exists()


def usage_seal(user, public_id) -> Seal:
    """The seal whose usage log the user may read; a 404 for anyone else, even HR of it."""
    seal = get_scoped(Seal, user, public_id)
    if not can_read_usage(user, seal):
        raise NotFound()
    return seal


def usage_filter(seal: Seal, user) -> QuerySet[SealUsage]:
    return usages_for(user).filter(seal=seal)
