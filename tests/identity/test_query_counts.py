"""List endpoints run a fixed number of queries however many rows there are (CONVENTIONS.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core.crypto import blind_index, mask_id_number, mask_phone
from accord.identity import demo_gen
from accord.identity.auth import create_api_token
from accord.identity.models import Employment, Enterprise, IndustryDivision, Person, Role, Street
from accord.identity.reference import DIVISIONS
from accord.identity.verification import id_index
from tests.conftest import login, resident_id

pytestmark = pytest.mark.django_db

_generator = demo_gen.Generator(99, {code: section for code, section, _ in DIVISIONS})


def add_enterprises(n: int) -> list[Enterprise]:
    """``n`` more enterprises spread over streets and industries (bulk, valid USCCs)."""
    streets = list(Street.objects.all())
    industries = {i.code: i for i in IndustryDivision.objects.all()}
    taken = set(Enterprise.objects.values_list("uscc", flat=True))
    specs = [s for s in _generator.enterprises(n + 2)[2:] if s.uscc not in taken]
    return Enterprise.objects.bulk_create(
        Enterprise(
            name=s.name,
            uscc=s.uscc,
            legal_representative=s.legal_representative,
            address=s.address,
            street=streets[i % len(streets)],
            industry=industries[s.industry],
        )
        for i, s in enumerate(specs)
    )


def add_people(n: int, enterprise: Enterprise) -> None:
    """``n`` more people working at ``enterprise``, stored as the services store them."""
    base = Person.objects.count()
    persons = []
    for i in range(base, base + n):
        birth = dt.date(1980, 1, 1) + dt.timedelta(days=i)
        number = resident_id(i, birth=f"{birth:%Y%m%d}")
        phone = f"137{i:08d}"
        persons.append(
            Person(
                name=f"测试{i}",
                id_number=number,
                id_number_index=id_index("resident", number),
                id_number_masked=mask_id_number(number),
                phone=phone,
                phone_index=blind_index(phone, "phone"),
                phone_masked=mask_phone(phone),
                birth_date=birth,
                gender="M" if i % 2 else "F",
            )
        )
    persons = Person.objects.bulk_create(persons)
    if not all(p.pk for p in persons):  # databases that do not return keys from bulk inserts
        persons = list(Person.objects.order_by("-pk")[:n])
    Employment.objects.bulk_create(
        Employment(person=p, enterprise=enterprise, start_date=dt.date(2020, 1, 1)) for p in persons
    )


def count_queries(client, url: str, **headers) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


@pytest.fixture
def bureau_client(client, make_user):
    login(client, make_user(Role.BUREAU_OFFICER))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/enterprises",
        "/api/v1/enterprises?section=J",
        "/api/v1/enterprises?street=futian&page_size=200",
    ],
)
def test_enterprise_list_queries_flat_for_bureau(bureau_client, url):
    add_enterprises(10)
    small, body = count_queries(bureau_client, url)
    assert body["count"] >= 1 or "section" in url
    add_enterprises(90)
    large, body = count_queries(bureau_client, url)
    assert body["results"]
    assert large == small


def test_people_list_queries_flat_for_bureau(bureau_client, make_enterprise):
    enterprise = make_enterprise()
    add_people(10, enterprise)
    small, body = count_queries(bureau_client, "/api/v1/people")
    assert body["count"] >= 10
    add_people(90, enterprise)
    large, body = count_queries(bureau_client, "/api/v1/people?page_size=100")
    assert len(body["results"]) == 100
    assert large == small


def test_people_list_queries_flat_for_an_api_token(client, make_enterprise, make_user):
    enterprise = make_enterprise()
    other = make_enterprise()
    hr = make_user(Role.HR, enterprise=enterprise, totp=False)
    _, token = create_api_token(enterprise=enterprise, name="payroll", created_by=hr)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    add_people(10, enterprise)
    add_people(10, other)
    # The first use of a token stamps last_used_at (one UPDATE); measure after it.
    count_queries(client, "/api/v1/me", **auth)
    small, body = count_queries(client, "/api/v1/people", **auth)
    assert body["count"] == 10
    add_people(90, enterprise)
    large, body = count_queries(client, "/api/v1/people?page_size=100", **auth)
    assert body["count"] == 100
    assert large == small
    # The token sees its own enterprise only, however many there are.
    add_enterprises(50)
    _, body = count_queries(client, "/api/v1/enterprises", **auth)
    assert [e["name"] for e in body["results"]] == [enterprise.name]
