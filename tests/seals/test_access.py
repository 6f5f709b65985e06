"""Every seal URL, page and API, answers 404 to users of another enterprise, to workers and to
street officers (never 403, which would leak that the seal exists); the owning HR user reaches
the same URLs. The usage log is a 404 even for HR of the enterprise without manage or audit
power; the bureau reads it but changes nothing."""

from __future__ import annotations

import pytest

from accord.identity.models import Employment, Role
from accord.seals import approvals, services
from accord.seals.models import Power, SealGrant
from tests.conftest import login
from tests.test_access_matrix import ObjectUrl

pytestmark = pytest.mark.django_db

SHA = "d" * 64
NEW_SHA = "e" * 64

SEAL_URLS = [
    # pages
    ObjectUrl("get", "/enterprises/{enterprise}/seals"),
    ObjectUrl(
        "post",
        "/enterprises/{enterprise}/seals",
        {"action": "create", "kind": "official"},
        owner_status=302,
    ),
    ObjectUrl(
        "post",
        "/enterprises/{enterprise}/seals",
        {"action": "policy", "approval_kinds": "termination"},
        owner_status=302,
    ),
    ObjectUrl("get", "/seals/{seal}/"),
    ObjectUrl(
        "post", "/seals/{seal}/grants", {"user": "{newcomer}", "power": "audit"}, owner_status=302
    ),
    ObjectUrl("post", "/seals/{seal}/status", {"status": "suspended"}, owner_status=302),
    # The owner manages the seal and may not use it: refused (403), not hidden.
    ObjectUrl(
        "post",
        "/seals/{seal}/approvals",
        {"document_sha256": NEW_SHA, "title": "通知", "document_kind": "termination"},
        owner_status=403,
    ),
    ObjectUrl("post", "/seal-grants/{grant}/revoke", {}, owner_status=302),
    ObjectUrl("post", "/seal-approvals/{approval}/decide", {"decision": "approve"}, 302),
    # API
    ObjectUrl("get", "/api/v1/enterprises/{enterprise}/seals"),
    ObjectUrl("post", "/api/v1/enterprises/{enterprise}/seals", {"kind": "official"}, 201),
    ObjectUrl("get", "/api/v1/enterprises/{enterprise}/seal-policy"),
    ObjectUrl(
        "put",
        "/api/v1/enterprises/{enterprise}/seal-policy",
        {
            "allow_manage_and_use": False,
            "allow_audit_with_other": False,
            "approval_kinds": ["termination"],
        },
    ),
    ObjectUrl("get", "/api/v1/seals/{seal}"),
    ObjectUrl("patch", "/api/v1/seals/{seal}", {"status": "suspended"}),
    ObjectUrl("get", "/api/v1/seals/{seal}/grants"),
    ObjectUrl("post", "/api/v1/seals/{seal}/grants", {"user": "{newcomer}", "power": "audit"}, 201),
    ObjectUrl("post", "/api/v1/seal-grants/{grant}/revoke", {}),
    ObjectUrl("get", "/api/v1/seals/{seal}/usage"),
    ObjectUrl("get", "/api/v1/seals/{seal}/approvals"),
    ObjectUrl(
        "post",
        "/api/v1/seals/{seal}/approvals",
        {"document_sha256": NEW_SHA, "title": "通知", "document_kind": "termination"},
        owner_status=403,
    ),
    ObjectUrl("post", "/api/v1/seal-approvals/{approval}/approve", {}),
    ObjectUrl("post", "/api/v1/seal-approvals/{approval}/reject", {"reason": "有误"}),
]

OUTSIDERS = ["hr_other", "worker_other", "worker_mine", "street_other", "street_mine", "mediator"]


@pytest.fixture
def world(make_enterprise, make_person, make_user, organisation):
    mine = make_enterprise(street="futian")
    theirs = make_enterprise(street="huaqiangbei")
    boss = make_user(Role.HR, enterprise=mine, totp=False)
    second = make_user(Role.HR, enterprise=mine, totp=False)
    clerk = make_user(Role.HR, enterprise=mine, totp=False)
    newcomer = make_user(Role.HR, enterprise=mine, totp=False)
    seal = services.setup_default_seals(mine, manager=boss, users=[clerk])
    services.grant_power(seal, user=boss, grantee=second, power=Power.MANAGE)
    approval = approvals.request_approval(
        seal, user=clerk, document_sha256=SHA, title="解除通知", document_kind="termination"
    )
    employee = make_person(name="本企业员工")
    Employment.objects.create(person=employee, enterprise=mine, start_date="2024-01-01")
    stranger = make_person(name="他企业员工")
    Employment.objects.create(person=stranger, enterprise=theirs, start_date="2024-01-01")
    users = {
        "owner": boss,
        "clerk": clerk,
        "hr_other": make_user(Role.HR, enterprise=theirs, totp=False),
        "worker_other": make_user(Role.WORKER, person=stranger),
        "worker_mine": make_user(Role.WORKER, person=employee),
        "street_other": make_user(Role.STREET_OFFICER, street="huaqiangbei"),
        "street_mine": make_user(Role.STREET_OFFICER, street="futian"),
        "mediator": make_user(Role.MEDIATOR, organisation=organisation),
        "bureau": make_user(Role.BUREAU_OFFICER),
        "auditor": make_user(Role.AUDITOR),
    }
    ids = {
        "enterprise": mine.public_id,
        "seal": seal.public_id,
        "grant": SealGrant.objects.get(seal=seal, user=clerk).public_id,
        "approval": approval.public_id,
        "newcomer": newcomer.public_id,
    }
    return users, ids


def call(client, url: ObjectUrl, ids):
    path = url.template.format(**ids)
    method = getattr(client, url.method)
    body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in (url.body or {}).items()}
    if url.body is None:
        return method(path)
    if url.template.startswith("/api/"):
        return method(path, body, content_type="application/json")
    return method(path, body)


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("url", SEAL_URLS, ids=lambda u: f"{u.method} {u.template}")
def test_outsider_gets_404(client, world, who, url):
    users, ids = world
    login(client, users[who])
    response = call(client, url, ids)
    assert response.status_code == 404, response.content[:300]
    if url.template.startswith("/api/"):
        assert response.json()["code"] == "core.not_found"


@pytest.mark.parametrize(
    "url", [u for u in SEAL_URLS if u.owner_status], ids=lambda u: f"{u.method} {u.template}"
)
def test_owner_reaches_the_same_urls(client, world, url):
    users, ids = world
    login(client, users["owner"])
    assert call(client, url, ids).status_code == url.owner_status


def test_usage_log_is_hidden_from_hr_without_manage_or_audit_power(client, world):
    users, ids = world
    login(client, users["clerk"])  # uses the seal, does not manage or audit it
    response = client.get(f"/api/v1/seals/{ids['seal']}/usage")
    assert response.status_code == 404 and response.json()["code"] == "core.not_found"
    page = client.get(f"/seals/{ids['seal']}/")
    assert page.status_code == 200
    assert "用印记录" not in page.content.decode()
    # The seal itself and its grants are visible to every HR member of the enterprise.
    assert client.get(f"/api/v1/seals/{ids['seal']}").status_code == 200


@pytest.mark.parametrize("who", ["bureau", "auditor"])
def test_the_bureau_reads_the_usage_log_but_changes_nothing(client, world, who):
    users, ids = world
    login(client, users[who])
    assert client.get(f"/api/v1/seals/{ids['seal']}/usage").status_code == 200
    assert "用印记录" in client.get(f"/seals/{ids['seal']}/").content.decode()
    response = client.patch(
        f"/api/v1/seals/{ids['seal']}", {"status": "suspended"}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "seal.not_manager"
    response = client.post(
        f"/api/v1/seal-approvals/{ids['approval']}/approve", {}, "application/json"
    )
    assert response.status_code == 403


def test_anonymous_api_calls_are_401_and_pages_redirect_to_login(client, world):
    _, ids = world
    assert client.get(f"/api/v1/seals/{ids['seal']}").status_code == 401
    assert client.get(f"/seals/{ids['seal']}/")["Location"].startswith("/login")
