"""Personal data at rest: AES-256-GCM with rotating keys, and blind indexes for look-ups.

Values are stored as ``kid$base64(nonce || ciphertext)``; the key id lets keys rotate without
re-encrypting at once (the first key of ACCORD_DATA_KEYS encrypts, every listed key decrypts).
A blind index is an HMAC-SHA256 of the normalised value under a separate key, so a person
can be found by ID number or phone without storing either in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _keys(spec: str) -> tuple[str, dict[str, AESGCM]]:
    keys: dict[str, AESGCM] = {}
    first = ""
    for item in spec.split(","):
        kid, _, b64 = item.strip().partition(":")
        raw = base64.b64decode(b64)
        if len(raw) != 32 or not kid or "$" in kid:
            raise ImproperlyConfigured("ACCORD_DATA_KEYS entries must be kid:base64(32 bytes)")
        keys[kid] = AESGCM(raw)
        first = first or kid
    return first, keys


def encrypt(plaintext: str, context: bytes = b"accord") -> str:
    kid, keys = _keys(settings.ACCORD_DATA_KEYS)
    nonce = os.urandom(12)
    sealed = keys[kid].encrypt(nonce, plaintext.encode(), context)
    return f"{kid}${base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, context: bytes = b"accord") -> str:
    kid, _, b64 = token.partition("$")
    _, keys = _keys(settings.ACCORD_DATA_KEYS)
    raw = base64.b64decode(b64)
    return keys[kid].decrypt(raw[:12], raw[12:], context).decode()


def key_ids() -> list[str]:
    """The ids of the keys in the ring (never the keys)."""
    return list(_keys(settings.ACCORD_DATA_KEYS)[1])


def current_key_id() -> str:
    return _keys(settings.ACCORD_DATA_KEYS)[0]


def wrap_key(data_key: bytes, context: bytes) -> tuple[str, bytes]:
    """Envelope encryption: ``data_key`` sealed by the current key; (its id, nonce + sealed)."""
    kid, keys = _keys(settings.ACCORD_DATA_KEYS)
    nonce = os.urandom(12)
    return kid, nonce + keys[kid].encrypt(nonce, data_key, context)


def unwrap_key(kid: str, wrapped: bytes, context: bytes) -> bytes:
    """The data key of ``wrap_key``; ``KeyError`` for a key no longer in the ring."""
    _, keys = _keys(settings.ACCORD_DATA_KEYS)
    return keys[kid].decrypt(wrapped[:12], wrapped[12:], context)


@cache
def _index_key(spec: str) -> bytes:
    return base64.b64decode(spec)


def blind_index(value: str, purpose: str) -> str:
    """Deterministic keyed hash of a normalised value, hex; ``purpose`` separates domains."""
    key = _index_key(settings.ACCORD_INDEX_KEY)
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """``440304199001011234`` → ``440304********1234`` (DESIGN.md: masked in lists)."""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


class EncryptedTextField(models.TextField):
    """A text field encrypted at rest; reads give the plaintext back.

    Never filter on it: use the blind index stored beside it.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
