"""Reading the documents: a download of a document, and the evidence report (出证) — who may, and
the audit entry each one writes (the documents carry a name and an identity number, so every
view is logged; DESIGN.md "Who may see what"). Pages and the API call these same functions."""

from __future__ import annotations

from dataclasses import dataclass

from accord.contracts.render import DocumentText, document_text
from accord.core import audit
from accord.core.errors import NotFound
from accord.envelopes import evidence, policy
from accord.envelopes.models import Envelope, EnvelopeDocument, Party
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


@dataclass(frozen=True)
class ReadingText:
    """A document's words to read on a phone, made from the same template version and fields
    as its PDF (``contracts.render.content``); ``sha256`` is the PDF being signed."""

    document: EnvelopeDocument
    text: DocumentText
    sha256: str


def reading_texts(party: Party, documents: list[EnvelopeDocument]) -> list[ReadingText]:
    """The text of each document drafted from a template (an uploaded PDF has none).

    The stored values hold no identity number or phone in clear (the PDF does); the text shows
    the party's own masked forms in their place."""
    envelope = party.envelope
    version = envelope.template_version
    if version is None or not documents:
        return []
    values = dict(envelope.values or {})
    if party.person is not None:
        values.setdefault("worker.id_number", party.person.id_number_masked)
        values.setdefault("worker.phone", party.person.phone_masked)
    first = documents[0]
    if first.kind != envelope.kind:
        return []
    # The number printed on every page of the PDF (the envelope's; /verify takes it too).
    text = document_text(version.title, version.sections, values, number=envelope.number)
    return [ReadingText(first, text, first.current_sha256)]


def waiting_for(user) -> list[Party]:
    """The person's parties whose turn has come and who have not yet signed or refused: what
    the worker's home lists as waiting for them."""
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return []
    parties = (
        Party.objects.filter(
            person_id=person_id,
            role__in=Party.PERSONAL_ROLES,
            status=Party.Status.READY,
            envelope__status=Envelope.Status.SENT,
        )
        .select_related("envelope__enterprise")
        .order_by("envelope__deadline", "envelope__sent_at", "id")
    )
    return [p for p in parties if policy.can_act_as_party(p).allowed]
