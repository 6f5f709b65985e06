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
from accord.core.errors import Conflict, InvalidInput, PermissionDenied
from accord.core.notifications import request_notification
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
        raise InvalidInput(
            "seal.invalid_sha256",
            "文件指纹应为 64 位十六进制 SHA-256。",
            "The document fingerprint must be a 64-digit hexadecimal SHA-256.",
            "document_sha256",
        )
    title = (title or "").strip()
    if not title:
        raise InvalidInput(
            "seal.title_required", "请填写文件名称。", "Give the document's title.", "title"
        )
    if not needs_approval(seal.enterprise, document_kind):
        raise InvalidInput(
            "seal.approval_not_required",
            "按本企业用印制度，此类文件无需审批即可盖章。",
            "Under the enterprise's seal policy this kind of document needs no approval.",
            "document_kind",
        )
    if SealApproval.objects.filter(
        seal=seal,
        document_sha256=digest,
        document_kind=document_kind,
        status__in=[SealApproval.Status.PENDING, SealApproval.Status.APPROVED],
    ).exists():
        raise Conflict(
            "seal.approval_exists",
            "该文件已有待审批或已批准的用印申请。",
            "This document already has a pending or approved request.",
            "document_sha256",
        )
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
        raise PermissionDenied(
            "seal.self_approval_forbidden",
            "不能审批自己提出的用印申请，须由另一位印章管理人审批。",
            "You cannot approve your own request; another manager of the seal must decide.",
        )
    if approval.status != SealApproval.Status.PENDING:
        raise Conflict(
            "seal.approval_not_pending",
            "该用印申请已处理。",
            "This request has already been decided.",
        )
    reason = (reason or "").strip()
    if not approve and not reason:
        raise InvalidInput(
            "seal.reason_required",
            "驳回时请说明理由。",
            "Give a reason for the rejection.",
            "reason",
        )
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
