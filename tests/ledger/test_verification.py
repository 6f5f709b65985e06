"""``accord ledger verify`` finds a directly edited row and names its index; bundles verify offline."""

from __future__ import annotations

import base64
import copy
import json

import pytest
from django.core.management import call_command
from django.db import connection

from accord.ledger import bundle as bundles
from accord.ledger import entries, merkle, services, storage
from accord.ledger.checkpoints import log_verifier
from accord.ledger.note import Signer
from accord.ledger.verification import verify_log

from .helpers import demo_items

pytestmark = pytest.mark.django_db


def raw_sql(sql: str, params=()) -> None:
    """Edit history behind the application's back, as an attacker with DB access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The append-only trigger refuses this; a superuser can switch it off.
            for table in ("ledger_entrybundle", "ledger_tile"):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(sql, list(params))


def forge_entry(index: int, data: bytes) -> None:
    """Replace one entry inside its stored bundle (every stored version of that bundle)."""
    from accord.ledger.tiles import decode_bundle, encode_bundle

    n = index // 256
    with connection.cursor() as cursor:
        cursor.execute("SELECT width, data FROM ledger_entrybundle WHERE idx = %s", [n])
        versions = cursor.fetchall()
    for width, blob in versions:
        datas = decode_bundle(bytes(blob))
        if index % 256 < len(datas):
            datas[index % 256] = data
            raw_sql(
                "UPDATE ledger_entrybundle SET data = %s WHERE idx = %s AND width = %s",
                [encode_bundle(datas), n, width],
            )


def build(batches=(100, 250, 300)) -> int:
    done = 0
    for size in batches:
        storage.append(demo_items(size, start=done))
        done += size
    return done


def test_clean_log_verifies():
    size = build()
    report = verify_log()
    assert report.ok, report.problems
    assert report.tree_size == size
    assert report.checkpoints_checked == 3
    assert report.tiles_checked >= 3


def test_edited_entry_is_named_by_index():
    build()
    forged = entries.prepare("test.demo", {"n": 999999, "note": "forged"}).data
    forge_entry(417, forged)
    report = verify_log()
    assert not report.ok
    assert report.first_bad_index == 417, report.problems


def test_edited_entry_with_its_level0_tile_hash_is_still_caught_above():
    """Forging the entry and its leaf hash in the tile leaves the tree above (and the signed
    roots) disagreeing."""
    build()
    forged = entries.prepare("test.demo", {"n": 999999, "note": "forged"}).data
    forge_entry(123, forged)
    with connection.cursor() as cursor:
        cursor.execute("SELECT hashes FROM ledger_tile WHERE level = 0 AND idx = 0 AND width = 256")
        (hashes,) = cursor.fetchone()
    hashes = bytes(hashes)
    edited = hashes[: 123 * 32] + merkle.leaf_hash(forged) + hashes[124 * 32 :]
    raw_sql(
        "UPDATE ledger_tile SET hashes = %s WHERE level = 0 AND idx = 0 AND width = 256", [edited]
    )
    report = verify_log()
    assert not report.ok
    assert any("interior of tile 0/0" in p.what or "checkpoint" in p.what for p in report.problems)


def test_edited_tile_interior_is_caught():
    """Proofs read the stored interior nodes, so a forged one must not go unnoticed."""
    build()
    raw_sql(
        "UPDATE ledger_tile SET interior = %s WHERE level = 0 AND idx = 1 AND width = 256",
        [b"\x00" * 32 * 255],
    )
    report = verify_log()
    assert not report.ok
    assert any("interior of tile 0/1" in p.what for p in report.problems)


def test_deleted_bundle_is_a_gap():
    build()
    raw_sql("DELETE FROM ledger_entrybundle WHERE idx = 1")
    report = verify_log()
    assert report.first_bad_index == 256


def test_verify_command_exit_code_and_message(capsys):
    build((50,))
    call_command("ledger", "verify")
    assert "OK: 50 entries" in capsys.readouterr().out
    forge_entry(7, b"{}")
    with pytest.raises(SystemExit) as exc:
        call_command("ledger", "verify")
    assert exc.value.code == 1
    assert "first bad index 7" in capsys.readouterr().err


# --- Bundles ----------------------------------------------------------------------------------


def test_bundle_verifies_offline_and_tampering_is_refused(tmp_path):
    build((10, 20))
    entry = services.record(
        "document.signed",
        {
            "document_sha256": "ab" * 32,
            "signer_certificates": ["cd" * 32, "ef" * 32],
            "signed_at": "2026-11-25T09:30:00+08:00",
            "document_kind": "labour_contract",
        },
    )
    leaf = bytes(entry.leaf_hash)
    bundle = services.bundle_for(leaf_hash=leaf)
    log_key = log_verifier().vkey
    # Offline: only the bundle (through JSON) and the public key.
    result = bundles.verify_bundle(json.dumps(bundle), log_key)
    assert result.index == 30 and result.tree_size == 31
    assert result.body["type"] == "document.signed"

    def refused(mutate, key=log_key, **kw):
        b = copy.deepcopy(bundle)
        mutate(b)
        with pytest.raises(bundles.BundleError) as err:
            bundles.verify_bundle(b, key, **kw)
        return err.value.code

    other = base64.b64encode(entries.prepare("test.demo", {"n": 1, "note": "x"}).data).decode()
    assert refused(lambda b: b["entry"].__setitem__("data", other)) == "ledger.bundle_not_included"
    assert refused(lambda b: b["entry"].__setitem__("index", 29)) == "ledger.bundle_not_included"
    assert refused(lambda b: b["inclusion_proof"].pop()) == "ledger.bundle_not_included"
    assert (
        refused(lambda b: b.__setitem__("checkpoint", b["checkpoint"].replace("\n31\n", "\n32\n")))
        == "ledger.bundle_bad_checkpoint"
    )
    assert refused(lambda b: b.__setitem__("format", "x")) == "ledger.bundle_malformed"
    assert refused(lambda b: b["entry"].__setitem__("data", "%%%")) == "ledger.bundle_malformed"
    wrong_key = Signer.generate(log_verifier().name).verifier.vkey
    assert refused(lambda b: None, key=wrong_key) == "ledger.bundle_bad_checkpoint"
    witness = Signer.generate("witness.example/w1", alg=0x04).verifier.vkey
    assert refused(lambda b: None, witness_keys=[witness]) == "ledger.bundle_not_witnessed"
    with pytest.raises(bundles.BundleError) as err:
        bundles.verify_bundle(bundle, "not-a-key")
    assert err.value.code == "ledger.bad_public_key"

    # The CLI writes and checks the same bundle.
    out = tmp_path / "bundle.json"
    call_command("ledger", "prove", leaf.hex(), "-o", str(out))
    call_command("ledger", "verify-bundle", str(out), "--log-key", log_key)


def test_disclosure_proves_a_personal_value():
    entry = services.record(
        "agreement.concluded",
        {
            "case_ref": "FT-1",
            "agreement_sha256": "12" * 32,
            "concluded_at": "2026-11-25T10:00:00+08:00",
        },
        personal={"worker": "王小明", "employer_representative": "赵六"},
    )
    public = services.bundle_for(index=entry.index)
    assert "disclosures" not in public and "王小明" not in json.dumps(public, ensure_ascii=False)
    private = services.bundle_for(index=entry.index, disclose=True)
    result = bundles.verify_bundle(private, log_verifier().vkey)
    assert result.disclosed == {"worker": "王小明", "employer_representative": "赵六"}
    private["disclosures"]["worker"]["value"] = "王小红"
    with pytest.raises(bundles.BundleError) as err:
        bundles.verify_bundle(private, log_verifier().vkey)
    assert err.value.code == "ledger.bundle_bad_disclosure"


def test_offline_verifier_runs_without_django(tmp_path):
    """The auditor's verifier imports nothing from Django (blocked here) and needs no database."""
    import subprocess
    import sys
    from pathlib import Path

    storage.append(demo_items(5))
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(services.bundle_for(index=3)))
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys; sys.modules['django'] = None; "
        "from accord.ledger.bundle import main; "
        f"sys.exit(main([{str(path)!r}, '--log-key', {log_verifier().vkey!r}]))"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)}
    ok = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["index"] == 3
    bad_key = Signer.generate(log_verifier().name).verifier.vkey
    refused = subprocess.run(
        [sys.executable, "-c", code.replace(log_verifier().vkey, bad_key)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1
    assert "ledger.bundle_bad_checkpoint" in refused.stderr
