"""Webhooks out, against a real HTTP receiver on 127.0.0.1 that checks every signature."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accord.core import events
from accord.core.models import AuditEntry, EventDelivery, OutboxEvent, ProcessedEvent
from accord.identity import employment
from accord.integrations import sending, services
from accord.integrations.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import resident_id

pytestmark = pytest.mark.django_db
_n = itertools.count(500)


def hire(enterprise):
    """HR registers an employee: ``identity.employment.started`` goes through the outbox."""
    job = employment.register_employee(
        enterprise, name="张小明", id_number=resident_id(next(_n)), start_date="2026-03-01"
    )
    events.deliver_pending()
    return job


def time_passes():
    """The retry wait is over (instead of sleeping for minutes)."""
    WebhookDelivery.objects.filter(status="failed").update(next_attempt_at=timezone.now())


def test_a_hire_reaches_the_hr_system_signed(enterprise, endpoint, receiver):
    job = hire(enterprise)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.topic == "identity.employment.started"
    assert sending.send_due() == 1
    [got] = receiver.received
    assert got.signature_valid
    assert got.headers["Accord-Webhook-Id"] == str(delivery.public_id)
    body = json.loads(got.body)
    assert body["id"] == str(delivery.public_id)
    assert body["topic"] == "identity.employment.started"
    assert body["data"]["enterprise"] == str(enterprise.public_id)
    assert body["data"]["employment"] == str(job.public_id)
    assert body["data"]["street"] == "futian"
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 1
    assert delivery.last_status_code == 204 and delivery.delivered_at is not None
    assert sending.send_due() == 0  # nothing left to send


def test_a_500_is_retried_later_with_the_same_id_then_succeeds(enterprise, endpoint, receiver):
    receiver.answer((500,), (200,))
    hire(enterprise)
    sending.send_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    # First retry after about a minute (with jitter), not at once.
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=50) < wait < timedelta(seconds=70)
    assert sending.send_due() == 0
    time_passes()
    assert sending.send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 2
    first, second = receiver.received
    assert first.headers["Accord-Webhook-Id"] == second.headers["Accord-Webhook-Id"]
    assert first.body == second.body
    assert second.signature_valid


def test_a_slow_receiver_times_out_and_is_retried(enterprise, endpoint, receiver, settings):
    settings.ACCORD_WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.answer((200, 2.0), (200,))
    hire(enterprise)
    sending.send_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.last_status_code is None
    assert "timed out" in delivery.last_error
    time_passes()
    sending.send_due()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 2


def test_backoff_grows_from_a_minute_to_hours():
    waits = [sending.backoff(n).total_seconds() for n in range(1, 9)]
    assert 54 <= waits[0] <= 66 and 270 <= waits[1] <= 330 and 1620 <= waits[2] <= 1980
    assert 6480 <= waits[3] <= 7920 and waits[-1] <= 86400 * 1.1
    assert all(a < b for a, b in itertools.pairwise(waits[:7]))


def test_after_the_last_attempt_it_is_dead_and_repeated_dead_disables_the_endpoint(
    enterprise, endpoint, receiver, hr, settings
):
    settings.ACCORD_WEBHOOK_MAX_ATTEMPTS = 3
    settings.ACCORD_WEBHOOK_DISABLE_AFTER_DEAD = 2
    receiver.answer((503,))
    hire(enterprise)
    hire(enterprise)
    for _ in range(3):
        sending.send_due()
        time_passes()
    assert sending.send_due() == 0
    assert list(WebhookDelivery.objects.values_list("status", "attempts")) == [("dead", 3)] * 2
    assert len(receiver.received) == 6
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_reason == "consecutive_failures"
    assert endpoint.failure_streak == 2 and endpoint.disabled_at is not None
    assert AuditEntry.objects.filter(
        action="integrations.webhook.disabled", object_id=str(endpoint.public_id)
    ).exists()
    # HR is told in its inbox.
    notice = OutboxEvent.objects.get(topic="core.notification.requested")
    assert notice.payload["recipient"] == hr.pk
    assert notice.payload["link"] == f"/enterprises/{enterprise.public_id}/webhooks"
    events.deliver_pending()
    assert hr.notifications.filter(title__contains="Webhook").count() == 1
    # A disabled endpoint gets no new deliveries, and cannot be redelivered to until enabled.
    hire(enterprise)
    assert WebhookDelivery.objects.count() == 2
    from accord.core.errors import Conflict

    with pytest.raises(Conflict):
        services.redeliver(WebhookDelivery.objects.first())
    services.update_endpoint(endpoint, {"active": True})
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failure_streak == 0 and endpoint.disabled_reason == ""


def test_a_success_resets_the_failure_streak(enterprise, endpoint, receiver, settings):
    settings.ACCORD_WEBHOOK_MAX_ATTEMPTS = 1
    settings.ACCORD_WEBHOOK_DISABLE_AFTER_DEAD = 2
    receiver.answer((500,), (200,), (500,))
    for _ in range(3):
        hire(enterprise)
        sending.send_due()
    endpoint.refresh_from_db()
    # dead, succeeded, dead: never two dead in a row, so still active.
    assert endpoint.active and endpoint.failure_streak == 1


def test_a_duplicate_outbox_delivery_creates_one_webhook_delivery(enterprise, endpoint):
    hire(enterprise)
    assert WebhookDelivery.objects.count() == 1
    event = OutboxEvent.objects.get(topic="identity.employment.started")
    # At-least-once: the outbox hands the same event over again (e.g. a crash before the
    # consumer's bookkeeping) ...
    name = "integrations.webhooks:identity.employment.started"
    ProcessedEvent.objects.filter(subscriber=name).delete()
    EventDelivery.objects.filter(subscriber=name).update(status="pending", leased_until=None)
    assert events.deliver_pending() >= 1
    # ... and the handler itself is called twice with it.
    with transaction.atomic():
        sending.fan_out(event)
    assert WebhookDelivery.objects.count() == 1


def test_only_subscribed_topics_of_the_own_enterprise_are_delivered(
    enterprise, make_enterprise, receiver
):
    leavers, _ = services.create_endpoint(
        enterprise=enterprise, url=receiver.url, topics=["identity.employment.ended"]
    )
    other = make_enterprise()
    services.create_endpoint(enterprise=other, url=receiver.url, topics=["*"])
    job = hire(enterprise)
    assert WebhookDelivery.objects.count() == 0
    employment.end_employment(job, "2026-06-30")
    events.deliver_pending()
    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == leavers and delivery.topic == "identity.employment.ended"


def test_lifecycle_events_of_the_envelope_engine_are_forwarded(enterprise, endpoint, receiver):
    with transaction.atomic():
        events.publish(
            "lifecycle.hired",
            {"enterprise": str(enterprise.public_id), "street": "futian", "industry": "65"},
        )
    events.deliver_pending()
    sending.send_due()
    [got] = receiver.received
    assert got.signature_valid and json.loads(got.body)["topic"] == "lifecycle.hired"


def test_redirects_are_not_followed(enterprise, endpoint, receiver):
    receiver.answer((302, 0.0, {"Location": receiver.url + "/elsewhere"}))
    hire(enterprise)
    sending.send_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "redirects are not followed" in delivery.last_error
    assert len(receiver.received) == 1


def test_after_a_rotation_both_secrets_sign_for_24_hours(enterprise, endpoint, receiver):
    old = receiver.secrets[0]
    endpoint, new = services.rotate_secret(endpoint)
    assert new != old
    receiver.secrets = [old]  # the HR system has not switched yet: still verifies
    hire(enterprise)
    sending.send_due()
    first = receiver.received[-1]
    assert first.signature_valid and len(first.headers["Accord-Webhook-Signature"].split()) == 2
    receiver.secrets = [new]  # it has switched
    hire(enterprise)
    sending.send_due()
    assert receiver.received[-1].signature_valid
    # A day later the old secret no longer signs.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    receiver.secrets = [old]
    receiver.answer((204,))
    hire(enterprise)
    sending.send_due()
    last = receiver.received[-1]
    assert not last.signature_valid and len(last.headers["Accord-Webhook-Signature"].split()) == 1


def test_in_production_a_loopback_receiver_is_refused_when_sending(
    enterprise, endpoint, receiver, settings
):
    settings.ACCORD_WEBHOOK_ALLOW_PRIVATE = False
    hire(enterprise)
    sending.send_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "non-public address" in delivery.last_error
    assert receiver.received == []


def test_a_failed_ping_is_not_retried_and_does_not_count_towards_disabling(
    endpoint, receiver, settings
):
    settings.ACCORD_WEBHOOK_DISABLE_AFTER_DEAD = 1
    receiver.answer((500,))
    delivery = sending.attempt(services.create_ping(endpoint))
    assert delivery.status == "dead" and delivery.attempts == 1
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failure_streak == 0
    assert sending.send_due() == 0


def test_a_delivery_whose_sender_died_is_sent_after_the_lease(enterprise, endpoint, receiver):
    hire(enterprise)
    [leased] = sending.claim()
    assert sending.claim() == []  # another sender leaves it alone while leased
    later = timezone.now() + timedelta(seconds=sending.LEASE_SECONDS + 1)
    [again] = sending.claim(now=later)
    assert again.pk == leased.pk
    assert sending.attempt(again).status == "succeeded"


def test_the_sweep_is_registered_and_enqueues_only_when_something_is_due(
    enterprise, endpoint, monkeypatch
):
    from accord.core import schedule

    calls = []
    monkeypatch.setattr(sending, "enqueue_sending", lambda: calls.append(1))
    sweep = next(p for p in schedule.registered() if p.name == "integrations.webhook_sweep")
    sweep.check()
    assert calls == []
    hire(enterprise)
    sweep.check()
    assert calls == [1]


def _documented_verifier():
    """The verification example of docs/integrations.md, exactly as a receiver would copy it."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "integrations.md").read_text(encoding="utf-8")
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "docs/integrations.md", "exec"), namespace)  # noqa: S102
    return namespace["verify_accord_webhook"]


def test_the_documented_python_example_verifies_real_deliveries(enterprise, endpoint, receiver):
    verify = _documented_verifier()
    secret = receiver.secrets[0]
    hire(enterprise)
    sending.send_due()
    got = receiver.received[-1]
    assert verify(secret, got.headers, got.body)
    assert not verify("whsec_not-the-secret", got.headers, got.body)
    assert not verify(secret, got.headers, got.body.replace(b"futian", b"futia_"))
    # During a rotation the old secret (second entry) verifies as well.
    _, new = services.rotate_secret(endpoint)
    hire(enterprise)
    sending.send_due()
    rotated = receiver.received[-1]
    assert verify(new, rotated.headers, rotated.body)
    assert verify(secret, rotated.headers, rotated.body)


def test_mohrss_54_payloads_leave_without_id_numbers_or_phones(enterprise, endpoint, receiver):
    # 人社厅发〔2021〕54号: the platform protects personal data; an event going out to an HR
    # system carries public ids only, even if a publisher put personal fields in it.
    number = resident_id(next(_n))
    employment.register_employee(
        enterprise, name="赵敏", id_number=number, phone="13912345678", start_date="2026-03-01"
    )
    with transaction.atomic():
        events.publish(
            "lifecycle.changed",
            {
                "enterprise": str(enterprise.public_id),
                "worker": {"name": "赵敏", "id_number": number, "phone": "13912345678"},
                "phone": "13912345678",
            },
        )
    events.deliver_pending()
    sending.send_due()
    assert len(receiver.received) == 2
    for got in receiver.received:
        assert number.encode() not in got.body and b"13912345678" not in got.body
    changed = json.loads(receiver.received[-1].body)["data"]
    assert changed["worker"] == {"name": "赵敏"}
