"""Core models: the base every model shares, the audit log, the event outbox, notifications."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accord.core import audit_labels
from accord.core.crypto import EncryptedTextField
from accord.core.roles import Role


class AccordModel(models.Model):
    """Base of every Accord model: a public UUID for URLs (never the sequential id) and times."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove a row of an append-only table."""


class AppendOnlyModel(models.Model):
    """Rows are written once. The database refuses UPDATE/DELETE too (trigger on PostgreSQL)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} is append-only")


class AuditEntry(AppendOnlyModel):
    """Who did what to which object, when, from where; reads of personal data too."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # No foreign key: the log outlives accounts, and must never cascade.
    actor_id = models.BigIntegerField(null=True, db_index=True)
    actor_label = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_label = models.CharField(max_length=200, blank=True)
    # Scope keys let a street officer or HR read the entries about their own objects.
    enterprise_id = models.BigIntegerField(null=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计记录")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"

    @property
    def action_display(self) -> str:
        """The action in plain words (登录, not ``auth.login``)."""
        return audit_labels.action_label(self.action)

    @property
    def object_display(self) -> str:
        """The object's name, or its kind and number ("电子签名 27", not "Signature object (27)")."""
        return audit_labels.object_label(self.object_type, self.object_id, self.object_label)

    @property
    def role_display(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role


class OutboxEvent(AppendOnlyModel):
    """An event for other apps, written in the same transaction as the change it reports."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.topic}#{self.pk}"


class EventDelivery(models.Model):
    """One event to one subscriber: at-least-once, with a lease so a crashed worker's claim expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待投递")
        DONE = "done", _("已投递")
        FAILED = "failed", _("投递失败")

    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="deliveries")
    subscriber = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(db_index=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscriber"], name="core_delivery_once_per_subscriber"
            )
        ]
        indexes = [models.Index(fields=["status", "available_at"])]


class WorkerLease(models.Model):
    """A running task worker (``accord db_worker``), renewed by its heartbeat (core/workers.py).

    django-tasks marks a task RUNNING when a worker claims it and nothing else: a worker killed
    mid-task would leave it RUNNING for ever. A task whose worker's lease ran out is given back
    to the queue by the next live worker."""

    worker_id = models.CharField(max_length=64, unique=True)
    pid = models.PositiveIntegerField()
    host = models.CharField(max_length=255)
    started_at = models.DateTimeField(auto_now_add=True)
    beat_at = models.DateTimeField(db_index=True)


class ProcessedEvent(models.Model):
    """What makes a consumer idempotent: written in the consumer's own transaction."""

    subscriber = models.CharField(max_length=120)
    event_public_id = models.UUIDField()
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "event_public_id"], name="core_processed_once_per_subscriber"
            )
        ]


class Notification(AccordModel):
    """The in-app inbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=400, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class SmsMessage(AccordModel):
    """Every SMS handed to a gateway, with its outcome. The phone is personal data: encrypted."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("失败")

    phone = EncryptedTextField()
    phone_index = models.CharField(max_length=64, db_index=True)
    phone_masked = models.CharField(max_length=20)
    text = models.TextField()
    gateway = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    gateway_message_id = models.CharField(max_length=80, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
