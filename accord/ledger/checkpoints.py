"""The log's key, its signed checkpoints, and the witnesses' cosignatures.

The log key is an Ed25519 key held like every other key in Accord: its seed is stored only
encrypted with the data key (``accord.core.crypto``; AES-256-GCM, key from settings) and is
decrypted in the process that signs. The checkpoint origin, which is also the key's name,
comes from ``ACCORD_LEDGER_ORIGIN``.

Witnessing follows C2SP tlog-witness: the log POSTs ``/add-checkpoint`` with the size the
witness last cosigned (``old N``), a consistency proof from that size, and the new signed
checkpoint; the witness answers with its cosignature line, 409 with its own size when the log
guessed the old size wrong (or holds another root for that very size), or refuses (422 bad
proof = fork, 400 rollback, 404 unknown log, 403 bad signature). The log keeps every
cosignature and every refusal.
"""

from __future__ import annotations

import base64
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accord.core import crypto
from accord.ledger import note
from accord.ledger.errors import NO_CHECKPOINT
from accord.ledger.models import Checkpoint, Cosignature, LogKey, Witness, WitnessRefusal

log = logging.getLogger(__name__)

INSERT_CHECKPOINT = f"INSERT INTO {Checkpoint._meta.db_table} (tree_size, root_hash, note, created_at) VALUES (%s, %s, %s, %s) RETURNING id"  # noqa: S608 -- fixed table name
DEFAULT_ORIGIN = "accord.futian.example/ledger"
WITNESS_TIMEOUT_SECONDS = 5


def origin() -> str:
    """The checkpoint origin line: a schema-less URL naming this log (tlog-checkpoint)."""
    return getattr(settings, "ACCORD_LEDGER_ORIGIN", DEFAULT_ORIGIN)


@lru_cache(maxsize=8)
def _signer_from(name: str, stored: str) -> note.Signer:
    return note.Signer.from_seed(name, base64.b64decode(crypto.decrypt(stored)))


def log_signer() -> note.Signer:
    """The log's signer; the key is generated (and stored encrypted) the first time it is needed.

    Read with one raw query on every call (it is on the append path of every batch) and
    decrypted once per process: the cache is keyed by the stored ciphertext, so a new key row
    is never shadowed by an old one.
    """
    name = origin()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT private_key FROM {LogKey._meta.db_table} WHERE name = %s",  # noqa: S608
            [name],
        )
        row = cursor.fetchone()
    if row is None:
        signer = note.Signer.generate(name)
        try:
            with transaction.atomic():
                LogKey.objects.create(
                    name=name,
                    vkey=signer.verifier.vkey,
                    private_key=base64.b64encode(signer.seed).decode(),
                )
        except IntegrityError:  # another process created it first: use theirs
            pass
        return log_signer()
    return _signer_from(name, row[0])


def log_verifier() -> note.Verifier:
    return log_signer().verifier


def witness_verifiers() -> list[note.Verifier]:
    return [note.Verifier.from_vkey(w.vkey) for w in Witness.objects.filter(active=True)]


def sign_checkpoint(tree_size: int, root_hash: bytes, *, new: bool = False) -> Checkpoint:
    """Sign and store the checkpoint for ``tree_size`` (once per size: the row is history).

    Raw SQL: this runs inside every append batch, where the ORM's overhead would dominate.
    ``new`` skips the look-up when the caller has just grown the tree under the sequencer lock
    (the unique constraint on the size still guards it).
    """
    table = Checkpoint._meta.db_table
    if new:
        return _insert_checkpoint(tree_size, root_hash)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, root_hash, note, created_at FROM {table} WHERE tree_size = %s",  # noqa: S608
            [tree_size],
        )
        row = cursor.fetchone()
    if row is not None:
        if bytes(row[1]) != root_hash:
            raise RuntimeError(
                f"tree size {tree_size} already has a different root: refusing to fork"
            )
        existing = Checkpoint(id=row[0], tree_size=tree_size, root_hash=bytes(row[1]), note=row[2])
        existing._state.adding = False
        return existing
    return _insert_checkpoint(tree_size, root_hash)


def _insert_checkpoint(tree_size: int, root_hash: bytes) -> Checkpoint:
    signer = log_signer()
    body = note.Checkpoint(signer.name, tree_size, root_hash).body()
    text = note.SignedNote(body, (note.sign_note(body, signer),)).text()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_CHECKPOINT,
            [tree_size, root_hash, text, connection.ops.adapt_datetimefield_value(now)],
        )
        (new_id,) = cursor.fetchone()
    cp = Checkpoint(id=new_id, tree_size=tree_size, root_hash=root_hash, note=text, created_at=now)
    cp._state.adding = False  # it is stored; AppendOnlyModel must not try to save it again
    return cp


def latest_checkpoint() -> Checkpoint:
    cp = Checkpoint.objects.order_by("-tree_size").first()
    if cp is None:
        raise NO_CHECKPOINT()
    return cp


def cosigned_text(cp: Checkpoint) -> str:
    """The checkpoint note with the log's signature and every witness cosignature collected."""
    lines = [c.line for c in cp.cosignatures.order_by("witness_name")]
    return cp.note + "".join(lines)


# --- Asking witnesses -----------------------------------------------------------------------


@dataclass
class WitnessOutcome:
    witness: str
    ok: bool
    status: int
    detail: str = ""


def _post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 -- witness URLs are configured by the operator
        url.rstrip("/") + "/add-checkpoint",
        data=body,
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=WITNESS_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(exc).encode()


def add_checkpoint_request(old_size: int, proof: list[bytes], checkpoint_note: str) -> bytes:
    """The tlog-witness add-checkpoint body: ``old N``, the proof lines, a blank line, the note."""
    lines = [f"old {old_size}", *(base64.b64encode(p).decode() for p in proof)]
    return ("\n".join(lines) + "\n\n" + checkpoint_note).encode()


def collect_cosignatures(cp: Checkpoint | None = None) -> list[WitnessOutcome]:
    """Ask every active witness to cosign ``cp`` (the latest by default); store what they say.

    Runs outside the sequencer's transaction: a slow witness must not hold up appends.
    """
    from accord.ledger import storage

    cp = cp or latest_checkpoint()
    outcomes = []
    for witness in Witness.objects.filter(active=True).order_by("name"):
        if cp.cosignatures.filter(witness_name=witness.name).exists():
            outcomes.append(WitnessOutcome(witness.name, True, 200, "already cosigned"))
            continue
        verifier = note.Verifier.from_vkey(witness.vkey)
        old = _last_cosigned_size(witness.name)
        status, answer = 0, b""
        for _attempt in range(2):  # a 409 tells us the witness's real size: one retry with it
            if old > cp.tree_size:
                status, answer = 409, str(old).encode()
                break
            proof = storage.consistency_proof(old, cp.tree_size) if 0 < old < cp.tree_size else []
            status, answer = _post(witness.url, add_checkpoint_request(old, proof, cp.note))
            if status == 409 and answer.strip().isdigit() and int(answer.strip()) != old:
                old = int(answer.strip())
                continue
            break
        text = answer.decode("utf-8", "replace")
        if status == 409 and text.strip() == str(old) and old == cp.tree_size:
            text = f"{text.strip()}: the witness holds another root for this size (a fork)"
        outcome = _record(cp, witness.name, verifier, status, text)
        outcomes.append(outcome)
    return outcomes


def _last_cosigned_size(witness_name: str) -> int:
    last = (
        Cosignature.objects.filter(witness_name=witness_name)
        .order_by("-checkpoint__tree_size")
        .values_list("checkpoint__tree_size", flat=True)
        .first()
    )
    return last or 0


def _record(
    cp: Checkpoint, witness_name: str, verifier: note.Verifier, status: int, text: str
) -> WitnessOutcome:
    if status == 200:
        body = note.SignedNote.parse(cp.note).body
        for line in text.splitlines():
            try:
                parsed = note.SignedNote.parse(body + "\n" + line + "\n")
            except note.NoteError:
                continue
            sig = parsed.find(verifier)
            if sig is None:
                continue
            timestamp = note.verify_signature(body, sig, verifier)
            if timestamp is None:
                continue
            Cosignature.objects.get_or_create(
                checkpoint=cp,
                witness_name=witness_name,
                defaults={"line": sig.line(), "timestamp": timestamp},
            )
            return WitnessOutcome(witness_name, True, status)
        detail = "answer carried no valid cosignature"
    else:
        detail = text[:2000]
    WitnessRefusal.objects.create(
        witness_name=witness_name, tree_size=cp.tree_size, status=status, detail=detail
    )
    log.warning(
        "witness %s refused checkpoint %s: %s %s", witness_name, cp.tree_size, status, detail
    )
    return WitnessOutcome(witness_name, False, status, detail)


def now() -> int:
    return int(time.time())
