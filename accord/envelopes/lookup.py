"""The public /verify looks documents up by number: ``FY20261125-7K3Q9D2M`` (the envelope's first
document) or ``FY20261125-7K3Q9D2M-2`` (its second). Only a signed version is verified; the public
sees the verification report and hashes, never the content (signing/lookup.py)."""

from __future__ import annotations

from accord.envelopes.models import EnvelopeDocument
from accord.signing import providers
from accord.signing.lookup import LookedUpDocument


def find_envelope_document(number: str) -> LookedUpDocument | None:
    base, position = number, 1
    head, _, tail = number.rpartition("-")
    if head.count("-") == 1 and tail.isdigit():
        base, position = head, int(tail)
    doc = (
        EnvelopeDocument.objects.select_related("envelope")
        .filter(envelope__number=base, position=position)
        .exclude(current_sha256="")
        .first()
    )
    if doc is None or doc.current_sha256 == doc.original_sha256:
        return None  # nothing signed yet: there is nothing to verify
    return LookedUpDocument(
        number=doc.number,
        pdf=providers.load_document(doc.current_sha256),
        title=doc.name,  # the envelope title names the worker; the public sees the kind only
        kind=doc.kind,
    )
