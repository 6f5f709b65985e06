"""Static tlog-tiles files anyone can mirror, read by an independent reader and the monitor.

``tlog_reader`` below is written only from the C2SP specifications (tlog-tiles, tlog-checkpoint,
signed-note) and RFC 6962 -- it shares no code with Accord -- so the test shows that what Accord
publishes is what the standards say, not merely what Accord's own code expects.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import call_command
from django.test import Client

from accord.ledger import checkpoints, note, storage
from accord.ledger.mirror import publish
from accord.ledger.tiles import TileAppender, encode_bundle, entries_path, tile_path
from tests.support.processes import wait_until

from . import helpers

pytestmark = pytest.mark.django_db


# --- An independent reader, from the specifications only ---------------------------------------


def spec_index_path(n: int) -> str:
    """tlog-tiles: zero-padded 3-digit elements, all but the last prefixed with x."""
    s = str(n)
    s = "0" * ((3 - len(s) % 3) % 3) + s
    parts = [s[i : i + 3] for i in range(0, len(s), 3)]
    return "/".join(["x" + p for p in parts[:-1]] + [parts[-1]])


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 2.1 Merkle Tree Hash, literally (leaves are already leaf hashes)."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def read_checkpoint(text: str, vkey: str) -> tuple[str, int, bytes]:
    """signed-note + tlog-checkpoint: verify the Ed25519 line of the log key, return the body."""
    name, key_hex, key_b64 = vkey.split("+", 2)
    raw = base64.b64decode(key_b64)
    assert raw[0] == 0x01
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    assert key_id.hex() == key_hex
    body, _, sigs = text.partition("\n\n")
    body += "\n"
    for line in sigs.splitlines():
        dash, signer, sig_b64 = line.split(" ")
        sig = base64.b64decode(sig_b64)
        if dash == "\u2014" and signer == name and sig[:4] == key_id:
            Ed25519PublicKey.from_public_bytes(raw[1:]).verify(sig[4:], body.encode())
            origin, size, root = body.splitlines()[:3]
            assert origin == name
            return origin, int(size), base64.b64decode(root)
    raise AssertionError("no signature by the log key")


def read_log(get, vkey: str) -> list[bytes]:
    """Fetch checkpoint, every level-0 tile and entry bundle; check entries -> tiles -> root."""
    _, size, root = read_checkpoint(get("checkpoint").decode(), vkey)
    entries, leaves = [], []
    for n in range((size + 255) // 256):
        width = min(256, size - 256 * n)
        suffix = "" if width == 256 else f".p/{width}"
        tile = get(f"tile/0/{spec_index_path(n)}{suffix}")
        bundle = get(f"tile/entries/{spec_index_path(n)}{suffix}")
        assert len(tile) == 32 * width
        at = 0
        for i in range(width):
            length = int.from_bytes(bundle[at : at + 2], "big")
            data = bundle[at + 2 : at + 2 + length]
            at += 2 + length
            leaf = hashlib.sha256(b"\x00" + data).digest()
            assert leaf == tile[32 * i : 32 * (i + 1)], f"entry {256 * n + i}"
            entries.append(data)
            leaves.append(leaf)
        assert at == len(bundle)
    assert mth(leaves) == root
    return entries


# --- Tests -----------------------------------------------------------------------------------------


def test_tile_paths_match_the_specification_examples():
    assert spec_index_path(1234067) == "x001/x234/067"
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(1, 5, 17) == "tile/1/005.p/17"
    assert entries_path(1234067, 3) == "tile/entries/x001/x234/067.p/3"


def test_a_tree_of_70000_has_exactly_the_files_the_specification_lists(tmp_path):
    """tlog-tiles: "a tree of size 70,000 will be represented by 273 full level 0 tiles, one
    partial level 0 tile of width 112, one full level 1 tile, one partial level 1 tile of width
    17, and one partial level 2 tile of width 1"."""
    for start in range(0, 70_000, 10_000):
        storage.append(helpers.demo_items(10_000, start=start))
    publish(tmp_path)
    files = sorted(
        str(p.relative_to(tmp_path)) for p in (tmp_path / "tile").rglob("*") if p.is_file()
    )
    level0 = [f for f in files if f.startswith("tile/0/")]
    assert len([f for f in level0 if ".p/" not in f]) == 273
    assert [f for f in level0 if ".p/" in f] == ["tile/0/273.p/112"]
    assert [f for f in files if f.startswith("tile/1/")] == ["tile/1/000", "tile/1/001.p/17"]
    assert [f for f in files if f.startswith("tile/2/")] == ["tile/2/000.p/1"]
    assert len([f for f in files if f.startswith("tile/entries/")]) == 274
    entries = read_log(lambda rel: (tmp_path / rel).read_bytes(), checkpoints.log_verifier().vkey)
    assert entries == storage.read_entries(0, 70_000)


def test_the_served_paths_are_read_by_the_independent_reader():
    storage.append(helpers.demo_items(300))
    storage.append(helpers.demo_items(5, start=300))
    client = Client()

    def get(rel: str) -> bytes:
        response = client.get("/ledger/" + rel)
        assert response.status_code == 200, (rel, response.content[:200])
        if rel.startswith("tile/"):
            assert response["Content-Type"] == "application/octet-stream"
            full = ".p/" not in rel
            assert ("immutable" in response["Cache-Control"]) == full
        else:
            assert response["Content-Type"] == "text/plain; charset=utf-8"
        return response.content

    entries = read_log(get, checkpoints.log_verifier().vkey)
    assert len(entries) == 305
    # A narrower partial than the stored one is served as its prefix (a checkpoint named it).
    narrow = client.get("/ledger/tile/entries/001.p/2").content
    assert narrow == encode_bundle(storage.read_entries(256, 258))
    assert client.get("/ledger/tile/entries/001.p/50").status_code == 404  # beyond the tree
    assert client.get("/ledger/tile/entries/01").status_code == 404  # malformed index


def _serve(directory: Path):
    """A plain static file server (no Accord code) in its own process."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
            str(directory),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    line = proc.stdout.readline()
    port = int(re.search(r"port (\d+)", line).group(1))
    url = f"http://127.0.0.1:{port}/"
    wait_until(lambda: urllib.request.urlopen(url, timeout=5).status == 200, "the file server")
    return proc, url


def _forged_mirror(directory: Path, datas: list[bytes]) -> None:
    """What a log showing a different history would publish, signed with the real log key."""
    appender = TileAppender()
    hashes = [hashlib.sha256(b"\x00" + d).digest() for d in datas]
    for tile in appender.append(hashes):
        path = directory / tile.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tile.hashes)
    for n in range((len(datas) + 255) // 256):
        chunk = datas[256 * n : 256 * (n + 1)]
        path = directory / entries_path(n, len(chunk))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode_bundle(chunk))
    signer = checkpoints.log_signer()
    body = note.Checkpoint(signer.name, len(datas), appender.root()).body()
    (directory / "checkpoint").write_text(
        note.SignedNote(body, (note.sign_note(body, signer),)).text()
    )


def _replace(mirror: Path, other: Path) -> None:
    """Swap the mirror's files for another history's, under the same running file server."""
    for f in mirror.iterdir():
        shutil.rmtree(f) if f.is_dir() else f.unlink()
    shutil.copytree(other, mirror, dirs_exist_ok=True)


def test_monitor_follows_a_static_mirror_and_reports_fork_and_rollback(tmp_path, capsys):
    mirror = tmp_path / "mirror"
    state = tmp_path / "monitor.json"
    vkey = checkpoints.log_verifier().vkey
    storage.append(helpers.demo_items(600))
    publish(mirror)
    server, url = _serve(mirror)
    try:
        call_command(
            "ledger", "monitor", url, "--log-key", vkey, "--state", str(state), "--entries"
        )
        assert "OK: 600 entries" in capsys.readouterr().out
        storage.append(helpers.demo_items(100, start=600))
        publish(mirror)
        call_command(
            "ledger", "monitor", url, "--log-key", vkey, "--state", str(state), "--entries"
        )
        assert "consistent with 600 seen before" in capsys.readouterr().out

        # The same log key now shows a history where entry 7 is different: a fork.
        datas = storage.read_entries(0, 700)
        datas[7] = b'{"forged":true}'
        forged = tmp_path / "forged"
        _forged_mirror(forged, [*datas, b"more"])
        _replace(mirror, forged)
        with pytest.raises(SystemExit):
            call_command("ledger", "monitor", url, "--log-key", vkey, "--state", str(state))
        assert "ALERT fork" in capsys.readouterr().out

        # An honest prefix of 300 after 700 was seen: a rollback.
        rolled = tmp_path / "rolled"
        _forged_mirror(rolled, storage.read_entries(0, 300))
        _replace(mirror, rolled)
        with pytest.raises(SystemExit):
            call_command("ledger", "monitor", url, "--log-key", vkey, "--state", str(state))
        assert "ALERT rollback" in capsys.readouterr().out
    finally:
        server.terminate()
        server.wait(timeout=30)
    import json

    evidence = json.loads(state.read_text())["evidence"]
    assert [e["kind"] for e in evidence] == ["fork", "rollback"]


def test_monitor_refuses_tiles_that_do_not_match_the_checkpoint(tmp_path, capsys):
    storage.append(helpers.demo_items(300))
    publish(tmp_path)
    tile = tmp_path / "tile/0/000"
    blob = bytearray(tile.read_bytes())
    blob[0] ^= 1
    tile.write_bytes(bytes(blob))
    server, url = _serve(tmp_path)
    try:
        # The light check reads only the tiles on the path to the root (tile 1/000 here); the
        # full audit (--entries) re-hashes every tile and entry and finds the edit.
        vkey = checkpoints.log_verifier().vkey
        with pytest.raises(SystemExit):
            call_command("ledger", "monitor", url, "--log-key", vkey, "--entries")
        assert "ALERT bad_" in capsys.readouterr().out
    finally:
        server.terminate()
        server.wait(timeout=30)
