"""The compact look-up index: leaf hash (or document SHA-256) -> entry index.

Why not a row per entry: one B-tree insert per entry was most of the cost of an append
(docs/decisions/0007-ledger-at-scale.md). The log's own storage is bundles and tiles; this
index is derived from them, *after* they are committed, in runs:

* the hashes are split into 65,536 buckets by their first two bytes;
* one indexing run writes, per bucket it touches, one row holding a sorted array of 14-byte
  records (the hash's first 8 bytes, the entry index as 6 big-endian bytes);
* runs are merged like a base-8 counter: every 8th run merges the tier-0 rows of every
  bucket into one tier-1 row, every 64th merges tier 1 into tier 2, and so on. A look-up
  reads at most 7 rows per tier of one bucket (a few KiB at ten million entries), and every
  record is rewritten only once per tier.

The entries not yet indexed (the *tail*, above ``IndexState.indexed_size``) are found by
scanning their level-0 tiles, so a look-up is always complete; the sequencer indexes the tail
in the background and ``accord ledger index`` catches it up by hand. Every candidate is
confirmed against the stored tile (a full 32-byte compare) or the entry bytes: a prefix
collision can cost a read, never a wrong answer.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import connection, transaction

from accord.ledger.models import IndexState, LeafIndex, Tile
from accord.ledger.tiles import HASH_SIZE, TILE_WIDTH

KIND_LEAF = 0
KIND_DOCUMENT = 1
KEY = 8
RECORD = KEY + 6
FAN_IN = 8
RUN_MAX = 200_000  # entries indexed in one run (one transaction)

INDEX_TABLE = LeafIndex._meta.db_table
STATE_TABLE = IndexState._meta.db_table
TILE_TABLE = Tile._meta.db_table


def bucket_of(digest: bytes) -> int:
    return int.from_bytes(digest[:2], "big")


def pack(records: Iterable[tuple[bytes, int]]) -> bytes:
    """Sorted 14-byte records (key, index)."""
    return b"".join(key + index.to_bytes(6, "big") for key, index in sorted(records))


def unpack(blob: bytes) -> list[tuple[bytes, int]]:
    return [
        (blob[i : i + KEY], int.from_bytes(blob[i + KEY : i + RECORD], "big"))
        for i in range(0, len(blob), RECORD)
    ]


def _matches(blob: bytes, key: bytes) -> list[int]:
    """Entry indexes of the records with ``key`` in one sorted run (binary search)."""
    count = len(blob) // RECORD
    at = bisect_left(range(count), key, key=lambda i: blob[i * RECORD : i * RECORD + KEY])
    found = []
    while at < count and blob[at * RECORD : at * RECORD + KEY] == key:
        found.append(int.from_bytes(blob[at * RECORD + KEY : (at + 1) * RECORD], "big"))
        at += 1
    return found


def indexed_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT indexed_size FROM {STATE_TABLE} ORDER BY id LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else 0


def candidates(kind: int, digest: bytes) -> list[int]:
    """Indexed entries whose ``kind`` hash starts like ``digest`` (to be confirmed by the caller)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT records FROM {INDEX_TABLE} WHERE kind = %s AND bucket = %s",  # noqa: S608
            [kind, bucket_of(digest)],
        )
        rows = cursor.fetchall()
    key = digest[:KEY]
    found: list[int] = []
    for (blob,) in rows:
        found.extend(_matches(bytes(blob), key))
    return sorted(found)


def candidates_many(kind: int, digests: Sequence[bytes]) -> dict[bytes, list[int]]:
    """:func:`candidates` for many hashes in one query (the sequencer's dedup check)."""
    if not digests:
        return {}
    buckets = sorted({bucket_of(d) for d in digests})
    marks = ", ".join(["%s"] * len(buckets))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT bucket, records FROM {INDEX_TABLE} WHERE kind = %s AND bucket IN ({marks})",  # noqa: S608
            [kind, *buckets],
        )
        rows = cursor.fetchall()
    by_bucket: dict[int, list[bytes]] = defaultdict(list)
    for bucket, blob in rows:
        by_bucket[bucket].append(bytes(blob))
    out: dict[bytes, list[int]] = {}
    for d in digests:
        hits = [i for blob in by_bucket.get(bucket_of(d), ()) for i in _matches(blob, d[:KEY])]
        if hits:
            out[d] = sorted(hits)
    return out


def level0_hashes(start: int, stop: int) -> list[bytes]:
    """Leaf hashes ``start .. stop-1`` read from the level-0 tiles (widest stored versions)."""
    if stop <= start:
        return []
    first, last = start // TILE_WIDTH, (stop - 1) // TILE_WIDTH
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT idx, width, hashes FROM {TILE_TABLE} WHERE level = 0 AND idx >= %s AND idx <= %s",  # noqa: S608
            [first, last],
        )
        widest: dict[int, bytes] = {}
        for idx, _width, hashes in cursor.fetchall():
            blob = bytes(hashes)
            if len(blob) > len(widest.get(idx, b"")):
                widest[idx] = blob
    out = []
    for i in range(start, stop):
        tile = widest.get(i // TILE_WIDTH, b"")
        at = (i % TILE_WIDTH) * HASH_SIZE
        h = tile[at : at + HASH_SIZE]
        if len(h) != HASH_SIZE:
            raise LookupError(f"leaf {i} is not in the stored tiles")
        out.append(h)
    return out


def document_hashes(datas: Sequence[bytes], start: int) -> list[tuple[bytes, int]]:
    """(document SHA-256, index) of the entries that carry a ``document_sha256`` field."""
    out = []
    for offset, data in enumerate(datas):
        if b'"document_sha256"' not in data:
            continue
        try:
            value = json.loads(data).get("document_sha256")
            out.append((bytes.fromhex(value), start + offset))
        except (ValueError, AttributeError, TypeError):
            continue
    return out


def _write_runs(kind: int, records: Iterable[tuple[bytes, int]]) -> int:
    by_bucket: dict[int, list[tuple[bytes, int]]] = defaultdict(list)
    for digest, index in records:
        by_bucket[bucket_of(digest)].append((digest[:KEY], index))
    rows = [(kind, bucket, 0, pack(recs)) for bucket, recs in by_bucket.items()]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {INDEX_TABLE} (kind, bucket, tier, records) VALUES (%s, %s, %s, %s)",  # noqa: S608
                rows,
            )
    return len(rows)


def _merge_tier(tier: int) -> None:
    """Merge every bucket's rows of ``tier`` into one row of ``tier + 1``."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT kind, bucket, records FROM {INDEX_TABLE} WHERE tier = %s",  # noqa: S608
            [tier],
        )
        merged: dict[tuple[int, int], list[bytes]] = defaultdict(list)
        for kind, bucket, blob in cursor.fetchall():
            merged[(kind, bucket)].append(bytes(blob))
        cursor.execute(f"DELETE FROM {INDEX_TABLE} WHERE tier = %s", [tier])  # noqa: S608
        rows = [
            (kind, bucket, tier + 1, pack(r for blob in blobs for r in unpack(blob)))
            for (kind, bucket), blobs in merged.items()
        ]
        cursor.executemany(
            f"INSERT INTO {INDEX_TABLE} (kind, bucket, tier, records) VALUES (%s, %s, %s, %s)",  # noqa: S608
            rows,
        )


def catch_up(tree_size: int, read_entries) -> int:
    """Index entries ``indexed_size .. tree_size`` (at most RUN_MAX); returns the new indexed size.

    ``read_entries(start, stop)`` returns the entry bytes (for the document hashes). One
    transaction; an indexer racing another loses cleanly (the guarded UPDATE matches no row).
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, indexed_size FROM {STATE_TABLE} ORDER BY id LIMIT 1")  # noqa: S608
            row = cursor.fetchone()
            if row is None:
                cursor.execute(f"INSERT INTO {STATE_TABLE} (indexed_size) VALUES (0)")  # noqa: S608
                cursor.execute(f"SELECT id, indexed_size FROM {STATE_TABLE} ORDER BY id LIMIT 1")  # noqa: S608
                row = cursor.fetchone()
        state_id, start = row
        stop = min(tree_size, start + RUN_MAX)
        if stop <= start:
            return start
        leaves = level0_hashes(start, stop)
        _write_runs(KIND_LEAF, ((h, start + i) for i, h in enumerate(leaves)))
        _write_runs(KIND_DOCUMENT, document_hashes(read_entries(start, stop), start))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {STATE_TABLE} SET indexed_size = %s WHERE id = %s AND indexed_size = %s",  # noqa: S608
                [stop, state_id, start],
            )
            if cursor.rowcount != 1:
                raise transaction.TransactionManagementError("another indexer ran first")
        # Base-8 counter over the runs: merge a tier once it holds FAN_IN runs of some bucket.
        tier = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM {INDEX_TABLE} "  # noqa: S608
                    "WHERE tier = %s GROUP BY kind, bucket) AS t",
                    [tier],
                )
                (most,) = cursor.fetchone()
            if not most or most < FAN_IN:
                break
            _merge_tier(tier)
            tier += 1
    return stop


def find_leaf(leaf_hash: bytes, tree_size: int) -> int | None:
    """The first entry whose leaf hash is ``leaf_hash``, or None."""
    done = min(indexed_size(), tree_size)
    hits = [i for i in candidates(KIND_LEAF, leaf_hash) if i < done]
    if hits:
        for index in hits:  # confirm the full hash against the level-0 tile
            if level0_hashes(index, index + 1)[0] == leaf_hash:
                return index
    tail = level0_hashes(done, tree_size)
    for offset, h in enumerate(tail):
        if h == leaf_hash:
            return done + offset
    return None


def find_documents(document_sha256: bytes, tree_size: int, read_entries) -> list[int]:
    """Every entry whose ``document_sha256`` is the given digest (a document signed twice has two)."""
    done = min(indexed_size(), tree_size)
    found = []
    for index in candidates(KIND_DOCUMENT, document_sha256):
        if index < done and document_hashes(read_entries(index, index + 1), index) == [
            (document_sha256, index)
        ]:
            found.append(index)
    for digest, index in document_hashes(read_entries(done, tree_size), done):
        if digest == document_sha256:
            found.append(index)
    return found
