"""The webhook signature scheme, without Django, so a receiver can copy it.

A delivery is signed as ``HMAC-SHA256(secret, f"{webhook_id}.{timestamp}.{body}")`` in hex, sent
as ``Accord-Webhook-Signature: v1=<hex>``. While a secret is being rotated the header carries one
``v1=`` per valid secret, separated by spaces; a receiver accepts the delivery when any of them
matches a secret it holds. The timestamp (Unix seconds) is signed too, so a receiver refuses
replays older than its tolerance (5 minutes by default).
"""

from __future__ import annotations

import hashlib
import hmac
import time

VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The delivery is not authentic, or too old."""


def compute(secret: str, webhook_id: str, timestamp: int | str, body: bytes) -> str:
    message = f"{webhook_id}.{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secrets: list[str], webhook_id: str, timestamp: int | str, body: bytes) -> str:
    """The ``Accord-Webhook-Signature`` value: one ``v1=`` entry per secret, newest first."""
    return " ".join(f"{VERSION}={compute(s, webhook_id, timestamp, body)}" for s in secrets)


def verify(
    secret: str,
    webhook_id: str,
    timestamp: str,
    body: bytes,
    signature_header: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Raise SignatureError unless one ``v1=`` entry of the header is the signature under
    ``secret`` and the timestamp is within ``tolerance`` seconds of ``now``."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        raise SignatureError("bad timestamp") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        raise SignatureError("timestamp outside the tolerance")
    expected = compute(secret, webhook_id, timestamp, body)
    for entry in (signature_header or "").split():
        version, _, value = entry.partition("=")
        if version == VERSION and hmac.compare_digest(value, expected):
            return
    raise SignatureError("no matching signature")
