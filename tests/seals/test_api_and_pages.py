"""The seal API and pages as HR uses them: bootstrap, grants under the policy, an approval by
upload, the usage log with its filters, and the seal pictures."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.identity.models import Role
from accord.seals import approvals, services
from accord.seals.models import Power, Seal, SealApproval, SealUsage
from accord.signing.pdf import sha256
from tests.conftest import login
from tests.seals.test_services import code

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_enterprise, make_user):
    enterprise = make_enterprise(name="深圳市福田区接口测试有限公司")
    return (
        enterprise,
        make_user(Role.HR, enterprise=enterprise),  # boss
        make_user(Role.HR, enterprise=enterprise),  # clerk
        make_user(Role.HR, enterprise=enterprise),  # second manager
    )


def test_bootstrap_grants_and_an_uploaded_approval_through_the_api(
    client, people, contract_pdf, platform
):
    enterprise, boss, clerk, second = people
    login(client, boss)
    base = f"/api/v1/enterprises/{enterprise.public_id}/seals"
    assert client.get(base).json()["results"] == []
    response = client.post(base, {"kind": "contract"}, content_type="application/json")
    assert response.status_code == 201, response.content
    seal = response.json()
    assert (seal["name"], seal["status"], seal["my_powers"]) == ("合同专用章", "active", ["manage"])

    grants = f"/api/v1/seals/{seal['id']}/grants"
    for user, power in ((clerk, "use"), (second, "manage")):
        response = client.post(
            grants, {"user": str(user.public_id), "power": power}, content_type="application/json"
        )
        assert response.status_code == 201, response.content
    response = client.post(
        grants, {"user": str(boss.public_id), "power": "use"}, content_type="application/json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "seal.power_combination_forbidden"
    assert body["policy"]["allow_manage_and_use"] is False
    assert {g["power"] for g in client.get(grants).json()["results"]} == {"manage", "use"}

    # The clerk cannot create a second seal; the clerk asks to seal a termination notice.
    login(client, clerk)
    response = client.post(base, {"kind": "official"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "seal.not_manager"
    approvals_url = f"/api/v1/seals/{seal['id']}/approvals"
    response = client.post(
        approvals_url,
        {"file": _upload(b"not a pdf"), "title": "解除通知", "document_kind": "termination"},
    )
    assert response.status_code == 422 and response.json()["code"] == "signing.pdf_malformed"
    response = client.post(
        approvals_url,
        {"file": _upload(contract_pdf), "title": "解除通知", "document_kind": "termination"},
    )
    assert response.status_code == 201, response.content
    approval = response.json()
    assert approval["document_sha256"] == sha256(contract_pdf)
    assert approval["status"] == "pending"

    # The requester's managers decide; the boss approves.
    login(client, boss)
    response = client.post(
        f"/api/v1/seal-approvals/{approval['id']}/approve", {}, "application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "approved"

    signed = services.use_seal(
        contract_pdf,
        seal=Seal.objects.get(public_id=seal["id"]),
        user=clerk,
        otp_token=code(clerk),
        document_kind="termination",
        title="解除通知",
    )
    usage = client.get(f"/api/v1/seals/{seal['id']}/usage?outcome=signed").json()
    assert usage["count"] == 1
    entry = usage["results"][0]
    assert entry["signature"] == str(signed.signature.public_id)
    assert entry["approval"] == approval["id"]
    assert client.get(f"/api/v1/seals/{seal['id']}/usage?outcome=refused").json()["count"] == 0
    bad = client.get(f"/api/v1/seals/{seal['id']}/usage?since=yesterday")
    assert bad.status_code == 422 and bad.json()["field"] == "since"


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("document.pdf", content, content_type="application/pdf")


def test_api_status_changes_and_reject_needs_a_reason(client, people):
    enterprise, boss, clerk, second = people
    seal = services.setup_default_seals(enterprise, manager=boss, users=[clerk])
    services.grant_power(seal, user=boss, grantee=second, power=Power.MANAGE)
    approval = approvals.request_approval(
        seal,
        user=clerk,
        document_sha256="f" * 64,
        title="离职证明",
        document_kind="leaving_certificate",
    )
    login(client, second)
    url = f"/api/v1/seal-approvals/{approval.public_id}/reject"
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "seal.reason_required"
    response = client.post(url, {"reason": "日期有误"}, content_type="application/json")
    assert response.json()["status"] == "rejected"
    again = approvals.request_approval(
        seal,
        user=clerk,
        document_sha256="f" * 64,
        title="离职证明",
        document_kind="leaving_certificate",
    )
    response = client.post(f"/api/v1/seal-approvals/{again.public_id}/approve")  # no body
    assert response.status_code == 200 and response.json()["status"] == "approved"

    patch = f"/api/v1/seals/{seal.public_id}"
    response = client.patch(patch, {"status": "suspended"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    response = client.patch(patch, {"status": "bogus"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "seal.invalid_status_change"


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_endpoints_run_a_fixed_number_of_queries(client, people, make_user):
    enterprise, boss, clerk, _ = people
    seal = services.setup_default_seals(enterprise, manager=boss, users=[clerk])
    login(client, boss)
    seals_url = f"/api/v1/enterprises/{enterprise.public_id}/seals"
    urls = [
        seals_url,
        f"/enterprises/{enterprise.public_id}/seals",
        f"/api/v1/seals/{seal.public_id}/usage",
        f"/api/v1/seals/{seal.public_id}/grants",
        f"/api/v1/seals/{seal.public_id}/approvals",
        f"/seals/{seal.public_id}/",
    ]

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            services.create_seal(enterprise, user=boss, name=f"专用章{i}", kind="other")
            member = make_user(Role.HR, enterprise=enterprise, totp=False)
            services.grant_power(seal, user=boss, grantee=member, power=Power.USE)
            approvals.request_approval(
                seal,
                user=member,
                document_sha256=f"{i:064x}",
                title=f"通知{i}",
                document_kind="termination",
            )
            SealUsage.objects.create(
                seal=seal,
                user=member,
                user_label=member.username,
                document_sha256=f"{i:064x}",
                outcome="refused",
                reason="seal.not_authorised",
            )

    add(1, 0)
    few = {url: count_queries(client, url) for url in urls}
    add(6, 1)
    assert {url: count_queries(client, url) for url in urls} == few
    assert len(client.get(seals_url).json()["results"]) == 8


def test_pages_show_the_seals_with_their_pictures_and_the_bootstrap_form(client, people):
    enterprise, boss, clerk, _ = people
    login(client, boss)
    page = client.get(f"/enterprises/{enterprise.public_id}/seals")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="no-seals"' in html
    response = client.post(
        f"/enterprises/{enterprise.public_id}/seals",
        {"action": "create", "kind": "contract", "name": ""},
    )
    seal = Seal.objects.get(enterprise=enterprise)
    assert response["Location"] == f"/seals/{seal.public_id}/"

    html = client.get(f"/enterprises/{enterprise.public_id}/seals").content.decode()
    assert '<svg class="seal-svg"' in html and "合同专用章" in html
    assert all(f">{char}</text>" in html for char in enterprise.name)
    assert "管理权与使用权不得由同一人兼任" in html

    detail = client.get(f"/seals/{seal.public_id}/").content.decode()
    assert clerk.username in detail  # offered in the grant form
    response = client.post(
        f"/seals/{seal.public_id}/grants", {"user": str(boss.public_id), "power": "use"}
    )
    assert response.status_code == 409
    assert 'data-error-code="seal.power_combination_forbidden"' in response.content.decode()
    response = client.post(
        f"/seals/{seal.public_id}/grants", {"user": str(clerk.public_id), "power": "use"}
    )
    assert response.status_code == 302


def test_pages_let_a_user_ask_and_another_manager_approve(client, people, contract_pdf):
    enterprise, boss, clerk, second = people
    seal = services.setup_default_seals(enterprise, manager=boss, users=[clerk])
    services.grant_power(seal, user=boss, grantee=second, power=Power.MANAGE)
    login(client, clerk)
    response = client.post(
        f"/seals/{seal.public_id}/approvals",
        {"file": _upload(contract_pdf), "title": "变更协议", "document_kind": "change"},
    )
    assert response.status_code == 302
    approval = SealApproval.objects.get(seal=seal)
    login(client, boss)
    html = client.get(f"/seals/{seal.public_id}/").content.decode()
    assert 'data-testid="pending-approval"' in html and "变更协议" in html
    response = client.post(
        f"/seal-approvals/{approval.public_id}/decide", {"decision": "reject", "reason": "条款待定"}
    )
    assert response.status_code == 302
    approval.refresh_from_db()
    assert approval.status == "rejected" and approval.decided_by == boss


def test_usage_filters_on_the_page(client, people):
    enterprise, boss, clerk, _ = people
    seal = services.setup_default_seals(enterprise, manager=boss, users=[clerk])
    for title, outcome in (("甲合同", "signed"), ("乙合同", "refused")):
        SealUsage.objects.create(
            seal=seal,
            user=clerk,
            user_label="clerk",
            document_sha256="0" * 64,
            document_title=title,
            outcome=outcome,
        )
    login(client, boss)
    html = client.get(f"/seals/{seal.public_id}/?outcome=refused").content.decode()
    assert "乙合同" in html and "甲合同" not in html
    html = client.get(f"/seals/{seal.public_id}/?q=甲").content.decode()
    assert "甲合同" in html and "乙合同" not in html
