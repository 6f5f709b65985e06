"""Mediation pages: a worker applies on a phone with a texted code and follows the case; a
mediator runs it from the case page (buttons from the policy, errors shown in place); the bureau
sees the statistics and exports them; the public time-limit check; the holiday schedule command."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from accord.core.models import AuditEntry, SmsMessage
from accord.identity.models import Role
from accord.mediation import clock, services
from accord.mediation.models import CalendarDay, Case
from tests.conftest import login
from tests.support import factories

pytestmark = pytest.mark.django_db


def last_code() -> str:
    return re.search(r"验证码是 (\d{6})", SmsMessage.objects.order_by("-id").first().text).group(1)


def test_a_worker_applies_on_a_phone_and_follows_the_case(client):
    centre = factories.OrganisationFactory(kind="street", street=factories.street("futian"))
    page = client.get("/mediation/apply")
    assert page.status_code == 200 and "获取验证码" in page.content.decode()
    client.post("/mediation/apply", {"step": "send", "phone": "13798765432"})
    r = client.post(
        "/mediation/apply", {"step": "verify", "phone": "13798765432", "code": last_code()}
    )
    assert r.status_code == 302
    assert "第二步" in client.get("/mediation/apply").content.decode()
    r = client.post(
        "/mediation/apply",
        {
            "step": "apply",
            "worker_name": "陈大伯",
            "enterprise_name": "某物业管理有限公司",
            "street": "futian",
            "claims": ["wages"],
            "amount_wages": "6,800.50",
            "knew_on": (timezone.localdate() - dt.timedelta(days=10)).isoformat(),
            "facts": "拖欠两个月工资",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert case.organisation == centre and case.claims.get().amount_fen == 680_050
    progress = client.get(r["Location"]).content.decode()
    assert case.number in progress and "已申请" in progress
    assert AuditEntry.objects.filter(action="mediation.case.view_personal_data").exists()


def test_a_money_claim_without_an_amount_is_shown_on_the_form_and_nothing_is_written(client):
    factories.OrganisationFactory(kind="district")
    client.post("/mediation/apply", {"step": "send", "phone": "13798765432"})
    client.post("/mediation/apply", {"step": "verify", "phone": "13798765432", "code": last_code()})
    r = client.post(
        "/mediation/apply",
        {
            "step": "apply",
            "worker_name": "陈大伯",
            "enterprise_name": "某公司",
            "claims": ["compensation"],
            "knew_on": "2026-01-05",
            "facts": "违法解除",
        },
    )
    assert r.status_code == 422
    assert 'data-error-code="mediation.amount_required"' in r.content.decode()
    assert not Case.objects.exists()


def test_a_mediator_runs_the_case_from_its_page(client, org, mediator):
    case = factories.CaseFactory(organisation=org)
    login(client, mediator.user)
    url = f"/mediation/cases/{case.public_id}/"
    html = client.get(url).content.decode()
    assert "受理" in html and "不予受理" in html and case.worker_name in html
    assert client.post(url + "act/accept").status_code == 302
    assert Case.objects.get(pk=case.pk).status == Case.Status.ACCEPTED
    r = client.post(url + "act/end", {"reason": ""})
    assert (
        r.status_code == 422 and 'data-error-code="mediation.reason_required"' in r.content.decode()
    )
    client.post(url + "act/assign", {"mediator": str(mediator.public_id)})
    starts = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert (
        client.post(url + "act/schedule", {"starts_at": starts, "mode": "online"}).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.status == Case.Status.IN_MEDIATION and case.mediator == mediator
    room = case.sessions.get().join_url
    assert client.get(room).status_code == 200  # the local meeting room a phone opens
    assert client.post(room, {"name": "张三", "side": "worker"}).status_code == 200
    assert case.sessions.get().joins.get().name == "张三"
    client.post(url + "act/end", {"reason": "双方分歧较大"})
    html = client.get(url).content.decode()
    assert "下载仲裁申请书" in html
    pdf = client.get(url + "documents/arbitration")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_bureau_sees_statistics_with_charts_and_exports_them(client, org, officer):
    for _ in range(3):
        factories.CaseFactory(organisation=org, claims=factories.mediation_claims(wages=10_000))
    login(client, officer)
    html = client.get("/mediation/statistics").content.decode()
    assert 'id="chart-month"' in html and 'data-testid="received">3<' in html
    r = client.get("/mediation/statistics?format=xlsx")
    book = load_workbook(io.BytesIO(r.content))
    assert "按街道" in book.sheetnames and book["按组织类型"].max_row == 2


def test_a_worker_sees_only_their_own_cases(client, org):
    mine = factories.CaseFactory(organisation=org)
    other = factories.CaseFactory(organisation=org)
    login(client, factories.UserFactory(role=Role.WORKER, person=mine.worker))
    html = client.get("/mediation/").content.decode()
    assert mine.number in html and other.number not in html


def test_the_public_time_limit_check_page(client):
    r = client.get("/mediation/time-limits", {"claim": "compensation", "knew_on": "2025-10-01"})
    assert r.status_code == 200 and "2026-10-08" in r.content.decode()


def test_next_years_holidays_are_entered_with_the_command():
    call_command("mediation_calendar", "holiday", "2027-02-08", "2027-02-09", name="春节")
    call_command("mediation_calendar", "workday", "2027-02-20")
    assert CalendarDay.objects.count() == 3
    cal = services.calendar()
    assert not cal.is_workday(dt.date(2027, 2, 8)) and cal.is_workday(dt.date(2027, 2, 20))
    assert clock.period_end_days(dt.date(2027, 1, 24), 15, cal) == dt.date(2027, 2, 10)
