"""Who sees which envelopes: the enterprise's HR, the bureau (read-only), and each personal
party — only from their turn on for the documents (services.may_see_document)."""

from django.db.models import Q, QuerySet

from accord.core.roles import BUREAU_READS
from accord.core.scoping import scope_for
from accord.envelopes.models import Batch, Envelope, Party

ALL_SEEING = BUREAU_READS  # accord.core.roles


@scope_for(Envelope)
def envelopes_for(user) -> QuerySet[Envelope]:
    qs = Envelope.objects.select_related("enterprise", "person")
    if user.has_role(*ALL_SEEING):
        return qs
    condition = Q(enterprise_id__in=list(user.enterprise_ids))
    person_id = getattr(user, "person_id", None)
    if person_id is not None:
        # A worker sees their envelopes from every employer (LCL Art. 16), even after the
        # enterprise has closed; a later signer sees the envelope only once it is their turn.
        # An envelope that ended while it was their turn stays listed, with its reason.
        condition |= Q(parties__person_id=person_id) & (
            Q(parties__status__in=[Party.Status.READY, Party.Status.SIGNED, Party.Status.REJECTED])
            | Q(parties__status=Party.Status.CLOSED, parties__notified_at__isnull=False)
        )
    return qs.filter(condition).distinct()


@scope_for(Party)
def parties_for(user) -> QuerySet[Party]:
    return Party.objects.select_related("envelope").filter(envelope__in=envelopes_for(user))


@scope_for(Batch)
def batches_for(user) -> QuerySet[Batch]:
    qs = Batch.objects.select_related("enterprise", "template_version__template")
    if user.has_role(*ALL_SEEING):
        return qs
    return qs.filter(enterprise_id__in=list(user.enterprise_ids))
