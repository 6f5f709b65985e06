"""The list pages and the API filter with the same FilterSets (identity/filters.py), and the
searches find what a user would expect: a name by its start, an identity number or phone
exactly, an enterprise by any part of its name or by its credit code."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.identity import employment
from accord.identity.models import Enterprise, Person
from accord.identity.summary import bureau_summary
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(make_enterprise, make_person, make_user):
    tech = make_enterprise(name="深圳华为科技有限公司", street="futian")
    make_enterprise(name="TCL科技集团股份有限公司", street="futian")
    make_enterprise(name="福田区小张餐饮店", street="huaqiangbei")
    people = {
        name: make_person(name=name)
        for name in ("王小明", "王大力", "欧阳娜娜", "李王", "汪洋", "王小")
    }
    for person in people.values():
        tech.employments.create(person=person, start_date=dt.date(2024, 1, 1))
    return {"enterprise": tech, "people": people, "bureau": make_user("bureau_officer")}


def _api(client, path: str, query: str) -> list[str]:
    response = client.get(f"/api/v1/{path}?{query}&page_size=200")
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def _page(client, path: str, query: str) -> list[str]:
    response = client.get(f"/{path}/?{query}")
    assert response.status_code == 200
    return [row.name for row in response.context["page"].items]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("q=王", ["王大力", "王小", "王小明"]),
        ("q=王小", ["王小", "王小明"]),
        ("q=欧阳", ["欧阳娜娜"]),
        ("q=洋", []),  # a name is found by its start, not by any part
    ],
)
def test_people_are_found_by_the_start_of_their_name_on_the_page_and_in_the_api(
    client, district, query, names
):
    login(client, district["bureau"])
    assert _api(client, "people", query) == names
    assert _page(client, "people", query) == names


def test_a_person_is_found_by_identity_number_or_phone_exactly(client, district):
    login(client, district["bureau"])
    person = district["people"]["汪洋"]
    assert _api(client, "people", f"q={person.id_number}") == ["汪洋"]
    assert _api(client, "people", f"q={person.phone.lower()}") == ["汪洋"]
    assert _api(client, "people", f"q={person.id_number[:10]}") == []  # never by a part
    assert _page(client, "people", f"q={person.phone}") == ["汪洋"]


def test_people_of_one_enterprise_with_a_name_search(client, district, make_person):
    login(client, district["bureau"])
    make_person(name="王不在职")
    query = f"enterprise={district['enterprise'].public_id}&q=王"
    assert _api(client, "people", query) == ["王大力", "王小", "王小明"]
    assert _page(client, "people", query) == ["王大力", "王小", "王小明"]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("q=科技", ["TCL科技集团股份有限公司", "深圳华为科技有限公司"]),  # two characters
        ("q=华为科技", ["深圳华为科技有限公司"]),
        ("q=tcl", ["TCL科技集团股份有限公司"]),  # Latin letters in any case
        ("q=餐", ["福田区小张餐饮店"]),
        ("q=科技&street=huaqiangbei", []),
        ("street=huaqiangbei", ["福田区小张餐饮店"]),
    ],
)
def test_enterprises_are_found_by_any_part_of_their_name_on_the_page_and_in_the_api(
    client, district, query, names
):
    login(client, district["bureau"])
    assert _api(client, "enterprises", query) == names
    assert _page(client, "enterprises", query) == names


def test_an_enterprise_is_found_by_its_credit_code(client, district):
    login(client, district["bureau"])
    code = district["enterprise"].uscc
    assert _api(client, "enterprises", f"q={code.lower()}") == ["深圳华为科技有限公司"]
    assert _page(client, "enterprises", f"q={code}") == ["深圳华为科技有限公司"]


def test_an_invalid_filter_is_refused_with_its_field(client, district):
    login(client, district["bureau"])
    response = client.get("/api/v1/people?verification_level=perfect")
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "core.invalid_filter",
        "verification_level",
    )


def test_employees_are_the_current_ones_unless_asked_for_all(client, district):
    login(client, district["bureau"])
    enterprise = district["enterprise"]
    record = enterprise.employments.get(person=district["people"]["李王"])
    employment.end_employment(record, dt.date(2025, 6, 30), "合同期满")
    url = f"/api/v1/enterprises/{enterprise.public_id}/employees?page_size=200"
    current = {e["person"]["name"] for e in client.get(url).json()["results"]}
    every = {e["person"]["name"] for e in client.get(f"{url}&current=false").json()["results"]}
    assert "李王" not in current and len(current) == 5
    assert every == current | {"李王"}


def test_audit_is_filtered_by_action_prefix_and_object(client, make_user, district):
    auditor = make_user("auditor")
    login(client, auditor)
    enterprise = district["enterprise"]
    body = client.get("/api/v1/audit?action=identity.enterprise.&page_size=200").json()
    assert body["count"] >= 3
    assert all(row["action"].startswith("identity.enterprise.") for row in body["results"])
    mine = client.get(f"/api/v1/audit?object_id={enterprise.public_id}").json()["results"]
    assert mine and {row["object_id"] for row in mine} == {str(enterprise.public_id)}


def test_the_home_figures_are_those_of_the_viewers_scope(client, district, make_user):
    officer = make_user("street_officer", street="huaqiangbei")
    everything = bureau_summary(district["bureau"])
    street = bureau_summary(officer, "en")
    assert everything["enterprise_count"] == Enterprise.objects.count()
    assert everything["person_count"] == Person.objects.count()
    assert street["enterprise_count"] == 1
    assert street["street_chart"]["values"] == [1]
    assert street["street_chart"]["labels"] == ["Huaqiangbei"]
    login(client, officer)
    home = client.get("/")
    assert home.context["enterprise_count"] == 1
