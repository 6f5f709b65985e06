"""The rules of identity: enterprises, people, real-name verification, personal-data views."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.core import audit
from accord.core.context import mark_private
from accord.core.crypto import blind_index, mask_id_number, mask_phone
from accord.core.errors import (
    FIELD_NOT_EDITABLE,
    FORBIDDEN,
    INVALID_CHOICE,
    InvalidInput,
    Problem,
    ProblemList,
)
from accord.core.events import publish
from accord.identity.errors import (
    ENTERPRISE_DUPLICATE,
    IMPORT_COLUMNS_MISSING,
    IMPORT_ENCODING,
    IMPORT_ROWS_INVALID,
    INDUSTRY_UNKNOWN,
    PERSON_DUPLICATE,
    PHONE_DUPLICATE,
    STREET_UNKNOWN,
)
from accord.identity.models import (
    Enterprise,
    IdentityVerification,
    IndustryDivision,
    Person,
    ResidentRegistryRecord,
    Street,
)
from accord.identity.scoping import can_see_personal_data
from accord.identity.validators import (
    clean_id_document,
    clean_name,
    clean_phone,
    clean_uscc,
)
from accord.identity.verification import id_index, name_index, verifier

ENTERPRISE_FIELDS = [
    "name",
    "uscc",
    "legal_representative",
    "address",
    "street",
    "industry",
    "size",
    "employee_count",
    "status",
]


def _street(code: str) -> Street:
    street = Street.objects.filter(code=code).first()
    if street is None:
        raise STREET_UNKNOWN("street")
    return street


def _industry(code: str) -> IndustryDivision:
    industry = IndustryDivision.objects.filter(code=code).first()
    if industry is None:
        raise INDUSTRY_UNKNOWN("industry")
    return industry


def _choice(value: str, choices, field: str) -> str:
    if value not in dict(choices):
        raise INVALID_CHOICE(field)
    return value


@transaction.atomic
def create_enterprise(
    *,
    name: str,
    uscc: str,
    legal_representative: str,
    address: str,
    street: str,
    industry: str,
    size: str = "small",
    employee_count: int = 0,
) -> Enterprise:
    code = clean_uscc(uscc)
    if Enterprise.objects.filter(uscc=code).exists():
        raise ENTERPRISE_DUPLICATE("uscc")
    enterprise = Enterprise.objects.create(
        name=clean_name(name, "name", 200),
        uscc=code,
        legal_representative=clean_name(legal_representative, "legal_representative"),
        address=clean_name(address, "address", 300),
        street=_street(street),
        industry=_industry(industry),
        size=_choice(size, Enterprise.Size.choices, "size"),
        employee_count=employee_count,
    )
    audit.record(
        "identity.enterprise.create",
        enterprise,
        changes=audit.diff({}, audit.snapshot(enterprise, ENTERPRISE_FIELDS)),
    )
    publish(
        "identity.enterprise.created",
        {
            "enterprise": str(enterprise.public_id),
            "street": enterprise.street.code,
            "industry": enterprise.industry.code,
            "size": enterprise.size,
        },
    )
    return enterprise


@transaction.atomic
def update_enterprise(enterprise: Enterprise, changes: dict[str, Any]) -> Enterprise:
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    before = audit.snapshot(enterprise, ENTERPRISE_FIELDS)
    for key, value in changes.items():
        if key == "name":
            enterprise.name = clean_name(value, "name", 200)
        elif key == "legal_representative":
            enterprise.legal_representative = clean_name(value, key)
        elif key == "address":
            enterprise.address = clean_name(value, key, 300)
        elif key == "street":
            enterprise.street = _street(value)
        elif key == "industry":
            enterprise.industry = _industry(value)
        elif key == "size":
            enterprise.size = _choice(value, Enterprise.Size.choices, key)
        elif key == "status":
            enterprise.status = _choice(value, Enterprise.Status.choices, key)
        elif key == "employee_count":
            enterprise.employee_count = int(value)
        else:
            raise FIELD_NOT_EDITABLE(key)
    enterprise.save()
    changed = audit.diff(before, audit.snapshot(enterprise, ENTERPRISE_FIELDS))
    if changed:
        audit.record("identity.enterprise.update", enterprise, changes=changed)
        publish(
            "identity.enterprise.updated",
            {"enterprise": str(enterprise.public_id), "fields": sorted(changed)},
        )
    return enterprise


def person_index(id_type: str, number: str) -> str:
    return id_index(id_type, number)


def find_person(id_type: str, id_number: str) -> Person | None:
    number, _, _ = clean_id_document(id_type, id_number)
    return Person.objects.filter(id_number_index=person_index(id_type, number)).first()


def find_person_by_phone(phone: str) -> Person | None:
    return Person.objects.filter(phone_index=blind_index(clean_phone(phone), "phone")).first()


@transaction.atomic
def create_person(
    *, name: str, id_type: str = "resident", id_number: str, phone: str = ""
) -> Person:
    problems = ProblemList()
    number = birth = gender = None
    try:
        name = clean_name(name)
    except InvalidInput as e:
        problems.add(Problem(e.code, e.message_zh, e.message_en, e.field))
    try:
        number, birth, gender = clean_id_document(id_type, id_number)
    except InvalidInput as e:
        problems.add(Problem(e.code, e.message_zh, e.message_en, e.field))
    if phone:
        try:
            phone = clean_phone(phone)
        except InvalidInput as e:
            problems.add(Problem(e.code, e.message_zh, e.message_en, e.field))
    problems.raise_if_any()
    index = person_index(id_type, number)
    if Person.objects.filter(id_number_index=index).exists():
        raise PERSON_DUPLICATE("id_number")
    if phone and Person.objects.filter(phone_index=blind_index(phone, "phone")).exists():
        raise PHONE_DUPLICATE("phone")
    person = Person.objects.create(
        name=name,
        id_type=id_type,
        id_number=number,
        id_number_index=index,
        id_number_masked=mask_id_number(number),
        phone=phone,
        phone_index=blind_index(phone, "phone") if phone else "",
        phone_masked=mask_phone(phone) if phone else "",
        birth_date=birth,
        gender=gender or "",
        # The document number passed its check digit (or format) test: the lowest level.
        verification_level=Person.Level.CHECKSUM,
    )
    audit.record(
        "identity.person.create",
        person,
        changes={"name": [None, name], "id_number": ["***", "***"], "id_type": [None, id_type]},
    )
    return person


def precheck_identity(name: str, id_type: str, id_number: str) -> str:
    """What the real-name check at signing (``verify_person``) will say of this name and number,
    asked before anything is sent: "verified" (a person already verified under this number and
    name, or the configured IdentityVerifier confirms them), "mismatch" or "unknown". Records
    nothing about a person (the caller audits the check as a whole)."""
    person = find_person(id_type, id_number)
    if (
        person is not None
        and person.name == name.strip()
        and person.verification_level in (Person.Level.REGISTRY, Person.Level.IN_PERSON)
    ):
        return "verified"
    return verifier().verify(name.strip(), id_type, id_number).result


@transaction.atomic
def verify_person(person: Person) -> IdentityVerification:
    """Run the configured real-name check; a verified result raises the person's level."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    v = verifier()
    outcome = v.verify(person.name, person.id_type, person.id_number)
    record = IdentityVerification.objects.create(
        person=person,
        verifier=v.name,
        result=outcome.result,
        level=outcome.level,
        evidence=outcome.evidence,
    )
    before = person.verification_level
    ranks = [c for c, _ in Person.Level.choices]
    if outcome.result == "verified" and ranks.index(outcome.level) > ranks.index(
        person.verification_level
    ):
        person.verification_level = outcome.level
        person.verified_at = timezone.now()
        person.save(update_fields=["verification_level", "verified_at", "updated_at"])
    audit.record(
        "identity.person.verify",
        person,
        changes={
            "result": [None, outcome.result],
            "verification_level": [before, person.verification_level],
        },
    )
    return record


@transaction.atomic
def verify_in_person(person: Person, note: str) -> IdentityVerification:
    """An officer saw the document and the person: the highest level."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    record = IdentityVerification.objects.create(
        person=person,
        verifier="in-person",
        result="verified",
        level=Person.Level.IN_PERSON,
        evidence={"note": note[:500]},
    )
    before = person.verification_level
    person.verification_level = Person.Level.IN_PERSON
    person.verified_at = timezone.now()
    person.save(update_fields=["verification_level", "verified_at", "updated_at"])
    audit.record(
        "identity.person.verify_in_person",
        person,
        changes={"verification_level": [before, person.verification_level]},
    )
    return record


@dataclass
class PersonalData:
    id_type: str
    id_number: str
    phone: str


def reveal_personal_data(person: Person, viewer) -> PersonalData:
    """The full ID number and phone, to those who may see them; every call is an audited read."""
    if not can_see_personal_data(viewer, person):
        raise FORBIDDEN()
    audit.record("identity.person.view_personal_data", person, label=person.name)
    mark_private()
    return PersonalData(person.id_type, person.id_number, person.phone)


REGISTRY_COLUMNS = ["name", "id_type", "id_number"]


@transaction.atomic
def import_registry(data: bytes, source: str, *, skip_bad_rows: bool = False) -> dict[str, int]:
    """Import the trusted resident registry (CSV: name,id_type,id_number).

    Every row is validated first; with any bad row nothing is imported unless ``skip_bad_rows``.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IMPORT_ENCODING("file") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REGISTRY_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise IMPORT_COLUMNS_MISSING("file", columns=", ".join(missing))
    problems = ProblemList()
    rows: dict[str, str] = {}
    for line, row in enumerate(reader, start=2):
        try:
            name = clean_name(row["name"])
            number, _, _ = clean_id_document(row["id_type"] or "resident", row["id_number"])
        except InvalidInput as e:
            column = (
                "name"
                if e.field == "name"
                else ("id_type" if e.field == "id_type" else "id_number")
            )
            problems.add(
                Problem(e.code, e.message_zh, e.message_en, e.field, row=line, column=column)
            )
            continue
        rows[id_index(row["id_type"] or "resident", number)] = name_index(name)
    if problems and not skip_bad_rows:
        raise IMPORT_ROWS_INVALID(problems=problems.problems, count=len(problems.problems))
    existing = set(
        ResidentRegistryRecord.objects.filter(id_number_index__in=list(rows)).values_list(
            "id_number_index", flat=True
        )
    )
    ResidentRegistryRecord.objects.bulk_create(
        [
            ResidentRegistryRecord(id_number_index=k, name_index=v, source=source[:200])
            for k, v in rows.items()
            if k not in existing
        ],
        batch_size=2000,
    )
    for k in existing:
        ResidentRegistryRecord.objects.filter(id_number_index=k).update(
            name_index=rows[k], source=source[:200]
        )
    result = {
        "imported": len(rows) - len(existing),
        "updated": len(existing),
        "skipped": len(problems.problems),
    }
    audit.record(
        "identity.registry.import",
        None,
        object_type="identity.residentregistry",
        object_id=source[:64],
        label=source,
        changes={k: [None, v] for k, v in result.items()},
    )
    return result
