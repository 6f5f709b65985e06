"""Pages: every role reaches its home; lists and details render; language and large type."""

import pytest
from django.test import Client

from accord.core.models import AuditEntry
from accord.identity.models import Employment
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_enterprise, make_person, make_user, organisation):
    enterprise = make_enterprise(name="页面测试科技有限公司")
    worker_person = make_person(name="页面工人")
    Employment.objects.create(
        person=worker_person, enterprise=enterprise, start_date="2025-03-01", position="工程师"
    )
    return (
        {
            "admin": make_user("admin"),
            "bureau_officer": make_user("bureau_officer"),
            "auditor": make_user("auditor"),
            "street_officer": make_user("street_officer", street="futian"),
            "hr": make_user("hr", enterprise=enterprise, totp=False),
            "mediator": make_user("mediator", organisation=organisation),
            "worker": make_user("worker", person=worker_person),
        },
        enterprise,
        worker_person,
    )


@pytest.mark.parametrize(
    "role", ["admin", "bureau_officer", "auditor", "street_officer", "hr", "mediator", "worker"]
)
def test_every_role_sees_its_home(client, people, role):
    users, _enterprise, _worker_person = people
    login(client, users[role])
    r = client.get("/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'data-role="{role}"' in html
    if role == "hr":
        assert "页面测试科技有限公司" in html
    if role == "worker":
        assert "页面测试科技有限公司" in html and "企业</a>" not in html  # no staff navigation
    if role in ("bureau_officer", "street_officer"):
        assert "street-chart" in html


def test_street_officer_lists_only_their_street(client, people, make_enterprise):
    users, _enterprise, _ = people
    make_enterprise(name="梅林的企业", street="meilin")
    login(client, users["street_officer"])
    html = client.get("/enterprises/").content.decode()
    assert "页面测试科技有限公司" in html and "梅林的企业" not in html


def test_lists_show_masked_numbers_and_reveal_is_audited(client, people):
    users, _enterprise, person = people
    login(client, users["hr"])
    html = client.get("/people/").content.decode()
    assert person.id_number_masked in html and person.id_number not in html
    r = client.post(f"/people/{person.public_id}/reveal")
    assert person.id_number in r.content.decode()
    entry = AuditEntry.objects.get(action="identity.person.view_personal_data")
    assert entry.actor_id == users["hr"].pk


def test_auditor_sees_masked_data_only(client, people):
    users, _, person = people
    login(client, users["auditor"])
    assert client.post(f"/people/{person.public_id}/reveal").status_code == 403


def test_htmx_list_request_returns_only_the_rows(client, people):
    users, _, _ = people
    login(client, users["bureau_officer"])
    r = client.get("/enterprises/?q=页面", HTTP_HX_REQUEST="true")
    assert "<html" not in r.content.decode() and "页面测试科技有限公司" in r.content.decode()


def test_english_switch(client, people):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login"})
    assert 'lang="en"' in client.get("/login").content.decode()


def test_large_type_mode_is_remembered(client):
    client.post("/prefs/large-type", {"next": "/login"})
    assert 'class="large-type"' in client.get("/login").content.decode()


def test_dev_sms_page_only_in_debug(client, settings):
    settings.DEBUG = False
    assert client.get("/dev/sms").status_code == 404
    settings.DEBUG = True
    assert client.get("/dev/sms").status_code == 200


def test_hr_creates_and_revokes_a_token_on_its_page(client, people):
    users, enterprise, _ = people
    login(client, users["hr"])
    r = client.post(f"/enterprises/{enterprise.public_id}/tokens", {"name": "人事系统"})
    token = r.context["created"]
    assert token.startswith("acc_") and token in r.content.decode()
    system = Client()  # the HR system, without the HR user's session
    assert (
        system.get("/api/v1/enterprises", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    stored = enterprise.api_tokens.get()
    r = client.post(
        f"/enterprises/{enterprise.public_id}/tokens", {"revoke": str(stored.public_id)}
    )
    assert r.status_code == 200, r.content.decode()[:500]
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert (
        system.get("/api/v1/enterprises", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_registry_import_page_lists_bad_rows_and_imports_nothing(client, people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accord.identity.models import ResidentRegistryRecord

    users, _, person = people
    login(client, users["bureau_officer"])
    csv = f"name,id_type,id_number\n页面工人,resident,{person.id_number}\n坏行,resident,123\n".encode()
    r = client.post("/registry/import", {"file": SimpleUploadedFile("r.csv", csv, "text/csv")})
    assert r.status_code == 422 and "<td>3</td>" in r.content.decode()
    assert not ResidentRegistryRecord.objects.exists()
    r = client.post(
        "/registry/import",
        {"file": SimpleUploadedFile("r.csv", csv, "text/csv"), "skip_bad_rows": "on"},
    )
    assert r.status_code == 200 and ResidentRegistryRecord.objects.count() == 1


def test_registry_import_page_is_for_officers_only(client, people):
    users, _, _ = people
    login(client, users["hr"])
    assert client.get("/registry/import").status_code == 404


def test_worker_completes_real_name_verification_from_home(client, people):
    from accord.identity import services

    users, _, person = people
    services.import_registry(
        f"name,id_type,id_number\n页面工人,resident,{person.id_number}\n".encode(), "r.csv"
    )
    login(client, users["worker"])
    assert "完成实名认证" in client.get("/").content.decode()
    r = client.post(f"/people/{person.public_id}/verify")
    assert r.status_code == 302
    person.refresh_from_db()
    assert person.verification_level == "registry"
    assert "完成实名认证" not in client.get("/").content.decode()
