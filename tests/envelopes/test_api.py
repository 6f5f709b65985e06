"""The envelope API as an HR system (token), HR staff and the worker use it."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from accord.core.events import deliver_pending
from accord.core.models import AuditEntry
from accord.envelopes.models import Envelope
from accord.identity import auth
from accord.identity.models import User
from accord.signing.verify import verify_pdf
from tests.conftest import login
from tests.envelopes.conftest import last_code, totp_code
from tests.envelopes.test_services import PNG
from tests.support.factories import contract_fields, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(shop):
    _, plaintext = auth.create_api_token(
        enterprise=shop.enterprise, name="HR system", created_by=shop.hr
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def _body(shop, **over) -> dict:
    body = {
        "template_version": str(published("labour-fixed").public_id),
        "employment": str(shop.job.public_id),
        "fields": contract_fields(),
        "send": True,
    }
    body.update(over)
    return body


def test_hr_system_creates_and_sends_with_a_token_idempotently(client, shop, token):
    url = f"/api/v1/enterprises/{shop.enterprise.public_id}/envelopes"
    first = client.post(
        url, _body(shop, idempotency_key="ehr-1001"), content_type="application/json", **token
    )
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["status"] == "sent" and data["number"].startswith("FY")
    assert [p["status"] for p in data["parties"]] == ["ready", "waiting"]
    again = client.post(
        url, _body(shop, idempotency_key="ehr-1001"), content_type="application/json", **token
    )
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert Envelope.objects.count() == 1


def test_lcl_art19_unlawful_draft_answers_422_with_each_problem_and_article(client, shop, token):
    fields = contract_fields()
    start = dt.date.fromisoformat(fields["start_date"])
    fields["probation_end_date"] = (start + dt.timedelta(days=200)).isoformat()
    fields["probation_wage"] = "1000.00"
    response = client.post(
        f"/api/v1/enterprises/{shop.enterprise.public_id}/envelopes",
        _body(shop, fields=fields),
        content_type="application/json",
        **token,
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "contract.unlawful_draft"
    articles = " ".join(p.get("article") or "" for p in body["problems"])
    assert "第十九条" in articles and "第二十条" in articles
    assert all(p["message_zh"] and p["message_en"] for p in body["problems"])
    assert not Envelope.objects.exists()


def test_art13_a_token_cannot_seal(client, shop, token):
    created = client.post(
        f"/api/v1/enterprises/{shop.enterprise.public_id}/envelopes",
        _body(shop),
        content_type="application/json",
        **token,
    ).json()
    response = client.post(
        f"/api/v1/envelopes/{created['id']}/seal",
        {"otp": "123456"},
        content_type="application/json",
        **token,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "envelope.seal_needs_person"


def test_hr_seals_and_the_worker_signs_through_the_api(client, shop):
    login(client, shop.hr)
    created = client.post(
        f"/api/v1/enterprises/{shop.enterprise.public_id}/envelopes",
        _body(shop),
        content_type="application/json",
    ).json()
    eid = created["id"]
    sealed = client.post(
        f"/api/v1/envelopes/{eid}/seal",
        {"otp": totp_code(shop.hr)},
        content_type="application/json",
    )
    assert sealed.status_code == 200, sealed.content
    deliver_pending()

    worker = User.objects.get(person=shop.worker)
    client.logout()
    login(client, worker)
    mine = client.get("/api/v1/envelopes").json()
    assert [e["id"] for e in mine["results"]] == [eid]
    assert mine["results"][0]["my_party"]
    pages = sum(d["pages"] for d in mine["results"][0]["documents"])
    read = client.post(
        f"/api/v1/envelopes/{eid}/read", {"pages": pages}, content_type="application/json"
    )
    assert read.json() == {"read_pages": pages, "total": pages}  # MOHRSS 54: read, then agree
    assert client.post(f"/api/v1/envelopes/{eid}/consent").status_code == 200
    png = base64.b64encode(PNG).decode()
    assert (
        client.put(
            f"/api/v1/envelopes/{eid}/signature-image",
            {"png_base64": f"data:image/png;base64,{png}"},
            content_type="application/json",
        ).status_code
        == 204
    )
    bad = client.put(
        f"/api/v1/envelopes/{eid}/signature-image",
        {"png_base64": base64.b64encode(b"GIF89a").decode()},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["field"] == "signature_image"
    assert client.post(f"/api/v1/envelopes/{eid}/signing-code").status_code == 202
    signed = client.post(
        f"/api/v1/envelopes/{eid}/sign", {"code": last_code()}, content_type="application/json"
    )
    assert signed.status_code == 200 and signed.json()["status"] == "completed"
    again = client.post(
        f"/api/v1/envelopes/{eid}/sign", {"code": last_code()}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "envelope.already_completed"

    pdf = client.get(f"/api/v1/envelopes/{eid}/documents/1.pdf?download=1")
    assert pdf.status_code == 200 and pdf["Content-Disposition"].startswith("attachment")
    assert verify_pdf(pdf.content).valid
    assert AuditEntry.objects.filter(
        action="envelopes.document.download", actor_id=worker.pk
    ).exists()


def test_verify_page_finds_a_signed_document_by_number_without_showing_it(client, shop):
    login(client, shop.hr)
    created = client.post(
        f"/api/v1/enterprises/{shop.enterprise.public_id}/envelopes",
        _body(shop),
        content_type="application/json",
    ).json()
    client.post(
        f"/api/v1/envelopes/{created['id']}/seal",
        {"otp": totp_code(shop.hr)},
        content_type="application/json",
    )
    client.logout()
    page = client.get("/verify", {"number": created["number"]})
    assert page.status_code == 200
    text = page.content.decode()
    assert created["number"] in text and "张三" not in text


def test_art13_hr_without_an_authenticator_binds_one_to_seal(client, make_enterprise, make_user):
    from django_otp.oath import totp

    from accord.identity.auth import enrolment_device

    hr = make_user("hr", enterprise=make_enterprise(), totp=False)
    login(client, hr)
    page = client.get("/account/authenticator")
    assert page.status_code == 200 and "totp-secret" in page.content.decode()
    device = enrolment_device(hr)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    assert (
        client.post(
            "/account/authenticator", {"otp_token": "000000" if code != "000000" else "111111"}
        ).status_code
        == 401
    )
    enrolment_device(hr).throttle_reset()  # django-otp slows retries after a wrong code
    assert client.post("/account/authenticator", {"otp_token": code}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed


@pytest.mark.parametrize(
    ("deadline", "status"),
    [("2099-01-01T18:00:00", 201), ("2020-01-01T00:00:00+08:00", 422), ("soon", 422)],
)
def test_deadline_without_a_zone_is_shanghai_time_and_a_bad_one_is_refused(
    client, shop, token, deadline, status
):
    response = client.post(
        f"/api/v1/enterprises/{shop.enterprise.public_id}/envelopes",
        _body(shop, deadline=deadline),
        content_type="application/json",
        **token,
    )
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["deadline"].startswith("2099-01-01T10:00:00")  # 18:00 +08:00 in UTC
    else:
        assert not Envelope.objects.exists()
