"""Verify a signed document by its number (e.g. ``FY20261125-7K3Q9D2M``) on the public /verify.

Other apps own documents (envelopes, seals, decisions): each registers a look-up function
``fn(number) -> LookedUpDocument | None`` with ``register``; ``find`` asks them in turn. The
public sees the verification report, the document's title and kind and its hashes — never its
content: the signed PDF is offered for download only when the app that owns it says so
(``download_url``, e.g. a certificate meant to be shown to third parties).

Look-ups are rate-limited per IP address (numbers are random, but not guessable at leisure).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from accord.core import ratelimit
from accord.signing.errors import (
    DOCUMENT_NUMBER_INVALID,
    DOCUMENT_NUMBER_UNKNOWN,
    VERIFY_RATE_LIMITED,
)


@dataclass(frozen=True)
class LookedUpDocument:
    number: str
    pdf: bytes
    title: str
    kind: str
    # Set only by an owner that lets anybody holding the number download the signed file.
    download_url: str = ""
    # The kind in words for people (``kind`` may be an owner's code, e.g. ``labour_fixed``).
    kind_label: str = ""

    @property
    def kind_display(self) -> str:
        return str(self.kind_label or self.kind)


Lookup = Callable[[str], "LookedUpDocument | None"]
_lookups: list[Lookup] = []

_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{5,39}$")


def register(fn: Lookup) -> Lookup:
    """Add a look-up (idempotent; usable as a decorator, e.g. in an app's ``ready``)."""
    if fn not in _lookups:
        _lookups.append(fn)
    return fn


def unregister(fn: Lookup) -> None:
    if fn in _lookups:
        _lookups.remove(fn)


def normalise(number: str) -> str:
    cleaned = (number or "").strip().upper()
    if not _NUMBER.match(cleaned):
        raise DOCUMENT_NUMBER_INVALID("number")
    return cleaned


def lookups_per_minute() -> int:
    return getattr(settings, "ACCORD_VERIFY_LOOKUPS_PER_MINUTE", 20)


def find(number: str) -> LookedUpDocument | None:
    """The document with this number from the first app that knows it, or None."""
    cleaned = normalise(number)
    for fn in list(_lookups):
        found = fn(cleaned)
        if found is not None:
            return found
    return None


def find_for_public(number: str, ip: str | None) -> LookedUpDocument:
    """``find`` for an anonymous visitor: rate-limited per IP, unknown numbers are a 404.

    Every attempt counts (found or not), so that numbers cannot be enumerated.
    """
    ratelimit.hit(
        f"verify-number:{ip or 'unknown'}",
        lookups_per_minute(),
        60,
        code=VERIFY_RATE_LIMITED,
    )
    found = find(number)
    if found is None:
        raise DOCUMENT_NUMBER_UNKNOWN("number")
    return found
