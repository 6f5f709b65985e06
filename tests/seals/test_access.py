"""Every seal URL, page and API, answers 404 to the outsiders of tests/support/access.py and to
this enterprise's own workers and its street's officer (never 403, which would leak that the
seal exists); the owning HR user reaches the same URLs. The usage log is a 404 even for HR of the enterprise without manage or audit
power; the bureau reads it but changes nothing."""

from __future__ import annotations

import pytest

from accord.identity.models import Role
from accord.seals.models import Power
from tests.conftest import login
from tests.support import factories
from tests.support.access import AccessMatrix, ObjectUrl, World

pytestmark = pytest.mark.django_db

SHA = "d" * 64
NEW_SHA = "e" * 64
NEW_APPROVAL = {"document_sha256": NEW_SHA, "title": "通知", "document_kind": "termination"}


class TestSealAccess(AccessMatrix):
    """The owner is the seal's manager (``owner``); ``clerk`` uses it."""

    more_outsiders = ("worker_mine", "street_mine")
    urls = [
        # pages
        ObjectUrl("get", "/enterprises/{enterprise}/seals"),
        ObjectUrl(
            "post", "/enterprises/{enterprise}/seals", {"action": "create", "kind": "official"}, 302
        ),
        ObjectUrl(
            "post",
            "/enterprises/{enterprise}/seals",
            {"action": "policy", "approval_kinds": "termination"},
            302,
        ),
        ObjectUrl("get", "/seals/{seal}/"),
        ObjectUrl("post", "/seals/{seal}/grants", {"user": "{newcomer}", "power": "audit"}, 302),
        ObjectUrl("post", "/seals/{seal}/status", {"status": "suspended"}, 302),
        # The owner manages the seal and may not use it: refused (403), not hidden.
        ObjectUrl("post", "/seals/{seal}/approvals", NEW_APPROVAL, 403),
        ObjectUrl("post", "/seal-grants/{grant}/revoke", {}, 302),
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
        ObjectUrl(
            "post", "/api/v1/seals/{seal}/grants", {"user": "{newcomer}", "power": "audit"}, 201
        ),
        ObjectUrl("post", "/api/v1/seal-grants/{grant}/revoke", {}),
        ObjectUrl("get", "/api/v1/seals/{seal}/usage"),
        ObjectUrl("get", "/api/v1/seals/{seal}/approvals"),
        ObjectUrl("post", "/api/v1/seals/{seal}/approvals", NEW_APPROVAL, 403),
        ObjectUrl("post", "/api/v1/seal-approvals/{approval}/approve", {}),
        ObjectUrl("post", "/api/v1/seal-approvals/{approval}/reject", {"reason": "有误"}),
    ]

    @classmethod
    def build_world(cls, world: World) -> None:
        boss = world.users["owner"]
        mine = world.enterprise
        second = factories.UserFactory(role=Role.HR, enterprise=mine, totp=False)
        clerk = factories.UserFactory(role=Role.HR, enterprise=mine, totp=False)
        newcomer = factories.UserFactory(role=Role.HR, enterprise=mine, totp=False)
        seal = factories.SealFactory(enterprise=mine, manager=boss, users=[clerk])
        factories.SealGrantFactory(seal=seal, by=boss, grantee=second, power=Power.MANAGE)
        approval = factories.SealApprovalFactory(seal=seal, user=clerk, document_sha256=SHA)
        world.add("seal", seal)
        world.add("grant", seal.grants.get(user=clerk))
        world.add("approval", approval)
        world.add("newcomer", newcomer)


# ---- beyond the matrix: the usage log's own rule ------------------------------------------------


@pytest.fixture
def world(make_enterprise, make_user):
    mine = make_enterprise(street="futian")
    boss = make_user(Role.HR, enterprise=mine, totp=False)
    clerk = make_user(Role.HR, enterprise=mine, totp=False)
    seal = factories.SealFactory(enterprise=mine, manager=boss, users=[clerk])
    approval = factories.SealApprovalFactory(seal=seal, user=clerk, document_sha256=SHA)
    users = {
        "owner": boss,
        "clerk": clerk,
        "bureau": make_user(Role.BUREAU_OFFICER),
        "auditor": make_user(Role.AUDITOR),
    }
    return users, {"seal": seal.public_id, "approval": approval.public_id}


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
