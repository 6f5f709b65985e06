"""Pages: every role reaches its home; lists and details render; language and large type."""

import pytest
from django.test import Client
from django.urls import reverse

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
    # No browser or proxy cache may keep a full number (issue #13), page or API alike.
    assert "no-store" in r["Cache-Control"]
    api = client.get(f"/api/v1/people/{person.public_id}/personal-data")
    assert api.json()["id_number"] == person.id_number and "no-store" in api["Cache-Control"]
    assert "no-store" not in client.get("/people/").get("Cache-Control", "")


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
    # It shows everyone's login codes: never to another machine, even in development (#13).
    assert client.get("/dev/sms", REMOTE_ADDR="192.0.2.10").status_code == 404
    assert client.get("/dev/sms", REMOTE_ADDR="::1").status_code == 200


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


# The pages of the dissolved ``web`` app live in core, identity and site now; their paths and
# URL names stay what clients, bookmarks and other apps' templates use.
PAGE_NAMES = {
    "web:home": "/",
    "web:healthz": "/healthz",
    "web:login": "/login",
    "web:login_otp": "/login/otp",
    "web:login_enrol": "/login/otp/enrol",
    "web:login_phone": "/login/phone",
    "web:logout": "/logout",
    "web:enterprise_list": "/enterprises/",
    "web:account_authenticator": "/account/authenticator",
    "web:staff_accounts": "/staff/",
    "web:registry_import": "/registry/import",
    "web:person_list": "/people/",
    "web:audit_list": "/audit/",
    "web:inbox": "/inbox/",
    "web:dev_sms": "/dev/sms",
    "web:large_type": "/prefs/large-type",
}


@pytest.mark.parametrize(("name", "path"), PAGE_NAMES.items())
def test_page_names_and_paths_stay_the_same(name, path):
    assert reverse(name) == path


def test_object_page_names_stay_the_same(people):
    _users, enterprise, person = people
    employment = Employment.objects.get(person=person)
    e, p, m = enterprise.public_id, person.public_id, employment.public_id
    assert reverse("web:enterprise_detail", args=[e]) == f"/enterprises/{e}/"
    assert reverse("web:enterprise_tokens", args=[e]) == f"/enterprises/{e}/tokens"
    assert reverse("web:enterprise_register_employee", args=[e]) == f"/enterprises/{e}/employees"
    assert reverse("web:employment_end", args=[m]) == f"/employments/{m}/end"
    assert reverse("web:person_detail", args=[p]) == f"/people/{p}/"
    assert reverse("web:person_reveal", args=[p]) == f"/people/{p}/reveal"
    assert reverse("web:person_verify", args=[p]) == f"/people/{p}/verify"


def _buttons(html: str) -> set[str]:
    return {label for label in ENTERPRISE_BUTTONS if f">{label}</a>" in html}


ENTERPRISE_BUTTONS = [
    "API 令牌",
    "电子印章",
    "Webhook 通知",
    "新建电子文件",
    "批量发起合同",
    "合同工作台",
]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        # Its own HR acts in the enterprise's name: tokens, seals, webhooks, documents, batches.
        ("hr", set(ENTERPRISE_BUTTONS)),
        # The bureau reads the workspace but never seals or sends in the enterprise's name.
        ("bureau_officer", {"合同工作台"}),
        ("auditor", {"合同工作台"}),
        ("street_officer", set()),
    ],
)
def test_the_enterprise_page_offers_the_other_apps_pages_by_role(client, people, role, expected):
    users, enterprise, _ = people
    login(client, users[role])
    html = client.get(f"/enterprises/{enterprise.public_id}/").content.decode()
    assert _buttons(html) == expected


@pytest.mark.parametrize(
    ("role", "shown"), [("hr", True), ("auditor", True), ("street_officer", False)]
)
def test_the_document_timeline_link_of_an_employment_follows_who_reads_its_records(
    client, people, role, shown
):
    users, enterprise, person = people
    employment = Employment.objects.get(person=person)
    timeline = f"/employments/{employment.public_id}/timeline"
    login(client, users[role])
    for page in (f"/enterprises/{enterprise.public_id}/", f"/people/{person.public_id}/"):
        html = client.get(page).content.decode()
        assert (f'href="{timeline}"' in html) is shown, page


def test_the_logout_button_is_on_every_page_of_a_logged_in_user(client, people):
    users, _enterprise, _ = people
    login(client, users["worker"])
    assert 'action="/logout"' in client.get("/").content.decode()
    client.post("/logout")
    assert 'action="/logout"' not in client.get("/login").content.decode()
