"""Organisations and their registered mediators (备案): registration, training hours, status,
registered relationships (conflicts of interest), workload."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accord.core import audit
from accord.core.errors import INVALID_CHOICE, REQUIRED
from accord.identity import services as identity
from accord.identity.models import Enterprise, Organisation, Person
from accord.mediation import errors
from accord.mediation.models import Case, Mediator, Relationship, TrainingRecord

#: 《劳动争议调解工作规范》 (Futian): a mediator trains at least this many hours a year.
YEARLY_TRAINING_HOURS = 24


def next_registration_number(organisation: Organisation, year: int) -> str:
    prefix = f"FTTJ{year}-{organisation.pk:02d}-"
    count = Mediator.objects.filter(registration_number__startswith=prefix).count()
    return f"{prefix}{count + 1:04d}"


@transaction.atomic
def register_mediator(
    *,
    person: Person,
    organisation: Organisation,
    registered_on: dt.date,
    qualifications: list[str] = (),  # type: ignore[assignment]
    user=None,
    registration_number: str = "",
) -> Mediator:
    unknown = [q for q in qualifications if q not in Mediator.Qualification.values]
    if unknown:
        raise INVALID_CHOICE(field="qualifications")
    if registered_on > timezone.localdate():
        raise errors.DATE_IN_FUTURE(field="registered_on")
    mediator = Mediator.objects.create(
        person=person,
        organisation=organisation,
        user=user,
        registered_on=registered_on,
        qualifications=list(qualifications),
        registration_number=registration_number
        or next_registration_number(organisation, registered_on.year),
    )
    audit.record(
        "mediation.mediator.register",
        mediator,
        changes={"organisation": [None, organisation.name], "status": [None, mediator.status]},
    )
    return mediator


@transaction.atomic
def register_mediator_person(
    *,
    name: str,
    id_number: str,
    phone: str,
    organisation: Organisation,
    registered_on: dt.date,
    qualifications: list[str],
) -> Mediator:
    """Registration of a person by their ID number: the existing person, or a new one."""
    person = identity.find_person("resident", id_number) or identity.create_person(
        name=name, id_number=id_number, phone=phone
    )
    return register_mediator(
        person=person,
        organisation=organisation,
        registered_on=registered_on,
        qualifications=qualifications,
    )


@transaction.atomic
def set_mediator_status(mediator: Mediator, status: str) -> Mediator:
    if status not in Mediator.Status.values:
        raise INVALID_CHOICE(field="status")
    before = mediator.status
    mediator.status = status
    mediator.save(update_fields=["status", "updated_at"])
    audit.record("mediation.mediator.status", mediator, changes={"status": [before, status]})
    return mediator


@transaction.atomic
def record_training(
    mediator: Mediator, *, hours: int, course: str, completed_on: dt.date
) -> TrainingRecord:
    if not course.strip():
        raise REQUIRED(field="course")
    if hours <= 0:
        raise INVALID_CHOICE(field="hours")
    row = TrainingRecord.objects.create(
        mediator=mediator,
        year=completed_on.year,
        hours=hours,
        course=course.strip()[:200],
        completed_on=completed_on,
    )
    audit.record("mediation.mediator.training", mediator, changes={"hours": [None, hours]})
    return row


@transaction.atomic
def register_relationship(
    mediator: Mediator,
    *,
    kind: str,
    enterprise: Enterprise | None = None,
    person: Person | None = None,
    note: str = "",
) -> Relationship:
    if kind not in Relationship.Kind.values:
        raise INVALID_CHOICE(field="kind")
    if enterprise is None and person is None:
        raise REQUIRED(field="enterprise")
    row = Relationship.objects.create(
        mediator=mediator, kind=kind, enterprise=enterprise, person=person, note=note[:200]
    )
    audit.record("mediation.mediator.relationship", mediator, changes={"kind": [None, kind]})
    return row


def conflict_of(mediator: Mediator, case: Case) -> Relationship | None:
    """The registered relationship that bars ``mediator`` from ``case``, if any."""
    condition = Q(pk__in=[])
    if case.enterprise_id:
        condition |= Q(enterprise_id=case.enterprise_id)
    if case.worker_id:
        condition |= Q(person_id=case.worker_id)
    return mediator.relationships.filter(condition).first()


def with_workload(qs: QuerySet[Mediator], year: int) -> QuerySet[Mediator]:
    """Mediators with their open cases and this year's training hours (one query)."""
    return qs.annotate(
        open_cases=Count("cases", filter=Q(cases__status__in=Case.OPEN), distinct=True),
        training_hours=Sum("trainings__hours", filter=Q(trainings__year=year)),
    )


def require_assignable(mediator: Mediator, case: Case) -> None:
    """Issue #14: a mediator of the case's organisation, active, with no conflict of interest."""
    if mediator.organisation_id != case.organisation_id:
        raise errors.MEDIATOR_OUTSIDE_ORGANISATION()
    if mediator.status != Mediator.Status.ACTIVE:
        raise errors.MEDIATOR_NOT_ACTIVE()
    relation = conflict_of(mediator, case)
    if relation is not None:
        kind = Relationship.Kind(relation.kind)
        raise errors.MEDIATOR_CONFLICT(relation_zh=str(kind.label), relation_en=kind.value)


def least_loaded(case: Case) -> Mediator:
    """Assignment by workload: the active mediator of the organisation with the fewest open
    cases who has no conflict with the parties."""
    candidates = with_workload(
        Mediator.objects.filter(
            organisation_id=case.organisation_id, status=Mediator.Status.ACTIVE
        ),
        case.received_on.year,
    ).order_by("open_cases", "registration_number")
    for mediator in candidates:
        if mediator.open_cases >= mediator.max_open_cases:
            continue
        if conflict_of(mediator, case) is None:
            return mediator
    raise errors.NO_MEDIATOR_AVAILABLE()
