"""Batch sending with real task workers (issue #10 item 5): a worker killed mid-chunk loses
nothing and duplicates nothing — its lease runs out and the next worker takes the chunk up."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accord.envelopes import batch_plan, batch_send, batches
from accord.envelopes.models import Batch, BatchChunk, Envelope
from accord.identity.models import Employment, Person
from tests.core.test_worker import _worker_env
from tests.envelopes.test_batches import row, upload, xlsx
from tests.support import processes

LEASE_SECONDS = 4


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll the database until ``condition`` holds (the workers are other processes)."""

    def fresh() -> bool:
        connection.close()  # a fresh snapshot for each look
        return condition()

    processes.wait_until(fresh, what, deadline=240)


def start_worker(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "accord",
            "db_worker",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--no-reload",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _in_flight(batch: Batch) -> bool:
    """At least one chunk sent, and a worker holds another one it has not finished."""
    chunks = BatchChunk.objects.filter(batch=batch)
    return (
        chunks.filter(status="done").exists()
        and chunks.filter(status="pending", leased_until__gt=timezone.now()).exists()
    )


@pytest.mark.django_db(transaction=True)
def test_kill_9_of_a_worker_mid_chunk_then_another_worker_sends_every_row_exactly_once(
    shop, monkeypatch, tmp_path
):
    monkeypatch.setattr(batches, "CHUNK_ROWS", 15)
    rows = 90
    data = xlsx([row(n) for n in range(1, rows + 1)])
    batch = upload(shop, data)
    batches.start(batch, user=shop.hr)
    assert batch.chunks.count() == 6
    env = _worker_env() | {"ACCORD_BATCH_LEASE_SECONDS": str(LEASE_SECONDS)}
    log = open(tmp_path / "workers.log", "w")
    first = start_worker(env, log)
    try:
        wait_until(lambda: _in_flight(batch), "the first worker in the middle of a chunk")
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    batch.refresh_from_db()
    held = list(
        BatchChunk.objects.filter(batch=batch, status="pending", leased_until__isnull=False)
    )
    assert batch.status != Batch.Status.DONE and held, "the kill came after the last chunk"
    # what the dead worker was writing is not there: each chunk is whole or absent
    done_rows = sum(c.last - c.first for c in BatchChunk.objects.filter(batch=batch, status="done"))
    assert Envelope.objects.filter(batch=batch).count() == done_rows
    # the same file uploaded again is the same batch, and sends nothing twice
    again, created = batches.upload(
        shop.enterprise,
        data=data,
        file_name="again.xlsx",
        version=batch.template_version,
        user=shop.hr,
    )
    assert not created and again.pk == batch.pk

    second = start_worker(env, log)
    try:
        wait_until(
            lambda: Batch.objects.get(pk=batch.pk).status == Batch.Status.DONE,
            "the second worker finishing the batch, the dead worker's chunk included",
        )
    finally:
        second.terminate()
        second.wait(30)
        log.close()

    batch.refresh_from_db()
    assert batch.sent == rows and batch.failed == 0, (tmp_path / "workers.log").read_text()[-3000:]
    sent = Envelope.objects.filter(batch=batch)
    keys = list(sent.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == rows
    assert set(keys) == {batches.idempotency_key(batch, line) for line in range(2, rows + 2)}
    assert set(sent.values_list("status", flat=True)) == {"sent"}
    assert Person.objects.filter(name__startswith="工人").count() == rows
    assert (
        Employment.objects.filter(
            enterprise=shop.enterprise, person__name__startswith="工人"
        ).count()
        == rows
    )
    # the chunk the dead worker held was leased again, by the second worker
    for chunk in held:
        chunk.refresh_from_db()
        assert chunk.status == "done" and chunk.attempts >= 2
    assert not BatchChunk.objects.filter(batch=batch, status="pending").exists()


@pytest.mark.django_db
def test_start_takes_up_a_stalled_batch_whose_worker_died(shop, monkeypatch):
    """开始发送 on a batch stuck at "sending" queues a task for the chunk nobody holds any more."""
    monkeypatch.setattr(batches, "CHUNK_ROWS", 2)
    batch = upload(shop, xlsx([row(n) for n in range(1, 5)]))
    batches.start(batch, user=shop.hr)
    chunk = batch_send.claim(batch.pk)
    batch_send.run_chunk(chunk)  # the first chunk is sent ...
    dead = batch_send.claim(batch.pk)  # ... the second leased by a worker that then dies
    DBTaskResult.objects.all().delete()  # and the queued tasks are gone with it
    batch.refresh_from_db()
    assert batch.status == Batch.Status.SENDING and batch.sent == 2
    batches.start(batch, user=shop.hr)  # while the lease holds: nothing to take up yet
    assert not DBTaskResult.objects.exists() and not batches.may_start(batch)
    BatchChunk.objects.filter(pk=dead.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    assert batches.may_start(batch)  # the page offers 继续发送 again
    batches.start(batch, user=shop.hr)
    assert DBTaskResult.objects.filter(task_path__endswith="batch_tasks.send_batch").count() == 1
    batches.run_all(batch)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE and batch.sent == 4
    assert Envelope.objects.filter(batch=batch).count() == 4
    # the late worker's write would have found its lease gone: nothing twice
    with pytest.raises(batch_send.LeaseLost):
        batch_send._write(batch, dead, batch_plan.plan(batch, batch_send.chunk_rows(dead)))
    assert Envelope.objects.filter(batch=batch).count() == 4


@pytest.mark.django_db
def test_a_task_that_finds_the_chunks_held_asks_for_one_follow_up_at_the_lease_end(
    shop, monkeypatch
):
    monkeypatch.setattr(batches, "CHUNK_ROWS", 2)
    batch = upload(shop, xlsx([row(n) for n in range(1, 3)]))
    batches.start(batch, user=shop.hr)
    held = batch_send.claim(batch.pk)
    asked = []
    for _ in range(3):  # three tasks find nothing to lease
        batch_send.work(batch.pk, follow_up=lambda pk, when: asked.append(when))
    assert len(asked) == 1 and asked[0] > held.leased_until


@pytest.mark.django_db
def test_the_follow_up_is_a_task_deferred_to_the_lease_end(
    shop, monkeypatch, django_capture_on_commit_callbacks
):
    from accord.envelopes import batch_tasks

    monkeypatch.setattr(batches, "CHUNK_ROWS", 2)
    batch = upload(shop, xlsx([row(n) for n in range(1, 3)]))
    batches.start(batch, user=shop.hr)
    held = batch_send.claim(batch.pk)
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        batch_tasks.send_batch.call(batch.pk)  # a task finds the only chunk held
    queued = DBTaskResult.objects.get(task_path__endswith="batch_tasks.send_batch")
    assert queued.status == "READY" and queued.run_after > held.leased_until
    assert queued.args_kwargs["args"] == [batch.pk]
