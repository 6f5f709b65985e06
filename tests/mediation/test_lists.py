"""Mediation lists, page and API: flat query counts from N to 3N rows (tests/support/queries.py)."""

from __future__ import annotations

from accord.identity.models import Role
from accord.mediation import services as mediation
from accord.mediation.models import Case
from tests.support import factories
from tests.support.access import World
from tests.support.queries import FlatQueryCounts, ListEndpoint


def _cases(world: World, n: int, only: str = "") -> list[str]:
    made = []
    for i in range(n):
        employment = factories.EmploymentFactory(
            enterprise=world.enterprise, person=factories.PersonFactory(name=f"案件员工{i}")
        )
        case = factories.CaseFactory(
            organisation=world.named["org"],
            employment=employment,
            claims=factories.mediation_claims(wages=100_000 + i, hours=None),
            status=only or (Case.Status.IN_MEDIATION if i % 2 else Case.Status.APPLIED),
            mediator=world.named["mediator"],
            actor=world.users["bureau"],
        )
        made.append(case.number)
    return made


def _cases_in_mediation(world: World, n: int) -> list[str]:
    return _cases(world, n, only=Case.Status.IN_MEDIATION)


def _mediators(world: World, n: int) -> list[str]:
    made = []
    for _ in range(n):
        m = factories.MediatorFactory(organisation=world.named["org"])
        mediation.record_training(m, hours=8, course="调解实务", completed_on=m.registered_on)
        made.append(m.registration_number)
    return made


def _organisations(world: World, n: int) -> list[str]:
    return [factories.OrganisationFactory().name for _ in range(n)]


class TestMediationListQueries(FlatQueryCounts):
    endpoints = [
        ListEndpoint("/api/v1/mediation/cases?page_size=200", _cases, viewer="handler"),
        ListEndpoint("/api/v1/mediation/cases?page_size=200", _cases, viewer="owner"),
        ListEndpoint("/api/v1/mediation/mediators?page_size=200", _mediators, viewer="handler"),
        ListEndpoint("/api/v1/mediation/organisations?page_size=200", _organisations),
        ListEndpoint("/mediation/", _cases, viewer="handler"),
        ListEndpoint(
            "/mediation/?status=in_mediation&claim=wages", _cases_in_mediation, viewer="bureau"
        ),
        ListEndpoint("/mediation/mediators/", _mediators, viewer="handler"),
    ]

    @classmethod
    def build_world(cls, world: World) -> None:
        world.enterprise = factories.EnterpriseFactory()
        world.add("enterprise", world.enterprise)
        org = factories.OrganisationFactory(kind="street", street=world.enterprise.street)
        world.add("org", org)
        mediator = factories.MediatorFactory(organisation=org, user=True)
        world.add("mediator", mediator)
        world.users.update(
            {
                "owner": factories.UserFactory(role=Role.HR, enterprise=world.enterprise),
                "handler": mediator.user,
                "bureau": factories.UserFactory(role=Role.BUREAU_OFFICER),
            }
        )
