"""A chunk of a batch read, checked and rendered: everything before its one transaction.

For the rows of one chunk (batch_send.py): what exists is read in a few queries — the one
idempotency lookup of the chunk, the people by identity number and by phone, their accounts,
their employments here, their labour contracts here — and every row goes through the rules one
envelope goes through (drafting.create_from_template, services.create_envelope, identity's
register_employee and create_person): the person's name and phone, the start date, one labour
contract per worker and start, the lifecycle fit of an existing employment, the labour-law
checks of ``contracts.rules`` (LCL Art. 10, 17, 19, 20 …) with the minimum wage of the start
date and the platform's own probation record (LCL Art. 19 ¶2), and the worker party's phone.
A row that fails is reported with its code, article and column; the others are rendered
by batch_send.py, outside any transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from accord.contracts import batch as sheet
from accord.contracts import checkup, rules
from accord.contracts.models import LABOUR_CONTRACT_KINDS, TemplateVersion
from accord.core.crypto import blind_index, mask_id_number, mask_phone
from accord.core.errors import AccordError, Problem
from accord.envelopes import drafting, errors, history, lifecycle, services
from accord.envelopes.models import Batch, Envelope
from accord.identity import errors as identity_errors
from accord.identity.models import Employment, Enterprise, Person, User
from accord.identity.services import person_index
from accord.identity.validators import clean_id_document

MAX_START_AHEAD = timedelta(days=366)  # identity.employment.register_employee's rule
OPEN_OR_SIGNED = [Envelope.Status.DRAFT, Envelope.Status.SENT, Envelope.Status.COMPLETED]


def idempotency_key(batch: Batch, line: int) -> str:
    return f"batch:{batch.public_id}:{line}"


@dataclass
class Row:
    line: int
    key: str
    fields: dict[str, Any]
    person: Person
    new_person: bool
    needs_account: bool
    job: Employment | None
    number: str
    values: dict[str, str]
    pdf_sha256: str = ""
    pdf_size: int = 0
    pages: int = 0


@dataclass
class Plan:
    rows: list[Row]
    failures: dict[int, list[dict[str, Any]]]
    skipped: int


@dataclass
class _Known:
    """What exists for a chunk's rows, read in a few queries."""

    done: set[str]
    people: dict[str, Person]
    phone_owners: dict[str, int]
    accounts: set[int]
    jobs: dict[int, Employment]
    contract_starts: dict[int, set[str]]
    histories: dict[int, history.History]


def _known(enterprise: Enterprise, rows: list[dict[str, Any]], keys: list[str]) -> _Known:
    # The one idempotency lookup of the chunk (services.find_by_idempotency_key, for many keys).
    done = set(
        Envelope.objects.filter(enterprise=enterprise, idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    indexes = [person_index(r["id_type"], r["id_number"]) for r in rows]
    people = {p.id_number_index: p for p in Person.objects.filter(id_number_index__in=indexes)}
    phones = [blind_index(r["phone"], "phone") for r in rows if r["phone"]]
    phone_owners = dict(
        Person.objects.filter(phone_index__in=phones).values_list("phone_index", "pk")
    )
    ids = [p.pk for p in people.values()]
    accounts = set(User.objects.filter(person_id__in=ids).values_list("person_id", flat=True))
    jobs: dict[int, Employment] = {}
    for job in Employment.objects.filter(
        enterprise=enterprise, person_id__in=ids, end_date__isnull=True
    ).order_by("start_date"):
        jobs[job.person_id] = job  # the latest active one, as register_employee keeps one
    starts: dict[int, set[str]] = {}
    for person_id, values in Envelope.objects.filter(
        enterprise=enterprise,
        person_id__in=ids,
        kind__in=LABOUR_CONTRACT_KINDS,
        status__in=OPEN_OR_SIGNED,
    ).values_list("person_id", "values"):
        starts.setdefault(person_id, set()).add(str((values or {}).get("term.start_date", ""))[:10])
    # The history the legal checks need (LCL Art. 10, 14, 19 ¶2, 82), as a single draft reads it.
    histories = history.histories(enterprise, ids, jobs)
    return _Known(done, people, phone_owners, accounts, jobs, starts, histories)


def _name_mismatch() -> AccordError:
    return identity_errors.PERSON_NAME_MISMATCH()


def _phone_taken() -> AccordError:
    return identity_errors.PHONE_DUPLICATE()


def _contract_exists(day: str) -> AccordError:
    return errors.BATCH_CONTRACT_EXISTS(day=day)


class _Checker:
    """The rules one envelope goes through (drafting.create_from_template, services.create_
    envelope, identity's register_employee and create_person), for a chunk's rows at once."""

    def __init__(self, batch: Batch, known: _Known) -> None:
        self.batch = batch
        self.enterprise = batch.enterprise
        self.version: TemplateVersion = batch.template_version
        self.kind = self.version.template.kind
        self.known = known
        self.today = timezone.localdate()
        self._minimum: dict[date, Any] = {}
        self._phones_taken: set[str] = set()

    def minimum_wage(self, day: date):
        # Resolved once per date for the chunk, not once per row.
        if day not in self._minimum:
            self._minimum[day] = checkup.minimum_wage_on(day)
        return self._minimum[day]

    def person_for(self, row: dict[str, Any]) -> tuple[Person, bool]:
        index = person_index(row["id_type"], row["id_number"])
        person = self.known.people.get(index)
        if person is not None:
            if person.name != row["name"]:
                raise _name_mismatch()  # a number known under another name: never merged
            return person, False
        number, birth, gender = clean_id_document(row["id_type"], row["id_number"])
        phone = row["phone"]
        phone_index = blind_index(phone, "phone") if phone else ""
        if phone_index and (
            phone_index in self.known.phone_owners or phone_index in self._phones_taken
        ):
            raise _phone_taken()
        return (
            Person(
                name=row["name"],
                id_type=row["id_type"],
                id_number=number,
                id_number_index=index,
                id_number_masked=mask_id_number(number),
                phone=phone,
                phone_index=phone_index,
                phone_masked=mask_phone(phone) if phone else "",
                birth_date=birth,
                gender=gender or "",
                # The number passed its check digit (or format) test: the lowest level.
                verification_level=Person.Level.CHECKSUM,
            ),
            True,
        )

    def check(self, row: dict[str, Any], key: str) -> Row:
        fields = dict(row["fields"])
        person, new = self.person_for(row)
        job = None if new else self.known.jobs.get(person.pk)
        start = str(fields.get("start_date") or "")[:10]
        if job is None:
            if date.fromisoformat(start) > self.today + MAX_START_AHEAD:
                raise identity_errors.START_DATE_TOO_FAR(field="start_date")
        if not new and start in self.known.contract_starts.get(person.pk, ()):
            # One labour contract per worker and start (services.existing_labour_contract).
            raise _contract_exists(start)
        if job is not None:
            lifecycle.require_fits(job, self.kind)  # the step must fit the employment
        past = history.History() if new else self.known.histories[person.pk]
        draft = checkup.parse_draft(history.with_history(fields, past))
        # The minimum wage in force on the start date (batch starts are today or later).
        problems = [
            Problem(f.code, f.message_zh, f.message_en, f.field, article=f.article)
            for f in rules.check(
                draft, self.minimum_wage(checkup.minimum_wage_day(draft, self.today)), self.today
            )
            if f.severity == "error"
        ]
        if problems:
            raise errors.UNLAWFUL_DRAFT(
                problems[0].field,
                problems=problems,
                first_zh=problems[0].message_zh,
                first_en=problems[0].message_en,
            )
        if not person.phone:  # services._check_parties: a signer needs a phone for link and code
            raise errors.PARTY_PHONE_MISSING(field="phone")
        if new and person.phone_index:
            self._phones_taken.add(person.phone_index)  # a later row may not take it again
        number = services.new_number()
        values = drafting.values_for(
            enterprise=self.enterprise, person=person, fields=fields, draft=draft, number=number
        )
        return Row(
            line=row["line"],
            key=key,
            fields=fields,
            person=person,
            new_person=new,
            needs_account=new or person.pk not in self.known.accounts,
            job=job,
            number=number,
            values=values,
        )


def _failure(line: int, exc: AccordError) -> list[dict[str, Any]]:
    problems = exc.problems or [Problem(exc.code, exc.message_zh, exc.message_en, exc.field)]
    return [
        {
            "row": line,
            "column": sheet.column_of(p.column or p.field or exc.field),
            "code": p.code if exc.problems else exc.code,
            "article": p.article,
            "message_zh": p.message_zh,
            "message_en": p.message_en,
            "stage": "send",
        }
        for p in problems
    ]


def check_rows(batch: Batch, rows: list[dict[str, Any]]) -> Plan:
    """Every row of a chunk through the rules of one envelope; nothing rendered or written."""
    keys = [idempotency_key(batch, r["line"]) for r in rows]
    known = _known(batch.enterprise, rows, keys)
    checker = _Checker(batch, known)
    planned: list[Row] = []
    failures: dict[int, list[dict[str, Any]]] = {}
    skipped = 0
    for row, key in zip(rows, keys, strict=True):
        if key in known.done:
            skipped += 1  # sent before: nothing is sent twice
            continue
        try:
            planned.append(checker.check(row, key))
        except AccordError as exc:
            failures[row["line"]] = _failure(row["line"], exc)
    return Plan(planned, failures, skipped)


def plan(batch: Batch, rows: list[dict[str, Any]]) -> Plan:
    """The chunk's rows checked; they are rendered by ``batch_send.render``, outside the
    chunk's transaction."""
    return check_rows(batch, rows)
