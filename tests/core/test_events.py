"""The transactional outbox: delivered only after commit, redelivered after a crash, consumed once."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accord.core import events
from accord.core.models import EventDelivery, OutboxEvent, ProcessedEvent

pytestmark = pytest.mark.django_db

received: list[str] = []


@pytest.fixture(autouse=True)
def test_subscriber():
    received.clear()

    def handler(event):
        received.append(event.payload["n"])

    events.subscriber("test.thing", "tests.counter")(handler)
    yield
    events.unsubscribe("test.thing", "tests.counter")


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        events.publish("test.thing", {"n": 1})


def test_event_of_a_rolled_back_change_never_exists():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        events.publish("test.thing", {"n": 1})
        1 / 0  # noqa: B018
    assert OutboxEvent.objects.count() == 0
    assert events.deliver_pending() == 0
    assert received == []


def test_committed_event_is_delivered_to_its_subscriber():
    with transaction.atomic():
        events.publish("test.thing", {"n": 7})
    assert events.deliver_pending() == 1
    assert received == [7]
    assert EventDelivery.objects.get().status == "done"


def test_delivery_leased_by_a_crashed_worker_is_redelivered_after_the_lease():
    with transaction.atomic():
        events.publish("test.thing", {"n": 3})
    leased = events.claim()
    assert len(leased) == 1
    # The worker that leased it dies here. Until the lease runs out, nobody else takes it...
    assert events.claim() == []
    # ...then another worker does, and delivers it.
    later = timezone.now() + timedelta(seconds=120)
    again = events.claim(now=later)
    assert [d.id for d in again] == [leased[0].id]
    assert events.run_delivery(again[0], now=later)
    assert received == [3]


def test_consumer_is_idempotent_when_an_event_arrives_twice():
    with transaction.atomic():
        event = events.publish("test.thing", {"n": 5})
    delivery = events.claim()[0]
    assert events.run_delivery(delivery)
    # A crash after the handler committed but before the worker acknowledged would deliver again:
    EventDelivery.objects.filter(id=delivery.id).update(status="pending", leased_until=None)
    again = events.claim()[0]
    assert events.run_delivery(again)
    assert received == [5]
    assert ProcessedEvent.objects.filter(event_public_id=event.public_id).count() == 1


def test_failing_consumer_is_retried_with_backoff_and_its_effects_rolled_back():
    calls = []

    def flaky(event):
        calls.append(1)
        ProcessedEvent.objects.create(subscriber="side-effect", event_public_id=event.public_id)
        if len(calls) == 1:
            raise ConnectionError("downstream down")

    events.subscriber("test.flaky", "tests.flaky")(flaky)
    try:
        with transaction.atomic():
            events.publish("test.flaky", {})
        assert events.deliver_pending() == 0
        delivery = EventDelivery.objects.get(subscriber="tests.flaky")
        assert delivery.attempts == 1 and "downstream down" in delivery.last_error
        assert delivery.available_at > timezone.now()
        # The failed attempt's writes were rolled back with it.
        assert not ProcessedEvent.objects.filter(subscriber="side-effect").exists()
        EventDelivery.objects.filter(id=delivery.id).update(available_at=timezone.now())
        assert events.deliver_pending() == 1
        assert ProcessedEvent.objects.filter(subscriber="side-effect").count() == 1
    finally:
        events.unsubscribe("test.flaky", "tests.flaky")


def test_enterprise_creation_publishes_an_event(make_enterprise):
    enterprise = make_enterprise()
    event = OutboxEvent.objects.get(topic="identity.enterprise.created")
    assert event.payload["enterprise"] == str(enterprise.public_id)
    assert event.payload["street"] == "futian"


def test_sweep_sees_due_deliveries_only():
    assert not events.events_due()
    with transaction.atomic():
        events.publish("test.thing", {"n": 9})
    assert events.events_due()
    events.claim()
    assert not events.events_due()  # leased by a live worker
    assert events.events_due(now=timezone.now() + timedelta(seconds=120))  # the lease ran out
