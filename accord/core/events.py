"""The transactional outbox: how a lower app tells higher apps about a change.

``publish`` writes the event (and one delivery row per subscriber) in the caller's
transaction, so an event exists exactly when its change was committed. After commit a task
delivers it. Delivery is at-least-once: a worker claims a delivery with a lease; if it dies,
the lease runs out and another worker delivers again. Consumers are made idempotent by
``ProcessedEvent``, written in the consumer's own transaction together with its effects.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accord.core import bulk
from accord.core.models import EventDelivery, OutboxEvent, ProcessedEvent

log = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]


@dataclass(frozen=True)
class Subscriber:
    name: str
    topic: str
    handler: Handler


_subscribers: dict[str, dict[str, Subscriber]] = {}


def subscriber(topic: str, name: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` for ``topic`` (``"*"`` for every topic) under a stable ``name``."""

    def register(handler: Handler) -> Handler:
        _subscribers.setdefault(topic, {})[name] = Subscriber(name, topic, handler)
        return handler

    return register


def unsubscribe(topic: str, name: str) -> None:
    _subscribers.get(topic, {}).pop(name, None)


def subscribers_for(topic: str) -> list[Subscriber]:
    found = dict(_subscribers.get("*", {}))
    found.update(_subscribers.get(topic, {}))
    return list(found.values())


def _find(name: str) -> Subscriber | None:
    for by_name in _subscribers.values():
        if name in by_name:
            return by_name[name]
    return None


def publish(topic: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record an event in the current transaction; it is delivered only if that commits."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish() must run inside the transaction of the change it reports")
    event = OutboxEvent.objects.create(topic=topic, payload=payload)
    now = timezone.now()
    EventDelivery.objects.bulk_create(
        [
            EventDelivery(event=event, subscriber=s.name, available_at=now)
            for s in subscribers_for(topic)
        ]
    )
    _wake_on_commit()
    return event


def publish_many(topic: str, payloads: list[dict[str, Any]]) -> list[OutboxEvent]:
    """``publish`` for many changes of one transaction (a chunk of a batch): the events and
    their deliveries in two inserts instead of two per event."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish() must run inside the transaction of the change it reports")
    if not payloads:
        return []
    events = bulk.insert(OutboxEvent, [OutboxEvent(topic=topic, payload=p) for p in payloads])
    now = timezone.now()
    subscribers = subscribers_for(topic)
    bulk.insert(
        EventDelivery,
        [
            EventDelivery(event=event, subscriber=s.name, available_at=now)
            for event in events
            for s in subscribers
        ],
    )
    _wake_on_commit()
    return events


def _wake_on_commit() -> None:
    # One wake-up of the delivery task per transaction, however many events it publishes
    # (a batch commits hundreds at once).
    pending = transaction.get_connection().run_on_commit
    if not any(hook[1] is _enqueue_delivery for hook in pending):
        transaction.on_commit(_enqueue_delivery)


def _enqueue_delivery() -> None:
    from accord.core.tasks import deliver_events

    try:
        deliver_events.enqueue()
    except Exception:  # the periodic sweep delivers it later; the change itself is committed
        log.exception("could not enqueue event delivery")


def claim(limit: int = 100, now=None) -> list[EventDelivery]:
    """Lease up to ``limit`` due deliveries to this worker, set-based: one select and one
    compare-and-set update for the whole group, not one update per delivery.

    The lease's end carries a random number of microseconds, which identifies this claim: the
    update re-checks that each row is still due, and the rows that carry our lease afterwards
    are ours — another worker that picked some of the same ids in between got the others. On
    PostgreSQL the rows are also locked with SKIP LOCKED, so concurrent workers pick disjoint
    groups in the first place."""
    now = now or timezone.now()
    lease = now + timedelta(
        seconds=settings.ACCORD_OUTBOX_LEASE_SECONDS, microseconds=secrets.randbelow(999_999) + 1
    )
    due = Q(status=EventDelivery.Status.PENDING, available_at__lte=now) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )
    with transaction.atomic():
        candidates = EventDelivery.objects.filter(due).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        EventDelivery.objects.filter(due, id__in=ids).update(leased_until=lease)
    return list(
        EventDelivery.objects.filter(id__in=ids, leased_until=lease)
        .select_related("event")
        .order_by("id")
    )


def run_delivery(delivery: EventDelivery, now=None) -> bool:
    """Deliver one claimed event to its subscriber; True when it is done."""
    now = now or timezone.now()
    sub = _find(delivery.subscriber)
    try:
        if sub is None:
            raise LookupError(f"no subscriber named {delivery.subscriber!r} in this process")
        with transaction.atomic():
            try:
                with transaction.atomic():
                    ProcessedEvent.objects.create(
                        subscriber=sub.name, event_public_id=delivery.event.public_id
                    )
            except IntegrityError:
                pass  # processed before: a redelivery after a crash; nothing to do again
            else:
                sub.handler(delivery.event)
            EventDelivery.objects.filter(id=delivery.id).update(
                status=EventDelivery.Status.DONE,
                delivered_at=timezone.now(),
                leased_until=None,
                attempts=delivery.attempts + 1,
            )
        return True
    except Exception as exc:
        attempts = delivery.attempts + 1
        failed = attempts >= settings.ACCORD_OUTBOX_MAX_ATTEMPTS
        backoff = timedelta(seconds=min(2**attempts, 3600))
        EventDelivery.objects.filter(id=delivery.id).update(
            attempts=attempts,
            leased_until=None,
            available_at=now + backoff,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            status=EventDelivery.Status.FAILED if failed else EventDelivery.Status.PENDING,
        )
        log.warning(
            "delivery %s to %s failed (attempt %s): %s",
            delivery.id,
            delivery.subscriber,
            attempts,
            exc,
        )
        return False


def events_due(now=None) -> bool:
    """Is any delivery due (pending, available, not leased)? What the periodic sweep checks."""
    now = now or timezone.now()
    return EventDelivery.objects.filter(
        Q(status=EventDelivery.Status.PENDING, available_at__lte=now)
        & (Q(leased_until__isnull=True) | Q(leased_until__lt=now))
    ).exists()


def run_deliveries(deliveries: list[EventDelivery], now=None) -> int:
    """Deliver a claimed group: per subscriber one transaction that records every event as
    processed in one insert, runs the handler on each, and marks them all done in one update
    (a batch publishes thousands of events; one by one that was five statements each). If any
    handler fails, the group is rolled back and delivered one by one, so that only the failing
    delivery backs off. Returns how many deliveries completed."""
    done = 0
    by_subscriber: dict[str, list[EventDelivery]] = {}
    for delivery in deliveries:
        by_subscriber.setdefault(delivery.subscriber, []).append(delivery)
    for name, group in by_subscriber.items():
        sub = _find(name)
        if sub is None or len(group) == 1:
            done += sum(run_delivery(d, now) for d in group)
            continue
        try:
            with transaction.atomic():
                seen = set(
                    ProcessedEvent.objects.filter(
                        subscriber=name, event_public_id__in=[d.event.public_id for d in group]
                    ).values_list("event_public_id", flat=True)
                )
                fresh = [d for d in group if d.event.public_id not in seen]
                ProcessedEvent.objects.bulk_create(
                    [
                        ProcessedEvent(subscriber=name, event_public_id=d.event.public_id)
                        for d in fresh
                    ]
                )
                for delivery in fresh:
                    sub.handler(delivery.event)
                EventDelivery.objects.filter(id__in=[d.id for d in group]).update(
                    status=EventDelivery.Status.DONE,
                    delivered_at=timezone.now(),
                    leased_until=None,
                    attempts=F("attempts") + 1,
                )
            done += len(group)
        except Exception:
            log.info("a delivery to %s failed in a group; delivering one by one", name)
            done += sum(run_delivery(d, now) for d in group)
    return done


def deliver_pending(limit: int = 500) -> int:
    """Deliver every due event; returns how many deliveries completed."""
    done = 0
    while True:
        batch = claim(limit=min(limit, 100))
        if not batch:
            return done
        done += run_deliveries(batch)
        limit -= len(batch)
        if limit <= 0:
            return done


def _register_sweep() -> None:
    from accord.core import schedule

    @schedule.every(30, "core.outbox_sweep")
    def sweep() -> None:
        """Redeliver what a crashed worker had leased, or what was published while the queue
        could not be reached; enqueued only when something is due."""
        if events_due():
            from accord.core.tasks import deliver_events

            deliver_events.enqueue()


_register_sweep()
