"""The tile layout: batches of any size give the RFC root and proofs, from partial tiles too.

Pure (no database): ``python -m pytest -p no:django tests/ledger/test_tiles.py``.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.ledger import merkle
from accord.ledger.tiles import (
    TILE_WIDTH,
    TileAppender,
    node_reader,
    parse_tile_index,
    tile_path,
    tile_width_at,
)


class MemoryTiles:
    """Append-only tile store: every (level, index, width) written once, like the database."""

    def __init__(self, with_interior: bool = True):
        self.with_interior = with_interior
        self.rows: dict[tuple[int, int, int], tuple[bytes, bytes]] = {}
        self.fetches = 0

    def write(self, tiles):
        for t in tiles:
            key = (t.level, t.index, t.width)
            assert key not in self.rows or self.rows[key] == (t.hashes, t.interior)
            self.rows[key] = (t.hashes, t.interior)

    def fetch(self, wanted):
        self.fetches += 1
        out = {}
        for level, index, min_width in wanted:
            widths = [
                w for (lv, ix, w) in self.rows if (lv, ix) == (level, index) and w >= min_width
            ]
            if widths:
                width = max(widths)
                hashes, interior = self.rows[(level, index, width)]
                out[(level, index)] = (width, hashes, interior if self.with_interior else b"")
        return out


def leaves(n, salt=0):
    return [merkle.leaf_hash(f"{salt}/{i}".encode()) for i in range(n)]


def test_tile_paths_follow_tlog_tiles():
    assert tile_path(0, 0) == "tile/0/000"
    assert tile_path(1, 1234067) == "tile/1/x001/x234/067"
    assert tile_path(0, 5, 17) == "tile/0/005.p/17"
    assert parse_tile_index("x001/x234/067") == 1234067
    assert tile_width_at(0, 0, 300) == 256
    assert tile_width_at(0, 1, 300) == 44
    assert tile_width_at(1, 0, 300) == 1
    assert tile_width_at(1, 1, 300) == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=8), st.booleans())
def test_batches_give_rfc_roots_and_proofs(batches, with_interior):
    """With the stored interior (no hashing) and without it (recomputed), the same proofs."""
    store = MemoryTiles(with_interior)
    all_leaves = leaves(sum(batches))
    appender = TileAppender()
    done = 0
    for size in batches:
        # Reload from storage every time, as a restarted sequencer would.
        appender = TileAppender.load(done, store.fetch)
        store.write(appender.append(all_leaves[done : done + size]))
        done += size
        assert appender.root() == merkle.root_hash(all_leaves[:done])
    read = node_reader(store.fetch)
    n = done
    for index in {0, n // 3, n - 1}:
        assert merkle.inclusion_proof_from(index, n, read) == merkle.inclusion_proof(
            index, all_leaves[:n]
        )
    # Proofs at every earlier batch boundary and at sizes between boundaries.
    for old in {1, batches[0], n // 2, n - 1}:
        if 0 < old < n:
            assert merkle.consistency_proof_from(old, n, read) == merkle.consistency_proof(
                old, all_leaves[:n]
            )
            assert merkle.root_from(old, read) == merkle.root_hash(all_leaves[:old])


def test_big_tree_uses_few_fetches_and_full_tiles():
    store = MemoryTiles()
    data = leaves(TILE_WIDTH**2 + 1000, salt=9)
    appender = TileAppender()
    for start in range(0, len(data), 5000):
        store.write(appender.append(data[start : start + 5000]))
    n = len(data)
    full_level0 = [k for k in store.rows if k[0] == 0 and k[2] == TILE_WIDTH]
    assert len(full_level0) == n // TILE_WIDTH
    assert (1, 0, TILE_WIDTH) in store.rows  # a level-1 tile completed at 65,536 leaves
    read = node_reader(store.fetch)
    store.fetches = 0
    proof = merkle.inclusion_proof_from(12345, n, read)
    assert store.fetches == 1
    assert merkle.verify_inclusion(data[12345], 12345, n, proof, appender.root())
