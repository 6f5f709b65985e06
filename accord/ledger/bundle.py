"""Proof bundles and their offline verification. Pure: standard library + ``cryptography``.

A proof bundle is everything needed to show, years later and without Accord's servers, that
an entry is in the ledger: the entry's exact bytes, its index, an RFC 9162 inclusion proof,
and the (cosigned) checkpoint the proof leads to. Any feature may embed it (a signed PDF's
attachment, an evidence report). :func:`verify_bundle` needs only the bundle and the public
keys -- the log's vkey and the witnesses' vkeys -- which are published in docs/ledger.md and at
``/ledger/keys``.

Format (JSON, ``"format": "accord-ledger-bundle/v1"``)::

    {
      "format": "accord-ledger-bundle/v1",
      "entry": {"index": 41, "data": "<base64 of the leaf bytes>"},
      "inclusion_proof": ["<base64 32-byte hash>", ...],
      "checkpoint": "<signed note text: body, log signature, cosignatures>",
      "disclosures": {"worker": {"salt": "<base64>", "value": "张三"}}   (optional)
    }

The tree size and root come from the signed checkpoint, never from unsigned fields.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from accord.ledger import merkle, note

BUNDLE_FORMAT = "accord-ledger-bundle/v1"


def commitment(salt: bytes, value: str) -> str:
    """Salted hash of a personal value, hex: SHA-256(salt || UTF-8 value). See entries.py."""
    return hashlib.sha256(salt + value.encode("utf-8")).hexdigest()


def check_disclosure(entry_body: dict[str, Any], field: str, salt_b64: str, value: str) -> bool:
    """True when (salt, value) opens the commitment the entry holds for ``field``."""
    committed = (entry_body.get("commitments") or {}).get(field)
    try:
        salt = base64.b64decode(salt_b64, validate=True)
    except (ValueError, TypeError):
        return False
    return isinstance(committed, str) and commitment(salt, value) == committed


class BundleError(ValueError):
    """Why a bundle does not verify; ``code`` is stable (``ledger.bundle_*``) for CLIs and APIs."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class VerifiedEntry:
    """What a valid bundle proves."""

    index: int
    data: bytes
    body: dict[str, Any]
    tree_size: int
    root_hash: bytes
    origin: str
    cosigned_by: dict[str, int]  # witness name -> cosignature time (POSIX)
    disclosed: dict[str, str] = field(default_factory=dict)


def make_bundle(
    index: int,
    data: bytes,
    proof: list[bytes],
    checkpoint_text: str,
    disclosures: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "entry": {"index": index, "data": base64.b64encode(data).decode()},
        "inclusion_proof": [base64.b64encode(p).decode() for p in proof],
        "checkpoint": checkpoint_text,
    }
    if disclosures:
        bundle["disclosures"] = disclosures
    return bundle


def _malformed(what: str) -> BundleError:
    return BundleError(
        "ledger.bundle_malformed", f"证明包格式错误：{what}", f"Malformed bundle: {what}"
    )


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise _malformed(what)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _malformed(what) from None


def verify_bundle(
    bundle: dict[str, Any] | str | bytes,
    log_key: str,
    witness_keys: list[str] | tuple[str, ...] = (),
    quorum: int | None = None,
) -> VerifiedEntry:
    """Check a bundle offline; return what it proves or raise BundleError saying why not.

    ``log_key`` and ``witness_keys`` are signed-note vkeys. ``quorum`` is how many of the
    witnesses must have cosigned the checkpoint (default: all of those given) -- the defence
    against a log showing different histories to different people (a split view).
    """
    if isinstance(bundle, (str, bytes)):
        try:
            bundle = json.loads(bundle)
        except (ValueError, UnicodeDecodeError):
            raise _malformed("not JSON") from None
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise _malformed(f"format must be {BUNDLE_FORMAT}")
    entry = bundle.get("entry")
    if not isinstance(entry, dict):
        raise _malformed("entry")
    index = entry.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise _malformed("entry.index")
    data = _b64(entry.get("data"), "entry.data")
    raw_proof = bundle.get("inclusion_proof")
    if not isinstance(raw_proof, list) or len(raw_proof) > 64:
        raise _malformed("inclusion_proof")
    proof = [_b64(p, "inclusion_proof") for p in raw_proof]
    text = bundle.get("checkpoint")
    if not isinstance(text, str):
        raise _malformed("checkpoint")

    try:
        log_verifier = note.Verifier.from_vkey(log_key)
        witnesses = [note.Verifier.from_vkey(k) for k in witness_keys]
    except note.NoteError as exc:
        raise BundleError(
            "ledger.bad_public_key", "公钥格式错误。", f"Bad public key: {exc}"
        ) from None
    try:
        checkpoint, signed = note.open_checkpoint(text, log_verifier)
    except note.NoteError as exc:
        raise BundleError(
            "ledger.bundle_bad_checkpoint",
            "检查点签名无效，或不是该日志的检查点。",
            f"The checkpoint does not verify with the log key: {exc}",
        ) from None
    cosigned = note.valid_cosigners(signed, witnesses)
    needed = len(witnesses) if quorum is None else quorum
    if len(cosigned) < needed:
        raise BundleError(
            "ledger.bundle_not_witnessed",
            f"检查点的见证签名不足（{len(cosigned)}/{needed}）。",
            f"The checkpoint has {len(cosigned)} valid witness cosignatures; {needed} required.",
        )
    leaf = merkle.leaf_hash(data)
    if not merkle.verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root_hash):
        raise BundleError(
            "ledger.bundle_not_included",
            "包含证明无效：该条目不在检查点所示的日志中。",
            "The inclusion proof does not lead from the entry to the checkpoint's root.",
        )
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        body = {}
    disclosed: dict[str, str] = {}
    disclosures = bundle.get("disclosures") or {}
    if not isinstance(disclosures, dict):
        raise _malformed("disclosures")
    for name, item in disclosures.items():
        if not (isinstance(item, dict) and isinstance(item.get("value"), str)):
            raise _malformed("disclosures")
        if not check_disclosure(body, name, item.get("salt", ""), item["value"]):
            raise BundleError(
                "ledger.bundle_bad_disclosure",
                f"披露的字段“{name}”与条目中的加盐哈希不符。",
                f"The disclosed value of {name!r} does not match the entry's salted hash.",
            )
        disclosed[name] = item["value"]
    return VerifiedEntry(
        index=index,
        data=data,
        body=body if isinstance(body, dict) else {},
        tree_size=checkpoint.size,
        root_hash=checkpoint.root_hash,
        origin=checkpoint.origin,
        cosigned_by=cosigned,
        disclosed=disclosed,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m accord.ledger.bundle BUNDLE.json --log-key VKEY [--witness-key VKEY ...]``.

    Needs no Django, no database and no network: the auditor's verifier.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m accord.ledger.bundle", description=main.__doc__
    )
    parser.add_argument("bundle")
    parser.add_argument("--log-key", required=True)
    parser.add_argument("--witness-key", action="append", default=[])
    parser.add_argument("--quorum", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        with open(args.bundle, encoding="utf-8") as f:
            text = f.read()
        result = verify_bundle(text, args.log_key, args.witness_key, args.quorum)
    except (OSError, BundleError) as exc:
        code = getattr(exc, "code", "ledger.bundle_unreadable")
        print(f"FAILED {code}: {exc}", file=sys.stderr)
        return 1
    print(
        json.dumps(
            {
                "ok": True,
                "index": result.index,
                "tree_size": result.tree_size,
                "origin": result.origin,
                "root_hash": base64.b64encode(result.root_hash).decode(),
                "cosigned_by": result.cosigned_by,
                "entry": result.body,
                "disclosed": result.disclosed,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
