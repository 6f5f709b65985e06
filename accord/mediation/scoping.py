"""Who sees which cases (issue #14 "Who sees what"): a worker and an employer their own cases; a
mediator their organisation's; a street officer their street's; the bureau all."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accord.core.roles import BUREAU_READS
from accord.core.scoping import scope_for
from accord.mediation.models import Case, Evidence, Mediator, Session


@scope_for(Case)
def cases_for(user) -> QuerySet[Case]:
    qs = Case.objects.select_related("organisation", "street", "mediator__person", "enterprise")
    if user.has_role(*BUREAU_READS):
        return qs
    condition = Q(pk__in=[])
    if user.organisation_ids:
        condition |= Q(organisation_id__in=list(user.organisation_ids))
    if user.street_ids:
        condition |= Q(street_id__in=list(user.street_ids))
    if user.enterprise_ids:
        condition |= Q(enterprise_id__in=list(user.enterprise_ids))
    person_id = getattr(user, "person_id", None)
    if person_id is not None:
        condition |= Q(worker_id=person_id)
    return qs.filter(condition)


@scope_for(Mediator)
def mediators_for(user) -> QuerySet[Mediator]:
    """The register of mediators (备案) is public to every logged-in user, as on the national
    platform: name, number, organisation, qualifications, workload. Their cases are not: a
    mediator's page lists only the cases the viewer may see (``cases_for``)."""
    return Mediator.objects.select_related("person", "organisation__street")


@scope_for(Session)
def sessions_for(user) -> QuerySet[Session]:
    return Session.objects.filter(case__in=cases_for(user))


@scope_for(Evidence)
def evidence_for(user) -> QuerySet[Evidence]:
    return Evidence.objects.filter(case__in=cases_for(user))
