"""Approvals: a manager of the seal, not the requester, approves sealing one exact document.

The policy names the document kinds that need one (by default termination notices, change
agreements and leaving certificates); an approval is bound to the document's SHA-256 and is
used up by the one sealing it allows (``services.use_seal``).
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from accord.core import audit
from accord.core.notifications import request_notification
from accord.seals.errors import (
    APPROVAL_EXISTS,
    APPROVAL_NOT_PENDING,
    APPROVAL_NOT_REQUIRED,
    INVALID_SHA256,
    REASON_REQUIRED,
    SELF_APPROVAL_FORBIDDEN,
    TITLE_REQUIRED,
)
from accord.seals.models import Power, Seal, SealApproval, SealGrant
from accord.seals.rules import (
    needs_approval,
    require_kind,
    require_not_retired,
    require_power,
    user_label,
)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@transaction.atomic
def request_approval(
    seal: Seal, *, user, document_sha256: str, title: str, document_kind: str
) -> SealApproval:
    """A user of the seal asks its managers to approve sealing one exact document."""
    seal = Seal.objects.select_related("enterprise").get(pk=seal.pk)
    require_power(user, seal, Power.USE)
    require_not_retired(seal)
    require_kind(document_kind)
    digest = (document_sha256 or "").strip().lower()
    if not _SHA256.match(digest):
        raise INVALID_SHA256("document_sha256")
    title = (title or "").strip()
    if not title:
        raise TITLE_REQUIRED("title")
    if not needs_approval(seal.enterprise, document_kind):
        raise APPROVAL_NOT_REQUIRED("document_kind")
    if SealApproval.objects.filter(
        seal=seal,
        document_sha256=digest,
        document_kind=document_kind,
        status__in=[SealApproval.Status.PENDING, SealApproval.Status.APPROVED],
    ).exists():
        raise APPROVAL_EXISTS("document_sha256")
    approval = SealApproval.objects.create(
        seal=seal,
        document_sha256=digest,
        document_title=title[:200],
        document_kind=document_kind,
        requested_by=user,
    )
    audit.record(
        "seal.approval.request",
        approval,
        enterprise_id=seal.enterprise_id,
        changes={"document_sha256": [None, digest], "document_kind": [None, document_kind]},
    )
    managers = SealGrant.objects.filter(
        seal=seal, power=Power.MANAGE, revoked_at__isnull=True
    ).select_related("user")
    for grant in managers:
        if grant.user_id != user.pk:
            request_notification(
                grant.user,
                f"用印申请待审批：{title[:60]}",
                f"{user_label(user)} 申请使用“{seal.name}”为《{title[:60]}》盖章。",
                f"/seals/{seal.public_id}/",
            )
    return approval


@transaction.atomic
def decide_approval(
    approval: SealApproval, *, user, approve: bool, reason: str = ""
) -> SealApproval:
    """A manager of the seal who is not the requester approves or rejects (with a reason)."""
    approval = SealApproval.objects.select_for_update().get(pk=approval.pk)
    seal = Seal.objects.get(pk=approval.seal_id)
    require_power(user, seal, Power.MANAGE)
    if approval.requested_by_id == user.pk:
        raise SELF_APPROVAL_FORBIDDEN()
    if approval.status != SealApproval.Status.PENDING:
        raise APPROVAL_NOT_PENDING()
    reason = (reason or "").strip()
    if not approve and not reason:
        raise REASON_REQUIRED("reason")
    approval.status = SealApproval.Status.APPROVED if approve else SealApproval.Status.REJECTED
    approval.decided_by = user
    approval.decided_at = timezone.now()
    approval.reason = reason[:500]
    approval.save(update_fields=["status", "decided_by", "decided_at", "reason", "updated_at"])
    audit.record(
        "seal.approval.approve" if approve else "seal.approval.reject",
        approval,
        enterprise_id=seal.enterprise_id,
        changes={"status": [SealApproval.Status.PENDING, approval.status]},
    )
    request_notification(
        approval.requested_by,
        f"用印申请{'已批准' if approve else '被驳回'}：{approval.document_title[:60]}",
        reason,
        f"/seals/{seal.public_id}/",
    )
    return approval
