"""``accord storage check | encrypt | rotate``: documents at rest (see accord.core.storage).

``check`` counts the stored files by state (plain, or the id of the key that wraps them) and
exits non-zero while any is plain; ``encrypt`` converts files written before encryption was
on, each replaced atomically; ``rotate`` re-wraps every file's data key with the current key
(the first of ACCORD_DATA_KEYS), after which the old key may leave the ring.
"""

from __future__ import annotations

from collections import Counter

from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError

from accord.core import audit
from accord.core.storage import EncryptedStorage


class Command(BaseCommand):
    help = "Check, encrypt or re-wrap the stored documents (encryption at rest)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check", "encrypt", "rotate"])

    def handle(self, *args, action: str, **opts):
        storage = storages["default"]
        if not isinstance(storage, EncryptedStorage):
            raise CommandError("the default storage is not accord.core.storage.EncryptedStorage")
        names = list(storage.walk())
        if action == "check":
            states = Counter(storage.state_of(name) for name in names)
            for state, count in sorted(states.items()):
                self.stdout.write(f"{state}\t{count}")
            if states.get("plain"):
                raise CommandError(f"{states['plain']} stored files are not encrypted")
            return
        changed = 0
        for name in names:
            changed += (
                storage.encrypt_in_place(name) if action == "encrypt" else storage.rewrap(name)
            )
        audit.record(
            f"core.storage.{action}",
            object_type="storage",
            object_id="default",
            label="documents at rest",
            changes={"files": [None, changed], "of": [None, len(names)]},
        )
        self.stdout.write(f"{action}: {changed} of {len(names)} files")
