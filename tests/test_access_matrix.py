"""The access matrix: every object URL, tried by a user of another enterprise, street or
organisation, answers 404 (never 403, which would leak that the object exists), and leaves no
read of personal data in the audit log. Each later feature adds its URLs to OBJECT_URLS.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from accord.contracts import templates
from accord.core.models import AuditEntry
from accord.identity import auth
from accord.identity.models import Employment
from tests.conftest import login


@dataclass(frozen=True)
class ObjectUrl:
    method: str
    template: str
    body: dict | None = None
    owner_status: int | None = 200  # what the owning HR user gets (a control: the URL is right)


OBJECT_URLS = [
    ObjectUrl("get", "/enterprises/{enterprise}/"),
    ObjectUrl("get", "/people/{person}/"),
    ObjectUrl("post", "/people/{person}/reveal"),
    ObjectUrl("post", "/people/{person}/verify", owner_status=302),
    ObjectUrl("get", "/enterprises/{enterprise}/tokens"),
    ObjectUrl("post", "/enterprises/{enterprise}/tokens", {"revoke": "{token}"}),
    ObjectUrl("get", "/api/v1/enterprises/{enterprise}"),
    ObjectUrl("patch", "/api/v1/enterprises/{enterprise}", {"address": "福田区越权路 1 号"}),
    ObjectUrl("get", "/api/v1/people/{person}"),
    ObjectUrl("get", "/api/v1/people/{person}/personal-data"),
    ObjectUrl("post", "/api/v1/people/{person}/verify", {}),
    ObjectUrl("get", "/api/v1/enterprises/{enterprise}/employees"),
    ObjectUrl(
        "post",
        "/api/v1/enterprises/{enterprise}/employees",
        {"name": "越权", "id_number": "11010519491231002X", "start_date": "2026-01-01"},
        owner_status=201,
    ),
    ObjectUrl("post", "/api/v1/employments/{employment}/end", {"end_date": "2026-06-01"}),
    ObjectUrl("post", "/enterprises/{enterprise}/employees", {"name": "越权"}, owner_status=422),
    ObjectUrl(
        "post", "/employments/{employment}/end", {"end_date": "2026-06-01"}, owner_status=302
    ),
    ObjectUrl("get", "/api/v1/contract-templates/{template}"),
    ObjectUrl(
        "post",
        "/api/v1/contract-templates/{template}/versions",
        {"title": "越权", "sections": [{"text": "x"}]},
        owner_status=201,
    ),
    ObjectUrl("post", "/api/v1/template-versions/{version}/publish", {}),
    ObjectUrl("get", "/api/v1/template-versions/{version}/preview.pdf"),
    ObjectUrl("get", "/api/v1/enterprises/{enterprise}/signing-providers"),
    ObjectUrl(
        "put", "/api/v1/enterprises/{enterprise}/signing-providers", {"providers": ["builtin"]}
    ),
    ObjectUrl("get", "/api/v1/enterprises/{enterprise}/tokens"),
    ObjectUrl("post", "/api/v1/enterprises/{enterprise}/tokens", {"name": "x"}, owner_status=201),
    ObjectUrl("delete", "/api/v1/enterprises/{enterprise}/tokens/{token}", owner_status=None),
    ObjectUrl(
        "post",
        "/api/v1/enterprises/{enterprise}/envelopes",
        {"template_version": "{offer_version}", "person": "{person}"},
        owner_status=409,  # the world's offer is still out (lifecycle: one at a time)
    ),
    ObjectUrl("get", "/api/v1/envelopes/{envelope}"),
    ObjectUrl("get", "/api/v1/envelopes/{envelope}/documents/1.pdf"),
    ObjectUrl("post", "/api/v1/envelopes/{envelope}/send", {}),
    ObjectUrl("post", "/api/v1/envelopes/{envelope}/seal", {"otp": "000000"}, owner_status=None),
    ObjectUrl("post", "/api/v1/envelopes/{envelope}/withdraw", {"reason": "x"}),
    # Nobody has signed the world's draft: withdraw it, do not void it (envelopes/policy.py).
    ObjectUrl("post", "/api/v1/envelopes/{envelope}/void", {"reason": "x"}, owner_status=409),
    ObjectUrl("post", "/api/v1/envelopes/{envelope}/read", {"pages": 1}, owner_status=403),
    ObjectUrl("post", "/api/v1/envelopes/{envelope}/reject", {"reason": "x"}, owner_status=403),
    ObjectUrl("post", "/api/v1/envelopes/{envelope}/consent", {}, owner_status=403),
    ObjectUrl("post", "/api/v1/envelopes/{envelope}/signing-code", {}, owner_status=403),
    ObjectUrl("post", "/api/v1/envelopes/{envelope}/sign", {"code": "123456"}, owner_status=403),
    ObjectUrl("get", "/envelopes/{envelope}/"),
    ObjectUrl("get", "/envelopes/{envelope}/evidence.pdf", owner_status=409),
    ObjectUrl("get", "/api/v1/envelopes/{envelope}/evidence-report.pdf", owner_status=409),
    ObjectUrl("get", "/enterprises/{enterprise}/contracts"),
    ObjectUrl("get", "/api/v1/enterprises/{enterprise}/contract-workspace"),
    ObjectUrl(
        "get", "/enterprises/{enterprise}/envelopes/new?employment={employment}&kind=labour_fixed"
    ),
    ObjectUrl("get", "/employments/{employment}/timeline"),
    ObjectUrl("get", "/api/v1/employments/{employment}/timeline"),
    ObjectUrl("get", "/enterprises/{enterprise}/seals"),
    ObjectUrl("get", "/api/v1/enterprises/{enterprise}/seals"),
    ObjectUrl("get", "/enterprises/{enterprise}/webhooks"),
    ObjectUrl("get", "/api/v1/enterprises/{enterprise}/webhooks"),
    ObjectUrl("get", "/enterprises/{enterprise}/batches/"),
    ObjectUrl(
        "put",
        "/api/v1/envelopes/{envelope}/signature-image",
        {"png_base64": "iVBORw0KGgo="},
        owner_status=403,
    ),
]

OUTSIDERS = ["hr_other", "worker_other", "street_other", "mediator"]


@pytest.fixture
def world(db, make_enterprise, make_person, make_user, organisation):
    mine = make_enterprise(street="futian")
    theirs = make_enterprise(street="huaqiangbei")
    person = make_person(name="本企业员工")
    job = Employment.objects.create(person=person, enterprise=mine, start_date="2024-01-01")
    other_person = make_person(name="他企业员工")
    Employment.objects.create(person=other_person, enterprise=theirs, start_date="2024-01-01")
    owner = make_user("hr", enterprise=mine, totp=False)
    token, _ = auth.create_api_token(enterprise=mine, name="HR system", created_by=owner)
    version = templates.create_template(
        enterprise=mine,
        kind="offer",
        name="本企业录用通知",
        title="录用通知书",
        sections=[{"text": "{{worker.name}}：欢迎。"}],
    )
    from accord.contracts.models import TemplateVersion
    from accord.envelopes import drafting

    offer = TemplateVersion.objects.get(template__code="offer", status="published")
    envelope = drafting.create_from_template(
        enterprise=mine, person=person, version=offer, fields={}, created_by=owner
    )
    users = {
        "owner": owner,
        "hr_other": make_user("hr", enterprise=theirs, totp=False),
        "worker_other": make_user("worker", person=other_person),
        "street_other": make_user("street_officer", street="huaqiangbei"),
        "mediator": make_user("mediator", organisation=organisation),
    }
    ids = {
        "enterprise": mine.public_id,
        "person": person.public_id,
        "token": token.public_id,
        "employment": job.public_id,
        "template": version.template.public_id,
        "version": version.public_id,
        "envelope": envelope.public_id,
        "offer_version": offer.public_id,
    }
    return users, ids


def _call(client, url: ObjectUrl, ids):
    path = url.template.format(**ids)
    method = getattr(client, url.method)
    if url.body is not None and not url.template.startswith("/api/"):
        return method(path, {k: v.format(**ids) for k, v in url.body.items()})
    if url.body is not None:
        body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in url.body.items()}
        return method(path, body, content_type="application/json")
    return method(path)


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("url", OBJECT_URLS, ids=lambda u: f"{u.method} {u.template}")
def test_outsider_gets_404_and_leaves_no_personal_data_read(client, world, who, url):
    users, ids = world
    login(client, users[who])
    before = AuditEntry.objects.filter(action="identity.person.view_personal_data").count()
    response = _call(client, url, ids)
    assert response.status_code == 404, response.content[:300]
    assert AuditEntry.objects.filter(action="identity.person.view_personal_data").count() == before
    if url.template.startswith("/api/"):
        assert response.json()["code"] == "core.not_found"


@pytest.mark.parametrize(
    "url", [u for u in OBJECT_URLS if u.owner_status], ids=lambda u: f"{u.method} {u.template}"
)
def test_owner_reaches_the_same_urls(client, world, url):
    users, ids = world
    login(client, users["owner"])
    assert _call(client, url, ids).status_code == url.owner_status


def test_anonymous_api_calls_are_401_and_pages_redirect_to_login(client, world):
    _, ids = world
    assert client.get(f"/api/v1/people/{ids['person']}").status_code == 401
    assert client.get(f"/people/{ids['person']}/")["Location"].startswith("/login")
