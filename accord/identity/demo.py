"""The demo load: ``accord demo-data --scale small|district``.

Rows are written in bulk (PostgreSQL ``COPY``, elsewhere ``bulk_create``), never one service
call per row, yet with the very helpers the services use — ``crypto.encrypt`` (through the
encrypted field or directly), ``blind_index``/``id_index``, ``mask_id_number``/``mask_phone`` —
so demo people are indistinguishable from people created through the API. The whole load is one
transaction and leaves one audit entry (``demo.load``).

At district scale drawing, encrypting and hashing 2.2 million ID numbers and phones dominate
the Python side, so chunks of people are drawn and formatted for ``COPY`` in worker processes
while the parent streams finished chunks into the database, and PostgreSQL builds the indexes
once at the end instead of row by row (see ``CopyWriter``).
"""

from __future__ import annotations

import base64
import io
import multiprocessing
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.core import audit
from accord.core.crypto import blind_index, encrypt, mask_id_number, mask_phone
from accord.identity import demo_gen
from accord.identity.models import (
    Employment,
    Enterprise,
    IndustryDivision,
    Membership,
    Organisation,
    Person,
    ResidentRegistryRecord,
    Role,
    Street,
    User,
)
from accord.identity.verification import id_index, name_index

DEMO_PASSWORD = "Accord-demo-2026!"
DEFAULT_SEED = 2026
REGISTRY_SOURCE = "演示数据 / demo data (accord demo-data)"
CHUNK = 20_000
# From this many people on, PostgreSQL loads run with worker processes and rebuild indexes.
BULK_THRESHOLD = 100_000


@dataclass(frozen=True)
class Scale:
    enterprises: int
    people: int


SCALES = {
    "small": Scale(enterprises=200, people=2_000),
    "district": Scale(enterprises=300_000, people=2_200_000),
}


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    street: str | None = None
    enterprise: str | None = None
    organisation: str | None = None
    note: str = ""


ACCOUNTS = [
    Account("admin", Role.ADMIN, note="superuser"),
    Account("bureau", Role.BUREAU_OFFICER),
    Account("auditor", Role.AUDITOR),
    Account("street", Role.STREET_OFFICER, street="futian", note="福田街道"),
    Account("hr", Role.HR, enterprise=demo_gen.HR_ENTERPRISE[0], note=demo_gen.HR_ENTERPRISE[0]),
    Account(
        "sealmgr",
        Role.HR,
        enterprise=demo_gen.HR_ENTERPRISE[0],
        note="印章管理员 seal manager",
    ),
    Account("hr2", Role.HR, enterprise=demo_gen.HR2_ENTERPRISE[0], note=demo_gen.HR2_ENTERPRISE[0]),
    Account(
        "mediator",
        Role.MEDIATOR,
        organisation=demo_gen.DISTRICT_ORGANISATION,
        note=demo_gen.DISTRICT_ORGANISATION,
    ),
    Account("worker", Role.WORKER, note=f"{demo_gen.WORKER_NAME} {demo_gen.WORKER_PHONE}"),
]


@dataclass
class LoadResult:
    scale: str
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    method: str = ""


class DemoDataError(Exception):
    pass


def database_is_empty() -> bool:
    return not Enterprise.objects.exists()


def load(
    scale: str = "small",
    *,
    seed: int = DEFAULT_SEED,
    enterprises: int | None = None,
    people: int | None = None,
    processes: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> LoadResult:
    """Load the demo data into an empty database, in one transaction."""
    size = SCALES[scale]
    n_enterprises = enterprises if enterprises is not None else size.enterprises
    n_people = people if people is not None else size.people
    if (
        n_enterprises < 2
        or n_people < demo_gen.HR_ENTERPRISE_EMPLOYEES + demo_gen.HR2_ENTERPRISE_EMPLOYEES
    ):
        raise DemoDataError("need at least 2 enterprises and 65 people")
    if not database_is_empty():
        raise DemoDataError(
            "the database already holds enterprises; demo data loads into an empty one"
        )
    say = progress or (lambda message: None)
    result = LoadResult(scale, seed)
    use_copy = connection.vendor == "postgresql"
    result.method = "COPY" if use_copy else "bulk_create"
    started = time.perf_counter()
    mark = started

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        result.phases[name] = round(now - mark, 2)
        mark = now
        say(f"{name}: {result.phases[name]:.1f} s")

    gen = demo_gen.Generator(seed, dict(IndustryDivision.objects.values_list("code", "section")))
    specs = gen.enterprises(n_enterprises)
    planner = demo_gen.PeoplePlanner(gen, specs, n_people)
    phase("plan")
    # Keys are fixed before the workers fork: they draw people with their final keys.
    planner.set_keys(_next_pk(Enterprise), _next_pk(Person))
    # Worker processes are forked before the transaction opens a connection they would share.
    pool = None
    bulk = use_copy and n_people >= BULK_THRESHOLD
    if bulk and not connection.in_atomic_block:
        global _worker_planner
        connection.close()
        _worker_planner = planner
        pool = multiprocessing.get_context("fork").Pool(processes or os.cpu_count() or 2)
        _worker_planner = None
    try:
        with transaction.atomic():
            if use_copy:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            organisations = _organisations()
            writer = CopyWriter(rebuild_indexes=bulk) if use_copy else OrmWriter()
            if use_copy:
                writer.drop_indexes()
            if (
                _next_pk(Enterprise) != planner.first_enterprise_pk
                or _next_pk(Person) != planner.first_person_pk
            ):
                raise DemoDataError("enterprises or people were added during the load; try again")
            writer.enterprises(specs, planner.first_enterprise_pk)
            phase("enterprises")
            counts = writer.people(planner, pool, say)
            phase("people")
            if use_copy:
                writer.restore_indexes()
                phase("indexes")
                _reset_sequences([Enterprise, Person, Employment, ResidentRegistryRecord])
            _accounts(organisations)
            result.counts = {
                "organisations": len(organisations),
                "enterprises": len(specs),
                **counts,
                "users": len(ACCOUNTS),
            }
            audit.record(
                "demo.load",
                None,
                object_type="identity.demo",
                object_id=scale,
                label=f"demo data {scale} seed {seed}",
                changes={k: [None, v] for k, v in result.counts.items()},
            )
            phase("accounts")
        phase("commit")
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def _next_pk(model) -> int:
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _reset_sequences(models: list) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def _organisations() -> dict[str, Organisation]:
    streets = {s.code: s for s in Street.objects.all()}
    out = {}
    for name, kind, street in demo_gen.organisations(
        [(s.code, s.name_zh) for s in streets.values()]
    ):
        org, _ = Organisation.objects.get_or_create(
            name=name, defaults={"kind": kind, "street": streets.get(street) if street else None}
        )
        out[name] = org
    return out


# ---- writers -------------------------------------------------------------------------------

PERSON_COLUMNS = [
    "id",
    "public_id",
    "created_at",
    "updated_at",
    "name",
    "id_type",
    "id_number",
    "id_number_index",
    "id_number_masked",
    "phone",
    "phone_index",
    "phone_masked",
    "birth_date",
    "gender",
    "verification_level",
    "verified_at",
]


# Employments take their keys from the database: nothing refers to them during the load.
EMPLOYMENT_COLUMNS = [
    "public_id",
    "created_at",
    "updated_at",
    "person_id",
    "enterprise_id",
    "position",
    "start_date",
    "end_date",
]
REGISTRY_COLUMNS = ["id_number_index", "name_index", "source", "imported_at"]
ENTERPRISE_COLUMNS = [
    "id",
    "public_id",
    "created_at",
    "updated_at",
    "name",
    "uscc",
    "legal_representative",
    "address",
    "street_id",
    "industry_id",
    "size",
    "employee_count",
    "status",
]


def _check_columns() -> None:
    # COPY names the columns; a model change that adds a required column must fail loudly here.
    for model, cols in (
        (Person, PERSON_COLUMNS),
        (Employment, ["id", *EMPLOYMENT_COLUMNS]),
        (Enterprise, ENTERPRISE_COLUMNS),
    ):
        actual = {f.column for f in model._meta.concrete_fields}
        if actual != set(cols):
            raise DemoDataError(f"{model.__name__} columns changed: {sorted(actual ^ set(cols))}")
    actual = {f.column for f in ResidentRegistryRecord._meta.concrete_fields} - {"id"}
    if actual != set(REGISTRY_COLUMNS):
        raise DemoDataError("ResidentRegistryRecord columns changed")


def person_line(now: str, p: demo_gen.PersonPlan) -> str:
    """One ``identity_person`` row as COPY text, encrypted and indexed as the services do it.

    Generated values never contain tabs, newlines or backslashes, so no escaping is needed.
    """
    return (
        f"{p.pk}\t{p.public_id}\t{now}\t{now}\t{p.name}\tresident\t{encrypt(p.id_number)}\t"
        f"{id_index('resident', p.id_number)}\t{mask_id_number(p.id_number)}\t{encrypt(p.phone)}\t"
        f"{blind_index(p.phone, 'phone')}\t{mask_phone(p.phone)}\t{p.birth_date}\t{p.gender}\t"
        "checksum\t\\N\n"
    )


def registry_line(now: str, p: demo_gen.PersonPlan) -> str:
    if p.registry_name is None:
        return ""
    return f"{id_index('resident', p.id_number)}\t{name_index(p.registry_name)}\t{REGISTRY_SOURCE}\t{now}\n"


def job_line(now: str, j: demo_gen.EmploymentPlan) -> str:
    end = j.end_date if j.end_date is not None else "\\N"
    return (
        f"{j.public_id}\t{now}\t{now}\t{j.person_pk}\t{j.enterprise_pk}\t{j.position}\t"
        f"{j.start_date}\t{end}\n"
    )


# The planner a forked worker process inherits from its parent (see CopyWriter.people).
_worker_planner: demo_gen.PeoplePlanner | None = None


def draw_and_format(now: str, start: int, planner: demo_gen.PeoplePlanner | None = None):
    """Draw a chunk of people and format it for COPY (in a worker process, or inline)."""
    planner = planner or _worker_planner
    assert planner is not None
    people, jobs = planner.chunk(start, CHUNK)
    return (
        people,
        [person_line(now, p) for p in people],
        [registry_line(now, p) for p in people],
        "".join(job_line(now, j) for j in jobs).encode(),
    )


class CopyWriter:
    """PostgreSQL: COPY FROM STDIN, people formatted in worker processes.

    With ``rebuild_indexes`` the secondary indexes, unique and foreign-key constraints of the
    loaded tables are dropped first and recreated from their own definitions after the COPY
    (PostgreSQL's advice for populating a database: one sorted build instead of millions of
    random inserts, one validating join instead of a trigger per row). It all happens inside
    the load's transaction, so a failure leaves the schema as it was.
    """

    def __init__(self, rebuild_indexes: bool = False):
        _check_columns()
        self.now = timezone.now().isoformat()
        self.rebuild_indexes = rebuild_indexes
        self._dropped: list[tuple[str, str, str, str]] = []

    TABLES = [Enterprise, Person, Employment, ResidentRegistryRecord]

    def drop_indexes(self) -> None:
        if not self.rebuild_indexes:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for model in self.TABLES:
                table = model._meta.db_table
                # Unique constraints nothing else depends on, and this table's foreign keys.
                cursor.execute(
                    """SELECT k.contype, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k
                       WHERE k.conrelid = %s::regclass AND (k.contype = 'f' OR (k.contype = 'u'
                       AND NOT EXISTS (SELECT 1 FROM pg_constraint d
                                       WHERE d.contype = 'f' AND d.conindid = k.conindid)))""",
                    [table],
                )
                for _kind, name, definition in cursor.fetchall():
                    self._dropped.append((table, "constraint", name, definition))
                # Plain indexes (not primary keys, not backing a constraint).
                cursor.execute(
                    """SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
                       JOIN pg_class c ON c.oid = i.indexrelid
                       WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
                       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    self._dropped.append((table, "index", name, definition))
            for table, kind, name, _ in self._dropped:
                if kind == "constraint":
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                else:
                    cursor.execute(f'DROP INDEX "{name}"')

    def restore_indexes(self) -> None:
        if not self._dropped:
            return
        with connection.cursor() as cursor:
            # Indexes and unique constraints first: the foreign keys validate through them.
            for table, kind, name, definition in sorted(
                self._dropped, key=lambda d: "FOREIGN KEY" in d[3]
            ):
                if kind == "constraint":
                    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                else:
                    cursor.execute(definition)
            for model in self.TABLES:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
        self._dropped = []

    def _copy(self, table: str, columns: list[str], chunks) -> None:
        with connection.cursor() as cursor:
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for chunk in chunks:
                    copy.write(chunk)

    def enterprises(self, specs: list[demo_gen.EnterpriseSpec], first: int) -> None:
        streets = dict(Street.objects.values_list("code", "pk"))
        industries = dict(IndustryDivision.objects.values_list("code", "pk"))
        now = self.now
        buf = io.StringIO()
        for i, e in enumerate(specs):
            buf.write(
                f"{first + i}\t{e.public_id}\t{now}\t{now}\t{e.name}\t{e.uscc}\t"
                f"{e.legal_representative}\t{e.address}\t{streets[e.street]}\t"
                f"{industries[e.industry]}\t{e.size}\t{e.employee_count}\t{e.status}\n"
            )
        self._copy(Enterprise._meta.db_table, ENTERPRISE_COLUMNS, [buf.getvalue().encode()])

    def people(self, planner: demo_gen.PeoplePlanner, pool, say) -> dict[str, int]:
        counts = {"people": 0, "employments": 0, "registry_records": 0}
        starts = range(0, planner.people, CHUNK)
        with tempfile.TemporaryFile() as registry, tempfile.TemporaryFile() as jobs:

            def formatted():
                if pool is None:
                    for start in starts:
                        yield draw_and_format(self.now, start, planner)
                    return
                pending: deque = deque()
                for start in starts:
                    pending.append(pool.apply_async(draw_and_format, (self.now, start)))
                    if len(pending) > 3:
                        yield pending.popleft().get()
                while pending:
                    yield pending.popleft().get()

            def person_chunks():
                done = 0
                for people, p_lines, r_lines, j_text in formatted():
                    for i in planner.claim(people):
                        p_lines[i] = person_line(self.now, people[i])
                        r_lines[i] = registry_line(self.now, people[i])
                    r_text = "".join(r_lines).encode()
                    registry.write(r_text)
                    jobs.write(j_text)
                    counts["registry_records"] += r_text.count(b"\n")
                    counts["employments"] += j_text.count(b"\n")
                    done += len(people)
                    if done % 200_000 == 0 or done == planner.people:
                        say(f"  people {done:,}/{planner.people:,}")
                    yield "".join(p_lines).encode()
                counts["people"] = planner.people

            self._copy(Person._meta.db_table, PERSON_COLUMNS, person_chunks())
            say("  employments and registry records")
            for spool, table, columns in (
                (jobs, Employment._meta.db_table, EMPLOYMENT_COLUMNS),
                (registry, ResidentRegistryRecord._meta.db_table, REGISTRY_COLUMNS),
            ):
                spool.seek(0)
                self._copy(table, columns, iter(lambda s=spool: s.read(1 << 20), b""))
        return counts


class OrmWriter:
    """Any database: bulk_create in batches; the encrypted fields encrypt on the way in."""

    batch = 2_000

    def enterprises(self, specs: list[demo_gen.EnterpriseSpec], first: int) -> None:
        streets = dict(Street.objects.values_list("code", "pk"))
        industries = dict(IndustryDivision.objects.values_list("code", "pk"))
        Enterprise.objects.bulk_create(
            (
                Enterprise(
                    pk=first + i,
                    public_id=e.public_id,
                    name=e.name,
                    uscc=e.uscc,
                    legal_representative=e.legal_representative,
                    address=e.address,
                    street_id=streets[e.street],
                    industry_id=industries[e.industry],
                    size=e.size,
                    employee_count=e.employee_count,
                    status=e.status,
                )
                for i, e in enumerate(specs)
            ),
            batch_size=self.batch,
        )

    def people(self, planner: demo_gen.PeoplePlanner, pool, say) -> dict[str, int]:
        counts = {"people": 0, "employments": 0, "registry_records": 0}
        for start in range(0, planner.people, CHUNK):
            people, jobs = planner.chunk(start, CHUNK)
            planner.claim(people)
            persons = []
            records = []
            for p in people:
                index = id_index("resident", p.id_number)
                persons.append(
                    Person(
                        pk=p.pk,
                        public_id=p.public_id,
                        name=p.name,
                        id_type="resident",
                        id_number=p.id_number,
                        id_number_index=index,
                        id_number_masked=mask_id_number(p.id_number),
                        phone=p.phone,
                        phone_index=blind_index(p.phone, "phone"),
                        phone_masked=mask_phone(p.phone),
                        birth_date=p.birth_date,
                        gender=p.gender,
                        verification_level=Person.Level.CHECKSUM,
                    )
                )
                if p.registry_name is not None:
                    records.append(
                        ResidentRegistryRecord(
                            id_number_index=index,
                            name_index=name_index(p.registry_name),
                            source=REGISTRY_SOURCE,
                        )
                    )
            Person.objects.bulk_create(persons, batch_size=self.batch)
            Employment.objects.bulk_create(
                (
                    Employment(
                        public_id=j.public_id,
                        person_id=j.person_pk,
                        enterprise_id=j.enterprise_pk,
                        position=j.position,
                        start_date=j.start_date,
                        end_date=j.end_date,
                    )
                    for j in jobs
                ),
                batch_size=self.batch,
            )
            ResidentRegistryRecord.objects.bulk_create(records, batch_size=self.batch)
            counts["people"] += len(persons)
            counts["employments"] += len(jobs)
            counts["registry_records"] += len(records)
            say(f"  people {counts['people']:,}/{planner.people:,}")
        return counts


# ---- accounts ------------------------------------------------------------------------------


def _accounts(organisations: dict[str, Organisation]) -> None:
    # One hash for the one shared demo password: hashing it per account costs a second each.
    password = make_password(DEMO_PASSWORD)
    for account in ACCOUNTS:
        user = User(
            username=account.username,
            is_staff=account.role == Role.ADMIN,
            is_superuser=account.role == Role.ADMIN,
        )
        if account.role == Role.WORKER:
            user.set_unusable_password()
            user.person = Person.objects.get(
                phone_index=blind_index(demo_gen.WORKER_PHONE, "phone")
            )
        else:
            user.password = password
        user.save()
        if account.role == Role.WORKER:
            continue
        Membership.objects.create(
            user=user,
            role=account.role,
            street=Street.objects.get(code=account.street) if account.street else None,
            enterprise=Enterprise.objects.get(name=account.enterprise)
            if account.enterprise
            else None,
            organisation=organisations[account.organisation] if account.organisation else None,
        )
        # HR seals with a second factor (Electronic Signature Law Art. 13): the demo HR user has
        # an authenticator already (`accord totp-code hr`).
        if account.role in settings.ACCORD_TOTP_ROLES or account.username == "hr":
            TOTPDevice.objects.create(user=user, name="demo", confirmed=True)


LOGIN_METHODS = {
    Role.WORKER: "手机号 + 短信验证码 / phone + SMS code",
}


def account_rows() -> list[dict[str, str]]:
    """The demo accounts as they are in the database (for printing)."""
    users = {
        u.username: u for u in User.objects.filter(username__in=[a.username for a in ACCOUNTS])
    }
    devices = {
        d.user_id: d for d in TOTPDevice.objects.filter(user__in=users.values(), name="demo")
    }
    rows = []
    for account in ACCOUNTS:
        user = users.get(account.username)
        if user is None:
            continue
        device = devices.get(user.pk)
        if account.role == Role.WORKER:
            login, password = LOGIN_METHODS[Role.WORKER], "—"
        elif device is not None and user.needs_totp:
            login, password = "密码 + 动态口令 / password + TOTP", DEMO_PASSWORD
        elif device is not None:
            login, password = "密码；盖章用动态口令 / password; TOTP to seal", DEMO_PASSWORD
        else:
            login, password = "密码 / password", DEMO_PASSWORD
        rows.append(
            {
                "username": account.username,
                "role": str(account.role),
                "scope": account.note,
                "password": password,
                "login": login,
                "totp_secret": base64.b32encode(device.bin_key).decode() if device else "",
            }
        )
    return rows


def format_accounts(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "No demo accounts in this database (run: accord demo-data).\n"
    out = ["演示账号 / Demo accounts", ""]
    header = ["username", "role", "password", "login", "scope / TOTP secret"]
    table = [header]
    for r in rows:
        detail = r["scope"]
        table.append([r["username"], r["role"], r["password"], r["login"], detail])
        if r["totp_secret"]:
            table.append(
                [
                    "",
                    "",
                    "",
                    "",
                    f"TOTP {r['totp_secret']}  (code: accord totp-code {r['username']})",
                ]
            )
    widths = [max(_width(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        out.append(
            "  ".join(_pad(c, w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    out.append("")
    out.append(
        f"Worker login: /login/phone with {demo_gen.WORKER_PHONE}; "
        "with DEBUG on the code appears at /dev/sms."
    )
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
