"""The named gates about people and enterprises, each written once (CONVENTIONS.md, "Roles and
gates named once"). Pages, API handlers and services of every app ask these; none re-spells them.

A user is anything with ``enterprise_ids`` and ``has_role`` — an account, an API token's
principal — or the anonymous user, who may do nothing.
"""

from __future__ import annotations

from typing import Any

from accord.core.errors import forbidden
from accord.core.roles import BUREAU_ACTS, BUREAU_READS
from accord.core.scoping import get_scoped
from accord.identity.models import Enterprise


def _enterprise_ids(user: Any) -> set[int]:
    return getattr(user, "enterprise_ids", None) or set()


def _has_role(user: Any, roles: frozenset[str]) -> bool:
    has_role = getattr(user, "has_role", None)
    return bool(has_role and has_role(*roles))


def may_act_for(user: Any, enterprise: Enterprise, *, in_its_name: bool = False) -> bool:
    """May ``user`` act for ``enterprise``: change its employees, settings and batches?

    Its own HR may, and so may the bureau (BUREAU_ACTS). With ``in_its_name`` only the
    enterprise's own people may: what is done as the employer — its API tokens, its seals, its
    signature — is never done by the bureau (Electronic Signature Law Art. 13, sole control).
    """
    if enterprise.pk in _enterprise_ids(user):
        return True
    return not in_its_name and _has_role(user, BUREAU_ACTS)


def reads_enterprise_records(user: Any, enterprise: Enterprise) -> bool:
    """Its own HR and the bureau with its auditors (BUREAU_READS) read the enterprise's records:
    its documents, workspace, timelines."""
    return enterprise.pk in _enterprise_ids(user) or _has_role(user, BUREAU_READS)


def managed_enterprise(user: Any, public_id: Any) -> Enterprise:
    """The enterprise, if the user may see it (else 404) and act for it (else 403)."""
    enterprise = get_scoped(Enterprise, user, public_id)
    if not may_act_for(user, enterprise):
        raise forbidden()
    return enterprise
