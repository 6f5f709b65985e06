"""Publish the log as static files in the C2SP tlog-tiles layout, for any web server to mirror.

``accord ledger publish DIR`` writes, under DIR:

* ``tile/<L>/<N>`` every full tile and ``tile/entries/<N>`` every full entry bundle -- files
  that never change, written once (temporary name, then rename) and skipped when present;
* ``tile/<L>/<N>.p/<W>`` and ``tile/entries/<N>.p/<W>``: the partial tiles and bundle of the
  published checkpoint's size (tlog-tiles requires them for every size a checkpoint names;
  earlier partial files stay until the full file exists, then they are removed);
* ``checkpoint``: the latest checkpoint with its cosignatures, written last, so a mirror never
  names a tree whose tiles are not there yet.

Serve DIR with any static file server (``python -m http.server``, nginx, an object store) with
``tile/…`` cacheable forever and ``checkpoint`` for a few seconds; ``accord ledger monitor``
verifies such a mirror with nothing but the log's public key.
"""

from __future__ import annotations

import os
from pathlib import Path

from accord.ledger import storage
from accord.ledger.checkpoints import cosigned_text, latest_checkpoint
from accord.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, entries_path, tile_path

MARK = ".published-size"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def publish(directory: Path) -> tuple[int, int]:
    """Write what is new since the last run; returns (tree size published, files written)."""
    directory.mkdir(parents=True, exist_ok=True)
    cp = latest_checkpoint()
    size = cp.tree_size
    mark = directory / MARK
    done = int(mark.read_text()) if mark.exists() else 0
    written = 0
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        first = (done >> (TILE_HEIGHT * level)) // TILE_WIDTH
        for n in range(first, (count + TILE_WIDTH - 1) // TILE_WIDTH):
            width = min(TILE_WIDTH, count - n * TILE_WIDTH)
            targets = [
                (
                    tile_path(level, n, width),
                    lambda n=n, w=width, lv=level: storage.get_tile(lv, n, w),
                )
            ]
            if level == 0:
                targets.append(
                    (entries_path(n, width), lambda n=n, w=width: storage.get_bundle(n, w))
                )
            for rel, read in targets:
                path = directory / rel
                if path.exists():
                    continue
                _write(path, read())
                written += 1
                if width == TILE_WIDTH:
                    partial_dir = directory / (rel + ".p")
                    if partial_dir.is_dir():
                        for old in partial_dir.iterdir():
                            old.unlink()
                        partial_dir.rmdir()
        level += 1
    _write(directory / "checkpoint", cosigned_text(cp).encode())
    mark.write_text(str(size))
    return size, written
