"""Online mediation sessions: a ``MeetingProvider`` issues a room and its join link.

``LocalMeetingProvider`` is Accord's own: a room page under /mediation/meet/<room> that a worker
opens on a phone; it records who joined when (``MeetingJoin``). ``JitsiMeetProvider`` points at a
self-hosted Jitsi Meet (``ACCORD_JITSI_URL``): the room is a hard-to-guess name on that server.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.urls import reverse


@dataclass(frozen=True)
class Room:
    name: str
    join_url: str


class MeetingProvider(Protocol):
    name: str

    def create_room(self, case_number: str) -> Room: ...


class LocalMeetingProvider:
    name = "local"

    def create_room(self, case_number: str) -> Room:
        room = f"{case_number.lower()}-{secrets.token_urlsafe(9)}"
        return Room(room, reverse("mediation:meeting_room", args=[room]))


class JitsiMeetProvider:
    name = "jitsi"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def create_room(self, case_number: str) -> Room:
        room = f"FutianTJ-{case_number}-{secrets.token_urlsafe(12)}"
        return Room(room, f"{self.base_url}/{room}")


def provider() -> MeetingProvider:
    base = getattr(settings, "ACCORD_JITSI_URL", "")
    return JitsiMeetProvider(base) if base else LocalMeetingProvider()
