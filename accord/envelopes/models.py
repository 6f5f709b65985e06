"""Envelopes: one or more documents, the parties who sign them in order, and what happened.

An envelope is what HR sends and a worker signs: a labour contract, or one of the lifecycle
documents (入/转/调/离). Documents are kept content-addressed (``signing.providers``) under
their SHA-256; every signed version is a new digest, so nothing stored is ever rewritten.

Retention (LCL Art. 50): signed documents are kept at least two years after the working
relationship ends; ``retain_until`` says until when, and nothing signed is deletable before.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accord.contracts.models import DocumentKind
from accord.core.models import AccordModel


class Envelope(AccordModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SENT = "sent", _("签署中")
        COMPLETED = "completed", _("已完成")
        REJECTED = "rejected", _("已拒签")
        WITHDRAWN = "withdrawn", _("已撤回")
        VOIDED = "voided", _("已作废")
        EXPIRED = "expired", _("已逾期")

    OPEN = (Status.DRAFT, Status.SENT)
    ENDED = (Status.REJECTED, Status.WITHDRAWN, Status.VOIDED, Status.EXPIRED)

    # No single-column indexes: (enterprise, status, -created_at), the idempotency constraint
    # (enterprise, key) and (person, -created_at) lead with these columns already.
    enterprise = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, related_name="envelopes", db_index=False
    )
    person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, related_name="envelopes", db_index=False
    )
    employment = models.ForeignKey(
        "identity.Employment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="envelopes",
    )
    number = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    template_version = models.ForeignKey(
        "contracts.TemplateVersion", on_delete=models.PROTECT, null=True, blank=True
    )
    values = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=500, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(
        "envelopes.Batch", on_delete=models.PROTECT, null=True, blank=True, related_name="envelopes"
    )
    # Re-sending the same request (a batch row, an HR system's retry) creates nothing twice.
    idempotency_key = models.CharField(max_length=100, blank=True)
    retain_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="envelopes_idempotency_once",
            )
        ]
        indexes = [
            models.Index(fields=["enterprise", "status", "-created_at"]),
            models.Index(fields=["person", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class EnvelopeDocument(AccordModel):
    envelope = models.ForeignKey(Envelope, on_delete=models.PROTECT, related_name="documents")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    original_sha256 = models.CharField(max_length=64)
    current_sha256 = models.CharField(max_length=64)
    pages = models.PositiveSmallIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    # PAdES B-LTA: a document timestamp over the completed file, renewed before the TSA
    # certificate that made it expires (services.archive_documents, renew_archives_due).
    archived_at = models.DateTimeField(null=True, blank=True)
    archive_renew_after = models.DateField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["envelope", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["envelope", "position"], name="envelopes_document_position_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.envelope.number}-{self.position} {self.name}"

    @property
    def number(self) -> str:
        return f"{self.envelope.number}-{self.position}"


class Party(AccordModel):
    class Role(models.TextChoices):
        ENTERPRISE = "enterprise", _("用人单位（盖章）")
        LEGAL_REPRESENTATIVE = "legal_rep", _("法定代表人")
        WORKER = "worker", _("劳动者")

    class Status(models.TextChoices):
        WAITING = "waiting", _("待前序签署")
        READY = "ready", _("待签署")
        SIGNED = "signed", _("已签署")
        REJECTED = "rejected", _("已拒签")
        CLOSED = "closed", _("已终止")

    PERSONAL_ROLES = (Role.LEGAL_REPRESENTATIVE, Role.WORKER)

    envelope = models.ForeignKey(Envelope, on_delete=models.PROTECT, related_name="parties")
    order = models.PositiveSmallIntegerField(default=1)
    role = models.CharField(max_length=10, choices=Role.choices)
    person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # An enterprise party is a group of HR users of whom any one may seal; empty means any HR
    # user of the enterprise who may use the seal.
    signers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    seal_id_hint = models.UUIDField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    viewed_at = models.DateTimeField(null=True, blank=True)
    read_pages = models.PositiveSmallIntegerField(default=0)
    # The worker's recorded agreement to conclude the document in electronic form.
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_text = models.CharField(max_length=400, blank=True)
    signature_image = models.BinaryField(null=True, blank=True)
    intent = models.ForeignKey(
        "signing.SigningIntent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reject_reason = models.CharField(max_length=500, blank=True)
    link_token_hash = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["envelope", "order", "id"]

    def __str__(self) -> str:
        return f"{self.envelope.number} {self.get_role_display()} #{self.order}"


class PartySignature(models.Model):
    """Which signature a party made on which document (one per party and document)."""

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="signatures")
    document = models.ForeignKey(
        EnvelopeDocument, on_delete=models.PROTECT, related_name="party_signatures"
    )
    signature = models.OneToOneField(
        "signing.Signature", on_delete=models.PROTECT, related_name="party_signature"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["party", "document"], name="envelopes_one_signature_per_party_document"
            )
        ]


class Batch(AccordModel):
    """A spreadsheet of workers sent as one envelope each, by the task worker."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("已校验")
        QUEUED = "queued", _("排队中")
        SENDING = "sending", _("发送中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    enterprise = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, related_name="contract_batches"
    )
    template_version = models.ForeignKey("contracts.TemplateVersion", on_delete=models.PROTECT)
    file_sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKED)
    skip_bad_rows = models.BooleanField(default=False)
    total_rows = models.PositiveIntegerField(default=0)
    bad_rows = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    # The real-name pre-check of the rows at upload (batches.identity_precheck): counts, and the
    # spreadsheet lines whose people would fail it at signing — no personal data.
    identity = models.JSONField(default=dict, blank=True)
    deadline_days = models.PositiveSmallIntegerField(default=7)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When a worker last asked for a follow-up task (to take up chunks whose lease runs out):
    # one follow-up per lease period, however many tasks find the chunks leased.
    watch_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "file_sha256", "template_version"],
                name="envelopes_batch_file_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.file_name or self.file_sha256[:12]} ({self.sent}/{self.total_rows})"


class BatchChunk(models.Model):
    """A slice of a batch's checked rows, sent as one transaction by whichever worker leases it.

    The rows are stored here once, encrypted (they carry identity numbers and phones), when the
    batch starts; a worker decrypts only its own chunk. A worker claims a chunk by setting a
    lease (``leased_until`` and its own ``lease_token``) in one compare-and-set update; if it
    dies, the lease runs out and the next worker takes the chunk up again. The chunk is marked
    done in the same transaction that writes its envelopes, so a chunk is sent whole or not at
    all, and a chunk done is never sent again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DONE = "done", _("已发送")

    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, related_name="chunks", db_index=False
    )
    index = models.PositiveIntegerField()
    first = models.PositiveIntegerField()
    last = models.PositiveIntegerField()
    rows = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "index"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "index"], name="envelopes_batch_chunk_once")
        ]
        indexes = [models.Index(fields=["batch", "status", "leased_until"])]

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.index} [{self.first}, {self.last}) {self.status}"
