"""Checkpoints, signed notes and cosignatures (C2SP tlog-checkpoint, signed-note, tlog-cosignature).

No Django: an auditor verifies a checkpoint with this module, ``merkle.py`` and the public keys.

* tlog-checkpoint: the note body is ``<origin>\\n<tree size>\\n<base64 root hash>\\n``
  followed by optional extension lines.
* signed-note: the body, a blank line, then one line per signature,
  ``— <key name> base64(4-byte key ID || signature)``. For Ed25519 the key ID is
  ``SHA-256(name || "\\n" || 0x01 || public key)[:4]``; the public key travels as a *vkey*
  ``<name>+<hex key ID>+base64(0x01 || public key)``.
* tlog-cosignature/v1 (witnesses): signature type 0x04, key ID computed with 0x04, the
  signature is ``u64 timestamp || Ed25519 signature`` over
  ``"cosignature/v1\\ntime <timestamp>\\n" || checkpoint body``.

Why signed notes instead of JSON with a signature field: the signed bytes are the text a human
reads, there is no canonicalisation to get wrong, and the Go/Sigstore tooling reads them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.ledger.merkle import HASH_SIZE

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
ALG_COSIGNATURE_MLDSA44 = 0x06  # tlog-cosignature, ML-DSA-44 (FIPS 204), post-quantum
MLDSA44_PUBLIC_KEY = 1312
MLDSA44_SIGNATURE = 2420
COSIGNER_ALGS = (ALG_COSIGNATURE_V1, ALG_COSIGNATURE_MLDSA44)
SIGNATURE_DASH = "\u2014"  # — EM DASH, as signed-note requires
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note, checkpoint, key or cosignature that is malformed or does not verify."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise NoteError(f"not valid base64: {text[:40]!r}") from exc


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """signed-note key ID: the first 4 bytes of SHA-256(name || "\\n" || alg || key)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A public key as signed-note names it: who, which algorithm, which key."""

    name: str
    alg: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.alg, self.public_key)

    @property
    def vkey(self) -> str:
        """The signed-note verifier key string, safe to publish and to paste into configs."""
        return f"{self.name}+{self.key_id.hex()}+{_b64(bytes([self.alg]) + self.public_key)}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        # The base64 key may itself contain '+': split only at the first two.
        name, _, rest = vkey.strip().partition("+")
        hex_id, _, b64 = rest.partition("+")
        if not b64 or len(hex_id) != 8:
            raise NoteError("a verifier key is <name>+<hex key id>+<base64 key>")
        _check_name(name)
        raw = _unb64(b64)
        sizes = {
            ALG_ED25519: 32,
            ALG_COSIGNATURE_V1: 32,
            ALG_COSIGNATURE_MLDSA44: MLDSA44_PUBLIC_KEY,
        }
        if not raw or sizes.get(raw[0]) != len(raw) - 1:
            raise NoteError(
                "only Ed25519 (0x01), cosignature/v1 (0x04) and ML-DSA-44 cosigner (0x06) keys "
                "are supported"
            )
        verifier = cls(name, raw[0], raw[1:])
        if verifier.key_id.hex() != hex_id.lower():
            raise NoteError("verifier key id does not match its name and key")
        return verifier

    def _ed25519(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key)

    def _mldsa44(self):
        from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PublicKey

        return MLDSA44PublicKey.from_public_bytes(self.public_key)


@dataclass(frozen=True)
class Signer:
    """A private Ed25519 key with its signed-note name. Keep it inside the log or witness."""

    name: str
    private_key: Ed25519PrivateKey
    alg: int = ALG_ED25519

    @classmethod
    def generate(cls, name: str, alg: int = ALG_ED25519) -> Signer:
        _check_name(name)
        if alg == ALG_COSIGNATURE_MLDSA44:
            from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PrivateKey

            return cls(name, MLDSA44PrivateKey.generate(), alg)  # type: ignore[arg-type]
        return cls(name, Ed25519PrivateKey.generate(), alg)

    @classmethod
    def from_seed(cls, name: str, seed: bytes, alg: int = ALG_ED25519) -> Signer:
        """An Ed25519 key from its 32-byte seed, or an ML-DSA-44 key from its 32-byte seed."""
        _check_name(name)
        if alg == ALG_COSIGNATURE_MLDSA44:
            from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PrivateKey

            return cls(name, MLDSA44PrivateKey.from_seed_bytes(seed), alg)  # type: ignore[arg-type]
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed), alg)

    @property
    def seed(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        if self.alg == ALG_COSIGNATURE_MLDSA44:
            return self.private_key.private_bytes_raw()
        return self.private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    @property
    def verifier(self) -> Verifier:
        from cryptography.hazmat.primitives import serialization

        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return Verifier(self.name, self.alg, public)


# --- Checkpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """The log's state: origin, size, root (tlog-checkpoint), plus any extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        if not self.origin or "\n" in self.origin:
            raise NoteError("checkpoint origin must be one non-empty line")
        lines = [self.origin, str(self.size), _b64(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        if not body.endswith("\n"):
            raise NoteError("a checkpoint body ends with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("a checkpoint has an origin, a size and a root hash line")
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise NoteError("checkpoint origin line is empty")
        if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
            raise NoteError("checkpoint size must be a decimal number without leading zeroes")
        root = _unb64(root_text)
        if len(root) != HASH_SIZE:
            raise NoteError("checkpoint root hash must be 32 bytes")
        if any(not line for line in extensions):
            raise NoteError("checkpoint extension lines must not be empty")
        return cls(origin, int(size_text), root, tuple(extensions))


# --- Signed notes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes  # after the key ID: Ed25519 sig, or timestamp || sig for cosignatures

    def line(self) -> str:
        return f"{SIGNATURE_DASH} {self.name} {_b64(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class SignedNote:
    body: str
    signatures: tuple[NoteSignature, ...]

    def text(self) -> str:
        return self.body + "\n" + "".join(s.line() for s in self.signatures)

    @classmethod
    def parse(cls, text: str) -> SignedNote:
        """Split a signed note into its body and signature lines (signed-note §Format)."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise NoteError("a signed note ends with a newline")
        for c in text:
            if c != "\n" and (ord(c) < 0x20 or ord(c) == 0x7F):
                raise NoteError("a signed note must not contain control characters")
        cut = text.rfind("\n\n")
        if cut < 0:
            raise NoteError("a signed note has a blank line before its signatures")
        body, sig_block = text[: cut + 1], text[cut + 2 :]
        signatures = []
        for line in sig_block[:-1].split("\n") if sig_block else []:
            prefix = SIGNATURE_DASH + " "
            if not line.startswith(prefix):
                raise NoteError("a signature line starts with '— '")
            name, sep, b64 = line[len(prefix) :].rpartition(" ")
            if not sep:
                raise NoteError("a signature line is '— <name> <base64>'")
            _check_name(name)
            raw = _unb64(b64)
            if len(raw) < 5:
                raise NoteError("signature too short")
            signatures.append(NoteSignature(name, raw[:4], raw[4:]))
        if not signatures:
            raise NoteError("a signed note has at least one signature")
        if len(signatures) > MAX_SIGNATURES:
            raise NoteError("too many signatures")
        return cls(body, tuple(signatures))

    def find(self, verifier: Verifier) -> NoteSignature | None:
        for sig in self.signatures:
            if sig.name == verifier.name and sig.key_id == verifier.key_id:
                return sig
        return None


def sign_note(body: str, signer: Signer) -> NoteSignature:
    """An Ed25519 signed-note signature over the whole body (with its final newline)."""
    if signer.alg != ALG_ED25519:
        raise NoteError("use cosign() for cosignature keys")
    sig = signer.private_key.sign(body.encode("utf-8"))
    return NoteSignature(signer.name, signer.verifier.key_id, sig)


def _cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode("utf-8")


def _mldsa_message(cosigner: str, body: str, timestamp: int) -> bytes:
    """tlog-cosignature ML-DSA-44 ``cosigned_message``: a checkpoint is the subtree [0, size)."""
    cp = Checkpoint.parse(body)
    name, origin = cosigner.encode(), cp.origin.encode()
    if not (0 < len(name) < 256 and 0 < len(origin) < 256):
        raise NoteError("cosigner name and origin must be 1..255 bytes")
    return (
        b"subtree/v1\n\x00"
        + bytes([len(name)])
        + name
        + struct.pack(">Q", timestamp)
        + bytes([len(origin)])
        + origin
        + struct.pack(">QQ", 0, cp.size)
        + cp.root_hash
    )


def cosign(body: str, signer: Signer, timestamp: int) -> NoteSignature:
    """A witness's cosignature over a checkpoint body at POSIX ``timestamp`` (tlog-cosignature):
    Ed25519 cosignature/v1 (type 0x04) or ML-DSA-44 (type 0x06)."""
    if signer.alg not in COSIGNER_ALGS:
        raise NoteError("a cosigner key has signature type 0x04 or 0x06")
    if not 0 <= timestamp < 2**63:
        raise NoteError("cosignature timestamp out of range")
    if signer.alg == ALG_COSIGNATURE_MLDSA44:
        sig = signer.private_key.sign(_mldsa_message(signer.name, body, timestamp))
    else:
        sig = signer.private_key.sign(_cosigned_message(body, timestamp))
    return NoteSignature(signer.name, signer.verifier.key_id, struct.pack(">Q", timestamp) + sig)


def verify_signature(body: str, sig: NoteSignature, verifier: Verifier) -> int | None:
    """Check one signature. Returns None if it fails, else the cosignature time (0 for logs)."""
    if sig.name != verifier.name or sig.key_id != verifier.key_id:
        return None
    try:
        if verifier.alg == ALG_ED25519:
            if len(sig.signature) != 64:
                return None
            verifier._ed25519().verify(sig.signature, body.encode("utf-8"))
            return 0
        if verifier.alg == ALG_COSIGNATURE_V1:
            if len(sig.signature) != 72:
                return None
            (timestamp,) = struct.unpack(">Q", sig.signature[:8])
            verifier._ed25519().verify(sig.signature[8:], _cosigned_message(body, timestamp))
            return timestamp
        if verifier.alg == ALG_COSIGNATURE_MLDSA44:
            if len(sig.signature) != 8 + MLDSA44_SIGNATURE:
                return None
            (timestamp,) = struct.unpack(">Q", sig.signature[:8])
            message = _mldsa_message(verifier.name, body, timestamp)
            verifier._mldsa44().verify(sig.signature[8:], message)
            return timestamp
    except (InvalidSignature, ValueError):
        return None
    return None


def open_checkpoint(text: str, log_key: Verifier) -> tuple[Checkpoint, SignedNote]:
    """Parse a signed checkpoint and require a valid signature by the log's key.

    The origin must equal the log key's name (the convention of tlog-checkpoint: a
    checkpoint's origin names the log whose key signs it), so a checkpoint of one log cannot
    be passed off as another's.
    """
    note = SignedNote.parse(text)
    sig = note.find(log_key)
    if sig is None or verify_signature(note.body, sig, log_key) is None:
        raise NoteError("checkpoint is not signed by the log's key")
    checkpoint = Checkpoint.parse(note.body)
    if checkpoint.origin != log_key.name:
        raise NoteError("checkpoint origin does not match the log key's name")
    return checkpoint, note


def valid_cosigners(note: SignedNote, witnesses: list[Verifier]) -> dict[str, int]:
    """Names (and cosignature times) of the given witnesses whose cosignature verifies."""
    found: dict[str, int] = {}
    for witness in witnesses:
        sig = note.find(witness)
        if sig is None:
            continue
        timestamp = verify_signature(note.body, sig, witness)
        if timestamp is not None:
            found[witness.name] = timestamp
    return found
