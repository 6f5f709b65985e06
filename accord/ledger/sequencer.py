"""Grouped appends: callers hand entries to a sequencer that commits them together.

The sequencer is what every writer of the ledger goes through (``services.record``). It takes
single entries from many concurrent callers -- threads of one process, or web processes and
task workers over a Unix socket -- and commits them in batches: up to ``max_batch`` entries
(N), waiting at most ``max_delay_ms`` (T) for a batch to fill, in ONE transaction with the
bundles, tiles and (when due) the signed checkpoint. Each caller gets its entry's index once
the batch is durable, and, when it asks, once a signed checkpoint includes it.

* **Group commit.** With T = 0 (the default) a batch is whatever arrived while the previous
  one was committing: a lone caller is committed at once, many callers share a transaction.
* **Deduplication by leaf hash**: an entry already in the log (or waiting in the queue) gets
  the index it already has, nothing is appended twice (Tessera's behaviour). The sequencer
  checks its queue, the entries of the not-yet-indexed tail it holds in memory, and the
  look-up index.
* **Back-pressure**: more than ``max_pending`` entries waiting -> ``ledger.sequencer_busy``
  (429); the caller may retry, nothing was written.
* **Checkpoints** are signed with a batch when ``checkpoint_interval_ms`` has passed since the
  last one or a caller in the batch waits for one, else by a timer once the interval is up.
* **Crash safety** is the storage's: a batch is one transaction, so kill -9 at any moment
  leaves whole batches only (tests/ledger/test_sequencer.py kills the sequencer process under
  load). An entry is acknowledged only after its commit.
* **The caller's transaction is not involved**: the batch commits on the sequencer's own
  connection, so the ledger lock is held for the batch only, never until a caller commits.

Modes (setting ``ACCORD_LEDGER_SEQUENCER``): ``auto`` -- the sequencer process on the socket
``ACCORD_LEDGER_SOCKET`` when it runs (``accord ledger sequencer``), else a sequencer thread in
this process; ``socket`` -- the process only (429, retry, when it is down); ``thread``; ``inline`` --
append in the caller's own connection and transaction (tests and one-off scripts).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import socketserver
import struct
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from accord.core.errors import AccordError
from accord.ledger import index as lookup
from accord.ledger import merkle, storage
from accord.ledger.entries import PreparedEntry
from accord.ledger.errors import ENTRY_REJECTED, SEQUENCER_BUSY, SEQUENCER_UNAVAILABLE

log = logging.getLogger(__name__)

RECENT_CAP = 200_000
INDEX_EVERY = 16_384  # entries of tail that make the indexer run
INDEX_IDLE_SECONDS = 2.0


@dataclass
class _Ticket:
    item: PreparedEntry
    leaf_hash: bytes
    want_checkpoint: bool
    index: int | None = None
    error: BaseException | None = None
    done: bool = False
    at: float = field(default_factory=time.monotonic)


class Batcher:
    """The in-process sequencer: a queue, one integrating thread, one indexing thread."""

    def __init__(
        self,
        *,
        max_batch: int = 256,
        max_delay_ms: float = 0.0,
        checkpoint_interval_ms: float = 100.0,
        max_pending: int = 20_000,
        index_in_background: bool = True,
    ) -> None:
        self.max_batch = max_batch
        self.max_delay = max_delay_ms / 1000
        self.checkpoint_interval = checkpoint_interval_ms / 1000
        self.max_pending = max_pending
        self.cond = threading.Condition()
        self.pending: list[_Ticket] = []
        self.queued: dict[bytes, _Ticket] = {}
        self.recent: OrderedDict[bytes, int] = OrderedDict()
        self.committed_size = 0
        self.checkpointed_size = 0
        self.indexed_size = 0
        self.last_checkpoint = 0.0
        self.stopping = False
        self.started = threading.Event()
        self.failure: BaseException | None = None
        self.batches = 0
        self.thread = threading.Thread(target=self._run, name="ledger-sequencer", daemon=True)
        self.indexer = (
            threading.Thread(target=self._index_loop, name="ledger-indexer", daemon=True)
            if index_in_background
            else None
        )

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> Batcher:
        self.thread.start()
        self.started.wait()
        if self.failure is not None:
            raise self.failure
        if self.indexer is not None:
            self.indexer.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        self.thread.join(timeout=30)
        if self.indexer is not None and self.indexer.is_alive():
            self.indexer.join(timeout=30)

    def _load(self) -> None:
        """Sign a checkpoint missing after a crash; hold the unindexed tail in memory."""
        storage.sign_latest()
        size = storage.tree_size()
        self.committed_size = self.checkpointed_size = size
        self.indexed_size = min(lookup.indexed_size(), size)
        for offset, h in enumerate(lookup.level0_hashes(self.indexed_size, size)):
            self.recent.setdefault(h, self.indexed_size + offset)
        self.last_checkpoint = time.monotonic()

    # -- callers ---------------------------------------------------------------------------

    def submit(
        self, item: PreparedEntry, *, wait_checkpoint: bool = False, timeout: float = 60.0
    ) -> int:
        h = merkle.leaf_hash(item.data)
        deadline = time.monotonic() + timeout
        with self.cond:
            if self.failure is not None or self.stopping:
                raise SEQUENCER_UNAVAILABLE()
            known = self.recent.get(h)
            if known is not None:
                index = known
            else:
                ticket = self.queued.get(h)
                if ticket is None:
                    if len(self.pending) >= self.max_pending:
                        raise SEQUENCER_BUSY()
                    ticket = _Ticket(item, h, wait_checkpoint)
                    self.pending.append(ticket)
                    self.queued[h] = ticket
                    self.cond.notify_all()
                elif wait_checkpoint:
                    ticket.want_checkpoint = True
                while not ticket.done:
                    if not self.cond.wait(max(0.0, deadline - time.monotonic())):
                        raise SEQUENCER_UNAVAILABLE()
                if ticket.error is not None:
                    raise ticket.error
                assert ticket.index is not None
                index = ticket.index
            if wait_checkpoint:
                while self.checkpointed_size <= index:
                    if self.failure is not None:
                        raise SEQUENCER_UNAVAILABLE()
                    if not self.cond.wait(max(0.0, deadline - time.monotonic())):
                        raise SEQUENCER_UNAVAILABLE()
            return index

    # -- the integrating thread --------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._load()
        except BaseException as exc:
            self.failure = exc
            self.started.set()
            return
        self.started.set()
        try:
            while True:
                with self.cond:
                    batch = self._next_batch()
                    if batch is None:
                        return
                if batch:
                    self._commit(batch)
                else:
                    self._checkpoint_if_due()
        except BaseException as exc:
            log.exception("ledger sequencer stopped")
            with self.cond:
                self.failure = exc
                for t in self.pending:
                    t.error, t.done = SEQUENCER_UNAVAILABLE(), True
                self.cond.notify_all()
        finally:
            connection.close()

    def _next_batch(self) -> list[_Ticket] | None:
        """Called with the condition held: wait for work; [] means "sign a checkpoint now"."""
        while not self.pending:
            if self.stopping:
                return None
            if self.checkpointed_size < self.committed_size:
                remaining = self.last_checkpoint + self.checkpoint_interval - time.monotonic()
                if remaining <= 0:
                    return []
                self.cond.wait(remaining)
            else:
                self.cond.wait()
        if self.max_delay and len(self.pending) < self.max_batch:
            until = self.pending[0].at + self.max_delay
            while len(self.pending) < self.max_batch and not self.stopping:
                remaining = until - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(remaining)
        batch = self.pending[: self.max_batch]
        del self.pending[: self.max_batch]
        return batch

    def _checkpoint_if_due(self) -> None:
        cp = storage.sign_latest()
        with self.cond:
            if cp is not None:
                self.checkpointed_size = max(self.checkpointed_size, cp.tree_size)
            else:
                self.checkpointed_size = self.committed_size
            self.last_checkpoint = time.monotonic()
            self.cond.notify_all()

    def _commit(self, batch: list[_Ticket]) -> None:
        hashes = [t.leaf_hash for t in batch]
        existing: dict[bytes, int] = {}
        if self.indexed_size:
            for h, hits in lookup.candidates_many(lookup.KIND_LEAF, hashes).items():
                for index in hits:
                    if index < self.indexed_size and lookup.level0_hashes(index, index + 1) == [h]:
                        existing[h] = index
                        break
        fresh = [t for t in batch if t.leaf_hash not in existing]
        due = time.monotonic() - self.last_checkpoint >= self.checkpoint_interval or any(
            t.want_checkpoint for t in fresh
        )
        result = None
        error: BaseException | None = None
        try:
            if fresh:
                result = storage.append([t.item for t in fresh], checkpoint=due)
        except BaseException as exc:
            error = exc
        with self.cond:
            offsets = {id(t): offset for offset, t in enumerate(fresh)}
            for t in batch:
                self.queued.pop(t.leaf_hash, None)
                if t.leaf_hash in existing:
                    t.index = existing[t.leaf_hash]
                elif error is not None:
                    t.error = error
                else:
                    assert result is not None
                    t.index = result.first_index + offsets[id(t)]
                    self.recent[t.leaf_hash] = t.index
                t.done = True
            if result is not None:
                self.committed_size = result.tree_size
                if result.checkpoint is not None:
                    self.checkpointed_size = result.tree_size
                    self.last_checkpoint = time.monotonic()
                self._trim_recent()
            self.batches += 1
            self.cond.notify_all()
        if error is not None and not isinstance(error, Exception):
            raise error

    def _trim_recent(self) -> None:
        while len(self.recent) > RECENT_CAP:
            _h, index = next(iter(self.recent.items()))
            if index >= self.indexed_size:
                break
            self.recent.popitem(last=False)

    # -- the indexing thread ---------------------------------------------------------------

    def _index_loop(self) -> None:
        try:
            while True:
                with self.cond:
                    if self.stopping:
                        return
                    tail = self.committed_size - self.indexed_size
                    if tail < INDEX_EVERY:
                        self.cond.wait(INDEX_IDLE_SECONDS)
                        tail = self.committed_size - self.indexed_size
                        if self.stopping:
                            return
                        if tail <= 0 or (tail < INDEX_EVERY and self.pending):
                            continue
                try:
                    done = storage.catch_up_index()
                except Exception:
                    log.exception("ledger indexer run failed")
                    time.sleep(INDEX_IDLE_SECONDS)
                    continue
                with self.cond:
                    self.indexed_size = max(self.indexed_size, done)
                    self._trim_recent()
        finally:
            connection.close()


# --- Choosing the sequencer of this process ----------------------------------------------------

_local = threading.local()
_batcher: Batcher | None = None
_batcher_lock = threading.Lock()


def socket_path() -> Path:
    configured = getattr(settings, "ACCORD_LEDGER_SOCKET", "")
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "ledger-sequencer.sock"


def local_batcher() -> Batcher:
    """The sequencer thread of this process, started on first use."""
    global _batcher
    with _batcher_lock:
        if _batcher is None or _batcher.failure is not None or _batcher.stopping:
            _batcher = Batcher(**batcher_options()).start()
        return _batcher


def batcher_options() -> dict:
    return {
        "max_batch": int(getattr(settings, "ACCORD_LEDGER_BATCH_MAX", 256)),
        "max_delay_ms": float(getattr(settings, "ACCORD_LEDGER_BATCH_DELAY_MS", 0)),
        "checkpoint_interval_ms": float(getattr(settings, "ACCORD_LEDGER_CHECKPOINT_MS", 100)),
        "max_pending": int(getattr(settings, "ACCORD_LEDGER_MAX_PENDING", 20_000)),
    }


def submit(item: PreparedEntry, *, wait_checkpoint: bool = True) -> int:
    """Append one entry through this process's sequencer; returns its index once durable."""
    mode = getattr(settings, "ACCORD_LEDGER_SEQUENCER", "auto")
    if mode == "inline":
        existing = lookup.find_leaf(merkle.leaf_hash(item.data), storage.tree_size())
        if existing is not None:
            return existing
        return storage.append([item]).first_index
    if mode in ("auto", "socket"):
        try:
            return _client().submit(item, wait_checkpoint=wait_checkpoint)
        except (FileNotFoundError, ConnectionRefusedError):
            if mode == "socket":
                raise SEQUENCER_UNAVAILABLE() from None
    return local_batcher().submit(item, wait_checkpoint=wait_checkpoint)


# --- The sequencer process and its socket protocol ------------------------------------------------
#
# A request: u32 length, then u8 flags (1 = wait for the checkpoint), u8 kind length, kind,
# u32 data length, data, and the disclosures as JSON (the rest). A reply: u8 status (0 ok,
# 1 busy, 2 unavailable, 3 rejected), u64 index, then a UTF-8 message.

_REQ = struct.Struct(">IBB")
_REPLY = struct.Struct(">BQ")


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(n - got)
        if not chunk:
            raise ConnectionResetError("sequencer closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def encode_request(item: PreparedEntry, wait_checkpoint: bool) -> bytes:
    kind = item.kind.encode()
    disclosures = json.dumps(item.disclosures).encode() if item.disclosures else b""
    body = (
        bytes([1 if wait_checkpoint else 0, len(kind)])
        + kind
        + len(item.data).to_bytes(4, "big")
        + item.data
        + disclosures
    )
    return len(body).to_bytes(4, "big") + body


def decode_request(body: bytes) -> tuple[PreparedEntry, bool]:
    flags, klen = body[0], body[1]
    kind = body[2 : 2 + klen].decode()
    at = 2 + klen
    dlen = int.from_bytes(body[at : at + 4], "big")
    data = body[at + 4 : at + 4 + dlen]
    rest = body[at + 4 + dlen :]
    return PreparedEntry(kind, bytes(data), json.loads(rest) if rest else {}), bool(flags & 1)


class SocketClient:
    """One persistent connection per thread to the sequencer process."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(str(path))
        except OSError:
            self.sock.close()
            raise

    def submit(self, item: PreparedEntry, *, wait_checkpoint: bool = False) -> int:
        try:
            self.sock.sendall(encode_request(item, wait_checkpoint))
            length = int.from_bytes(_recv_exact(self.sock, 4), "big")
            reply = _recv_exact(self.sock, length)
        except OSError:
            self.close()
            raise SEQUENCER_UNAVAILABLE() from None
        status, index = _REPLY.unpack_from(reply)
        if status == 0:
            return index
        if status == 1:
            raise SEQUENCER_BUSY()
        if status == 3:
            raise ENTRY_REJECTED("entries", reason=reply[9:].decode("utf-8", "replace")[:500])
        raise SEQUENCER_UNAVAILABLE()

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            if getattr(_local, "client", None) is self:
                _local.client = None


def _client() -> SocketClient:
    client = getattr(_local, "client", None)
    if client is None:
        client = SocketClient(socket_path())
        _local.client = client
    return client


def serve(path: Path, batcher: Batcher, ready=None) -> None:
    """Run the sequencer process: accept connections on ``path`` until interrupted."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock = self.request
            while True:
                try:
                    length = int.from_bytes(_recv_exact(sock, 4), "big")
                    body = _recv_exact(sock, length)
                except (ConnectionResetError, OSError):
                    return
                message = b""
                index = 0
                try:
                    item, wait = decode_request(body)
                    index = batcher.submit(item, wait_checkpoint=wait)
                    status = 0
                except AccordError as exc:
                    status = 1 if exc.code == "ledger.sequencer_busy" else 3
                    if exc.code == "ledger.sequencer_unavailable":
                        status = 2
                    message = exc.message_en.encode()
                except Exception as exc:
                    log.exception("ledger sequencer request failed")
                    status, message = 2, str(exc).encode()[:500]
                reply = _REPLY.pack(status, index) + message
                try:
                    sock.sendall(len(reply).to_bytes(4, "big") + reply)
                except OSError:
                    return

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True
        request_queue_size = 128

    if path.exists():
        path.unlink()
    server = Server(str(path), Handler)
    os.chmod(path, 0o660)
    if ready:
        ready()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        batcher.stop()
        if path.exists():
            path.unlink()
