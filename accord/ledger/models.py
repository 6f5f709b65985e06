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


class Entry(AppendOnlyModel):
    """One leaf of the log. ``data`` is exactly the leaf bytes; ``leaf_hash`` = SHA-256(0x00 || data)."""

    index = models.BigIntegerField(primary_key=True, db_column="idx")
    kind = models.CharField(max_length=40)  # not indexed: nothing looks entries up by type
    data = models.BinaryField()
    leaf_hash = models.BinaryField(max_length=32)
    # The first 8 bytes of leaf_hash as a signed integer: the look-up key by hash. An integer
    # index is a third the size of one on the 32-byte hash, and random inserts into that index
    # are the main cost of an append (see docs/decisions/0002-ledger-design.md).
    leaf_key = models.BigIntegerField(null=True, db_index=True)
    appended_at = models.DateTimeField(auto_now_add=True)
    # Salts and values of the personal fields (see entries.py), encrypted: never public.
    disclosures = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["index"]
        verbose_name = _("存证条目")

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}"


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
