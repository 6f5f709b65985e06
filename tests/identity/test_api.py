"""API contract: OpenAPI, error shape (code, zh/en message, field), never a 500 on bad input."""

import pytest

from accord.identity.models import Enterprise
from tests.conftest import login, make_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau_client(client, make_user):
    login(client, make_user("bureau_officer"))
    return client


def body(**kw):
    data = dict(
        name="深圳接口测试有限公司",
        uscc=make_uscc(777),
        legal_representative="王五",
        address="福田区福华路 1 号",
        street="lianhua",
        industry="72",
    )
    data.update(kw)
    return data


def test_openapi_and_docs_are_published(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/enterprises" in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_bureau_creates_an_enterprise(bureau_client):
    r = bureau_client.post("/api/v1/enterprises", body(), content_type="application/json")
    assert r.status_code == 201
    assert r.json()["street_name"] == "莲花街道" and r.json()["section"] == "L"


@pytest.mark.parametrize(
    ("override", "status", "code", "field"),
    [
        ({"uscc": "91440304MA5XXXXXX0"}, 422, "identity.uscc_checksum", "uscc"),
        ({"street": "nowhere"}, 422, "identity.street_unknown", "street"),
        ({"size": "gigantic"}, 422, "core.invalid_choice", "size"),
        ({"employee_count": "many"}, 422, "core.invalid_request", "employee_count"),
    ],
)
def test_bad_input_answers_with_code_messages_and_field(
    bureau_client, override, status, code, field
):
    r = bureau_client.post("/api/v1/enterprises", body(**override), content_type="application/json")
    assert r.status_code == status
    data = r.json()
    assert (data["code"], data["field"]) == (code, field)
    assert data["message_zh"] and data["message_en"]
    assert not Enterprise.objects.exists()


def test_duplicate_is_409(bureau_client):
    bureau_client.post("/api/v1/enterprises", body(), content_type="application/json")
    r = bureau_client.post(
        "/api/v1/enterprises", body(name="重复"), content_type="application/json"
    )
    assert r.status_code == 409 and r.json()["code"] == "identity.enterprise_duplicate"


def test_malformed_json_is_a_4xx(bureau_client):
    r = bureau_client.post("/api/v1/enterprises", "{not json", content_type="application/json")
    assert 400 <= r.status_code < 500
    assert r.json()["code"]


def test_oversized_request_is_refused_without_a_500(bureau_client):
    huge = "x" * (6 * 1024 * 1024)
    r = bureau_client.post("/api/v1/enterprises", body(name=huge), content_type="application/json")
    assert 400 <= r.status_code < 500


def test_hr_cannot_create_enterprises(client, make_user, make_enterprise):
    login(client, make_user("hr", enterprise=make_enterprise(), totp=False))
    r = client.post("/api/v1/enterprises", body(), content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"


def test_hr_may_only_change_contact_details_of_its_own_enterprise(
    client, make_user, make_enterprise
):
    enterprise = make_enterprise()
    login(client, make_user("hr", enterprise=enterprise, totp=False))
    url = f"/api/v1/enterprises/{enterprise.public_id}"
    assert (
        client.patch(url, {"address": "福田区新址"}, content_type="application/json").status_code
        == 200
    )
    assert (
        client.patch(url, {"street": "meilin"}, content_type="application/json").status_code == 403
    )


def test_list_filters_and_bad_filter(bureau_client, make_enterprise):
    make_enterprise(street="futian", industry="66")
    make_enterprise(street="meilin", industry="52")
    r = bureau_client.get("/api/v1/enterprises?street=meilin")
    assert [e["street"] for e in r.json()["results"]] == ["meilin"]
    r = bureau_client.get("/api/v1/enterprises?section=J")
    assert [e["industry"] for e in r.json()["results"]] == ["66"]
    r = bureau_client.get("/api/v1/enterprises?size=enormous")
    assert r.status_code == 422 and r.json()["field"] == "size"
    assert bureau_client.get("/api/v1/enterprises?page_size=100000").status_code == 422


def test_people_list_is_masked_and_search_works_by_exact_number(bureau_client, make_person):
    person = make_person(name="钱七")
    data = bureau_client.get("/api/v1/people").json()["results"][0]
    assert "id_number" not in data and data["id_number_masked"] == person.id_number_masked
    found = bureau_client.get(f"/api/v1/people?q={person.id_number}").json()["results"]
    assert [p["name"] for p in found] == ["钱七"]


def test_healthz_reports_database_and_queue(client):
    data = client.get("/healthz").json()
    assert data["database"] == "ok" and data["queue"] == "ok" and data["streets"] == 10


def test_unknown_page_is_a_friendly_404(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404
