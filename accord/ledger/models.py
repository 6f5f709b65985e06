"""Ledger tables. Entries, tiles, checkpoints and cosignatures are written once, never changed.

Python refuses updates and deletes (``AppendOnlyModel``); on PostgreSQL a trigger created in
migration 0002 refuses them in the database too, so not even a bug or a shell session of the
application can rewrite history. A row changed behind the database's back (as a superuser
disabling the trigger) is what ``accord ledger verify`` exists to find.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accord.core.crypto import EncryptedTextField
from accord.core.models import AppendOnlyModel


class EntryBundle(AppendOnlyModel):
    """A C2SP tlog-tiles *entry bundle*: entries ``256 * index ..`` as uint16-length-prefixed bytes.

    ``data`` is exactly the file served at ``tile/entries/<N>[.p/<W>]``; entry ``i`` of the
    bundle hashes (RFC 9162 leaf hash) to hash ``i`` of level-0 tile ``N``. A partial bundle
    (width < 256) is replaced by a wider one in the batch that extends it; the database lets a
    partial row be deleted only once a wider row holding the same bytes as a prefix exists.
    """

    index = models.BigIntegerField(db_column="idx")
    width = models.PositiveSmallIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["index", "width"], name="ledger_bundle_once")
        ]
        verbose_name = _("条目包")

    def __str__(self) -> str:
        return f"entries {self.index} ({self.width})"


class EntryDisclosure(AppendOnlyModel):
    """Salts and values of an entry's personal fields (see entries.py), encrypted: never public.

    Only entries with personal fields have a row, so the append path of the common entry kinds
    writes no row per entry at all.
    """

    index = models.BigIntegerField(primary_key=True, db_column="idx")
    disclosures = EncryptedTextField()


class LeafIndex(models.Model):
    """The compact look-up index: hash -> entry index, one row per bucket *run*, not per entry.

    ``records`` is a sorted array of 14-byte records (8-byte hash prefix, 6-byte big-endian
    entry index) of the hashes whose first two bytes are ``bucket``. ``kind`` 0 indexes leaf
    hashes, 1 the ``document_sha256`` of entries that carry one. Runs of one bucket are merged
    as they accumulate (see index.py). Derived data: rebuilt from the bundles at any time, so
    it is not append-only, and every hit is confirmed against the tiles or the bundle.
    """

    kind = models.PositiveSmallIntegerField()
    bucket = models.IntegerField()
    tier = models.PositiveSmallIntegerField(default=0)
    records = models.BinaryField()

    class Meta:
        indexes = [models.Index(fields=["kind", "bucket"], name="ledger_leafindex_bucket")]


class IndexState(models.Model):
    """How many leading entries the look-up index covers (one row)."""

    indexed_size = models.BigIntegerField(default=0)


class Tile(AppendOnlyModel):
    """A tlog-tiles tile: ``width`` hashes of tree level ``8 * level``, starting at ``256 * index``.

    A partial tile (width < 256) is a prefix of the full tile written later; both rows stay.
    """

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField(db_column="idx")
    width = models.PositiveSmallIntegerField()
    hashes = models.BinaryField()
    # Tile levels 1..7 (see tiles.interior_of): lets proofs read nodes instead of hashing.
    interior = models.BinaryField(default=b"", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index", "width"], name="ledger_tile_once")
        ]
        verbose_name = _("哈希瓦片")

    def __str__(self) -> str:
        return f"tile {self.level}/{self.index} ({self.width})"


class LogKey(AppendOnlyModel):
    """The log's Ed25519 signing key, encrypted with the data key; one row per key ever used."""

    name = models.CharField(max_length=200, unique=True)  # the checkpoint origin
    vkey = models.CharField(max_length=400)
    private_key = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.vkey


class Checkpoint(AppendOnlyModel):
    """A signed tree head (tlog-checkpoint as a signed note). The history is every row."""

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.BinaryField(max_length=32)
    note = models.TextField()  # body + the log's signature line
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-tree_size"]
        get_latest_by = "tree_size"
        verbose_name = _("签名检查点")

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"


class Witness(models.Model):
    """An independent witness the log asks for cosignatures (tlog-witness). Configuration, so mutable."""

    name = models.CharField(max_length=200, unique=True)
    url = models.URLField()
    vkey = models.CharField(max_length=400)
    active = models.BooleanField(default=True)
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Cosignature(AppendOnlyModel):
    """A witness's cosignature line for one checkpoint."""

    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, related_name="cosignatures"
    )
    witness_name = models.CharField(max_length=200)
    line = models.TextField()
    timestamp = models.BigIntegerField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["checkpoint", "witness_name"], name="ledger_cosign_once"
            )
        ]


class WitnessRefusal(AppendOnlyModel):
    """A witness said no (a fork, a rollback, a bad proof) or could not be reached: kept as evidence."""

    witness_name = models.CharField(max_length=200)
    tree_size = models.BigIntegerField()
    status = models.IntegerField()  # HTTP status, 0 when unreachable
    detail = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
