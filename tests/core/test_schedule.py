"""Periodic checks run by `accord serve`: due ones run, failures are contained."""

from types import SimpleNamespace

import pytest
from django.db import transaction

from accord.core import events, schedule
from accord.core.models import EventDelivery


@pytest.mark.django_db
def test_checks_run_when_due_and_a_failure_does_not_stop_the_others(monkeypatch):
    calls = []
    monkeypatch.setattr(schedule, "_periodic", {})
    schedule.every(10, "a")(lambda: calls.append("a"))
    schedule.every(10, "boom")(lambda: 1 / 0)
    schedule.every(100, "b")(lambda: calls.append("b"))
    assert schedule.run_due(now=1000.0) == ["a", "b"]
    assert schedule.run_due(now=1005.0) == []
    assert schedule.run_due(now=1011.0) == ["a"]
    assert calls == ["a", "b", "a"]


def test_the_apps_register_their_checks():
    names = {p.name for p in schedule.registered()}
    assert {"core.outbox_sweep", "ledger.cosign", "ledger.audit_digest"} <= names


@pytest.mark.django_db
def test_outbox_sweep_enqueues_only_when_a_delivery_is_due(monkeypatch):
    enqueued = []
    from accord.core import tasks

    monkeypatch.setattr(
        tasks, "deliver_events", SimpleNamespace(enqueue=lambda: enqueued.append(1))
    )
    sweep = next(p for p in schedule.registered() if p.name == "core.outbox_sweep").check
    sweep()
    assert enqueued == []
    events.subscriber("test.sweep", "tests.sweep")(lambda e: None)
    try:
        with transaction.atomic():
            events.publish("test.sweep", {})
        sweep()
        assert enqueued == [1]
        assert EventDelivery.objects.filter(subscriber="tests.sweep").exists()
    finally:
        events.unsubscribe("test.sweep", "tests.sweep")
