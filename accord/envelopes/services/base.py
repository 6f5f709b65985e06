"""What every envelope service shares: constants, the document number, locking, event payloads and
the one way a party changes state (saved, audited, published)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accord.contracts.models import DocumentKind
from accord.core import audit
from accord.core.events import publish
from accord.envelopes.models import Envelope, Party

ART_10 = "《劳动合同法》第十条 / LCL Art. 10"
ART_16 = "《劳动合同法》第十六条 / LCL Art. 16"
ART_50 = "《劳动合同法》第五十条 / LCL Art. 50"

CONSENT_TEXT = (
    "本人同意以电子形式订立、履行、变更、解除或终止劳动合同及相关文书，电子文书与纸质文书具有同等效力。"
    " / I agree to conclude this document in electronic form; it has the same effect as paper."
)
MAX_DOCUMENTS = 10
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DEFAULT_DEADLINE_DAYS = 7
REMINDER_INTERVAL = timedelta(days=1)
MAX_REMINDERS = 3
RETENTION_YEARS = 2  # LCL Art. 50: at least two years after the relationship ends

LIFECYCLE_TOPICS = {
    DocumentKind.OFFER: "lifecycle.offered",
    DocumentKind.LABOUR_FIXED: "lifecycle.hired",
    DocumentKind.LABOUR_OPEN_ENDED: "lifecycle.hired",
    DocumentKind.LABOUR_TASK: "lifecycle.hired",
    DocumentKind.LABOUR_PART_TIME: "lifecycle.hired",
    DocumentKind.CONFIRMATION: "lifecycle.confirmed",
    DocumentKind.CHANGE: "lifecycle.changed",
    DocumentKind.RENEWAL: "lifecycle.renewed",
    DocumentKind.TERMINATION: "lifecycle.left",
    DocumentKind.LEAVING_CERTIFICATE: "lifecycle.leaving_certified",
}

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_number(today: dt.date | None = None) -> str:
    """A document number people can read out: ``FY20261125-7K3Q9D2M``."""
    day = today or timezone.localdate()
    return f"FY{day:%Y%m%d}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def link_hash(token: str) -> str:
    return hashlib.sha256(f"envelope-link:{token}".encode()).hexdigest()


def locked(envelope: Envelope) -> Envelope:
    return (
        Envelope.objects.select_for_update(of=("self",))
        .select_related("enterprise__street", "enterprise__industry", "person")
        .get(pk=envelope.pk)
    )


def payload(envelope: Envelope, **extra: Any) -> dict[str, Any]:
    enterprise = envelope.enterprise
    return {
        "envelope": str(envelope.public_id),
        "number": envelope.number,
        "enterprise": str(enterprise.public_id),
        "street": enterprise.street.code,
        "industry": enterprise.industry.code,
        "kind": envelope.kind,
        "status": envelope.status,
        **extra,
    }


def enterprise_party(envelope: Envelope) -> Party:
    return envelope.parties.get(role=Party.Role.ENTERPRISE)


def party_moves(
    envelope: Envelope,
    party: Party,
    status: str,
    fields: list[str],
    verb: str,
    *,
    publish_event: bool = True,
) -> None:
    """A party's state change: saved, audited and published (envelope.party_<verb>)."""
    before = party.status
    party.status = status
    party.save(update_fields=["status", *fields, "updated_at"])
    audit.record(
        f"envelopes.party.{'sign' if verb == 'signed' else verb}",
        party,
        enterprise_id=envelope.enterprise_id,
        changes={"status": [before, status]},
    )
    if publish_event:
        publish(
            f"envelope.party_{verb}",
            payload(envelope, party=str(party.public_id), role=party.role),
        )
