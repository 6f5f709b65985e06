"""Managing an enterprise's webhook endpoints: create, change, delete, rotate the secret, ping,
redeliver. Each change runs in one transaction with its audit entry (docs/architecture.md)."""

from __future__ import annotations

import secrets as secrets_module
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.core import audit
from accord.core.errors import FIELD_NOT_EDITABLE
from accord.identity.models import Enterprise
from accord.integrations.errors import (
    DESCRIPTION_TOO_LONG,
    ENDPOINT_DISABLED,
    TOO_MANY_ENDPOINTS,
    TOPICS_REQUIRED,
    UNKNOWN_TOPIC,
)
from accord.integrations.models import WebhookDelivery, WebhookEndpoint
from accord.integrations.topics import ALL_TOPICS, FORWARDABLE_TOPICS, PING_TOPIC
from accord.integrations.transport import check_url

SECRET_PREFIX = "whsec_"  # noqa: S105 (a public marker, not a secret)
MAX_ENDPOINTS_PER_ENTERPRISE = 20
ROTATION_OVERLAP = timedelta(hours=24)
AUDITED_FIELDS = ["url", "description", "topics", "active"]

DISABLED_BY_USER = "by_user"
DISABLED_AFTER_FAILURES = "consecutive_failures"


def new_secret() -> str:
    return SECRET_PREFIX + secrets_module.token_urlsafe(32)


def clean_topics(topics: Any) -> list[str]:
    """A non-empty list of forwardable topics, or ``["*"]`` for all of them."""
    if isinstance(topics, str):
        topics = [t for t in topics.replace(",", " ").split() if t]
    if not isinstance(topics, list | tuple) or not topics:
        raise TOPICS_REQUIRED("topics")
    cleaned: list[str] = []
    for topic in topics:
        topic = str(topic).strip()
        if topic != ALL_TOPICS and topic not in FORWARDABLE_TOPICS:
            raise UNKNOWN_TOPIC(topic=topic[:100])
        if topic not in cleaned:
            cleaned.append(topic)
    return [ALL_TOPICS] if ALL_TOPICS in cleaned else cleaned


def _description(value: Any) -> str:
    text = str(value or "").strip()
    if len(text) > 200:
        raise DESCRIPTION_TOO_LONG("description")
    return text


@transaction.atomic
def create_endpoint(
    *,
    enterprise: Enterprise,
    url: str,
    topics: Any,
    description: str = "",
    created_by=None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret in clear: shown once, then only stored encrypted."""
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
    if (
        WebhookEndpoint.objects.filter(enterprise=enterprise).count()
        >= MAX_ENDPOINTS_PER_ENTERPRISE
    ):
        raise TOO_MANY_ENDPOINTS("url", limit=MAX_ENDPOINTS_PER_ENTERPRISE)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        enterprise=enterprise,
        url=check_url(url),
        description=_description(description),
        topics=clean_topics(topics),
        secret=secret,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    audit.record(
        "integrations.webhook.create",
        endpoint,
        changes=audit.diff({}, audit.snapshot(endpoint, AUDITED_FIELDS)),
    )
    return endpoint, secret


@transaction.atomic
def update_endpoint(endpoint: WebhookEndpoint, changes: dict[str, Any]) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = audit.snapshot(endpoint, AUDITED_FIELDS)
    for key, value in changes.items():
        if key == "url":
            endpoint.url = check_url(value)
        elif key == "description":
            endpoint.description = _description(value)
        elif key == "topics":
            endpoint.topics = clean_topics(value)
        elif key == "active":
            active = bool(value)
            if active and not endpoint.active:
                # Enabled again: a fresh start; deliveries that were waiting go out.
                endpoint.failure_streak = 0
                endpoint.disabled_at = None
                endpoint.disabled_reason = ""
            elif not active and endpoint.active:
                endpoint.disabled_at = timezone.now()
                endpoint.disabled_reason = DISABLED_BY_USER
            endpoint.active = active
        else:
            raise FIELD_NOT_EDITABLE(key)
    endpoint.save()
    changed = audit.diff(before, audit.snapshot(endpoint, AUDITED_FIELDS))
    if changed:
        audit.record("integrations.webhook.update", endpoint, changes=changed)
    return endpoint


@transaction.atomic
def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    audit.record(
        "integrations.webhook.delete",
        endpoint,
        changes=audit.diff(audit.snapshot(endpoint, AUDITED_FIELDS), {}),
    )
    endpoint.delete()


@transaction.atomic
def rotate_secret(endpoint: WebhookEndpoint) -> tuple[WebhookEndpoint, str]:
    """A new secret, shown once. The old one stays valid, and signs too, for 24 hours, so the
    receiving system can switch over without missing a delivery."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
    endpoint.secret = secret
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    audit.record(
        "integrations.webhook.rotate_secret",
        endpoint,
        changes={
            "secret": ["***", "***"],
            "previous_secret_expires_at": [None, endpoint.previous_secret_expires_at.isoformat()],
        },
    )
    return endpoint, secret


def signing_secrets(endpoint: WebhookEndpoint, now=None) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one while its
    rotation overlap lasts."""
    now = now or timezone.now()
    found = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        found.append(endpoint.previous_secret)
    return found


@transaction.atomic
def create_ping(endpoint: WebhookEndpoint, lease_seconds: int = 60) -> WebhookDelivery:
    """A test delivery, sent once by the caller right after this commits (leased to it, so the
    background sender leaves it alone). A failed ping is not retried and does not count towards
    disabling the endpoint."""
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=None,
        topic=PING_TOPIC,
        payload={
            "enterprise": str(endpoint.enterprise.public_id),
            "endpoint": str(endpoint.public_id),
        },
        occurred_at=now,
        next_attempt_at=now,
        leased_until=now + timedelta(seconds=lease_seconds),
    )
    audit.record(
        "integrations.webhook.ping",
        endpoint,
        changes={"delivery": [None, str(delivery.public_id)]},
    )
    return delivery


@transaction.atomic
def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again from the first attempt, with the same id (receivers deduplicate)."""
    delivery = (
        WebhookDelivery.objects.select_for_update()
        .select_related("endpoint__enterprise")
        .get(pk=delivery.pk)
    )
    if not delivery.endpoint.active:
        raise ENDPOINT_DISABLED()
    before = delivery.status
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.leased_until = None
    delivery.save(
        update_fields=["status", "attempts", "next_attempt_at", "leased_until", "updated_at"]
    )
    audit.record(
        "integrations.webhook_delivery.redeliver",
        delivery,
        enterprise_id=delivery.endpoint.enterprise_id,
        label=f"{delivery.topic} → {delivery.endpoint.url}"[:200],
        changes={"status": [before, delivery.status]},
    )
    transaction.on_commit(_enqueue)
    return delivery


def _enqueue() -> None:
    from accord.integrations.sending import enqueue_sending

    enqueue_sending()
