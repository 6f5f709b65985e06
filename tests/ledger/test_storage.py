"""The stored log: batches, tiles, proofs from tiles, append-only rows, atomic batches."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import DatabaseError, connection, transaction

from accord.core import crypto
from accord.core.errors import InvalidInput, NotFound
from accord.core.models import AppendOnlyError
from accord.ledger import entries, merkle, storage
from accord.ledger.models import Checkpoint, EntryBundle, EntryDisclosure, Tile
from accord.ledger.note import Checkpoint as CheckpointBody
from accord.ledger.note import SignedNote, open_checkpoint

from . import helpers
from .helpers import demo_items

pytestmark = pytest.mark.django_db


def all_leaf_hashes() -> list[bytes]:
    return helpers.all_leaf_hashes()


def test_batches_build_the_rfc_tree_with_tiles_and_checkpoints():
    sizes = [1, 7, 300, 5, 600]
    done = 0
    for size in sizes:
        result = storage.append(demo_items(size, start=done))
        assert result.first_index == done
        done += size
        assert result.tree_size == done
    leaves = all_leaf_hashes()
    assert len(leaves) == done == storage.tree_size()
    assert storage.tree_size() == done and len(helpers.all_leaf_hashes()) == done
    assert storage.root_at(done) == merkle.root_hash(leaves)
    # Every batch signed a checkpoint of its size, with the right root.
    sizes_so_far = [sum(sizes[: i + 1]) for i in range(len(sizes))]
    assert sorted(Checkpoint.objects.values_list("tree_size", flat=True)) == sizes_so_far
    for cp in Checkpoint.objects.all():
        assert bytes(cp.root_hash) == merkle.root_hash(leaves[: cp.tree_size])
    # Full tiles at level 0 for each complete run of 256 leaves, one at level 1 not yet.
    assert Tile.objects.filter(level=0, width=256).count() == done // 256
    assert not Tile.objects.filter(level=1, width=256).exists()


def test_proofs_from_tiles_match_the_reference_at_every_size():
    storage.append(demo_items(700))
    leaves = all_leaf_hashes()
    for size in (1, 2, 255, 256, 257, 513, 700):
        root = merkle.root_hash(leaves[:size])
        for index in {0, size // 2, size - 1}:
            got_index, proof = storage.inclusion_proof(leaves[index], size)
            assert got_index == index
            assert proof == merkle.inclusion_proof(index, leaves[:size])
            assert merkle.verify_inclusion(leaves[index], index, size, proof, root)
        for first in {1, size // 3 or 1, size}:
            proof = storage.consistency_proof(first, size)
            assert merkle.verify_consistency(
                first, size, proof, merkle.root_hash(leaves[:first]), root
            )


def test_bad_proof_requests_are_clear_errors():
    storage.append(demo_items(10))
    leaves = all_leaf_hashes()
    with pytest.raises(InvalidInput) as err:
        storage.inclusion_proof(leaves[0], 11)
    assert err.value.code == "ledger.tree_size_beyond_log" and err.value.field == "tree_size"
    with pytest.raises(NotFound):
        storage.inclusion_proof(hashlib.sha256(b"nope").digest(), 10)
    with pytest.raises(NotFound):
        storage.inclusion_proof(leaves[9], 5)  # exists, but not in the tree of size 5
    with pytest.raises(InvalidInput):
        storage.consistency_proof(0, 5)
    with pytest.raises(InvalidInput):
        storage.consistency_proof(6, 5)
    with pytest.raises(InvalidInput):
        storage.append([])


def test_checkpoint_is_a_signed_note_by_the_log_key():
    result = storage.append(demo_items(3))
    from accord.ledger.checkpoints import log_verifier

    checkpoint, _signed = open_checkpoint(result.checkpoint.note, log_verifier())
    assert checkpoint == CheckpointBody(log_verifier().name, 3, result.root_hash)
    assert len(SignedNote.parse(result.checkpoint.note).signatures) == 1


def test_log_key_is_stored_encrypted():
    storage.append(demo_items(1))
    from accord.ledger.checkpoints import log_signer

    signer = log_signer()
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM ledger_logkey")
        (stored,) = cursor.fetchone()
    assert signer.seed.hex() not in stored
    assert crypto.decrypt(stored)  # it is a data-key ciphertext


def test_personal_fields_are_only_salted_commitments():
    item = entries.prepare(
        "agreement.concluded",
        {
            "case_ref": "FT-2026-0001",
            "agreement_sha256": "ab" * 32,
            "concluded_at": "2026-11-25T10:00:00+08:00",
        },
        personal={"worker": "张三 440304199001011234", "employer_representative": "李四"},
    )
    storage.append([item])
    entry = storage.get_entry(0)
    public = entry.data.decode()
    assert "440304199001011234" not in public and "张三" not in public
    body = json.loads(public)
    assert body["concluded_at"] == "2026-11-25T02:00:00Z"
    disclosures = json.loads(entry.disclosures)
    salt = disclosures["worker"]["salt"]
    assert entries.check_disclosure(body, "worker", salt, "张三 440304199001011234")
    assert not entries.check_disclosure(body, "worker", salt, "张三 440304199001011235")
    with connection.cursor() as cursor:
        cursor.execute("SELECT disclosures FROM ledger_entrydisclosure")
        (raw,) = cursor.fetchone()
    assert "张三" not in raw


def test_bad_entries_are_refused_with_the_field():
    with pytest.raises(InvalidInput) as err:
        entries.prepare("document.signed", {"document_sha256": "xyz"})
    assert err.value.field == "document_sha256"
    with pytest.raises(InvalidInput) as err:
        entries.prepare("nope", {})
    assert err.value.code == "ledger.unknown_type"
    with pytest.raises(InvalidInput) as err:
        entries.prepare(
            "document.signed",
            {
                "document_sha256": "ab" * 32,
                "signer_certificates": ["cd" * 32],
                "signed_at": "2026-11-25T10:00:00",  # no time zone
                "document_kind": "labour_contract",
            },
        )
    assert err.value.field == "signed_at"


def test_rows_are_append_only_in_python():
    storage.append(demo_items(2))
    entry = EntryBundle.objects.get(index=0)
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_database_refuses_update_and_delete_on_postgresql():
    storage.append(demo_items(2))
    for sql in (
        "UPDATE ledger_entrybundle SET width = 1 WHERE idx = 0",
        "DELETE FROM ledger_entrybundle WHERE idx = 0",
        "UPDATE ledger_tile SET width = 1",
        "DELETE FROM ledger_checkpoint",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert storage.tree_size() == 2 and len(helpers.all_leaf_hashes()) == 2


def test_an_error_mid_batch_leaves_nothing(monkeypatch):
    storage.append(demo_items(300))
    before = (
        EntryBundle.objects.count(),
        Tile.objects.count(),
        Checkpoint.objects.count(),
        EntryDisclosure.objects.count(),
        storage.tree_size(),
    )

    def explode(tree_size, root_hash, **kwargs):
        raise RuntimeError("power cut while signing")

    monkeypatch.setattr(storage, "sign_checkpoint", explode)
    with pytest.raises(RuntimeError):
        storage.append(demo_items(500, start=300))
    assert (
        EntryBundle.objects.count(),
        Tile.objects.count(),
        Checkpoint.objects.count(),
        EntryDisclosure.objects.count(),
        storage.tree_size(),
    ) == before
    monkeypatch.undo()
    storage.append(demo_items(500, start=300))
    leaves = all_leaf_hashes()
    assert len(leaves) == 800
    assert storage.root_at(800) == merkle.root_hash(leaves)
