"""Certificates and their keys, signing intents, signatures and issued timestamps.

Private keys are never stored in clear: ``Certificate.key_sealed`` holds the PKCS#8 key
encrypted with the data key (``accord.core.crypto``, AES-256-GCM, key id for rotation) and
bound to the certificate's serial as associated data, so a sealed key cannot be moved to
another row. An event certificate's key is sealed for the seconds between issue and use,
then wiped (``key_destroyed_at``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accord.core.models import AccordModel


class Certificate(AccordModel):
    class Kind(models.TextChoices):
        ROOT = "root", _("平台根证书")
        ISSUING = "issuing", _("签发 CA 证书")
        TSA = "tsa", _("时间戳服务证书")
        BUREAU_SEAL = "bureau_seal", _("人力资源局印章证书")
        ENTERPRISE_SEAL = "enterprise_seal", _("企业印章证书")
        EVENT = "event", _("个人事件证书")

    class Reason(models.TextChoices):
        UNSPECIFIED = "unspecified", _("未说明")
        KEY_COMPROMISE = "key_compromise", _("密钥泄露")
        SUPERSEDED = "superseded", _("已被取代")
        CESSATION = "cessation_of_operation", _("停止使用")
        AFFILIATION_CHANGED = "affiliation_changed", _("隶属关系变更")

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    serial = models.CharField(max_length=40, unique=True)  # hex, lower case
    subject = models.CharField(max_length=400)
    issuer = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="issued"
    )
    der = models.BinaryField()
    not_before = models.DateTimeField()
    not_after = models.DateTimeField(db_index=True)
    key_sealed = models.TextField(blank=True)
    key_destroyed_at = models.DateTimeField(null=True, blank=True)
    # The certificate new certificates of its kind are made with (one per kind and owner).
    current = models.BooleanField(default=True)
    enterprise = models.ForeignKey(
        "identity.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="seal_certificates",
    )
    person = models.ForeignKey(
        "identity.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="event_certificates",
    )
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revocation_reason = models.CharField(max_length=30, choices=Reason.choices, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "current"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject} #{self.serial[:12]}"


class SigningIntent(AccordModel):
    """意愿认证: who asked to sign which exact document, from where, and how they proved it.

    The one-time code is bound to ``document_sha256``; only its keyed hash is stored.
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("个人签名")
        ENTERPRISE_SEAL = "enterprise_seal", _("企业盖章")

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        USED = "used", _("已签署")
        FAILED = "failed", _("已失效")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    person = models.ForeignKey(
        "identity.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_intents",
    )
    enterprise = models.ForeignKey(
        "identity.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_intents",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_intents",
    )
    document_sha256 = models.CharField(max_length=64, db_index=True)
    document_name = models.CharField(max_length=200, blank=True)
    auth_method = models.CharField(max_length=40)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_sha256[:12]} {self.status}"


class Signature(AccordModel):
    """One completed signature: the document before and after, the certificate, the level."""

    intent = models.OneToOneField(
        SigningIntent, on_delete=models.PROTECT, null=True, blank=True, related_name="signature"
    )
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="signatures"
    )
    field_name = models.CharField(max_length=100)
    level = models.CharField(max_length=10)
    input_sha256 = models.CharField(max_length=64, db_index=True)
    output_sha256 = models.CharField(max_length=64, db_index=True)
    signed_at = models.DateTimeField()
    ledger_index = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-signed_at"]


class IssuedTimestamp(models.Model):
    """Every RFC 3161 token our TSA issued: serial numbers are unique and traceable."""

    serial = models.BigIntegerField(unique=True)
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="+")
    gen_time = models.DateTimeField()
    hash_algorithm = models.CharField(max_length=20)
    message_imprint = models.CharField(max_length=128)

    class Meta:
        ordering = ["-id"]


class RemoteSigningRequest(AccordModel):
    """A signing handed to an outside provider; completed by its (HMAC-signed) webhooks."""

    class Status(models.TextChoices):
        PENDING = "pending", _("等待签署")
        SIGNED = "signed", _("已签署")
        FAILED = "failed", _("失败")

    provider = models.CharField(max_length=40)
    request_id = models.CharField(max_length=100)
    client_ref = models.CharField(max_length=64, unique=True)
    document_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sequence = models.PositiveIntegerField(default=0, help_text="the latest provider event applied")
    result_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "request_id"], name="signing_remote_request_once"
            )
        ]


class ProcessedWebhook(models.Model):
    """A provider event already applied: a replayed or duplicated webhook is a no-op."""

    provider = models.CharField(max_length=40)
    event_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="signing_webhook_once")
        ]


class EnterpriseSigningPolicy(AccordModel):
    """Which signing providers an enterprise uses, in order: the first that is up signs."""

    enterprise = models.OneToOneField(
        "identity.Enterprise", on_delete=models.CASCADE, related_name="signing_policy"
    )
    provider_order = models.JSONField(default=list)
