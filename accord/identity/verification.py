"""Real-name verification behind one interface.

The real service (the public-security identity check) cannot be reached from here. The local
implementation checks a name and ID number against the trusted resident registry that an
officer imports (``accord import registry FILE.csv``): a keyed hash of each number and name, so
the registry table holds no personal data in clear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Literal, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from accord.core.crypto import blind_index

Result = Literal["verified", "mismatch", "unknown"]


@dataclass(frozen=True)
class VerificationOutcome:
    result: Result
    level: str  # Person.Level value reached when verified
    evidence: dict = field(default_factory=dict)


class IdentityVerifier(Protocol):
    name: str

    def verify(self, name: str, id_type: str, id_number: str) -> VerificationOutcome: ...


def name_index(name: str) -> str:
    return blind_index(name.strip(), "registry-name")


def id_index(id_type: str, id_number: str) -> str:
    return blind_index(f"{id_type}:{id_number}", "id")


class RegistryIdentityVerifier:
    name = "local-registry"

    def verify(self, name: str, id_type: str, id_number: str) -> VerificationOutcome:
        from accord.identity.models import ResidentRegistryRecord

        record = ResidentRegistryRecord.objects.filter(
            id_number_index=id_index(id_type, id_number)
        ).first()
        if record is None:
            return VerificationOutcome(
                "unknown", "checksum", {"registry": "no record for this number"}
            )
        evidence = {
            "registry_source": record.source,
            "registry_imported_at": record.imported_at.isoformat(),
        }
        if record.name_index != name_index(name):
            return VerificationOutcome("mismatch", "checksum", evidence | {"name": "differs"})
        return VerificationOutcome("verified", "registry", evidence | {"name": "matches"})


@cache
def verifier() -> IdentityVerifier:
    return import_string(settings.ACCORD_IDENTITY_VERIFIER)()
