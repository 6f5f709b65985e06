"""A monitor: follow a tlog-tiles log (Accord's, or any static mirror of it) and catch forks.

No Django, no database: only the standard library, ``merkle.py`` and ``note.py``, so a court or
a second department can run it against a plain web server holding a copy of the files
(``accord ledger publish DIR`` writes them; any HTTP server or object store can serve them).

Each run (``accord ledger monitor URL --log-key VKEY --state FILE`` or
``python -m accord.ledger.monitor``):

1. fetches ``<URL>/checkpoint`` and checks the log's signature (C2SP signed-note);
2. recomputes the tree's root from the tiles (``<URL>/tile/<L>/<N>[.p/<W>]``; the tiles above
   level 0 are checked against the level below they summarise) and compares it with the
   checkpoint: a mismatch means the published tiles are not the signed tree;
3. with ``--entries``, fetches every new entry bundle (``tile/entries/…``) and checks each
   entry hashes to its leaf in the level-0 tiles;
4. compares with the checkpoint it saw last time (the state file): a smaller tree is a
   rollback; a root at the old size that differs from the old root (recomputed from the new
   tiles) is a fork -- the log showed two different histories. Both are reported and the
   evidence (both signed checkpoints) kept in the state file; exit status 1.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from accord.ledger import merkle, note

TILE_HEIGHT = 8
WIDTH = 256
HASH = 32


class MonitorError(Exception):
    """The log misbehaved (fork, rollback, bad signature, tiles not matching) or is unreachable."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def tile_path(level: int | str, index: int, width: int = WIDTH) -> str:
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    encoded = "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])
    return f"tile/{level}/{encoded}" + ("" if width == WIDTH else f".p/{width}")


class TileSource:
    """Fetches (and caches for the run) tiles of a tree of ``size`` leaves over HTTP."""

    def __init__(self, base: str, size: int) -> None:
        self.base = base.rstrip("/") + "/"
        self.size = size
        self.cache: dict[tuple[int, int], bytes] = {}
        self.fetched = 0

    def get(self, path: str) -> bytes:
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as response:  # noqa: S310
                self.fetched += 1
                return response.read()
        except urllib.error.HTTPError as exc:
            raise MonitorError("unavailable", f"{path}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise MonitorError("unavailable", f"{path}: {exc}") from None

    def width(self, level: int, index: int) -> int:
        count = self.size >> (TILE_HEIGHT * level)
        return max(0, min(WIDTH, count - index * WIDTH))

    def tile(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self.cache:
            width = self.width(level, index)
            if width <= 0:
                raise MonitorError("bad_tiles", f"tile {level}/{index} is beyond the tree")
            blob = self.get(tile_path(level, index, width))
            if len(blob) != width * HASH:
                if width < WIDTH and len(blob) > width * HASH:
                    blob = blob[: width * HASH]
                else:
                    raise MonitorError("bad_tiles", f"tile {level}/{index}: {len(blob)} bytes")
            self.cache[key] = blob
        return self.cache[key]

    def reader(self):
        def read(nodes: Sequence[tuple[int, int]]) -> list[bytes]:
            out = []
            for level, index in nodes:
                tile_level, sub = divmod(level, TILE_HEIGHT)
                first = index << sub
                tile_index, start = divmod(first, WIDTH)
                blob = self.tile(tile_level, tile_index)
                hashes = [blob[i * HASH : (i + 1) * HASH] for i in range(start, start + (1 << sub))]
                out.append(merkle.perfect_root(hashes))
            return out

        return read


@dataclass
class Report:
    size: int
    root: bytes
    previous_size: int = 0
    entries_checked: int = 0
    tiles_fetched: int = 0
    notes: list[str] = field(default_factory=list)


def _check_tiles_above(source: TileSource) -> None:
    """Every stored hash above level 0 must be the root of the full tile below it."""
    level = 1
    while source.size >> (TILE_HEIGHT * level):
        count = source.size >> (TILE_HEIGHT * level)
        for n in range((count + WIDTH - 1) // WIDTH):
            blob = source.tile(level, n)
            for i in range(len(blob) // HASH):
                below = source.tile(level - 1, n * WIDTH + i)
                hashes = [below[j * HASH : (j + 1) * HASH] for j in range(WIDTH)]
                if merkle.perfect_root(hashes) != blob[i * HASH : (i + 1) * HASH]:
                    raise MonitorError(
                        "bad_tiles", f"tile {level}/{n} hash {i} is not the root of the tile below"
                    )
        level += 1


def _check_entries(source: TileSource, start: int) -> int:
    """Fetch the entry bundles from ``start`` and check each entry against its leaf hash."""
    checked = 0
    first_bundle = start // WIDTH
    last_bundle = (source.size - 1) // WIDTH
    for n in range(first_bundle, last_bundle + 1):
        width = source.width(0, n)
        blob = source.get(tile_path("entries", n, width))
        leaves = source.tile(0, n)
        at, i = 0, 0
        while at < len(blob) and i < width:
            length = int.from_bytes(blob[at : at + 2], "big")
            data = blob[at + 2 : at + 2 + length]
            at += 2 + length
            if (
                n * WIDTH + i >= start
                and merkle.leaf_hash(data) != leaves[i * HASH : (i + 1) * HASH]
            ):
                raise MonitorError("bad_entries", f"entry {n * WIDTH + i} does not match its leaf")
            i += 1
        if i != width:
            raise MonitorError("bad_entries", f"entry bundle {n} holds {i} entries, not {width}")
        checked += width - max(0, start - n * WIDTH)
    return checked


def run_once(base: str, log_key: str, state_path: Path | None, *, entries: bool = False) -> Report:
    verifier = note.Verifier.from_vkey(log_key)
    probe = TileSource(base, 0)
    text = probe.get("checkpoint").decode("utf-8")
    try:
        checkpoint, _signed = note.open_checkpoint(text, verifier)
    except note.NoteError as exc:
        raise MonitorError("bad_signature", f"checkpoint: {exc}") from None
    state = _load(state_path)
    source = TileSource(base, checkpoint.size)
    root = (
        merkle.root_from(checkpoint.size, source.reader()) if checkpoint.size else merkle.EMPTY_ROOT
    )
    if root != checkpoint.root_hash:
        raise MonitorError("bad_tiles", "the tiles do not hash to the checkpoint's root")
    if entries:
        _check_tiles_above(source)  # the full audit: every tile, not only the proof paths
    report = Report(checkpoint.size, root)
    old = state.get("checkpoint")
    if old:
        old_cp, _ = note.open_checkpoint(old, verifier)
        report.previous_size = old_cp.size
        if checkpoint.size < old_cp.size:
            _evidence(state_path, state, "rollback", old, text)
            raise MonitorError(
                "rollback", f"the log went back from {old_cp.size} to {checkpoint.size} entries"
            )
        old_root = (
            merkle.root_from(old_cp.size, source.reader()) if old_cp.size else merkle.EMPTY_ROOT
        )
        if old_root != old_cp.root_hash:
            _evidence(state_path, state, "fork", old, text)
            raise MonitorError(
                "fork",
                f"the tree of {checkpoint.size} does not extend the {old_cp.size} seen before",
            )
    if entries and checkpoint.size:
        report.entries_checked = _check_entries(source, state.get("entries_checked", 0))
        state["entries_checked"] = checkpoint.size
    report.tiles_fetched = source.fetched
    state["checkpoint"] = text
    _save(state_path, state)
    return report


def _load(path: Path | None) -> dict:
    if path is None or not path.exists():
        return {}
    return json.loads(path.read_text("utf-8"))


def _save(path: Path | None, state: dict) -> None:
    if path is None:
        return
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(state, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _evidence(path: Path | None, state: dict, kind: str, old: str, new: str) -> None:
    state.setdefault("evidence", []).append({"kind": kind, "seen_before": old, "seen_now": new})
    _save(path, state)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", help="the log's tlog-tiles prefix (…/ledger/ or a mirror)")
    parser.add_argument("--log-key", required=True, help="the log's vkey")
    parser.add_argument("--state", type=Path, help="file keeping the last checkpoint seen")
    parser.add_argument("--entries", action="store_true", help="also check every entry bundle")


def main(argv: list[str] | None = None, out=sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="accord ledger monitor", description=__doc__.split("\n")[0]
    )
    add_arguments(parser)
    opts = parser.parse_args(argv)
    return run(opts, out)


def run(opts, out=sys.stdout) -> int:
    try:
        report = run_once(opts.url, opts.log_key, opts.state, entries=opts.entries)
    except MonitorError as exc:
        out.write(f"ALERT {exc.kind}: {exc}\n")
        return 1
    except note.NoteError as exc:
        out.write(f"ALERT bad_signature: {exc}\n")
        return 1
    out.write(
        f"OK: {report.size} entries, root {base64.b64encode(report.root).decode()}"
        + (f", consistent with {report.previous_size} seen before" if report.previous_size else "")
        + (f", {report.entries_checked} entries checked" if report.entries_checked else "")
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
