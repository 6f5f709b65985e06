"""What staff do on the list and detail pages, on a phone; the language switch and large type."""

import re

import pytest
from playwright.sync_api import expect

from accord.core.models import AuditEntry
from accord.identity.models import Enterprise, IndustryDivision, Street
from tests.conftest import make_uscc
from tests.e2e.conftest import E2E_DB, log_in_through_form, no_horizontal_scroll, sign_in

pytestmark = [pytest.mark.e2e, E2E_DB]


@pytest.fixture
def many_enterprises(world):
    """52 enterprises with one name prefix: more than the 50 rows of a list page; 6 are medium-sized."""
    street, industry = Street.objects.get(code="futian"), IndustryDivision.objects.get(code="72")
    Enterprise.objects.bulk_create(
        Enterprise(
            name=f"翻页测试商务服务{i:02d}有限公司",
            uscc=make_uscc(900_000 + i),
            legal_representative="王五",
            address=f"福田区福华路{i}号",
            street=street,
            industry=industry,
            size="medium" if i % 8 == 0 else "small",
        )
        for i in range(1, 53)
    )


def test_enterprise_list_filter_pages_and_detail_on_a_phone(
    open_page, world, many_enterprises, live_server
):
    page = open_page(phone=True)
    sign_in(page, world.users["bureau_officer"], live_server)
    page.goto("/enterprises/")
    rows = page.locator("#results tbody tr")
    expect(page.get_by_role("status")).to_contain_text("共 65 条")

    # The search box is on the first screen; the other filters are folded away on a phone.
    expect(page.locator("details.more-filters")).not_to_have_attribute("open", "")
    page.get_by_label("名称或信用代码").fill("翻页测试")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("status")).to_contain_text("共 52 条")
    expect(page).to_have_url(re.compile(r"q=%E7%BF%BB"))  # htmx pushed the filter into the address
    expect(rows).to_have_count(50)
    assert no_horizontal_scroll(page)

    page.get_by_role("link", name="下一页").click()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("翻页测试商务服务51有限公司")
    page.get_by_role("link", name="上一页").click()
    expect(rows).to_have_count(50)

    page.locator("details.more-filters summary").click()
    page.get_by_label("规模").select_option("medium")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("status")).to_contain_text("共 6 条")
    expect(rows).to_have_count(6)

    page.get_by_role("link", name="翻页测试商务服务16有限公司").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("翻页测试商务服务16有限公司")
    expect(page.locator("main")).to_contain_text("福田区福华路16号")
    assert no_horizontal_scroll(page)


def test_hr_reveals_a_full_number_the_read_is_audited_an_auditor_cannot(
    open_page, world, live_server
):
    person = world.worker_person
    page = open_page(phone=True)
    sign_in(page, world.users["hr"], live_server)
    page.goto(f"/people/{person.public_id}/")
    expect(page.locator("#personal-data")).to_contain_text(person.id_number_masked)
    expect(page.locator("main")).not_to_contain_text(person.id_number)
    assert not AuditEntry.objects.filter(action="identity.person.view_personal_data").exists()

    page.get_by_role("button", name="显示完整号码（将记入审计日志）").click()
    expect(page.get_by_test_id("personal-data-full")).to_contain_text(person.id_number)
    expect(page.get_by_test_id("personal-data-full")).to_contain_text("13800138000")
    # The button has done its job; focus moves to the number a screen reader then reads.
    expect(page.get_by_role("button", name="显示完整号码（将记入审计日志）")).to_have_count(0)
    expect(page.locator("#personal-data")).to_be_focused()
    entry = AuditEntry.objects.get(action="identity.person.view_personal_data")
    assert entry.actor_id == world.users["hr"].pk
    assert no_horizontal_scroll(page)

    # An auditor sees the same page masked, with no way to reveal.
    sign_in(page, world.users["auditor"], live_server)
    page.goto(f"/people/{person.public_id}/")
    expect(page.locator("#personal-data")).to_contain_text(person.id_number_masked)
    expect(page.get_by_role("button", name="显示完整号码（将记入审计日志）")).to_have_count(0)
    assert AuditEntry.objects.filter(action="identity.person.view_personal_data").count() == 1


def test_switch_to_english_and_back(open_page, world):
    page = open_page()
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("工作人员登录")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Username")).to_be_visible()

    # The choice sticks across pages, and the pages after login are in English too.
    log_in_through_form(page, world.users["hr"])
    expect(page.get_by_test_id("home-title")).to_contain_text("Welcome")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Enterprises")).to_be_visible()
    expect(nav.get_by_role("link", name="Audit log")).to_be_visible()

    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_test_id("home-title")).to_contain_text("欢迎")


def test_an_english_browser_gets_english_pages(open_page):
    page = open_page(phone=True, locale="en-GB")
    page.goto("/login/phone")
    expect(page.get_by_role("heading", level=1)).to_have_text("Worker login")
    expect(page.get_by_role("button", name="Get a code")).to_be_visible()
    assert no_horizontal_scroll(page)


def test_keyboard_users_can_skip_to_the_content(open_page):
    page = open_page()
    page.goto("/no-such-page")  # a page with no autofocus field, so the first Tab starts at the top
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # hidden until focused, then shown
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    # Past the whole top bar: the first stop is the error's folded "for support" detail.
    expect(page.locator("main details.support-detail summary")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="返回首页")).to_be_focused()


def test_large_type_is_toggled_and_remembered(open_page):
    page = open_page(phone=True)
    page.goto("/login")
    html = page.locator("html")
    base_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    # On a phone 大字版 stays on the bar beside the menu button (issue #11), not in the menu.
    toggle = page.get_by_role("button", name="大字版")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(html).to_have_class(re.compile(r"\blarge-type\b"))
    expect(page.get_by_role("button", name="大字版")).to_have_attribute("aria-pressed", "true")
    large_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert large_size >= base_size * 1.2
    assert no_horizontal_scroll(page)

    page.goto("/login/phone")
    expect(html).to_have_class(re.compile(r"\blarge-type\b"))
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="大字版").click()
    expect(html).not_to_have_class(re.compile(r"\blarge-type\b"))
