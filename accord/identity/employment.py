"""Employment: an enterprise registers the people it employs, and ends the relationship.

A registered employee gets a worker account tied to their phone, so they can log in with an
SMS code and see every document from every employer. Hires and leaves are published as events
(by street and industry) for insights.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from accord.core import audit
from accord.core.errors import INVALID_DATE
from accord.core.events import publish
from accord.identity import services
from accord.identity.errors import (
    ALREADY_EMPLOYED,
    EMPLOYMENT_ALREADY_ENDED,
    END_BEFORE_START,
    PERSON_NAME_MISMATCH,
    START_DATE_TOO_FAR,
)
from accord.identity.models import Employment, Enterprise, Person, User
from accord.identity.validators import clean_id_document, clean_name


def _event_payload(employment: Employment) -> dict:
    enterprise = employment.enterprise
    return {
        "employment": str(employment.public_id),
        "enterprise": str(enterprise.public_id),
        "street": enterprise.street.code,
        "industry": enterprise.industry.code,
        "section": enterprise.industry.section,
    }


def ensure_worker_account(person: Person) -> User:
    """The person's login account (phone + SMS code); created on first need."""
    user = User.objects.filter(person=person).first()
    if user is None:
        user = User(username=f"w-{uuid.uuid4().hex[:12]}", person=person)
        user.set_unusable_password()
        user.save()
        audit.record("identity.worker_account.create", person, label=person.name)
    return user


def _date(value, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise INVALID_DATE(field) from None


@transaction.atomic
def register_employee(
    enterprise: Enterprise,
    *,
    name: str,
    id_number: str,
    id_type: str = "resident",
    phone: str = "",
    position: str = "",
    start_date: dt.date | str,
) -> Employment:
    """Register that ``enterprise`` employs a person from ``start_date``.

    The person is matched by document number (a person exists once across all employers); a
    matching number under a different name is refused rather than silently merged.
    """
    start = _date(start_date, "start_date")
    if start > timezone.localdate() + dt.timedelta(days=366):
        raise START_DATE_TOO_FAR("start_date")
    name = clean_name(name)
    number, _, _ = clean_id_document(id_type, id_number)
    person = services.find_person(id_type, number)
    if person is None:
        person = services.create_person(name=name, id_type=id_type, id_number=number, phone=phone)
    elif person.name != name:
        raise PERSON_NAME_MISMATCH("name")
    if Employment.objects.filter(
        person=person, enterprise=enterprise, end_date__isnull=True
    ).exists():
        raise ALREADY_EMPLOYED("id_number")
    employment = Employment.objects.create(
        person=person, enterprise=enterprise, position=position.strip()[:100], start_date=start
    )
    if person.phone:
        ensure_worker_account(person)
    audit.record(
        "identity.employment.start",
        employment,
        enterprise_id=enterprise.pk,
        label=f"{person.name} @ {enterprise.name}",
        changes={"position": [None, employment.position], "start_date": [None, start.isoformat()]},
    )
    publish(
        "identity.employment.started",
        _event_payload(employment) | {"start_date": start.isoformat()},
    )
    return employment


@transaction.atomic
def end_employment(employment: Employment, end_date: dt.date | str, reason: str = "") -> Employment:
    employment = (
        Employment.objects.select_for_update()
        .select_related("enterprise__street", "enterprise__industry")
        .get(pk=employment.pk)
    )
    end = _date(end_date, "end_date")
    if employment.end_date is not None:
        raise EMPLOYMENT_ALREADY_ENDED("end_date")
    if end < employment.start_date:
        raise END_BEFORE_START("end_date")
    employment.end_date = end
    employment.save(update_fields=["end_date", "updated_at"])
    audit.record(
        "identity.employment.end",
        employment,
        enterprise_id=employment.enterprise_id,
        changes={"end_date": [None, end.isoformat()], "reason": [None, reason[:200]]},
    )
    publish("identity.employment.ended", _event_payload(employment) | {"end_date": end.isoformat()})
    return employment
