"""The tlog-tiles layout of the tree's stored hashes. Pure Python, no Django.

C2SP tlog-tiles: the hashes at tree levels 0, 8, 16, ... are cut into tiles of 256. Tile
``(L, N)`` holds the hashes of the nodes at tree level ``8 * L`` with indexes
``256 * N .. 256 * N + 255``; a tile at the right edge of the tree may be *partial* (width
``W < 256``) and is then a prefix of the full tile it will become. Beside each tile we also
store its *interior*: the complete nodes of the 7 tree levels between two tile levels (at most
255 hashes, computed anyway when the tile is built). A proof then costs a few tile reads (one
or two per tile level: O(log n) reads) and no hashing at all; without the interior (it is not
part of tlog-tiles, and not served) any node could still be recomputed from at most 128
consecutive hashes of one tile.

Why tiles rather than one row per node: 1/255 of the rows, immutable full tiles that can be
served and cached forever, and the same layout the Go ecosystem (sumdb, Tessera) uses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from accord.ledger.merkle import (
    HASH_SIZE,
    Node,
    NodeReader,
    decompose,
    fold,
    perfect_root,
)

_sha256 = hashlib.sha256
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT


@dataclass(frozen=True)
class Tile:
    """One tile file: ``hashes`` is ``width * 32`` bytes; ``interior`` see :func:`interior_of`."""

    level: int
    index: int
    width: int
    hashes: bytes
    interior: bytes = b""

    def hash_at(self, i: int) -> bytes:
        return self.hashes[i * HASH_SIZE : (i + 1) * HASH_SIZE]

    def hash_list(self, start: int = 0, stop: int | None = None) -> list[bytes]:
        stop = self.width if stop is None else stop
        h = self.hashes
        return [h[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in range(start, stop)]

    @property
    def path(self) -> str:
        return tile_path(self.level, self.index, self.width)


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """tlog-tiles path ``tile/<L>/<N>[.p/<W>]``, N in zero-padded groups of three digits."""
    digits = f"{index:d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    encoded = "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{encoded}{suffix}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """tlog-tiles path of an entry bundle: ``tile/entries/<N>[.p/<W>]``."""
    return "tile/entries/" + tile_path(0, index, width)[len("tile/0/") :]


MAX_ENTRY_SIZE = 0xFFFF  # an entry bundle prefixes each entry with a big-endian uint16 length


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length and its bytes (tlog-tiles)."""
    if entries and max(map(len, entries)) > MAX_ENTRY_SIZE:
        raise ValueError("an entry in a bundle is at most 65,535 bytes")
    return b"".join(
        [_U16[len(d)] + d if len(d) < 4096 else len(d).to_bytes(2, "big") + d for d in entries]
    )


_U16 = [n.to_bytes(2, "big") for n in range(4096)]


def decode_bundle(blob: bytes) -> list[bytes]:
    """The entries of a bundle; ValueError if the bytes are not a well-formed bundle."""
    entries = []
    at, end = 0, len(blob)
    while at < end:
        if at + 2 > end:
            raise ValueError("truncated entry length")
        size = int.from_bytes(blob[at : at + 2], "big")
        at += 2
        if at + size > end:
            raise ValueError("truncated entry")
        entries.append(bytes(blob[at : at + size]))
        at += size
    return entries


def parse_tile_index(encoded: str) -> int:
    """Inverse of the index part of :func:`tile_path` (``x001/x234/067`` -> 1234067)."""
    parts = encoded.split("/")
    if (
        not parts
        or not all(len(p) == 4 and p[0] == "x" and p[1:].isdigit() for p in parts[:-1])
        or not (len(parts[-1]) == 3 and parts[-1].isdigit())
    ):
        raise ValueError(f"not a tile index: {encoded!r}")
    return int("".join(p.lstrip("x") for p in parts))


def tile_width_at(level: int, index: int, tree_size: int) -> int:
    """How many hashes tile ``(level, index)`` holds in a tree of ``tree_size`` leaves (0..256)."""
    count = tree_size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, count - index * TILE_WIDTH))


def interior_levels(base: Sequence[bytes]) -> list[list[bytes]]:
    """The complete nodes above a tile's hashes: level j has ``len(base) >> j`` nodes (j = 1..8)."""
    levels = []
    row = list(base)
    sha = _sha256
    while len(row) > 1:
        # node_hash inlined: this is most of the hashing of an append.
        row = [sha(b"\x01" + a + b).digest() for a, b in zip(row[0::2], row[1::2], strict=False)]
        levels.append(row)
    return levels


def interior_of(base: Sequence[bytes]) -> bytes:
    """Tile levels 1..7 concatenated (level 8, the tile's root, belongs to the next tile level)."""
    return b"".join(h for row in interior_levels(base)[: TILE_HEIGHT - 1] for h in row)


def _interior_offset(width: int, sub: int) -> int:
    """Index (in hashes) of the first node of tile sub-level ``sub`` (>= 1) in the interior."""
    return sum(width >> j for j in range(1, sub))


StoredTile = tuple[int, bytes, bytes]
"""``(width, hashes, interior)`` as stored; ``interior`` may be empty (then recomputed)."""

TileFetcher = Callable[[Sequence[tuple[int, int, int]]], dict[tuple[int, int], StoredTile]]
"""Given ``(level, index, min_width)`` triples, returns ``{(level, index): stored tile}`` where
each holds at least ``min_width`` hashes (a wider tile is fine: tiles are prefixes)."""


def node_reader(fetch: TileFetcher) -> NodeReader:
    """A merkle node reader that answers from tiles, one fetch for all the tiles a proof needs."""

    def read(nodes: Sequence[Node]) -> list[bytes]:
        need: dict[tuple[int, int], int] = {}
        spans = []
        for level, index in nodes:
            tile_level, sub = divmod(level, TILE_HEIGHT)
            first = index << sub  # position at tree level 8 * tile_level
            tile_index, start = divmod(first, TILE_WIDTH)
            stop = start + (1 << sub)
            key = (tile_level, tile_index)
            need[key] = max(need.get(key, 0), stop)
            spans.append((key, start, stop))
        tiles = fetch([(lv, ix, w) for (lv, ix), w in need.items()])
        out = []
        for key, start, stop in spans:
            stored = tiles.get(key)
            if stored is None or stored[0] < stop:
                raise LookupError(f"tile {key} with {stop} hashes is not stored")
            width, base, interior = stored
            size = stop - start
            if size == 1:
                out.append(base[start * HASH_SIZE : stop * HASH_SIZE])
                continue
            sub = size.bit_length() - 1
            if interior and sub < TILE_HEIGHT:
                at = _interior_offset(width, sub) + (start >> sub)
                out.append(interior[at * HASH_SIZE : (at + 1) * HASH_SIZE])
                continue
            hashes = [base[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in range(start, stop)]
            out.append(perfect_root(hashes))
        return out

    return read


@dataclass
class TileAppender:
    """The sequencer's view of the right edge of the tree, and what a batch adds to it.

    ``edge[L]`` holds the hashes of the partial (rightmost) tile at level L. Appending leaf
    hashes fills level 0; every tile that reaches 256 hashes is emitted and its root (8 levels
    up) becomes the next hash of level L + 1. After a batch, :meth:`append` returns every full
    tile completed and the partial tiles that changed, which is exactly what must be written
    in the batch's transaction.
    """

    tree_size: int = 0
    edge: list[list[bytes]] = field(default_factory=list)
    # Roots of perfect runs of the edge rows, by level then (start, size): an edge row only
    # grows until its tile completes, so a root once computed stays valid until then. Keeps
    # the root of the tree after a small batch from re-hashing the whole partial tiles.
    _roots: list[dict[tuple[int, int], bytes]] = field(default_factory=list, repr=False)

    def copy(self) -> TileAppender:
        return TileAppender(
            self.tree_size, [list(r) for r in self.edge], [dict(c) for c in self._roots]
        )

    @classmethod
    def load(cls, tree_size: int, fetch: TileFetcher) -> TileAppender:
        """Rebuild the edge of a stored tree of ``tree_size`` leaves from its partial tiles."""
        wanted = []
        level = 0
        while tree_size >> (TILE_HEIGHT * level):
            count = tree_size >> (TILE_HEIGHT * level)
            width = count % TILE_WIDTH
            if width:
                wanted.append((level, count // TILE_WIDTH, width))
            level += 1
        tiles = fetch(wanted) if wanted else {}
        edge: list[list[bytes]] = [[] for _ in range(level)]
        for lv, ix, width in wanted:
            stored = tiles.get((lv, ix))
            blob = stored[1] if stored else b""
            if len(blob) < width * HASH_SIZE:
                raise LookupError(f"partial tile ({lv}, {ix}) of width {width} is not stored")
            edge[lv] = [blob[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in range(width)]
        return cls(tree_size=tree_size, edge=edge)

    def append(self, leaf_hashes: Iterable[bytes]) -> list[Tile]:
        written: list[Tile] = []
        touched: set[int] = set()
        edge = self.edge
        hashes = list(leaf_hashes)
        added = len(hashes)
        if not edge:
            edge.append([])
        # Level 0 takes the leaves in slices that fill its tile; each full tile's root goes one
        # tile level up (rarely more than one hash a slice, so that part stays simple).
        at = 0
        done = self.tree_size
        while at < added:
            row = edge[0]
            take = hashes[at : at + TILE_WIDTH - len(row)]
            row.extend(take)
            at += len(take)
            done += len(take)
            touched.add(0)
            if len(row) == TILE_WIDTH:
                self._complete(0, done, written, touched)
        self.tree_size += added
        for level in sorted(touched):
            row = edge[level]
            if row:
                count = self.tree_size >> (TILE_HEIGHT * level)
                # No stored interior for a partial tile: it changes with every batch, and a
                # proof recomputes a partial tile's nodes from its (< 256) hashes cheaply.
                written.append(Tile(level, count // TILE_WIDTH, len(row), b"".join(row)))
        return written

    def _complete(self, level: int, size: int, written: list[Tile], touched: set[int]) -> None:
        """The edge row of ``level`` just reached 256 hashes (tree of ``size`` leaves): emit it
        as a full tile and carry its root up, completing the levels above as they fill."""
        edge = self.edge
        while True:
            row = edge[level]
            count = size >> (TILE_HEIGHT * level)
            levels = interior_levels(row)
            interior = b"".join(h for r in levels[: TILE_HEIGHT - 1] for h in r)
            written.append(
                Tile(level, count // TILE_WIDTH - 1, TILE_WIDTH, b"".join(row), interior)
            )
            edge[level] = []
            if level < len(self._roots):
                self._roots[level].clear()
            level += 1
            if len(edge) <= level:
                edge.append([])
            edge[level].append(levels[-1][0])
            touched.add(level)
            if len(edge[level]) < TILE_WIDTH:
                return

    def root(self) -> bytes:
        """The tree's root from the edge alone: every node of decompose(0, n) lies in it."""
        nodes = []
        while len(self._roots) < len(self.edge):
            self._roots.append({})
        for level, index in decompose(0, self.tree_size):
            tile_level, sub = divmod(level, TILE_HEIGHT)
            start = (index << sub) % TILE_WIDTH
            key = (start, 1 << sub)
            cache = self._roots[tile_level]
            node = cache.get(key)
            if node is None:
                node = perfect_root(self.edge[tile_level][start : start + (1 << sub)])
                cache[key] = node
            nodes.append(node)
        return fold(nodes)
