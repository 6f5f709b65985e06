"""An enterprise's electronic seals and who may do what with them.

All seals of one enterprise sign with the enterprise's one seal certificate
(``accord.signing.pki.enterprise_seal``); they differ by their appearance (the seal's name
under the enterprise's name) and by their governance: who holds which power over each
(manage, use, audit), which documents need an approval first, and the log of every use.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accord.contracts.models import DocumentKind
from accord.core.models import AccordModel, AppendOnlyModel


class Seal(AccordModel):
    class Kind(models.TextChoices):
        OFFICIAL = "official", _("公章")
        CONTRACT = "contract", _("合同专用章")
        HR = "hr", _("人事专用章")
        OTHER = "other", _("其他专用章")

    class Status(models.TextChoices):
        ACTIVE = "active", _("启用")
        SUSPENDED = "suspended", _("暂停")
        RETIRED = "retired", _("停用（注销）")

    enterprise = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, related_name="seals"
    )
    name = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["enterprise_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "name"],
                condition=~models.Q(status="retired"),
                name="seals_seal_name_unique_while_in_use",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Power(models.TextChoices):
    MANAGE = "manage", _("管理")
    USE = "use", _("使用")
    AUDIT = "audit", _("审计")


class SealGrant(AccordModel):
    """One power over one seal held by one HR user; revoked, never deleted."""

    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="seal_grants"
    )
    power = models.CharField(max_length=10, choices=Power.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["seal_id", "power", "granted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["seal", "user", "power"],
                condition=models.Q(revoked_at__isnull=True),
                name="seals_grant_once_while_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.seal} {self.power} {self.user}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


# What a use may seal: a document kind of 福易签, or any other document.
USAGE_KINDS = [*DocumentKind.choices, ("document", _("其他文件"))]


def default_approval_kinds() -> list[str]:
    return [DocumentKind.TERMINATION, DocumentKind.CHANGE, DocumentKind.LEAVING_CERTIFICATE]


class SealPolicy(AccordModel):
    """The enterprise's separation of duties and which documents need an approval before sealing.

    Approvals are always decided by a manager of the seal who is not the requester; that part
    is not configurable.
    """

    enterprise = models.OneToOneField(
        "identity.Enterprise", on_delete=models.CASCADE, related_name="seal_policy"
    )
    allow_manage_and_use = models.BooleanField(default=False)
    allow_audit_with_other = models.BooleanField(default=False)
    approval_kinds = models.JSONField(default=default_approval_kinds)

    def __str__(self) -> str:
        return f"seal policy of {self.enterprise_id}"


class SealApproval(AccordModel):
    """A manager's approval to seal one exact document (by its SHA-256) with one seal, once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        USED = "used", _("已用印")

    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="approvals")
    document_sha256 = models.CharField(max_length=64, db_index=True)
    document_title = models.CharField(max_length=200)
    document_kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.document_title} ({self.document_sha256[:12]})"


class SealUsage(AppendOnlyModel):
    """Every attempt to use a seal, successful or refused. Written once, never changed."""

    class Outcome(models.TextChoices):
        SIGNED = "signed", _("已用印")
        REFUSED = "refused", _("被拒绝")
        FAILED = "failed", _("失败")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="usages")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    user_label = models.CharField(max_length=200, blank=True)
    document_sha256 = models.CharField(max_length=64, db_index=True)
    document_title = models.CharField(max_length=200, blank=True)
    document_kind = models.CharField(max_length=30, blank=True, choices=USAGE_KINDS)
    signature = models.ForeignKey(
        "signing.Signature", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approval = models.ForeignKey(
        SealApproval, on_delete=models.PROTECT, null=True, blank=True, related_name="usages"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=80, blank=True, help_text="the error code of a refusal")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["seal", "-at"])]

    def __str__(self) -> str:
        return f"{self.seal_id} {self.outcome} {self.document_sha256[:12]}"
