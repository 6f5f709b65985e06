"""Webhook endpoints of an enterprise and the deliveries made to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accord.core.crypto import EncryptedTextField
from accord.core.models import AccordModel
from accord.identity.models import Enterprise


class WebhookEndpoint(AccordModel):
    """A URL of an enterprise's own system that receives the events it subscribed to.

    The signing secret is encrypted at rest (``accord.core.crypto``) and shown only when created
    or rotated. During a rotation the previous secret stays valid (and signs too) until
    ``previous_secret_expires_at``.
    """

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.CharField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    topics = models.JSONField(default=list)
    secret = EncryptedTextField()
    previous_secret = EncryptedTextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Consecutive deliveries that ended dead; a success resets it.
    failure_streak = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("Webhook 端点")

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(AccordModel):
    """One event sent (or to be sent) to one endpoint. Its public id is the ``Accord-Webhook-Id``,
    the same on every retry, so a receiver can drop duplicates."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        FAILED = "failed", _("失败，将重试")
        SUCCEEDED = "succeeded", _("成功")
        DEAD = "dead", _("已放弃")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The outbox event (OutboxEvent.public_id); empty for a ping.
    event_id = models.UUIDField(null=True, blank=True)
    topic = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="integrations_delivery_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.topic} → {self.endpoint_id}"

    @property
    def is_ping(self) -> bool:
        return self.event_id is None
