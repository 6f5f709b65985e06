"""The outbox delivers a batch's thousands of events in groups: set-based, and still exactly once."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accord.core import events
from accord.core.models import EventDelivery, ProcessedEvent

pytestmark = pytest.mark.django_db

received: list[int] = []


@pytest.fixture(autouse=True)
def counting_subscriber():
    received.clear()

    def handler(event):
        if event.payload["n"] == 13:
            raise ConnectionError("downstream refuses 13")
        received.append(event.payload["n"])

    events.subscriber("test.many", "tests.many")(handler)
    yield
    events.unsubscribe("test.many", "tests.many")


def test_publish_many_writes_every_event_and_delivery_in_two_inserts():
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        made = events.publish_many("test.many", [{"n": n} for n in range(50)])
    # INSERT, or on PostgreSQL the COPY of core.bulk
    inserts = [q for q in queries.captured_queries if q["sql"].startswith(("INSERT", "COPY"))]
    assert len(made) == 50 and len(inserts) == 2
    assert EventDelivery.objects.filter(subscriber="tests.many").count() == 50


def test_a_group_is_claimed_and_delivered_in_a_few_statements_each_event_once():
    with transaction.atomic():
        events.publish_many("test.many", [{"n": n} for n in range(100, 160)])
    with CaptureQueriesContext(connection) as queries:
        assert events.deliver_pending() == 60
    # claim (select, update, read back) + processed (select, insert) + done (update) + the
    # empty claim that ends the loop — not five statements per delivery
    assert len(queries.captured_queries) < 20, len(queries.captured_queries)
    assert sorted(received) == list(range(100, 160))
    assert ProcessedEvent.objects.filter(subscriber="tests.many").count() == 60
    assert events.deliver_pending() == 0  # nothing twice


def test_one_failing_handler_in_a_group_backs_off_alone():
    with transaction.atomic():
        events.publish_many("test.many", [{"n": n} for n in (12, 13, 14)])
    assert events.deliver_pending() == 2
    # (the group's first try ran 12 before 13 failed; its writes were rolled back with it, as a
    # failed delivery's always are, and 12 was then delivered on its own: processed once)
    assert set(received) == {12, 14}
    assert ProcessedEvent.objects.filter(subscriber="tests.many").count() == 2
    failed = EventDelivery.objects.get(event__payload__n=13)
    assert failed.status == "pending" and failed.attempts == 1
    assert "refuses 13" in failed.last_error
    assert not ProcessedEvent.objects.filter(event_public_id=failed.event.public_id).exists()
