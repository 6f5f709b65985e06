"""Webhooks out: fan an outbox event out to the subscribed endpoints, then send the deliveries
outside any database transaction, with retries and backoff.

Fan-out runs as an outbox subscriber (at-least-once), so the unique (endpoint, event) constraint
makes a repeated event create no second delivery. Sending is a task enqueued on commit and a
periodic sweep; each delivery is leased to one sender at a time, like the outbox itself.
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accord.core import audit, schedule
from accord.core.audit import PERSONAL_FIELDS
from accord.core.events import subscriber
from accord.core.models import OutboxEvent
from accord.core.notifications import request_notification
from accord.identity.models import Membership, Role
from accord.integrations import signature, transport
from accord.integrations.models import WebhookDelivery, WebhookEndpoint
from accord.integrations.services import DISABLED_AFTER_FAILURES, signing_secrets
from accord.integrations.topics import FORWARDABLE_TOPICS, wants

log = logging.getLogger(__name__)

# Waits after the 1st, 2nd, … failed attempt; the last one repeats. With 8 attempts a delivery
# is retried for about a day and a half before it is given up.
BACKOFF_SECONDS = [60, 300, 1800, 7200, 21600, 43200, 86400]
JITTER = 0.1
LEASE_SECONDS = 120
USER_AGENT = "Accord-Webhooks/1"


def max_attempts() -> int:
    return int(getattr(settings, "ACCORD_WEBHOOK_MAX_ATTEMPTS", 8))


def disable_after_dead() -> int:
    """Consecutive dead deliveries after which an endpoint is disabled and HR told."""
    return int(getattr(settings, "ACCORD_WEBHOOK_DISABLE_AFTER_DEAD", 3))


def backoff(attempts: int) -> timedelta:
    base = BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1]
    return timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))


# ---- fan-out ---------------------------------------------------------------------------------


def _without_personal_data(value):
    """The payload minus any ID number, phone or secret a publisher put in it: an event leaves
    the platform, and personal data stays protected (人社厅发〔2021〕54号; receivers fetch what
    they may see through the API)."""
    if isinstance(value, dict):
        return {k: _without_personal_data(v) for k, v in value.items() if k not in PERSONAL_FIELDS}
    if isinstance(value, list):
        return [_without_personal_data(v) for v in value]
    return value


def fan_out(event: OutboxEvent) -> None:
    """Create one delivery per active endpoint of the event's enterprise that wants its topic."""
    try:
        enterprise = uuid.UUID(str(event.payload.get("enterprise")))
    except ValueError:
        return
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(enterprise__public_id=enterprise, active=True)
        if wants(e.topics, event.topic)
    ]
    if not endpoints:
        return
    now = timezone.now()
    payload = _without_personal_data(event.payload)
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=e,
                event_id=event.public_id,
                topic=event.topic,
                payload=payload,
                occurred_at=event.created_at,
                next_attempt_at=now,
            )
            for e in endpoints
        ],
        ignore_conflicts=True,  # the event came twice: the deliveries exist already
    )
    transaction.on_commit(enqueue_sending)


def register_subscribers() -> None:
    for topic in FORWARDABLE_TOPICS:
        subscriber(topic, f"integrations.webhooks:{topic}")(fan_out)


# ---- sending ---------------------------------------------------------------------------------


def _due(now) -> Q:
    return Q(
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
        next_attempt_at__lte=now,
        endpoint__active=True,
    ) & (Q(leased_until__isnull=True) | Q(leased_until__lt=now))


def deliveries_due(now=None) -> bool:
    return WebhookDelivery.objects.filter(_due(now or timezone.now())).exists()


def claim(limit: int = 50, now=None) -> list[WebhookDelivery]:
    """Lease up to ``limit`` due deliveries to this sender (compare-and-set on the lease)."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=LEASE_SECONDS)
    ids = list(
        WebhookDelivery.objects.filter(_due(now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    claimed = [
        i for i in ids if WebhookDelivery.objects.filter(_due(now), id=i).update(leased_until=lease)
    ]
    return list(
        WebhookDelivery.objects.filter(id__in=claimed)
        .select_related("endpoint__enterprise")
        .order_by("next_attempt_at", "id")
    )


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(
        {
            "id": str(delivery.public_id),
            "topic": delivery.topic,
            "created_at": delivery.occurred_at.isoformat(),
            "data": delivery.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def headers_of(delivery: WebhookDelivery, body: bytes, now=None) -> dict[str, str]:
    now = now or timezone.now()
    webhook_id = str(delivery.public_id)
    timestamp = str(int(now.timestamp()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Accord-Webhook-Id": webhook_id,
        "Accord-Webhook-Timestamp": timestamp,
        "Accord-Webhook-Topic": delivery.topic,
        "Accord-Webhook-Signature": signature.header(
            signing_secrets(delivery.endpoint, now), webhook_id, timestamp, body
        ),
    }


def attempt(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send one leased delivery now (no transaction is open during the request) and record the
    outcome. Returns the delivery as stored afterwards."""
    lease = delivery.leased_until
    body = body_of(delivery)
    outcome = transport.post(delivery.endpoint.url, body, headers_of(delivery, body))
    _record(delivery, lease, outcome)
    # Read back what was stored; an endpoint deleted meanwhile took its deliveries with it.
    return (
        WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery.pk).first()
        or delivery
    )


def _record(delivery: WebhookDelivery, lease, outcome: transport.Outcome) -> None:
    now = timezone.now()
    attempts = delivery.attempts + 1
    fields: dict = {
        "attempts": attempts,
        "leased_until": None,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:500],
        "response_ms": outcome.elapsed_ms,
        "updated_at": now,
    }
    if outcome.ok:
        fields |= {
            "status": WebhookDelivery.Status.SUCCEEDED,
            "delivered_at": now,
            "next_attempt_at": None,
        }
    elif delivery.is_ping or attempts >= max_attempts():
        fields |= {"status": WebhookDelivery.Status.DEAD, "next_attempt_at": None}
    else:
        fields |= {
            "status": WebhookDelivery.Status.FAILED,
            "next_attempt_at": now + backoff(attempts),
        }
    with transaction.atomic():
        # Only the holder of the lease records: a redelivery requested meanwhile wins.
        if not WebhookDelivery.objects.filter(pk=delivery.pk, leased_until=lease).update(**fields):
            return
        if delivery.is_ping:
            return
        if outcome.ok:
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, failure_streak__gt=0).update(
                failure_streak=0
            )
        elif fields["status"] == WebhookDelivery.Status.DEAD:
            _count_dead(delivery.endpoint_id)


def _count_dead(endpoint_id: int) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(failure_streak=F("failure_streak") + 1)
    endpoint = (
        WebhookEndpoint.objects.select_for_update().select_related("enterprise").get(pk=endpoint_id)
    )
    if not endpoint.active or endpoint.failure_streak < disable_after_dead():
        return
    endpoint.active = False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = DISABLED_AFTER_FAILURES
    endpoint.save(update_fields=["active", "disabled_at", "disabled_reason", "updated_at"])
    audit.record(
        "integrations.webhook.disabled",
        endpoint,
        changes={"active": [True, False], "failure_streak": [None, endpoint.failure_streak]},
    )
    link = f"/enterprises/{endpoint.enterprise.public_id}/webhooks"
    hr_users = {
        m.user
        for m in Membership.objects.filter(
            enterprise=endpoint.enterprise, role=Role.HR, active=True, user__is_active=True
        ).select_related("user")
    }
    for user in hr_users:
        request_notification(
            user,
            "Webhook 端点已停用 · Webhook endpoint disabled",
            f"连续 {endpoint.failure_streak} 条通知未能送达 {endpoint.url}，端点已自动停用。"
            "请检查接收系统后在“Webhook”页面重新启用并重发。\n"
            f"{endpoint.failure_streak} deliveries in a row could not reach {endpoint.url}; the "
            "endpoint was disabled. Check the receiving system, then enable it and redeliver.",
            link,
        )


def send_due(limit: int = 500) -> int:
    """Send every due delivery; returns how many were attempted."""
    sent = 0
    while sent < limit:
        batch = claim(limit=min(50, limit - sent))
        if not batch:
            break
        for delivery in batch:
            attempt(delivery)
            sent += 1
    return sent


def enqueue_sending() -> None:
    from accord.integrations.tasks import send_webhooks

    try:
        send_webhooks.enqueue()
    except Exception:  # the periodic sweep sends them later
        log.exception("could not enqueue webhook sending")


def register_periodic_checks() -> None:
    @schedule.every(30, "integrations.webhook_sweep")
    def sweep() -> None:
        """Retries that have come due, and deliveries whose sender died holding the lease."""
        if deliveries_due():
            enqueue_sending()
