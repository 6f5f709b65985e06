"""What the phone login says before anything else: who asked this person to log in, and why.

A worker who taps the link in a text message lands on the phone login. Identity knows nothing
of envelopes (the layers), so a higher app registers a function that, from the request (its
session), names the enterprise and the document waiting; the login page shows the first answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class LoginIntro:
    enterprise: str  # who sent it: "深圳市福田区福易科技有限公司"
    document: str  # what waits: "劳动合同书（固定期限）"
    number: str  # the document number, as printed on every page
    deadline: str = ""  # "2026-12-11 18:00", or empty


Provider = Callable[[HttpRequest], LoginIntro | None]
_providers: list[Provider] = []


def register(fn: Provider) -> Provider:
    if fn not in _providers:
        _providers.append(fn)
    return fn


def intro_for(request: HttpRequest) -> LoginIntro | None:
    for fn in _providers:
        found = fn(request)
        if found is not None:
            return found
    return None
