"""An independent witness (C2SP tlog-witness), runnable without Django or the log's database.

A witness holds its own Ed25519 key and a state file with, per log, the latest checkpoint it
cosigned. It cosigns a new checkpoint only when

* the checkpoint is signed by a log key it was configured with (``--log-key``), and
* the log proves, with an RFC 9162 consistency proof from the size the witness last cosigned,
  that the new tree extends that one.

Otherwise it refuses and keeps the evidence in its state file: a fork (same origin, a history
that does not extend the one it saw -- the split view witnesses exist to catch) or a rollback
(an older checkpoint). Cosigning a checkpoint is a public statement: "as of this time, this is
the largest consistent tree I have seen for this log" (tlog-cosignature/v1).

HTTP (tlog-witness): ``POST /add-checkpoint`` with the body ::

    old <size the log thinks the witness last cosigned>
    <base64 consistency proof hash>      (one per line, none when old is 0 or equal)

    <signed checkpoint note>

Answers (C2SP tlog-witness): 200 with the cosignature line(s); 409 ``text/x.tlog.size`` with
the witness's size when ``old`` is not the size it last cosigned, or when the checkpoint has
that size but another root; 404 unknown log (origin); 403 no valid signature by the log's key;
400 malformed request or ``old`` above the checkpoint's size; 422 a consistency proof that does
not verify (a fork, kept as evidence). ``GET /state`` shows the state.

Run it as ``accord witness --port N --key-file F --state S --log-key VKEY`` (its own process
and port), or ``python -m accord.ledger.witness`` with the same options.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from accord.ledger import merkle, note

MAX_BODY = 64 * 1024
KEY_PREFIX = "PRIVATE+KEY+"


# --- Keys -------------------------------------------------------------------------------------


def write_key_file(path: Path, name: str, alg: int = note.ALG_COSIGNATURE_V1) -> note.Signer:
    """Create a cosigner key file (Go's private key format: type byte and 32-byte seed;
    0x04 Ed25519 or 0x06 ML-DSA-44), readable by its owner only."""
    signer = note.Signer.generate(name, alg=alg)
    text = (
        f"{KEY_PREFIX}{name}+{signer.verifier.key_id.hex()}+"
        f"{base64.b64encode(bytes([alg]) + signer.seed).decode()}\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return signer


def read_key_file(path: Path) -> note.Signer:
    text = path.read_text().strip()
    if not text.startswith(KEY_PREFIX):
        raise note.NoteError("not a private key file")
    name, _, rest = text[len(KEY_PREFIX) :].partition("+")
    hex_id, _, b64 = rest.partition("+")
    raw = base64.b64decode(b64)
    if len(raw) != 33 or raw[0] not in note.COSIGNER_ALGS:
        raise note.NoteError("a witness key is an Ed25519 (0x04) or ML-DSA-44 (0x06) cosigner key")
    signer = note.Signer.from_seed(name, raw[1:], alg=raw[0])
    if signer.verifier.key_id.hex() != hex_id:
        raise note.NoteError("key file id does not match its key")
    return signer


# --- State ------------------------------------------------------------------------------------


class WitnessState:
    """The witness's memory, one JSON file, replaced atomically (write, fsync, rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        if path.exists():
            self.data: dict[str, Any] = json.loads(path.read_text())
        else:
            self.data = {"logs": {}, "refusals": []}
            self.save()

    def save(self) -> None:
        """Atomically: write a temporary file, fsync it, rename it over, fsync the directory."""
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(tmp, "w") as f:
            json.dump(self.data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def latest(self, origin: str) -> tuple[int, bytes | None]:
        entry = self.data["logs"].get(origin)
        if not entry:
            return 0, None
        return entry["size"], base64.b64decode(entry["root"])

    def refuse(self, kind: str, origin: str, detail: str, checkpoint: str) -> None:
        self.data["refusals"].append(
            {
                "kind": kind,
                "origin": origin,
                "detail": detail,
                "checkpoint": checkpoint,
                "at": int(time.time()),
            }
        )
        self.data["refusals"] = self.data["refusals"][-1000:]
        self.save()


class Refused(Exception):
    def __init__(self, status: int, message: str, content_type: str = "text/plain; charset=utf-8"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.content_type = content_type


class Witness:
    """The decision logic, independent of HTTP so it is easy to test and to reason about."""

    def __init__(
        self, signer: note.Signer, log_keys: list[note.Verifier], state: WitnessState
    ) -> None:
        self.signer = signer
        self.logs = {k.name: k for k in log_keys}
        self.state = state

    def add_checkpoint(self, body: bytes) -> str:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "request is not UTF-8") from None
        head, sep, checkpoint_text = text.partition("\n\n")
        if not sep:
            raise Refused(400, "expected 'old N', proof lines, a blank line, then the checkpoint")
        lines = head.split("\n")
        if not lines[0].startswith("old ") or not lines[0][4:].isdigit():
            raise Refused(400, "first line must be 'old <size>'")
        old = int(lines[0][4:])
        try:
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except (binascii.Error, ValueError):
            raise Refused(400, "proof lines must be base64") from None
        if any(len(p) != merkle.HASH_SIZE for p in proof) or len(proof) > 63:
            raise Refused(400, "proof lines must be base64 32-byte hashes, at most 63 of them")
        try:
            signed = note.SignedNote.parse(checkpoint_text)
            cp = note.Checkpoint.parse(signed.body)
        except note.NoteError as exc:
            raise Refused(400, f"malformed checkpoint: {exc}") from None
        log_key = self.logs.get(cp.origin)
        if log_key is None:
            raise Refused(404, f"unknown log {cp.origin!r}")
        # Signatures by other keys are ignored; one valid signature by the log's key is needed.
        sig = signed.find(log_key)
        if sig is None or note.verify_signature(signed.body, sig, log_key) is None:
            raise Refused(403, "checkpoint is not signed by the log's key")
        if old > cp.size:
            with self.state.lock:
                size, _root = self.state.latest(cp.origin)
                if cp.size < size:  # a validly signed smaller tree: keep it as evidence
                    self.state.refuse(
                        "rollback", cp.origin, f"size {cp.size} < cosigned {size}", checkpoint_text
                    )
            raise Refused(
                400, f"rollback refused: old size {old} is above the checkpoint size {cp.size}"
            )

        with self.state.lock:
            size, root = self.state.latest(cp.origin)
            if old != size:
                raise Refused(409, f"{size}\n", "text/x.tlog.size")
            if cp.size < size:  # unreachable (old == size <= cp.size), kept as a guard
                raise Refused(400, f"rollback refused: checkpoint size {cp.size} is below {size}")
            if cp.size == size:
                if root != cp.root_hash:
                    self.state.refuse(
                        "fork", cp.origin, f"size {size} with a different root", checkpoint_text
                    )
                    raise Refused(409, f"{size}\n", "text/x.tlog.size")
                consistent = not proof
            elif size == 0:
                consistent = not proof
            else:
                assert root is not None
                consistent = merkle.verify_consistency(size, cp.size, proof, root, cp.root_hash)
            if not consistent:
                self.state.refuse(
                    "fork",
                    cp.origin,
                    f"no valid consistency proof from {size} to {cp.size}",
                    checkpoint_text,
                )
                raise Refused(
                    422, f"fork refused: checkpoint {cp.size} does not extend cosigned size {size}"
                )
            self.state.data["logs"][cp.origin] = {
                "size": cp.size,
                "root": base64.b64encode(cp.root_hash).decode(),
                "checkpoint": signed.body,
            }
            self.state.save()  # durable before we sign: never cosign something we could forget
        cosignature = note.cosign(signed.body, self.signer, int(time.time()))
        return cosignature.line()


def make_handler(witness: Witness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "accord-witness/1"

        def _send(
            self, status: int, body: str, content_type: str = "text/plain; charset=utf-8"
        ) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if self.path != "/add-checkpoint":
                self._send(404, "not found\n")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, "request too large\n")
                return
            try:
                line = witness.add_checkpoint(self.rfile.read(length))
            except Refused as exc:
                self._send(
                    exc.status,
                    exc.message if exc.message.endswith("\n") else exc.message + "\n",
                    exc.content_type,
                )
                return
            self._send(200, line)

        def do_GET(self) -> None:
            if self.path == "/state":
                with witness.state.lock:
                    body = json.dumps(
                        {
                            "name": witness.signer.name,
                            "vkey": witness.signer.verifier.vkey,
                            **witness.state.data,
                        },
                        ensure_ascii=False,
                    )
                self._send(200, body, "application/json")
                return
            self._send(404, "not found\n")

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write("witness: " + (format % args) + "\n")

    return Handler


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accord witness", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8910, help="0 picks a free port (printed)")
    parser.add_argument("--key-file", required=True, type=Path)
    parser.add_argument("--state", required=True, type=Path, help="the witness's state file (JSON)")
    parser.add_argument("--log-key", action="append", default=[], help="vkey of a log to witness")
    parser.add_argument("--name", help="witness name, to create --key-file if it does not exist")
    parser.add_argument(
        "--alg",
        choices=["ed25519", "ml-dsa-44"],
        default="ed25519",
        help="cosignature type of a new key: Ed25519 (0x04) or ML-DSA-44 (0x06, post-quantum)",
    )
    parser.add_argument("--print-vkey", action="store_true", help="print the witness vkey and exit")


def run(opts: argparse.Namespace, out=sys.stdout) -> None:
    if not opts.key_file.exists():
        if not opts.name:
            raise SystemExit("--key-file does not exist; give --name to create it")
        alg = note.ALG_COSIGNATURE_MLDSA44 if opts.alg == "ml-dsa-44" else note.ALG_COSIGNATURE_V1
        write_key_file(opts.key_file, opts.name, alg)
    signer = read_key_file(opts.key_file)
    if opts.print_vkey:
        out.write(signer.verifier.vkey + "\n")
        return
    if not opts.log_key:
        raise SystemExit("give at least one --log-key")
    log_keys = [note.Verifier.from_vkey(k) for k in opts.log_key]
    witness = Witness(signer, log_keys, WitnessState(opts.state))
    server = ThreadingHTTPServer((opts.host, opts.port), make_handler(witness))
    port = server.server_address[1]
    out.write(
        f"witness {signer.name} {signer.verifier.vkey} listening on http://{opts.host}:{port}\n"
    )
    out.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    run(build_parser().parse_args(argv))


if __name__ == "__main__":
    main()
