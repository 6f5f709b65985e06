"""End to end with the real task worker: a hire committed in Accord reaches the HR system's
receiver once, signed, sent by `accord db_worker` (outbox → fan-out → send task)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from accord.identity import employment
from accord.integrations.models import WebhookDelivery
from tests.conftest import resident_id
from tests.core.test_worker import _worker_env


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_a_committed_hire_to_the_receiver_once(enterprise, endpoint, receiver):
    job = employment.register_employee(
        enterprise, name="王小红", id_number=resident_id(901), start_date="2026-04-01"
    )
    # One batch run delivers the outbox event and then runs the send task it enqueued; a second
    # run (the periodic sweep, a restarted worker) must not send it again.
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-m", "accord", "db_worker", "--batch", "--no-startup-delay"],
            env=_worker_env(),
            check=True,
            timeout=120,
            capture_output=True,
        )
    [got] = receiver.received
    assert got.signature_valid
    assert f'"employment":"{job.public_id}"'.encode() in got.body
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded" and delivery.attempts == 1
