"""Every stored document encrypted at rest: the default storage wraps the real one (local disk or
S3-compatible object storage) and encrypts what it writes (issue #13).

Envelope encryption, with the same key ring as personal data in the database
(``ACCORD_DATA_KEYS``, held outside the database): each file gets its own random 256-bit data
key, wrapped (AES-256-GCM) by the current key of the ring and kept in the file's header with
that key's id. The content is cut into 64 KiB segments, each sealed with AES-256-GCM under the
data key, with a nonce made of a random per-file prefix, the segment's number and a last-segment
flag — so segments cannot be reordered, dropped or the file cut short unseen, and a file is
encrypted and decrypted in bounded memory (the STREAM construction of Hoang, Reyhanitabar,
Rogaway and Vizár, as in Tink's streaming AEAD). Rotating the ring re-wraps the data keys only:
``accord storage rotate`` rewrites headers, not contents.

Names are chosen by the callers, as before, so content addressing stays on the plaintext's
SHA-256. Reads decrypt transparently into a spooled temporary file (memory up to 8 MB, then
disk); a file written before encryption was turned on reads as it is until ``accord storage
encrypt`` has converted it, and ``accord storage check`` says how many are left.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible
from django.utils.module_loading import import_string

from accord.core import crypto

MAGIC = b"ACCORDENC1"
SEGMENT = 64 * 1024
TAG = 16
_PREFIX = 7
_WRAP_CONTEXT = b"accord-file-key/" + MAGIC
_SPOOL = 8 * 1024 * 1024


class DamagedFile(Exception):
    """A stored file whose encryption does not verify: changed, cut short or another key's."""


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", number, 1 if last else 0)


def _header(kid: str, wrapped: bytes, prefix: bytes) -> bytes:
    raw_kid = kid.encode()
    return (
        MAGIC + bytes([len(raw_kid)]) + raw_kid + struct.pack(">H", len(wrapped)) + wrapped + prefix
    )


def _read_header(stream: IO[bytes]) -> tuple[str, bytes, bytes, int]:
    """(kid, wrapped data key, nonce prefix, header length), MAGIC already read."""
    kid_len = stream.read(1)
    if len(kid_len) != 1:
        raise DamagedFile("header cut short")
    kid = stream.read(kid_len[0]).decode()
    (wrapped_len,) = struct.unpack(">H", stream.read(2))
    wrapped = stream.read(wrapped_len)
    prefix = stream.read(_PREFIX)
    if len(wrapped) != wrapped_len or len(prefix) != _PREFIX:
        raise DamagedFile("header cut short")
    return kid, wrapped, prefix, len(MAGIC) + 1 + len(kid) + 2 + wrapped_len + _PREFIX


def _chunks(content: Any) -> Iterator[bytes]:
    """Fixed-size plaintext segments of a Django File, a file object or bytes."""
    if isinstance(content, bytes | bytearray):
        view = memoryview(content)
        for start in range(0, len(view), SEGMENT):
            yield bytes(view[start : start + SEGMENT])
        return
    if hasattr(content, "seek"):
        try:
            content.seek(0)
        except (OSError, ValueError):
            pass
    pending = b""
    while True:
        data = content.read(SEGMENT)
        if isinstance(data, str):
            data = data.encode()
        if not data:
            break
        pending += data
        while len(pending) >= SEGMENT:
            yield pending[:SEGMENT]
            pending = pending[SEGMENT:]
    if pending:
        yield pending


def encrypt_to(content: Any, out: IO[bytes]) -> None:
    """Write ``content`` encrypted to ``out``."""
    data_key = AESGCM.generate_key(bit_length=256)
    kid, wrapped = crypto.wrap_key(data_key, _WRAP_CONTEXT)
    prefix = os.urandom(_PREFIX)
    out.write(_header(kid, wrapped, prefix))
    aead = AESGCM(data_key)
    aad = MAGIC + prefix
    number = 0
    previous: bytes | None = None
    for chunk in _chunks(content):
        if previous is not None:
            out.write(aead.encrypt(_nonce(prefix, number, False), previous, aad))
            number += 1
        previous = chunk
    out.write(aead.encrypt(_nonce(prefix, number, True), previous or b"", aad))


def decrypt_to(stream: IO[bytes], out: IO[bytes]) -> None:
    """Decrypt ``stream`` (positioned after MAGIC) into ``out``; ``DamagedFile`` if it does
    not verify."""
    kid, wrapped, prefix, _ = _read_header(stream)
    try:
        aead = AESGCM(crypto.unwrap_key(kid, wrapped, _WRAP_CONTEXT))
    except (InvalidTag, KeyError) as exc:
        raise DamagedFile(f"the data key does not unwrap with key {kid!r}") from exc
    aad = MAGIC + prefix
    number = 0
    sealed = stream.read(SEGMENT + TAG)
    while True:
        following = stream.read(SEGMENT + TAG)
        last = not following
        try:
            out.write(aead.decrypt(_nonce(prefix, number, last), sealed, aad))
        except InvalidTag as exc:
            raise DamagedFile(f"segment {number} does not verify") from exc
        if last:
            return
        sealed, number = following, number + 1


def is_encrypted(stream: IO[bytes]) -> bool:
    return stream.read(len(MAGIC)) == MAGIC


@deconstructible
class EncryptedStorage(Storage):
    """The default storage: ``inner`` (a storage class path) holds the bytes, encrypted."""

    def __init__(self, inner: str | None = None, inner_options: dict | None = None):
        self.inner_path: str = inner or str(
            getattr(settings, "ACCORD_INNER_STORAGE", "django.core.files.storage.FileSystemStorage")
        )
        self.inner_options = inner_options or {}
        self.inner: Storage = import_string(self.inner_path)(**self.inner_options)

    # -- writing and reading -------------------------------------------------------------------
    def _save(self, name: str, content: Any) -> str:
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL) as sealed:
            encrypt_to(content, sealed)
            sealed.seek(0)
            return self.inner._save(name, File(sealed, name=name))  # type: ignore[attr-defined]

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode:
            raise ValueError("encrypted files are written with save(), not opened for writing")
        plain = tempfile.SpooledTemporaryFile(max_size=_SPOOL)
        with self.inner.open(name, "rb") as raw:
            head = raw.read(len(MAGIC))
            if head == MAGIC:
                decrypt_to(raw, plain)
            else:  # written before encryption was on; `accord storage encrypt` converts it
                plain.write(head)
                while chunk := raw.read(SEGMENT):
                    plain.write(chunk)
        plain.seek(0)
        return File(plain, name=name)

    def size(self, name: str) -> int:
        stored = self.inner.size(name)
        with self.inner.open(name, "rb") as raw:
            if raw.read(len(MAGIC)) != MAGIC:
                return stored
            *_, header = _read_header(raw)
        body = stored - header
        segments = max(-(-body // (SEGMENT + TAG)), 1)
        return body - TAG * segments

    # -- the rest is the inner storage's -------------------------------------------------------
    def delete(self, name: str) -> None:
        self.inner.delete(name)

    def exists(self, name: str) -> bool:
        return self.inner.exists(name)

    def listdir(self, path: str):
        return self.inner.listdir(path)

    def url(self, name: str | None) -> str:
        return self.inner.url(name)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self.inner.get_available_name(name, max_length=max_length)

    def get_valid_name(self, name: str) -> str:
        return self.inner.get_valid_name(name)

    def get_accessed_time(self, name: str):
        return self.inner.get_accessed_time(name)

    def get_created_time(self, name: str):
        return self.inner.get_created_time(name)

    def get_modified_time(self, name: str):
        return self.inner.get_modified_time(name)

    # -- operating: migration and rotation ----------------------------------------------------
    def walk(self, path: str = "") -> Iterator[str]:
        """Every file name under ``path``."""
        if path and not self.inner.exists(path):
            return
        try:
            directories, files = self.inner.listdir(path)
        except FileNotFoundError:  # a storage location not made yet holds nothing
            return
        for file_name in files:
            yield f"{path}/{file_name}" if path else file_name
        for directory in directories:
            yield from self.walk(f"{path}/{directory}" if path else directory)

    def state_of(self, name: str) -> str:
        """``plain`` or the id of the key that wraps the file's data key."""
        with self.inner.open(name, "rb") as raw:
            if raw.read(len(MAGIC)) != MAGIC:
                return "plain"
            return _read_header(raw)[0]

    def _replace(self, name: str, writer) -> None:
        """Write ``name`` anew through ``writer(out)``, replacing the old bytes atomically on
        disk (a temporary file renamed over it) or by one PUT on an object store."""
        try:
            target = self.inner.path(name)
        except NotImplementedError:
            target = None
        if target is not None:
            directory = os.path.dirname(target)
            with tempfile.NamedTemporaryFile(dir=directory, delete=False) as out:
                writer(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(out.name, target)
            return
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL) as spooled:
            writer(spooled)
            spooled.seek(0)
            self.inner.delete(name)
            self.inner._save(name, File(spooled, name=name))  # type: ignore[attr-defined]

    def encrypt_in_place(self, name: str) -> bool:
        """Encrypt a file written before encryption was on; False if it already was."""
        if self.state_of(name) != "plain":
            return False
        with self.inner.open(name, "rb") as raw:
            self._replace(name, lambda out: encrypt_to(raw, out))
        return True

    def rewrap(self, name: str) -> bool:
        """Wrap the file's data key with the current key; False if it already is."""
        current = crypto.current_key_id()
        with self.inner.open(name, "rb") as raw:
            if raw.read(len(MAGIC)) != MAGIC:
                return False
            kid, wrapped, prefix, _ = _read_header(raw)
            if kid == current:
                return False
            new_kid, new_wrapped = crypto.wrap_key(
                crypto.unwrap_key(kid, wrapped, _WRAP_CONTEXT), _WRAP_CONTEXT
            )

            def write(out):
                out.write(_header(new_kid, new_wrapped, prefix))
                while chunk := raw.read(SEGMENT):
                    out.write(chunk)

            self._replace(name, write)
        return True
