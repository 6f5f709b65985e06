"""Reading the documents: a download of a document, and the evidence report (出证) — who may, and
the audit entry each one writes (the documents carry a name and an identity number, so every
view is logged; DESIGN.md "Who may see what"). Pages and the API call these same functions."""

from __future__ import annotations

from dataclasses import dataclass

from accord.core import audit
from accord.core.errors import NotFound
from accord.envelopes import evidence, policy
from accord.envelopes.models import Envelope, EnvelopeDocument
from accord.signing import providers


@dataclass(frozen=True)
class Download:
    filename: str
    data: bytes


def document_download(user, envelope: Envelope, position: int) -> Download:
    """Document ``position`` of the envelope for someone who may see it (404 else); logged."""
    if not policy.may_see_document(user, envelope):
        raise NotFound()
    doc = EnvelopeDocument.objects.filter(envelope=envelope, position=position).first()
    if doc is None:
        raise NotFound()
    data = providers.load_document(doc.current_sha256)
    audit.record(
        "envelopes.document.download",
        envelope,
        changes={"document": [None, doc.number], "sha256": [None, doc.current_sha256]},
    )
    return Download(f"{doc.number}.pdf", data)


def evidence_report(user, envelope: Envelope) -> Download:
    """The sealed evidence report (409 unless completed) for whoever may see the documents."""
    if not policy.may_see_document(user, envelope):
        raise NotFound()
    pdf = evidence.evidence_report(envelope)
    audit.record(
        "envelopes.evidence_report.issue",
        envelope,
        changes={"status": [None, envelope.status]},
    )
    return Download(f"{envelope.number}-evidence.pdf", pdf)
