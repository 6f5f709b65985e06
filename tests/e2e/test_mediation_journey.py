"""The mediation journey in a browser (issue #14): a worker applies on a 375 px phone with only a
texted code and follows the case by its number; the mediator accepts it, assigns a mediator,
schedules an online session, draws up the agreement and sends it to both parties to sign
through 福易签; the worker's phone shows the case beside their documents. axe-core checks every
page on the way. The signing of the agreement itself (seal, worker's signature, the
organisation's seal) is tested at the service level (tests/mediation/test_agreement.py) and the
signing pages by the 福易签 journeys. With ACCORD_SCREENSHOTS=1 the pictures of
docs/mediation.md are saved into docs/img/.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from accord.core.models import SmsMessage
from accord.identity.models import Employment, Role
from accord.mediation.models import Case
from tests.e2e.conftest import E2E_DB, no_horizontal_scroll, sign_in
from tests.e2e.test_accessibility import axe_violations, describe
from tests.support import factories

pytestmark = [pytest.mark.e2e, E2E_DB]
IMG = Path(settings.BASE_DIR) / "docs" / "img"
SHOOT = os.environ.get("ACCORD_SCREENSHOTS") == "1"


def shot(page, name: str) -> None:
    if SHOOT:
        IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMG / f"mediation-{name}.png"), full_page=True)


def check(page, name: str, failures: list[str]) -> None:
    violations = axe_violations(page)
    if violations:
        failures.append(describe(f"{name} ({page.url})", violations))
    if not no_horizontal_scroll(page):
        failures.append(f"{name}: scrolls sideways")


def texted_code() -> str:
    return re.search(r"验证码是 (\d{6})", SmsMessage.objects.order_by("-id").first().text).group(1)


def test_a_worker_applies_on_a_phone_and_a_mediator_runs_the_case(
    reference_data, open_page, live_server, make_enterprise, make_person
):
    failures: list[str] = []
    enterprise = make_enterprise(name="深圳市福田示范餐饮有限公司")
    worker = make_person(name="陈大伯", phone="13700001234")
    Employment.objects.create(person=worker, enterprise=enterprise, start_date=dt.date(2024, 5, 1))
    centre = factories.OrganisationFactory(
        name="福田街道劳动争议调解中心", kind="street", street=enterprise.street
    )
    mediator = factories.MediatorFactory(organisation=centre, user=True)

    # The worker, on a phone, with no account beyond the texted code.
    phone = open_page(phone=True)
    phone.goto("/mediation/time-limits?claim=wages&employment_ended_on=2026-10-31")
    check(phone, "time-limit check 375px", failures)
    shot(phone, "time-limits-phone")
    phone.goto("/mediation/apply")
    phone.fill("#phone", "13700001234")
    phone.get_by_role("button", name="获取验证码").click()
    phone.fill("#code", texted_code())
    phone.get_by_role("button", name="验证").click()
    expect(phone.get_by_role("heading", name="第二步：填写申请")).to_be_visible()
    phone.fill("#worker_name", "陈大伯")
    phone.fill("#enterprise_name", enterprise.name)
    phone.check("#claim-wages")
    phone.fill("#amount-wages", "12800")
    phone.fill("#knew_on", (timezone.localdate() - dt.timedelta(days=15)).isoformat())
    phone.fill("#facts", "九月、十月两个月工资未发，多次催要未果。")
    phone.check("#migrant_worker")
    check(phone, "application form 375px", failures)
    shot(phone, "apply-phone")
    phone.get_by_role("button", name="提交申请").click()
    expect(phone.get_by_test_id("case-status")).to_have_text("已申请")
    number = phone.get_by_test_id("case-number").inner_text()
    case = Case.objects.get(number=number)
    assert case.worker == worker and case.urgent and case.organisation == centre
    check(phone, "progress 375px", failures)
    shot(phone, "progress-phone")

    # The mediator runs the case at a desk.
    desk = open_page()
    sign_in(desk, mediator.user, live_server)
    desk.goto(f"/mediation/cases/{case.public_id}/")
    check(desk, "case page (applied)", failures)
    desk.get_by_role("button", name="受理", exact=True).click()
    expect(desk.get_by_test_id("case-status")).to_have_text("已受理")
    desk.get_by_role("button", name="分派", exact=True).click()
    expect(desk.get_by_test_id("mediator")).to_have_text(mediator.person.name)
    starts = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    desk.fill("#starts_at", starts)
    desk.select_option("#mode", "online")
    desk.get_by_role("button", name="安排调解").click()
    expect(desk.get_by_test_id("case-status")).to_have_text("调解中")
    check(desk, "case page (in mediation)", failures)
    shot(desk, "case-desktop")

    # The worker joins the online session from the progress page on the phone.
    phone.goto(f"/mediation/progress?number={number}")
    phone.get_by_role("link", name="进入视频调解").click()
    phone.fill("#name", "陈大伯")
    phone.get_by_role("button", name="进入调解室").click()
    expect(phone.get_by_role("status")).to_contain_text("您已进入调解室")
    check(phone, "meeting room 375px", failures)

    # Agreement: drawn up and sent to both parties to sign through 福易签.
    desk.goto(f"/mediation/cases/{case.public_id}/")
    desk.fill("#terms", "用人单位于十日内支付拖欠工资人民币 12,800 元。")
    desk.fill("#due1", (timezone.localdate() + dt.timedelta(days=10)).isoformat())
    desk.fill("#amt1", "12800")
    desk.get_by_role("button", name="生成协议书并发送双方签署").click()
    expect(desk.get_by_test_id("case-status")).to_have_text("达成协议")
    case.refresh_from_db()
    assert case.agreement.envelope.status == "sent" and case.recovered_fen == 1_280_000

    # The worker, logged in by phone, sees the case beside their documents.
    sign_in(phone, worker.user, live_server)
    phone.goto("/mediation/")
    expect(phone.get_by_role("link", name=number)).to_be_visible()
    check(phone, "my mediation 375px", failures)

    assert not failures, "\n".join(failures)


def test_the_bureau_reads_the_statistics_on_a_phone(reference_data, open_page, live_server):
    failures: list[str] = []
    centre = factories.OrganisationFactory(kind="street", street=factories.street("futian"))
    for _ in range(3):
        factories.CaseFactory(organisation=centre)
    page = open_page(phone=True)
    sign_in(page, factories.UserFactory(role=Role.BUREAU_OFFICER), live_server)
    page.goto("/mediation/statistics")
    expect(page.get_by_test_id("received")).to_have_text("3")
    check(page, "statistics 375px", failures)
    shot(page, "statistics-phone")
    assert not failures, "\n".join(failures)
