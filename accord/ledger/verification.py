"""``accord ledger verify``: re-hash the whole stored log and check it against its checkpoints.

Why re-hash from the entry bytes rather than trust the stored hashes: a row edited behind
the database's back (a superuser with the trigger disabled, a restored backup, a disk fault)
must be found and named. The walk streams the entries in index order and recomputes, from the
bytes alone, every leaf hash, every tile and every checkpoint root:

* a missing index (a gap) or an entry whose bytes no longer hash to its stored leaf hash is
  reported with its index;
* a stored tile (full or partial) that differs from the recomputed one is reported with the
  first leaf index it covers that is wrong (its stored interior nodes are checked too, since
  proofs read them);
* every checkpoint's signature is checked, and its root compared with the recomputed root of
  its size.

Memory stays O(log n): only the right edge of the tree is held.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection

from accord.ledger import merkle, note
from accord.ledger.checkpoints import log_verifier
from accord.ledger.models import Checkpoint, EntryBundle, Tile
from accord.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, TileAppender, decode_bundle, interior_of

CHUNK = 16  # bundles a query (4,096 entries)


@dataclass
class Problem:
    """``index`` is exact when ``exact``; otherwise it starts the range a bad hash covers."""

    index: int
    what: str
    exact: bool = True


@dataclass
class VerifyReport:
    tree_size: int = 0
    checkpoints_checked: int = 0
    tiles_checked: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False  # more entry problems than max_problems: only the first are listed

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_index(self) -> int | None:
        """The first exactly located bad index; else the start of the first bad range."""
        exact = [p.index for p in self.problems if p.exact]
        return min(exact or [p.index for p in self.problems], default=None)


StoredVersion = tuple[int, bytes, bytes]  # width, hashes, interior


def _stored_tiles(level: int, first: int, last: int) -> dict[int, list[StoredVersion]]:
    """Every stored version (widths) of tiles ``first..last`` at ``level``."""
    out: dict[int, list[StoredVersion]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT idx, width, hashes, interior FROM {Tile._meta.db_table} "  # noqa: S608
            "WHERE level = %s AND idx >= %s AND idx <= %s",
            [level, first, last],
        )
        for idx, width, hashes, interior in cursor.fetchall():
            out.setdefault(idx, []).append((width, bytes(hashes), bytes(interior or b"")))
    return out


def _first_leaf_of(level: int, tile_index: int, position: int) -> int:
    return (tile_index * TILE_WIDTH + position) << (TILE_HEIGHT * level)


def _compare_tile(
    report: VerifyReport,
    level: int,
    index: int,
    computed: bytes,
    versions: list[StoredVersion],
    computed_interior: bytes | None = None,
) -> None:
    """Each stored version must be a prefix of the recomputed hashes, with a matching interior."""
    size = merkle.HASH_SIZE
    for width, stored, interior in versions:
        report.tiles_checked += 1
        expected = computed[: width * size]
        if stored == expected:
            if not interior:
                continue
            if computed_interior is not None and width * size == len(computed):
                right = computed_interior
            else:
                right = interior_of([expected[i * size : (i + 1) * size] for i in range(width)])
            if interior != right:
                report.problems.append(
                    Problem(
                        _first_leaf_of(level, index, 0),
                        f"stored interior of tile {level}/{index} (width {width}) is wrong",
                        exact=False,
                    )
                )
            continue
        position = next(
            (
                i
                for i in range(width)
                if stored[i * size : (i + 1) * size] != expected[i * size : (i + 1) * size]
            ),
            width,
        )
        report.problems.append(
            Problem(
                _first_leaf_of(level, index, position),
                f"stored tile {level}/{index} (width {width}) differs at position {position}",
                exact=level == 0,
            )
        )


def verify_log(
    progress: Callable[[int], None] | None = None, max_problems: int = 20
) -> VerifyReport:
    """Re-hash everything; the report names the first bad index (None when all is well)."""
    started = time.perf_counter()
    report = VerifyReport()
    verifier = log_verifier()
    checkpoints = list(
        Checkpoint.objects.order_by("tree_size").values_list("tree_size", "root_hash", "note")
    )
    cp_at = 0
    appender = TileAppender()
    expected_index = 0
    table = EntryBundle._meta.db_table
    last_seen = -1
    finished = False
    while len(report.problems) < max_problems and not finished:
        with connection.cursor() as cursor:
            # The widest stored version of each bundle (a partial one is a prefix of it).
            cursor.execute(
                f"SELECT idx, width, data FROM {table} WHERE idx > %s AND idx <= %s "  # noqa: S608
                "ORDER BY idx, width DESC",
                [last_seen, last_seen + CHUNK],
            )
            rows = cursor.fetchall()
        if not rows:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT MIN(idx) FROM {table} WHERE idx > %s", [last_seen])  # noqa: S608
                (later,) = cursor.fetchone()
            if later is not None:
                report.problems.append(
                    Problem(
                        expected_index,
                        f"entries {expected_index}..{later * TILE_WIDTH - 1} are missing",
                    )
                )
            break
        hashes = []
        seen_bundles: set[int] = set()
        for idx, width, data in rows:
            if idx in seen_bundles:
                continue
            seen_bundles.add(idx)
            if idx * TILE_WIDTH != expected_index:
                report.problems.append(
                    Problem(
                        expected_index,
                        f"entries {expected_index}..{idx * TILE_WIDTH - 1} are missing",
                    )
                )
                finished = True
                break
            try:
                datas = decode_bundle(bytes(data))
            except ValueError as exc:
                report.problems.append(Problem(expected_index, f"entry bundle {idx}: {exc}"))
                finished = True
                break
            if len(datas) != width:
                report.problems.append(
                    Problem(
                        expected_index + min(len(datas), width),
                        f"entry bundle {idx} holds {len(datas)} entries, its row says {width}",
                    )
                )
                finished = True
                break
            hashes.extend(merkle.leaf_hash(d) for d in datas)
            expected_index += width
            last_seen = idx
            if width < TILE_WIDTH:
                finished = True  # a partial bundle is the right edge of the log
                break
        # Each leaf hash must equal the stored level-0 tile's (checked in _compare_tile), so
        # an edited entry is found there with its exact index.
        # Feed leaves one checkpoint boundary at a time so every checkpoint root is checked.
        start = 0
        while start < len(hashes):
            stop = len(hashes)
            if cp_at < len(checkpoints):
                stop = min(stop, checkpoints[cp_at][0] - appender.tree_size + start)
            completed = appender.append(hashes[start:stop])
            _check_full_tiles(report, completed)
            start = stop
            while cp_at < len(checkpoints) and checkpoints[cp_at][0] == appender.tree_size:
                _check_checkpoint(report, checkpoints[cp_at], appender.root(), verifier)
                cp_at += 1
        if progress:
            progress(appender.tree_size)
    report.tree_size = appender.tree_size
    # The right edge: partial tiles stored for the current size must match too.
    for level, row in enumerate(appender.edge):
        if row:
            index = (appender.tree_size >> (TILE_HEIGHT * level)) // TILE_WIDTH
            versions = _stored_tiles(level, index, index).get(index, [])
            _compare_tile(report, level, index, b"".join(row), versions)
    for size, _root, _text in checkpoints[cp_at:]:
        report.problems.append(
            Problem(appender.tree_size, f"checkpoint of size {size} is beyond the log", exact=False)
        )
    report.problems.sort(key=lambda p: p.index)
    report.seconds = time.perf_counter() - started
    return report


def _check_full_tiles(report: VerifyReport, completed) -> None:
    full = [t for t in completed if t.width == TILE_WIDTH]
    by_level: dict[int, list] = {}
    for t in full:
        by_level.setdefault(t.level, []).append(t)
    for level, tiles in by_level.items():
        stored = _stored_tiles(level, tiles[0].index, tiles[-1].index)
        for t in tiles:
            versions = stored.get(t.index, [])
            if not any(v[0] == TILE_WIDTH for v in versions):
                report.problems.append(
                    Problem(
                        _first_leaf_of(level, t.index, 0),
                        f"full tile {level}/{t.index} is missing",
                        exact=False,
                    )
                )
            _compare_tile(report, level, t.index, t.hashes, versions, t.interior)


def _check_checkpoint(report: VerifyReport, row, root: bytes, verifier: note.Verifier) -> None:
    size, stored_root, text = row
    report.checkpoints_checked += 1
    try:
        checkpoint, _ = note.open_checkpoint(text, verifier)
    except note.NoteError as exc:
        report.problems.append(
            Problem(max(size - 1, 0), f"checkpoint {size} signature: {exc}", exact=False)
        )
        return
    if checkpoint.size != size or checkpoint.root_hash != bytes(stored_root):
        report.problems.append(
            Problem(max(size - 1, 0), f"checkpoint {size} row disagrees with its note", exact=False)
        )
    if checkpoint.root_hash != root:
        report.problems.append(
            Problem(
                max(size - 1, 0),
                f"checkpoint {size} root differs from the re-hashed log",
                exact=False,
            )
        )
