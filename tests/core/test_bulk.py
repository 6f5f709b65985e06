"""core.bulk.insert writes the rows bulk_create would (COPY on PostgreSQL): ids given back,
personal data encrypted at rest, JSON and timestamps prepared by their fields, and a unique
key broken raises Django's IntegrityError (a batch chunk plans again on it)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from accord.core import bulk
from accord.core.models import AuditEntry
from accord.identity.models import Person
from accord.identity.services import person_index

pytestmark = pytest.mark.django_db


def person(n: int) -> Person:
    number = f"11010519491231{n:03d}X"
    return Person(
        name=f"批量{n}",
        id_number=number,
        id_number_index=person_index("resident", number),
        id_number_masked="110105********" + number[-4:],
        phone=f"1390000{n:04d}",
    )


def test_inserted_rows_read_back_as_saved_ones_with_their_ids():
    people = bulk.insert(Person, [person(1), person(2)])
    assert all(p.pk for p in people)
    again = {p.pk: p for p in Person.objects.filter(pk__in=[p.pk for p in people])}
    for p in people:
        assert again[p.pk].id_number == p.id_number and again[p.pk].phone == p.phone
        assert again[p.pk].created_at is not None
    with connection.cursor() as cursor:  # encrypted at rest, as through save()
        cursor.execute("SELECT id_number FROM identity_person WHERE id = %s", [people[0].pk])
        assert people[0].id_number not in str(cursor.fetchone()[0])
    entries = bulk.insert(
        AuditEntry,
        [AuditEntry(action="test.bulk", object_type="t", object_id="1", changes={"a": [1, 2]})],
    )
    assert AuditEntry.objects.get(pk=entries[0].pk).changes == {"a": [1, 2]}


def test_a_duplicate_unique_key_raises_djangos_integrity_error():
    bulk.insert(Person, [person(3)])
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(Person, [person(3)])
