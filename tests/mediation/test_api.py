"""The mediation API: the public time-limit self-check (issue #14 item 9, a public contract),
applications three ways with every bad input a 4xx and nothing written, uploads, progress."""

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from freezegun import freeze_time

from accord.core.models import OutboxEvent, SmsMessage
from accord.identity.models import Role
from accord.mediation.models import Case, ClaimCategory, Evidence
from tests.conftest import login
from tests.support import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def limits(client, **body):
    return post(client, "/api/v1/mediation/time-limits", body)


# ---- the time-limit self-check ------------------------------------------------------------


def test_art27_time_limits_answer_in_the_published_shape_without_login(client):
    r = limits(
        client,
        claim="compensation",
        knew_on="2025-10-01",
        received_on="2026-02-01",
        interruptions=[],
        as_of="2026-02-10",
        employment_ended_on=None,
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"limitation_status", "arbitration_deadline", "mediation_deadline", "basis"}
    # The application on 1 February interrupts the year; 1 Feb 2027 is a Monday.
    assert body["limitation_status"] == "running"
    assert body["arbitration_deadline"] == "2027-02-01"
    assert body["mediation_deadline"] == "2026-02-24"  # past the Spring Festival (Art. 14)
    assert all(set(b) == {"article", "message_zh", "message_en"} for b in body["basis"])
    assert any("第十四条" in b["article"] for b in body["basis"])


def test_art27_4_wages_during_employment_are_not_running(client):
    body = limits(client, claim="wages", knew_on=None, employment_ended_on=None).json()
    assert body["limitation_status"] == "not_running"
    assert body["arbitration_deadline"] is None and body["mediation_deadline"] is None


def test_art27_an_old_claim_has_expired(client):
    body = limits(client, claim="dismissal", knew_on="2024-03-01", as_of="2025-06-01").json()
    assert (body["limitation_status"], body["arbitration_deadline"]) == ("expired", "2025-03-03")


def test_art27_interruptions_restart_the_year(client):
    body = limits(
        client,
        claim="hours",
        knew_on="2025-01-10",
        interruptions=["2025-06-01", "2025-09-15"],
        as_of="2026-01-05",
    ).json()
    assert body["arbitration_deadline"] == "2026-09-15"


def test_time_limits_bad_input_is_422_with_code_and_field(client):
    r = limits(client, claim="compensation", knew_on=None)
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (
        422,
        "mediation.knew_on_required",
        "knew_on",
    )
    future = (TODAY + dt.timedelta(days=3)).isoformat()
    r = limits(client, claim="wages", employment_ended_on=future)
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (
        422,
        "mediation.date_in_future",
        "employment_ended_on",
    )
    r = limits(client, claim="overtime_pay", knew_on="2025-01-01")
    assert r.status_code == 422 and r.json()["field"] == "claim"
    r = limits(client, claim="wages", knew_on="2025-02-30")
    assert r.status_code == 422 and r.json()["field"] == "knew_on"


def test_time_limits_are_rate_limited(client):
    # The clock is held inside one minute's window: a slow machine must not cross into the next.
    with freeze_time("2026-06-01 10:00:05+08:00"):
        for _ in range(30):
            assert limits(client, claim="wages").status_code == 200
        r = limits(client, claim="wages")
    assert r.status_code == 429 and r.json()["code"] == "mediation.time_limits_rate_limited"
    assert int(r["Retry-After"]) > 0


def test_the_claim_codes_are_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    enum = schema["components"]["schemas"]["ClaimCategory"]["enum"]
    assert set(enum) == set(ClaimCategory.values) and "wages" in enum


# ---- a worker's application with a texted code ----------------------------------------------


def last_code() -> str:
    return re.search(r"验证码是 (\d{6})", SmsMessage.objects.order_by("-id").first().text).group(1)


APPLICATION = {
    "worker_name": "王小明",
    "worker_phone": "13712345678",
    "enterprise_name": "深圳某餐饮有限公司",
    "facts": "2026 年 9 月起拖欠工资。",
    "claims": [{"category": "wages", "amount_fen": 1_200_000}],
    "knew_on": (TODAY - dt.timedelta(days=20)).isoformat(),
    "street": "futian",
}


@pytest.fixture
def centre(db):
    return factories.OrganisationFactory(
        name="福田街道劳动争议调解中心", kind="street", street=factories.street("futian")
    )


def test_a_worker_applies_on_a_phone_with_a_texted_code_only(client, centre):
    assert (
        post(client, "/api/v1/mediation/phone-codes", {"phone": "13712345678"}).status_code == 202
    )
    r = post(client, "/api/v1/mediation/applications", {**APPLICATION, "code": last_code()})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("TJ") and body["organisation"] == centre.name
    assert body["worker_phone"] == "137****5678"
    case = Case.objects.get(number=body["number"])
    assert case.channel == Case.Channel.WORKER_ONLINE
    assert case.worker_phone == "13712345678"  # encrypted at rest, read back
    # Progress by number and a fresh code (one code a minute per phone).
    with freeze_time(timezone.now() + dt.timedelta(minutes=2), tick=True):
        assert (
            post(client, "/api/v1/mediation/phone-codes", {"phone": "13712345678"}).status_code
            == 202
        )
        r = post(
            client,
            "/api/v1/mediation/progress",
            {"number": case.number, "phone": "13712345678", "code": last_code()},
        )
    assert r.status_code == 200 and r.json()["clock"]["mediation_deadline"]


def test_a_wrong_code_writes_nothing(client, centre):
    post(client, "/api/v1/mediation/phone-codes", {"phone": "13712345678"})
    r = post(client, "/api/v1/mediation/applications", {**APPLICATION, "code": "000000"})
    assert r.status_code == 422 and r.json()["code"] == "mediation.code_invalid"
    assert not Case.objects.exists()


def test_progress_of_another_phone_is_404(client, centre):
    case = factories.CaseFactory(organisation=centre)
    post(client, "/api/v1/mediation/phone-codes", {"phone": "13712345678"})
    r = post(
        client,
        "/api/v1/mediation/progress",
        {"number": case.number, "phone": "13712345678", "code": last_code()},
    )
    assert r.status_code == 404


@pytest.fixture
def oral(client, centre):
    """A mediator of the centre records oral applications (Art. 12)."""
    staff = factories.MediatorFactory(organisation=centre, user=True).user
    login(client, staff)
    return lambda **over: post(
        client, "/api/v1/mediation/cases", {**APPLICATION, "channel": "oral", **over}
    )


@pytest.mark.parametrize(
    ("over", "code", "field"),
    [
        ({"claims": []}, "mediation.claims_required", "claims"),
        (
            {"claims": [{"category": "compensation"}]},
            "mediation.amount_required",
            "claims[0].amount_fen",
        ),
        (
            {"claims": [{"category": "wages", "amount_fen": -5}]},
            "mediation.amount_invalid",
            "claims[0].amount_fen",
        ),
        (
            {"knew_on": (TODAY + dt.timedelta(days=1)).isoformat()},
            "mediation.date_in_future",
            "knew_on",
        ),
        (
            {"employment_started_on": "2026-01-01", "employment_ended_on": "2025-12-01"},
            "mediation.date_before_employment",
            "employment_ended_on",
        ),
        ({"facts": " "}, "mediation.facts_required", "facts"),
        ({"enterprise_name": ""}, "mediation.employer_required", "enterprise_name"),
        ({"collective": True, "worker_count": 4}, "mediation.collective_too_few", "worker_count"),
        (
            {"claims": [{"category": "dismissal"}], "knew_on": None},
            "mediation.knew_on_required",
            "knew_on",
        ),
    ],
)
def test_bad_applications_are_422_with_code_and_field_and_write_nothing(oral, over, code, field):
    r = oral(**over)
    assert r.status_code == 422, r.content
    body = r.json()
    assert (body["code"], body["field"]) == (code, field)
    assert body["message_zh"] and body["message_en"]
    assert not Case.objects.exists() and not OutboxEvent.objects.exists()


def test_a_second_open_case_on_the_same_claims_is_409(oral):
    assert oral().status_code == 201
    r = oral(claims=[{"category": "wages", "amount_fen": 100}, {"category": "hours"}])
    assert (r.status_code, r.json()["code"]) == (409, "mediation.duplicate_case")
    assert Case.objects.count() == 1
    assert (
        oral(claims=[{"category": "hours"}]).status_code == 201
    )  # another claim is not a duplicate


def test_oral_application_records_art12_fields_and_flags_migrant_wages_urgent(oral, centre):
    r = oral(migrant_worker=True, received_at="2026-12-01T09:30:00+08:00")
    assert r.status_code == 201, r.content
    case = Case.objects.get(number=r.json()["number"])
    assert case.channel == Case.Channel.ORAL and case.organisation == centre
    assert case.urgent and case.received_on == dt.date(2026, 12, 1)
    assert OutboxEvent.objects.filter(topic="mediation.unpaid_wages").count() == 1


def test_hr_applies_for_its_own_enterprise_only(client, centre):
    enterprise = factories.EnterpriseFactory()
    hr = factories.UserFactory(role=Role.HR, enterprise=enterprise)
    login(client, hr)
    body = {**APPLICATION, "channel": "employer", "enterprise": str(enterprise.public_id)}
    r = post(client, "/api/v1/mediation/cases", body)
    assert r.status_code == 201, r.content
    assert Case.objects.get().applicant_side == Case.Side.EMPLOYER
    other = factories.EnterpriseFactory()
    r = post(
        client,
        "/api/v1/mediation/cases",
        {**body, "enterprise": str(other.public_id), "claims": [{"category": "hours"}]},
    )
    assert r.status_code == 404


# ---- evidence uploads ----------------------------------------------------------------------


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def test_evidence_uploads_take_photos_and_pdfs_by_their_bytes(client, centre):
    case = factories.CaseFactory(organisation=centre)
    login(client, factories.UserFactory(role=Role.WORKER, person=case.worker))
    url = f"/api/v1/mediation/cases/{case.public_id}/evidence"
    ok = client.post(url, {"file": SimpleUploadedFile("slip.jpg", JPEG, "image/jpeg")})
    assert ok.status_code == 201 and ok.json()["content_type"] == "image/jpeg"
    assert (
        client.post(url, {"file": SimpleUploadedFile("c.pdf", PDF, "application/pdf")}).status_code
        == 201
    )
    bad = client.post(url, {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00", "application/pdf")})
    assert (bad.status_code, bad.json()["code"], bad.json()["field"]) == (
        422,
        "mediation.upload_type",
        "file",
    )
    big = client.post(url, {"file": SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024))})
    assert (big.status_code, big.json()["code"]) == (422, "mediation.upload_too_large")
    assert Evidence.objects.filter(case=case).count() == 2


# ---- the register of mediators (备案) ---------------------------------------------------------


def test_the_bureau_registers_a_mediator_records_training_and_suspends(client, centre):
    login(client, factories.UserFactory(role=Role.BUREAU_OFFICER))
    body = {
        "name": "刘调解",
        "id_number": "11010519491231002X",
        "organisation": str(centre.public_id),
        "registered_on": "2026-01-15",
        "qualifications": ["lawyer", "union"],
    }
    r = post(client, "/api/v1/mediation/mediators", body)
    assert r.status_code == 201, r.content
    mediator = r.json()
    assert (
        mediator["registration_number"].startswith("FTTJ2026-") and mediator["status"] == "active"
    )
    url = f"/api/v1/mediation/mediators/{mediator['id']}"
    r = post(
        client, url + "/trainings", {"hours": 8, "course": "调解实务", "completed_on": "2026-03-01"}
    )
    assert r.status_code == 201 and r.json()["training_hours"] == 8
    assert post(client, url + "/status", {"status": "suspended"}).json()["status"] == "suspended"
    bad = post(client, "/api/v1/mediation/mediators", {**body, "qualifications": ["astrologer"]})
    assert (bad.status_code, bad.json()["field"]) == (422, "qualifications")


def test_only_the_bureau_registers_mediators(client, centre):
    login(client, factories.MediatorFactory(organisation=centre, user=True).user)
    body = {
        "name": "刘调解",
        "id_number": "11010519491231002X",
        "organisation": str(centre.public_id),
        "registered_on": "2026-01-15",
    }
    assert post(client, "/api/v1/mediation/mediators", body).status_code == 403


def test_the_case_list_takes_the_list_pages_filters(client, centre):
    wages = factories.CaseFactory(organisation=centre)
    hours = factories.CaseFactory(
        organisation=centre, claims=factories.mediation_claims(hours=None)
    )
    login(client, factories.UserFactory(role=Role.BUREAU_OFFICER))
    numbers = [
        c["number"] for c in client.get("/api/v1/mediation/cases?claim=hours").json()["results"]
    ]
    assert numbers == [hours.number] and wages.number not in numbers
    r = client.get("/api/v1/mediation/cases?status=bogus")
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (
        422,
        "core.invalid_filter",
        "status",
    )
