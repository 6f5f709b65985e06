"""The demo load: valid identity numbers, Futian's industry mix, working accounts, idempotence."""

from __future__ import annotations

import base64
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.cn import ric, uscc

from accord.core.crypto import decrypt
from accord.core.models import AuditEntry
from accord.identity import demo, demo_gen, services
from accord.identity.models import (
    Employment,
    Enterprise,
    Membership,
    Organisation,
    Person,
    ResidentRegistryRecord,
    User,
)
from accord.identity.reference import DIVISIONS
from accord.identity.verification import name_index
from accord.mediation import demo as mediation_demo


def load_small(*args: str) -> str:
    out = io.StringIO()
    call_command("demo_data", "--scale", "small", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def small(db):
    return load_small()


def test_small_scale_counts_validity_and_distributions(small):
    assert Organisation.objects.count() == 26
    assert Counter(Organisation.objects.values_list("kind", flat=True)) == {
        "district": 1,
        "street": 10,
        "platform": 2,
        "social": 13,
    }
    assert not Organisation.objects.filter(kind="street", street__isnull=True).exists()
    assert Enterprise.objects.count() == 200
    # 2,000 people of the enterprises, and the 135 registered mediators (mediation's demo).
    assert Person.objects.count() == 2000 + sum(mediation_demo.MEDIATORS_BY_KIND.values())
    assert Employment.objects.filter(end_date__isnull=True).count() > 1700
    assert Employment.objects.filter(end_date__isnull=False).exists()

    codes = list(Enterprise.objects.values_list("uscc", flat=True))
    assert all(uscc.is_valid(c) and c.startswith("9144030") for c in codes)
    assert len(set(codes)) == len(codes)
    people = list(Person.objects.all())
    numbers = [p.id_number for p in people]
    assert all(ric.is_valid(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    phones = [p.phone for p in people]
    assert len(set(phones)) == len(phones)
    assert all(p[:3] in demo_gen.MOBILE_PREFIXES and len(p) == 11 for p in phones)
    for p in people[:100]:
        assert p.birth_date == ric.get_birth_date(p.id_number)
        assert p.gender == ("M" if int(p.id_number[16]) % 2 else "F")
        assert 1965 <= p.birth_date.year <= 2005

    sections = Counter(Enterprise.objects.values_list("industry__section", flat=True))
    # Finance, leasing & business services, IT and wholesale/retail dominate Futian.
    assert len({s for s, _ in sections.most_common(5)} & {"J", "L", "I", "F"}) >= 3
    assert sum(sections[s] for s in "JLIF") > 0.55 * 200
    sizes = Counter(Enterprise.objects.values_list("size", flat=True))
    assert sizes["micro"] > sizes["small"] > sizes["medium"] >= sizes["large"]
    counts = sorted(Enterprise.objects.values_list("employee_count", flat=True), reverse=True)
    assert counts[0] > 10 * (sum(counts) / len(counts))
    for e in Enterprise.objects.order_by("-employee_count")[:5]:
        assert e.employee_count == e.employments.filter(end_date__isnull=True).count()


def test_personal_data_encrypted_indexed_and_verifiable(small):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM identity_person WHERE name = %s", ["张三"])
        raw_id, raw_phone = cursor.fetchone()
    worker_id = demo_gen.worker_id_number()
    assert demo_gen.WORKER_PHONE not in raw_phone and worker_id[:10] not in raw_id
    assert decrypt(raw_id) == worker_id
    assert decrypt(raw_phone) == demo_gen.WORKER_PHONE
    zhang = services.find_person_by_phone(demo_gen.WORKER_PHONE)
    assert zhang.name == "张三"
    assert services.find_person("resident", worker_id) == zhang
    assert zhang.id_number_masked == worker_id[:6] + "********" + worker_id[-4:]
    assert zhang.phone_masked == "138****0001"
    other = Person.objects.exclude(pk=zhang.pk).order_by("?").first()
    assert services.find_person("resident", other.id_number) == other
    assert services.find_person_by_phone(other.phone) == other

    # Most people are in the registry, some are not, and a few deliberately differ by name.
    assert services.verify_person(zhang).result == "verified"
    registry = dict(ResidentRegistryRecord.objects.values_list("id_number_index", "name_index"))
    assert 1700 < len(registry) < 2000
    outcome = {"verified": None, "mismatch": None, "unknown": None}
    for p in Person.objects.all():
        if p.id_number_index not in registry:
            outcome["unknown"] = outcome["unknown"] or p
        elif registry[p.id_number_index] != name_index(p.name):
            outcome["mismatch"] = outcome["mismatch"] or p
        else:
            outcome["verified"] = outcome["verified"] or p
    for expected, person in outcome.items():
        assert person is not None, expected
        assert services.verify_person(person).result == expected


def test_accounts_memberships_totp_and_one_audit_entry(small):
    expected = {
        "admin": ("admin", None),
        "bureau": ("bureau_officer", None),
        "auditor": ("auditor", None),
        "street": ("street_officer", "futian"),
        "hr": ("hr", demo_gen.HR_ENTERPRISE[0]),
        "hr2": ("hr", demo_gen.HR2_ENTERPRISE[0]),
        "sealmgr": ("hr", demo_gen.HR_ENTERPRISE[0]),
        "mediator": ("mediator", demo_gen.DISTRICT_ORGANISATION),
    }
    for username, (role, scope) in expected.items():
        user = User.objects.get(username=username)
        assert user.check_password(demo.DEMO_PASSWORD)
        m = Membership.objects.get(user=user)
        assert m.role == role
        if role == "street_officer":
            assert m.street.code == scope
        if role == "hr":
            assert m.enterprise.name == scope
        if role == "mediator":
            assert m.organisation.name == scope and m.organisation.kind == "district"
        has_totp = TOTPDevice.objects.filter(user=user, confirmed=True, name="demo").exists()
        needs = role in {"admin", "bureau_officer", "auditor", "street_officer"}
        assert needs == user.needs_totp
        # The demo HR user seals (Electronic Signature Law Art. 13: a fresh second factor).
        assert has_totp == (needs or username == "hr")
    assert User.objects.get(username="admin").is_superuser
    worker = User.objects.get(username="worker")
    assert not worker.has_usable_password()
    assert worker.person.name == "张三"
    hr_enterprise = Enterprise.objects.get(name=demo_gen.HR_ENTERPRISE[0])
    assert hr_enterprise.street.code == "futian" and hr_enterprise.industry.code == "65"
    assert hr_enterprise.employee_count == demo_gen.HR_ENTERPRISE_EMPLOYEES
    assert Employment.objects.filter(
        person=worker.person, enterprise=hr_enterprise, end_date__isnull=True
    ).exists()
    assert Enterprise.objects.get(name=demo_gen.HR2_ENTERPRISE[0]).street.code == "huaqiangbei"

    # The printed table lets a person log in: password, TOTP secret, the totp-code hint.
    assert demo.DEMO_PASSWORD in small and "accord totp-code bureau" in small
    device = TOTPDevice.objects.get(user__username="bureau")
    assert base64.b32encode(device.bin_key).decode() in small
    out = io.StringIO()
    call_command("demo_data", "--accounts", stdout=out)
    assert demo_gen.WORKER_PHONE in out.getvalue() and "hr2" in out.getvalue()

    entries = AuditEntry.objects.filter(action="demo.load")
    assert entries.count() == 1
    assert entries.get().changes["people"] == [None, 2000]
    assert not AuditEntry.objects.filter(action="identity.person.create").exists()


def test_if_empty_does_nothing_the_second_time(small):
    before = (Enterprise.objects.count(), Person.objects.count(), User.objects.count())
    load_small("--if-empty", "--quiet")
    assert (Enterprise.objects.count(), Person.objects.count(), User.objects.count()) == before
    assert AuditEntry.objects.filter(action="demo.load").count() == 1
    with pytest.raises(CommandError):
        load_small()


@pytest.mark.django_db
def test_same_seed_same_data():
    gen_a = demo_gen.Generator(7, {code: section for code, section, _ in DIVISIONS})
    gen_b = demo_gen.Generator(7, dict(gen_a.divisions))
    a, b = gen_a.enterprises(50), gen_b.enterprises(50)
    assert [(e.uscc, e.name, e.public_id) for e in a] == [(e.uscc, e.name, e.public_id) for e in b]
    pa, pb = demo_gen.PeoplePlanner(gen_a, a, 200), demo_gen.PeoplePlanner(gen_b, b, 200)
    for p in (pa, pb):
        p.set_keys(1, 1)
    assert pa.chunk(0, 200) == pb.chunk(0, 200)
    gen_c = demo_gen.Generator(8, dict(gen_a.divisions))
    assert [e.uscc for e in gen_c.enterprises(50)] != [e.uscc for e in a]


SCHEMA_SQL = """
SELECT c.relname, 'index', pg_get_indexdef(i.indexrelid) FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid::regclass::text = ANY(%(tables)s)
UNION ALL
SELECT k.conname, k.contype::text, pg_get_constraintdef(k.oid) FROM pg_constraint k
 WHERE k.conrelid::regclass::text = ANY(%(tables)s)
ORDER BY 1, 2
"""


@pytest.mark.django_db
def test_bulk_load_on_postgresql_restores_every_index_and_constraint(monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the index rebuild is the PostgreSQL COPY path")
    tables = [m._meta.db_table for m in demo.CopyWriter.TABLES]

    def schema():
        with connection.cursor() as cursor:
            cursor.execute(SCHEMA_SQL, {"tables": tables})
            return cursor.fetchall()

    before = schema()
    monkeypatch.setattr(demo, "BULK_THRESHOLD", 0)
    result = demo.load("small", enterprises=50, people=300)
    assert result.method == "COPY" and "indexes" in result.phases
    assert schema() == before
    assert Person.objects.count() == 300
    assert all(ric.is_valid(p.id_number) for p in Person.objects.all())
