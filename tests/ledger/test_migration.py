"""Migration 0007: a log stored one row per entry moves into entry bundles and verifies clean.

The old log is built at migration 0005 the way the previous release stored it (one
``ledger_entry`` row per entry, its tiles, a signed checkpoint per batch); after migrating,
``accord ledger verify`` re-hashes the bundles clean against the same tiles and checkpoints,
and look-ups by leaf hash, by document hash and the disclosures still work.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accord.core import crypto
from accord.ledger import checkpoints, entries, merkle, storage
from accord.ledger.tiles import TileAppender
from accord.ledger.verification import verify_log

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("ledger", "0005_entry_leaf_key")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def _old_release_append(appender: TileAppender, items, start: int) -> None:
    """The previous release's batch: entry rows, tiles, a signed checkpoint."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    hashes = [merkle.leaf_hash(i.data) for i in items]
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO ledger_entry (idx, kind, data, leaf_hash, leaf_key, appended_at, disclosures) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    start + k,
                    item.kind,
                    item.data,
                    h,
                    int.from_bytes(h[:8], "big", signed=True),
                    now,
                    crypto.encrypt(json.dumps(item.disclosures)) if item.disclosures else "",
                )
                for k, (item, h) in enumerate(zip(items, hashes, strict=True))
            ],
        )
        cursor.executemany(
            "INSERT INTO ledger_tile (level, idx, width, hashes, interior) VALUES (%s, %s, %s, %s, %s)",
            [(t.level, t.index, t.width, t.hashes, t.interior) for t in appender.append(hashes)],
        )
    checkpoints.sign_checkpoint(appender.tree_size, appender.root(), new=True)


def test_old_log_migrates_into_bundles_and_verifies_clean(capsys):
    _migrate(BEFORE)
    try:
        appender = TileAppender()
        signed = entries.prepare(
            "document.signed",
            {
                "document_sha256": "cd" * 32,
                "signer_certificates": ["ef" * 32],
                "signed_at": "2026-11-25T10:00:00+08:00",
                "document_kind": "labour_contract",
            },
        )
        personal = entries.prepare(
            "agreement.concluded",
            {
                "case_ref": "FT-9",
                "agreement_sha256": "ab" * 32,
                "concluded_at": "2026-11-25T10:00:00+08:00",
            },
            personal={"worker": "张三", "employer_representative": "李四"},
        )
        demo = [entries.prepare("test.demo", {"n": i, "note": "old"}) for i in range(700)]
        batches = [demo[:300], [signed, personal], demo[300:301], demo[301:]]
        done = 0
        for batch in batches:
            _old_release_append(appender, batch, done)
            done += len(batch)
        old_root = appender.root()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("ledger"))

    report = verify_log()
    assert report.ok, report.problems
    assert report.tree_size == 702 and report.checkpoints_checked == 4
    call_command("ledger", "verify")
    assert "OK: 702 entries" in capsys.readouterr().out
    assert storage.root_at(702) == old_root
    assert storage.index_of(merkle.leaf_hash(signed.data)) == 300
    assert storage.indexes_of_document(bytes.fromhex("cd" * 32)) == [300]
    assert json.loads(storage.get_entry(301).disclosures)["worker"]["value"] == "张三"
    assert storage.read_entries(0, 702)[5] == demo[5].data
    # And the log keeps growing from there.
    storage.append([entries.prepare("test.demo", {"n": 5000, "note": "new"})])
    assert verify_log().ok
    assert (
        hashlib.sha256(b"\x00" + storage.get_entry(702).data).digest()
        == storage.get_entry(702).leaf_hash
    )
