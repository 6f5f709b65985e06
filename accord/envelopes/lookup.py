"""The public /verify looks documents up by number: ``FY20261125-7K3Q9D2M`` (the envelope's first
document) or ``FY20261125-7K3Q9D2M-2`` (its second). Only a signed version is verified; the public
sees the verification report and hashes, never the content (signing/lookup.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from accord.envelopes.models import Envelope, EnvelopeDocument, Party, PartySignature
from accord.signing import lookup, providers, verdict
from accord.signing.lookup import LookedUpDocument
from accord.signing.models import Signature

# How /verify names each party of an envelope document: 甲方 is the employer, 乙方 the worker
# (the contract templates' own words for the parties).
PARTY_ROLES = {
    Party.Role.ENTERPRISE: (_("甲方（用人单位）盖章"), verdict.ROLE_ENTERPRISE_SEAL),
    Party.Role.LEGAL_REPRESENTATIVE: (_("甲方法定代表人签名"), verdict.ROLE_PERSON),
    Party.Role.WORKER: (_("乙方（劳动者）签名"), verdict.ROLE_PERSON),
}


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
        # The kinds' names are in the catalogue (the templates translate them too).
        kind_label=gettext_lazy(doc.get_kind_display()),
    )


def describe_envelope_document(records: list[Signature]) -> verdict.DocumentParties | None:
    """The parties of the envelope document these signing records belong to (for /verify's
    verdict: who must sign, and which signature is whose)."""
    found = (
        PartySignature.objects.filter(signature__in=records)
        .select_related("document__envelope__enterprise")
        .order_by("-signature__signed_at")
        .first()
    )
    if found is None:
        return None
    document = found.document
    envelope = document.envelope
    made = {}
    for ps in PartySignature.objects.filter(document=document).select_related(
        "signature__certificate"
    ):
        made[ps.party_id] = ps.signature
    parties = []
    for party in envelope.parties.select_related("person").order_by("order", "id"):
        role, kind = PARTY_ROLES[party.role]
        signature = made.get(party.pk)
        parties.append(
            verdict.ExpectedParty(
                role=role,
                name=party.person.name if party.person is not None else envelope.enterprise.name,
                kind=kind,
                signature_ids=frozenset([signature.pk]) if signature else frozenset(),
                certificate_serials=frozenset([signature.certificate.serial])
                if signature
                else frozenset(),
            )
        )
    return verdict.DocumentParties(
        parties=tuple(parties), completed_elsewhere=envelope.status == Envelope.Status.COMPLETED
    )


def register_with_verify() -> None:
    """/verify finds envelope documents by number and names their parties (apps.ready)."""
    lookup.register(find_envelope_document)
    verdict.register_describer(describe_envelope_document)
