"""Two independent witnesses (their own processes, ports, keys and state) catch a forked log.

The log collects their cosignatures as long as it only grows; a forked history signed with the
log's own key (a compromised or dishonest log) and a rollback are refused by both, recorded in
their state files, and a bundle from the fork fails offline verification for lack of
cosignatures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from accord.ledger import bundle as bundles
from accord.ledger import checkpoints, merkle, note, services, storage
from accord.ledger.checkpoints import add_checkpoint_request, collect_cosignatures, log_signer
from accord.ledger.models import Cosignature, Witness, WitnessRefusal

from . import helpers
from .helpers import demo_items

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


class RunningWitness:
    def __init__(self, proc: subprocess.Popen, name: str, vkey: str, url: str, state: Path):
        self.proc, self.name, self.vkey, self.url, self.state = proc, name, vkey, url, state

    def post(self, body: bytes) -> tuple[int, str]:
        request = urllib.request.Request(self.url + "/add-checkpoint", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def saved_state(self) -> dict:
        return json.loads(self.state.read_text())


def start_witness(tmp_path: Path, name: str, log_vkey: str, via_django: bool) -> RunningWitness:
    key, state = (
        tmp_path / f"{name.replace('/', '_')}.key",
        tmp_path / f"{name.replace('/', '_')}.json",
    )
    command = ["-m", "accord", "witness"] if via_django else ["-m", "accord.ledger.witness"]
    env = dict(
        os.environ, DJANGO_SETTINGS_MODULE="tests.ledger.ledger_settings", PYTHONUNBUFFERED="1"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            *command,
            "--port",
            "0",
            "--key-file",
            str(key),
            "--name",
            name,
            "--state",
            str(state),
            "--log-key",
            log_vkey,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("witness "):
        proc.kill()
        raise AssertionError(f"witness did not start: {line} {proc.stderr.read()[-2000:]}")
    _, got_name, vkey, _, _, url = line.split()
    assert got_name == name
    return RunningWitness(proc, name, vkey, url, state)


@pytest.fixture
def witnesses(tmp_path):
    storage.append(demo_items(100))  # creates the log key
    vkey = checkpoints.log_verifier().vkey
    running = [
        start_witness(tmp_path, "witness.one.example/w", vkey, via_django=True),
        start_witness(tmp_path, "witness.two.example/w", vkey, via_django=False),
    ]
    for w in running:
        Witness.objects.create(name=w.name, url=w.url, vkey=w.vkey)
    yield running
    for w in running:
        w.proc.kill()
        w.proc.wait(timeout=10)


def forked_checkpoint(leaves: list[bytes], victim: int, extra: int) -> tuple[str, list[bytes]]:
    """A different history, signed with the log's real key: what a split view looks like."""
    forked = list(leaves)
    forked[victim] = merkle.leaf_hash(b"a forged entry")
    forked += [merkle.leaf_hash(f"more {i}".encode()) for i in range(extra)]
    signer = log_signer()
    body = note.Checkpoint(signer.name, len(forked), merkle.root_hash(forked)).body()
    return note.SignedNote(body, (note.sign_note(body, signer),)).text(), forked


def test_two_witnesses_cosign_a_growing_log_and_catch_a_fork(witnesses, client, settings):
    # 1. The honest log grows; both witnesses cosign each checkpoint.
    outcomes = collect_cosignatures()
    assert [o.ok for o in outcomes] == [True, True], outcomes
    storage.append(demo_items(250, start=100))
    outcomes = collect_cosignatures()  # this time with a consistency proof from 100 to 350
    assert [o.ok for o in outcomes] == [True, True], outcomes
    assert Cosignature.objects.filter(checkpoint__tree_size=350).count() == 2
    for w in witnesses:
        assert w.saved_state()["logs"][checkpoints.origin()]["size"] == 350

    # The published checkpoint carries the log signature and both cosignatures, and a bundle
    # checked with a quorum of 2 verifies offline.
    text = checkpoints.cosigned_text(checkpoints.latest_checkpoint())
    assert len(note.SignedNote.parse(text).signatures) == 3
    leaves = helpers.all_leaf_hashes()
    honest = services.bundle_for(index=42)
    result = bundles.verify_bundle(
        honest, checkpoints.log_verifier().vkey, [w.vkey for w in witnesses], quorum=2
    )
    assert set(result.cosigned_by) == {w.name for w in witnesses}

    # 2. A fork: entry 7 rewritten, history extended, signed with the log's own key.
    fork_text, forked = forked_checkpoint(leaves, victim=7, extra=50)
    fork_proof = merkle.consistency_proof(350, forked)  # the best a forker can offer
    for w in witnesses:
        status, answer = w.post(add_checkpoint_request(350, fork_proof, fork_text))
        assert status == 422, answer
        assert "fork" in answer
        state = w.saved_state()
        assert state["logs"][checkpoints.origin()]["size"] == 350  # not moved
        assert state["refusals"][-1]["kind"] == "fork"
        assert state["refusals"][-1]["checkpoint"] == fork_text  # kept as evidence

    # Same size, different root: also a fork; tlog-witness answers 409 with the size it holds.
    same_size_text, _ = forked_checkpoint(leaves, victim=7, extra=0)
    for w in witnesses:
        status, answer = w.post(add_checkpoint_request(350, [], same_size_text))
        assert (status, answer.strip()) == (409, "350")
        assert w.saved_state()["refusals"][-1]["checkpoint"] == same_size_text

    # A bundle from the forked tree has only the log's signature: offline verification refuses it.
    fork_bundle = bundles.make_bundle(
        7, b"a forged entry", merkle.inclusion_proof(7, forked), fork_text
    )
    with pytest.raises(bundles.BundleError) as err:
        bundles.verify_bundle(
            fork_bundle, checkpoints.log_verifier().vkey, [w.vkey for w in witnesses]
        )
    assert err.value.code == "ledger.bundle_not_witnessed"

    # 3. A rollback to the checkpoint of size 100 is refused too.
    old = checkpoints.Checkpoint.objects.get(tree_size=100)
    for w in witnesses:
        status, answer = w.post(add_checkpoint_request(350, [], old.note))
        assert status == 400 and "rollback" in answer
        assert w.saved_state()["refusals"][-1]["kind"] == "rollback"

    # 4. Wrong 'old' size gets 409 with the witness's size; unknown logs get 404; a checkpoint
    # of a known log signed by another key gets 403.
    status, answer = witnesses[0].post(add_checkpoint_request(100, [], old.note))
    assert (status, answer.strip()) == (409, "350")
    stranger = note.Signer.generate("stranger.example/log")
    body = note.Checkpoint(stranger.name, 1, merkle.leaf_hash(b"")).body()
    status, _ = witnesses[0].post(
        add_checkpoint_request(
            0, [], note.SignedNote(body, (note.sign_note(body, stranger),)).text()
        )
    )
    assert status == 404
    impostor = note.Signer.generate(checkpoints.origin())
    body = note.Checkpoint(impostor.name, 400, merkle.leaf_hash(b"")).body()
    status, _ = witnesses[0].post(
        add_checkpoint_request(
            350, [], note.SignedNote(body, (note.sign_note(body, impostor),)).text()
        )
    )
    assert status == 403
    # More than 63 proof lines, or old above the checkpoint's size: 400.
    status, _ = witnesses[0].post(add_checkpoint_request(350, [b"\x00" * 32] * 64, fork_text))
    assert status == 400


def test_log_records_a_refusal(witnesses):
    """When a witness says no, the log keeps the refusal as evidence.

    Witness one is shown (by someone holding the log key) a different size-120 history first;
    when the real log reaches 120 it cannot prove consistency with what that witness saw.
    """
    collect_cosignatures()
    leaves = helpers.all_leaf_hashes()
    honest_ext = leaves + [merkle.leaf_hash(f"other {i}".encode()) for i in range(20)]
    signer = log_signer()
    body = note.Checkpoint(signer.name, len(honest_ext), merkle.root_hash(honest_ext)).body()
    other_text = note.SignedNote(body, (note.sign_note(body, signer),)).text()
    status, _ = witnesses[0].post(
        add_checkpoint_request(100, merkle.consistency_proof(100, honest_ext), other_text)
    )
    assert status == 200
    storage.append(demo_items(20, start=100))
    outcomes = {o.witness: o for o in collect_cosignatures()}
    assert outcomes[witnesses[1].name].ok
    refused = outcomes[witnesses[0].name]
    # The log asks with old 100, learns 120 from the 409, asks again with old 120: the witness
    # holds another root for 120, so it answers 409 again (tlog-witness) and the log records it.
    assert not refused.ok and refused.status == 409 and "fork" in refused.detail
    assert WitnessRefusal.objects.filter(witness_name=witnesses[0].name, status=409).exists()
