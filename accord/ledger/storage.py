"""The sequencer and the stored tree: batched appends, tile reads, proofs.

One sequencer at a time: on PostgreSQL a transaction-scoped advisory lock
(``pg_advisory_xact_lock``), on SQLite an exclusive file lock beside the database (SQLite's
``BEGIN IMMEDIATE`` serialises writers as well). Under the lock a batch reads the tree size,
writes its entries, the tiles it completes or extends, and the signed checkpoint of the new
size -- all in ONE transaction. A crash at any point (kill -9 included) therefore leaves
either the whole batch or nothing: no gap, no duplicate, and the stored tiles always match the
stored entries. The entry index is the primary key, so even a broken lock could not produce a
duplicate: the second writer would fail and roll back.

Proofs read tiles: one SQL round trip for every tile a proof touches (one or two per tile
level: O(log n) rows), and the stored interior nodes of those tiles, so no hashing at all --
three queries and well under a millisecond at ten million leaves.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from accord.core import crypto
from accord.ledger import index as lookup
from accord.ledger import merkle
from accord.ledger.checkpoints import sign_checkpoint
from accord.ledger.entries import PreparedEntry
from accord.ledger.errors import (
    BATCH_TOO_LARGE,
    EMPTY_BATCH,
    ENTRY_TOO_LARGE,
    INVALID_FIRST_SIZE,
    INVALID_TREE_SIZE,
    LEAF_NOT_IN_TREE,
    TREE_SIZE_BEYOND_LOG,
    UNKNOWN_INDEX,
    UNKNOWN_LEAF_HASH,
    UNKNOWN_TILE,
)
from accord.ledger.models import Checkpoint, EntryBundle, EntryDisclosure, Tile
from accord.ledger.tiles import (
    MAX_ENTRY_SIZE,
    TILE_WIDTH,
    StoredTile,
    TileAppender,
    decode_bundle,
    encode_bundle,
    node_reader,
    tile_width_at,
)

# "LEDGER" in ASCII: the advisory lock key of the one sequencer (a signed 64-bit integer).
ADVISORY_LOCK_KEY = 0x4C4544474552
MAX_BATCH = 10_000

BUNDLE_TABLE = EntryBundle._meta.db_table
DISCLOSURE_TABLE = EntryDisclosure._meta.db_table
TILE_TABLE = Tile._meta.db_table


def _lock_path() -> Path:
    base = getattr(settings, "VAR_DIR", None) or tempfile.gettempdir()
    return Path(base) / "ledger-sequencer.lock"


@contextmanager
def sequencer() -> Iterator[None]:
    """Hold the sequencer lock for one transaction (see the module docstring)."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
            yield
        return
    fd = os.open(_lock_path(), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with transaction.atomic():
            yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Run a read query of the proof path.

    On PostgreSQL as a server-side prepared statement: Django's client-side binding would have
    the planner re-plan every proof query (about half a millisecond each, more than running
    it). A handful of distinct statements is prepared once per connection. (Behind a pooler in
    transaction mode, use one that supports prepared statements, e.g. PgBouncer >= 1.21.)
    """
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        cursor = getattr(connection, "_ledger_cursor", None)
        if cursor is None or cursor.closed or cursor.connection is not raw:
            import psycopg

            cursor = psycopg.Cursor(raw)  # server-side binding, unlike Django's ClientCursor
            connection._ledger_cursor = cursor  # type: ignore[attr-defined]
        cursor.execute(sql, params, prepare=True, binary=True)
        return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def tree_size() -> int:
    """Number of entries committed: from the widest version of the last entry bundle."""
    rows = _read(
        f"SELECT idx, width FROM {BUNDLE_TABLE} ORDER BY idx DESC, width DESC LIMIT 1"  # noqa: S608
    )
    return 0 if not rows else rows[0][0] * TILE_WIDTH + rows[0][1]


def fetch_tiles(wanted: Sequence[tuple[int, int, int]]) -> dict[tuple[int, int], StoredTile]:
    """The widest stored version of each wanted tile holding at least ``min_width`` hashes.

    One round trip for all of them: a UNION of one-row index look-ups.
    """
    if not wanted:
        return {}
    one = (
        f"SELECT * FROM (SELECT level, idx, width, hashes, interior FROM {TILE_TABLE} "  # noqa: S608
        "WHERE level = %s AND idx = %s AND width >= %s ORDER BY width DESC LIMIT 1) AS t{n}"
    )
    sql = " UNION ALL ".join(one.format(n=n) for n in range(len(wanted)))
    params = [value for triple in wanted for value in triple]
    rows = _read(sql, params)
    return {
        (level, index): (width, bytes(hashes), bytes(interior or b""))
        for level, index, width, hashes, interior in rows
    }


BUNDLE_COLUMNS = ("idx", "width", "data")
TILE_COLUMNS = ("level", "idx", "width", "hashes", "interior")
DISCLOSURE_COLUMNS = ("idx", "disclosures")


def _insert(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Bulk insert: COPY on PostgreSQL (several times faster than INSERTs), executemany elsewhere."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608 -- fixed names
            rows,
        )


@dataclass(frozen=True)
class AppendResult:
    first_index: int
    count: int
    tree_size: int
    root_hash: bytes
    checkpoint: Checkpoint | None


def _open_bundle(size: int) -> list[bytes]:
    """The entries of the partial bundle at the right edge of a tree of ``size`` leaves."""
    width = size % TILE_WIDTH
    if not width:
        return []
    rows = _read(
        f"SELECT data FROM {BUNDLE_TABLE} WHERE idx = %s AND width >= %s ORDER BY width DESC LIMIT 1",  # noqa: S608
        [size // TILE_WIDTH, width],
    )
    if not rows:
        raise LookupError(
            f"partial entry bundle {size // TILE_WIDTH} of width {width} is not stored"
        )
    return decode_bundle(bytes(rows[0][0]))[:width]


def _bundles(first_index: int, open_blob: bytes, datas: Sequence[bytes]) -> list[tuple]:
    """Bundle rows for ``datas`` appended at ``first_index`` (the open bundle rewritten wider)."""
    rows = []
    n = first_index // TILE_WIDTH
    count = first_index % TILE_WIDTH
    blob = open_blob
    at = 0
    while at < len(datas):
        chunk = datas[at : at + TILE_WIDTH - count]
        blob += encode_bundle(chunk)
        count += len(chunk)
        at += len(chunk)
        rows.append((n, count, blob))
        n, count, blob = n + 1, 0, b""
    return rows


def _drop_superseded(written_tiles: Sequence, bundle_rows: Sequence[tuple], had_open: bool) -> None:
    """Delete partial rows that a wider row written in this batch now holds as a prefix.

    tlog-tiles lets a log drop a partial tile once a wider one exists (a wider tile serves
    every narrower width as its prefix); the PostgreSQL trigger allows exactly that delete.
    One statement per table.
    """
    with connection.cursor() as cursor:
        if written_tiles:
            where = " OR ".join(["(level = %s AND idx = %s AND width < %s)"] * len(written_tiles))
            cursor.execute(
                f"DELETE FROM {TILE_TABLE} WHERE {where}",  # noqa: S608 -- fixed names
                [v for t in written_tiles for v in (t.level, t.index, t.width)],
            )
        if had_open and bundle_rows:
            idx, width, _ = bundle_rows[0]
            cursor.execute(
                f"DELETE FROM {BUNDLE_TABLE} WHERE idx = %s AND width < %s",  # noqa: S608
                [idx, width],
            )


@dataclass
class _Edge:
    """The right edge of the tree as of ``size`` (tiles and the open bundle), kept between
    batches by a sequencer that commits each batch as its own transaction. Only ever used when
    the stored size still equals ``size``: sizes only grow, so nobody else has written since."""

    vendor: str
    name: str
    size: int
    appender: TileAppender
    open_blob: bytes  # the open (partial) entry bundle, encoded


_edge: _Edge | None = None


def _load_edge(size: int) -> tuple[TileAppender, list[bytes]]:
    cached = _edge
    if (
        cached is not None
        and cached.size == size
        and cached.vendor == connection.vendor
        and cached.name == connection.settings_dict["NAME"]
    ):
        return cached.appender.copy(), cached.open_blob
    return TileAppender.load(size, fetch_tiles), encode_bundle(_open_bundle(size))


def append(items: Sequence[PreparedEntry], *, checkpoint: bool = True) -> AppendResult:
    """Append a batch atomically and (by default) sign the checkpoint of the new tree.

    One transaction: the entry bundles (the open one rewritten wider), every tile completed or
    extended, the encrypted disclosures of entries with personal fields, and the checkpoint.
    """
    if not items:
        raise EMPTY_BATCH("entries")
    if len(items) > MAX_BATCH:
        raise BATCH_TOO_LARGE("entries", limit=MAX_BATCH)
    datas = [item.data for item in items]
    if max(map(len, datas)) > MAX_ENTRY_SIZE:
        raise ENTRY_TOO_LARGE("entries", limit=MAX_ENTRY_SIZE)
    global _edge
    outermost = not connection.in_atomic_block
    with sequencer():
        result, edge = _append_locked(items, datas, checkpoint)
    # Committed (the batch was the outermost transaction): keep the edge for the next batch.
    _edge = edge if outermost else None
    return result


def _append_locked(
    items: Sequence[PreparedEntry], datas: Sequence[bytes], checkpoint: bool
) -> tuple[AppendResult, _Edge]:
    size = tree_size()
    appender, open_blob = _load_edge(size)
    # The tiles that were partial before this batch: only they can have a narrower version.
    was_partial = {
        (lv, (size >> (8 * lv)) // TILE_WIDTH) for lv, row in enumerate(appender.edge) if row
    }
    sha = hashlib.sha256
    hashes = [sha(b"\x00" + d).digest() for d in datas]  # merkle.leaf_hash, inlined
    tiles = appender.append(hashes)
    bundle_rows = _bundles(size, open_blob, datas)
    _insert(BUNDLE_TABLE, BUNDLE_COLUMNS, bundle_rows)
    _insert(
        TILE_TABLE, TILE_COLUMNS, [(t.level, t.index, t.width, t.hashes, t.interior) for t in tiles]
    )
    superseded = [t for t in tiles if (t.level, t.index) in was_partial]
    _drop_superseded(superseded, bundle_rows, bool(open_blob))
    personal = [
        (size + i, crypto.encrypt(json.dumps(item.disclosures)))
        for i, item in enumerate(items)
        if item.disclosures
    ]
    _insert(DISCLOSURE_TABLE, DISCLOSURE_COLUMNS, personal)
    root = appender.root()
    cp = sign_checkpoint(appender.tree_size, root, new=True) if checkpoint else None
    last = bundle_rows[-1]
    edge = _Edge(
        connection.vendor,
        connection.settings_dict["NAME"],
        appender.tree_size,
        appender,
        b"" if last[1] == TILE_WIDTH else last[2],
    )
    return AppendResult(size, len(items), appender.tree_size, root, cp), edge


def append_one(item: PreparedEntry) -> AppendResult:
    return append([item])


def sign_latest() -> Checkpoint | None:
    """Sign the checkpoint of the current tree if it has none (after batches without one)."""
    with sequencer():
        size = tree_size()
        if size == 0:
            return None
        latest = _read(f"SELECT MAX(tree_size) FROM {Checkpoint._meta.db_table}")  # noqa: S608
        if latest and latest[0][0] == size:
            return None
        return sign_checkpoint(size, root_at(size), new=True)


# --- Reads and proofs ---------------------------------------------------------------------------


def _check_size(value: int, field: str, current: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise INVALID_TREE_SIZE(field)
    if value > current:
        raise TREE_SIZE_BEYOND_LOG(field, current=current)


_reader = node_reader(fetch_tiles)


def root_at(size: int) -> bytes:
    """The root of the first ``size`` leaves, from stored tiles."""
    if size == 0:
        return merkle.EMPTY_ROOT
    return merkle.root_from(size, _reader)


def read_entries(start: int, stop: int) -> list[bytes]:
    """The bytes of entries ``start .. stop-1`` from their bundles (widest stored versions)."""
    if stop <= start:
        return []
    rows = _read(
        f"SELECT idx, width, data FROM {BUNDLE_TABLE} WHERE idx >= %s AND idx <= %s",  # noqa: S608
        [start // TILE_WIDTH, (stop - 1) // TILE_WIDTH],
    )
    widest: dict[int, tuple[int, bytes]] = {}
    for idx, width, data in rows:
        if width > widest.get(idx, (0, b""))[0]:
            widest[idx] = (width, bytes(data))
    out: list[bytes] = []
    for n in range(start // TILE_WIDTH, (stop - 1) // TILE_WIDTH + 1):
        entries = decode_bundle(widest[n][1]) if n in widest else []
        lo = max(start - n * TILE_WIDTH, 0)
        hi = min(stop - n * TILE_WIDTH, TILE_WIDTH)
        if len(entries) < hi:
            raise UNKNOWN_INDEX("index")
        out.extend(entries[lo:hi])
    return out


def index_of(leaf_hash: bytes) -> int:
    """The first entry with this leaf hash (identical entries are possible, though unlikely)."""
    found = lookup.find_leaf(leaf_hash, tree_size())
    if found is None:
        raise UNKNOWN_LEAF_HASH("leaf_hash")
    return found


def indexes_of_document(document_sha256: bytes) -> list[int]:
    """Every entry recording the document with this SHA-256 (e.g. each signature of a PDF)."""
    return lookup.find_documents(document_sha256, tree_size(), read_entries)


def catch_up_index() -> int:
    """Index the entries appended since the last indexing run; returns the indexed size."""
    return lookup.catch_up(tree_size(), read_entries)


def inclusion_proof(leaf_hash: bytes, size: int) -> tuple[int, list[bytes]]:
    """(index, proof) that the entry with ``leaf_hash`` is in the tree of ``size`` leaves."""
    current = tree_size()
    _check_size(size, "tree_size", current)
    index = lookup.find_leaf(leaf_hash, current)
    if index is None:
        raise UNKNOWN_LEAF_HASH("leaf_hash")
    if index >= size:
        raise LEAF_NOT_IN_TREE("tree_size")
    return index, merkle.inclusion_proof_from(index, size, _reader)


def inclusion_proof_by_index(index: int, size: int) -> list[bytes]:
    _check_size(size, "tree_size", tree_size())
    if not 0 <= index < size:
        raise LEAF_NOT_IN_TREE("index")
    return merkle.inclusion_proof_from(index, size, _reader)


def consistency_proof(first: int, second: int) -> list[bytes]:
    current = tree_size()
    _check_size(second, "second", current)
    if not isinstance(first, int) or not 0 < first <= second:
        raise INVALID_FIRST_SIZE("first")
    if first == second:
        return []
    return merkle.consistency_proof_from(first, second, _reader)


@dataclass(frozen=True)
class StoredEntry:
    """One entry as read back from its bundle."""

    index: int
    data: bytes
    disclosures: str = ""

    @property
    def leaf_hash(self) -> bytes:
        return merkle.leaf_hash(self.data)

    @property
    def kind(self) -> str:
        try:
            return str(json.loads(self.data).get("type", ""))
        except (ValueError, AttributeError):
            return ""

    @property
    def body(self) -> dict | None:
        try:
            value = json.loads(self.data)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def get_entry(index: int) -> StoredEntry:
    if not isinstance(index, int) or index < 0 or index >= tree_size():
        raise UNKNOWN_INDEX("index")
    (data,) = read_entries(index, index + 1)
    row = EntryDisclosure.objects.filter(index=index).values_list("disclosures", flat=True).first()
    return StoredEntry(index, data, row or "")


def get_bundle(index: int, width: int) -> bytes:
    """An entry bundle as tlog-tiles serves it: exactly ``width`` entries, if the log has them."""
    if not (index >= 0 and 1 <= width <= TILE_WIDTH):
        raise UNKNOWN_TILE("tile")
    if tile_width_at(0, index, tree_size()) < width:
        raise UNKNOWN_TILE("tile")
    rows = _read(
        f"SELECT data FROM {BUNDLE_TABLE} WHERE idx = %s AND width >= %s ORDER BY width DESC LIMIT 1",  # noqa: S608
        [index, width],
    )
    if not rows:
        raise UNKNOWN_TILE("tile")
    blob = bytes(rows[0][0])
    if width == TILE_WIDTH:
        return blob
    return encode_bundle(decode_bundle(blob)[:width])


def get_tile(level: int, index: int, width: int) -> bytes:
    """A tile as tlog-tiles serves it: exactly ``width`` hashes, if the tree has that many."""
    if not (0 <= level <= 8 and index >= 0 and 1 <= width <= TILE_WIDTH):
        raise UNKNOWN_TILE("tile")
    if tile_width_at(level, index, tree_size()) < width:
        raise UNKNOWN_TILE("tile")
    stored = fetch_tiles([(level, index, width)]).get((level, index))
    if stored is None:
        raise UNKNOWN_TILE("tile")
    return stored[1][: width * merkle.HASH_SIZE]
