"""Grouped appends: many callers, one transaction a batch; dedup; back-pressure; kill -9."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from accord.core.errors import AccordError
from accord.ledger import checkpoints, entries, merkle, sequencer, storage
from accord.ledger.models import Checkpoint
from accord.ledger.verification import verify_log
from tests.support.processes import wait_until

from . import helpers
from .test_crash import ROOT, _accord, scratch_env  # noqa: F401 -- the fixture

pytestmark = pytest.mark.django_db(transaction=True)


def _submit_all(batcher, items, **kw):
    results: dict[int, int] = {}
    errors: list[BaseException] = []

    def one(i, item):
        try:
            results[i] = batcher.submit(item, **kw)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i, it)) for i, it in enumerate(items)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_concurrent_callers_share_one_transaction_and_one_checkpoint():
    # N = 8 entries or T = 60 s: the batch is committed as soon as the 8th caller arrives.
    batcher = sequencer.Batcher(max_batch=8, max_delay_ms=60_000, checkpoint_interval_ms=0)
    batcher.start()
    try:
        results = _submit_all(batcher, helpers.demo_items(8))
    finally:
        batcher.stop()
    assert sorted(results.values()) == list(range(8))
    assert batcher.batches == 1
    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [8]
    assert verify_log().ok


def test_an_entry_already_in_the_log_or_in_the_queue_gets_its_index_back():
    batcher = sequencer.Batcher(max_batch=3, max_delay_ms=60_000).start()
    try:
        items = helpers.demo_items(3)
        twice = [items[0], items[1], items[2], items[0]]  # 3 distinct fill the batch of N = 3
        results = _submit_all(batcher, twice)
        assert results[0] == results[3]
        assert storage.tree_size() == 3
        again = entries.PreparedEntry("test.demo", items[1].data, {})
        assert batcher.submit(again) == results[1]
        assert storage.tree_size() == 3
    finally:
        batcher.stop()
    # After a restart the sequencer finds it through the look-up index (or the tail).
    storage.catch_up_index()
    restarted = sequencer.Batcher().start()
    try:
        assert restarted.submit(items[2]) == results[2]
        assert storage.tree_size() == 3
    finally:
        restarted.stop()


def test_waiting_for_the_checkpoint_returns_a_provable_index():
    batcher = sequencer.Batcher(checkpoint_interval_ms=60_000).start()
    try:
        first = batcher.submit(helpers.demo_items(1)[0])  # durable, the checkpoint can wait
        index = batcher.submit(helpers.demo_items(1, start=1)[0], wait_checkpoint=True)
    finally:
        batcher.stop()
    latest = checkpoints.latest_checkpoint()
    assert latest.tree_size > index > first
    proof = storage.inclusion_proof_by_index(index, latest.tree_size)
    leaf = merkle.leaf_hash(storage.get_entry(index).data)
    assert merkle.verify_inclusion(leaf, index, latest.tree_size, proof, latest.root_hash)


def test_too_much_in_flight_is_refused_with_429_and_nothing_is_lost():
    batcher = sequencer.Batcher(max_pending=1)  # not started yet: nothing is integrated
    first = helpers.demo_items(1)[0]
    done: list[int] = []
    waiter = threading.Thread(target=lambda: done.append(batcher.submit(first)))
    waiter.start()
    wait_until(lambda: len(batcher.pending) == 1, "the first entry queued")
    with pytest.raises(AccordError) as err:
        batcher.submit(helpers.demo_items(1, start=1)[0])
    assert err.value.code == "ledger.sequencer_busy" and err.value.status == 429
    batcher.start()
    waiter.join()
    batcher.stop()
    assert done == [0] and storage.tree_size() == 1


def test_a_failing_batch_reaches_every_caller_and_leaves_nothing(monkeypatch):
    batcher = sequencer.Batcher(max_batch=3, max_delay_ms=60_000).start()

    def explode(*args, **kwargs):
        raise RuntimeError("power cut while signing")

    monkeypatch.setattr(storage, "sign_checkpoint", explode)
    errors = []

    def one(item):
        try:
            batcher.submit(item, wait_checkpoint=True)
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(it,)) for it in helpers.demo_items(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batcher.stop()
    assert len(errors) == 3
    assert storage.tree_size() == 0


@pytest.mark.slow
def test_kill_9_of_the_sequencer_process_loses_no_acknowledged_entry(scratch_env, tmp_path):  # noqa: F811
    """Three writer processes append through the sequencer process; it is killed with SIGKILL
    three times under load and restarted. Every entry a writer was told is durable is in the
    log at the index it was given, the log re-hashes clean, and nothing is duplicated."""
    env = dict(scratch_env, ACCORD_LEDGER_SEQUENCER="socket")
    env["ACCORD_LEDGER_SOCKET"] = str(tmp_path / "seq.sock")
    rng = random.Random(12)

    def start_sequencer():
        proc = subprocess.Popen(
            [sys.executable, "-m", "accord", "ledger", "sequencer"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert "listening" in proc.stdout.readline()
        return proc

    server = start_sequencer()
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.ledger.seq_client", str(w + 1), "400"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(3)
    ]
    acks: list[tuple[int, str]] = []
    lock = threading.Lock()

    def read(proc):
        for line in proc.stdout:
            if line.startswith("ack "):
                _, index, leaf = line.split()
                with lock:
                    acks.append((int(index), leaf))

    readers = [threading.Thread(target=read, args=(w,)) for w in writers]
    for r in readers:
        r.start()
    try:
        for round_ in range(3):
            target = 150 * (round_ + 1) + rng.randrange(50)
            wait_until(lambda target=target: len(acks) >= target, f"{target} acknowledged")
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            server = start_sequencer()
        for w in writers:
            assert w.wait(timeout=300) == 0
        for r in readers:
            r.join()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
        for w in writers:
            if w.poll() is None:
                w.kill()
    assert len(acks) == 1200
    dump = subprocess.run(
        [sys.executable, "-m", "tests.ledger.seq_client", "dump"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    stored = dump.stdout.split()
    assert len(stored) == len(set(stored)) == 1200  # no entry lost, none twice
    for index, leaf in acks:
        assert stored[index] == leaf
    verified = _accord(env, "ledger", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "OK: 1200 entries" in verified.stdout


def test_socket_protocol_round_trip():
    item = entries.prepare(
        "agreement.concluded",
        {
            "case_ref": "FT-1",
            "agreement_sha256": "ab" * 32,
            "concluded_at": "2026-11-25T10:00:00+08:00",
        },
        personal={"worker": "张三", "employer_representative": "李四"},
    )
    frame = sequencer.encode_request(item, True)
    assert int.from_bytes(frame[:4], "big") == len(frame) - 4
    decoded, wait = sequencer.decode_request(frame[4:])
    assert wait and decoded == item
    assert Path(sequencer.socket_path()).name.endswith(".sock")
