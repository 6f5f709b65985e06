"""WCAG 2.1 AA: axe-core finds no violation on the main pages, on a desktop and on a 375 px phone.

With ACCORD_SCREENSHOTS=1 the same walk also saves a screenshot of every page into
docs/screenshots/ (see docs/pages.md), so the pictures show exactly what was checked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from accord.core.models import SmsMessage
from tests.e2e.conftest import E2E_DB, PASSWORD, no_horizontal_scroll, sign_in

pytestmark = [pytest.mark.e2e, E2E_DB]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
# The pages docs/pages.md shows, per device; a long page is cut at 2,400 CSS pixels.
SHOTS = {
    "desktop": {
        "login",
        "worker-login-code",
        "home-bureau_officer",
        "home-street_officer",
        "home-hr",
        "home-worker",
        "enterprises",
        "enterprise-detail",
        "person-detail-revealed",
        "audit",
        "inbox-worker",
        "staff-accounts",
        "api-tokens",
    },
    "phone": {
        "login",
        "login-enrol",
        "worker-login-code",
        "home-bureau_officer",
        "home-hr",
        "home-worker",
        "enterprises",
        "enterprise-detail",
        "person-detail-revealed",
        "audit",
        "inbox-worker",
    },
    "phone-en": {"home-bureau_officer", "enterprises"},
}
MAX_SHOT_HEIGHT = 2400


def axe_violations(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Through the debugging protocol, not a <script>: the page's CSP allows no inline script.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(r => r.violations)",
        WCAG_21_AA,
    )


def describe(page_name: str, violations: list[dict]) -> str:
    lines = [f"{page_name}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"      at {' '.join(map(str, node['target']))}")
            lines.append(f"         {node['html'][:160]}")
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"         {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"      … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


class Walk:
    """Visits pages, runs axe on each, collects failures to report them all at once."""

    def __init__(self, page, device: str):
        self.page, self.device, self.failures, self.visited = page, device, [], []
        self.shoot = os.environ.get("ACCORD_SCREENSHOTS") == "1"

    def check(self, name: str) -> None:
        page = self.page
        if page.locator("#street-chart").count():
            page.locator("#street-chart canvas").wait_for()
        self.visited.append(name)
        violations = axe_violations(page)
        if violations:
            self.failures.append(describe(f"{name} ({page.url})", violations))
        if self.device == "phone" and not no_horizontal_scroll(page):
            width = page.evaluate("document.documentElement.scrollWidth")
            self.failures.append(
                f"{name} ({page.url}): scrolls sideways on a 375 px phone ({width} px wide)"
            )
        if self.shoot and name in SHOTS[self.device]:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            size = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            clip = {"x": 0, "y": 0, "width": size[0], "height": min(size[1], MAX_SHOT_HEIGHT)}
            page.mouse.move(0, 0)  # no hover effects in the pictures
            page.screenshot(
                path=str(SCREENSHOTS / f"{name}-{self.device}.png"),
                full_page=True,
                clip=clip,
                scale="css",
                animations="disabled",
                caret="hide",
            )

    def visit(self, name: str, url: str) -> None:
        response = self.page.goto(url)
        assert response.status == 200, f"{name}: {url} answered {response.status}"
        self.check(name)


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_main_pages_have_no_wcag_21_aa_violations(open_page, world, live_server, make_user, device):
    page = open_page(phone=device == "phone")
    walk = Walk(page, device)
    users = world.users
    newcomer = make_user("street_officer", street="futian", totp=False)  # must enrol a TOTP app

    # Logged out: the two login forms, each also in its second step and with an error shown.
    walk.visit("login", "/login")
    page.fill("#username", users["admin"].username)
    page.fill("#password", "wrong password")
    page.locator("main button[type=submit]").click()
    page.get_by_role("alert").wait_for()
    walk.check("login-error")
    assert page.input_value("#username") == users["admin"].username
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/login/otp**")
    walk.check("login-otp")
    page.goto("/login")
    page.fill("#username", newcomer.username)
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/login/otp/enrol**")
    walk.check("login-enrol")
    walk.visit("worker-login", "/login/phone")
    page.fill("#phone", "13800138000")
    page.locator("main button[type=submit]").first.click()
    page.locator("#code").wait_for()
    assert SmsMessage.objects.count() == 1
    walk.check("worker-login-code")
    walk.visit("verify", "/verify")  # the public verification page

    # Every role's home.
    for role, user in users.items():
        sign_in(page, user, live_server)
        walk.visit(f"home-{role}", "/")

    # The list and detail pages, as the bureau officer sees them, and the audit log.
    sign_in(page, users["bureau_officer"], live_server)
    walk.visit("enterprises", "/enterprises/")
    walk.visit("enterprise-detail", f"/enterprises/{world.enterprise.public_id}/")
    walk.visit("people", "/people/")
    walk.visit("person-detail", f"/people/{world.worker_person.public_id}/")
    page.get_by_role("button", name="显示完整号码（将记入审计日志）").click()
    page.get_by_test_id("personal-data-full").wait_for()
    walk.check("person-detail-revealed")
    walk.visit("inbox", "/inbox/")
    walk.visit("registry-import", "/registry/import")
    sign_in(page, users["admin"], live_server)
    walk.visit("audit", "/audit/")
    walk.visit("staff-accounts", "/staff/")
    sign_in(page, users["hr"], live_server)
    walk.visit("enterprise-detail-hr", f"/enterprises/{world.enterprise.public_id}/")
    walk.visit("api-tokens", f"/enterprises/{world.enterprise.public_id}/tokens")
    sign_in(page, users["worker"], live_server)
    walk.visit("inbox-worker", "/inbox/")

    assert len(walk.visited) == 26
    if walk.failures:
        pytest.fail(
            "axe-core found WCAG 2.1 AA problems:\n" + "\n\n".join(walk.failures), pytrace=False
        )


def test_english_pages_on_a_phone_have_no_wcag_21_aa_violations(open_page, world, live_server):
    """English labels are longer than Chinese ones: checked again where space is tightest."""
    page = open_page(phone=True, locale="en-GB")
    walk = Walk(page, "phone-en")
    walk.visit("login", "/login")
    walk.visit("worker-login", "/login/phone")
    sign_in(page, world.users["bureau_officer"], live_server)
    walk.visit("home-bureau_officer", "/")
    walk.visit("enterprises", "/enterprises/")
    walk.visit("person-detail", f"/people/{world.worker_person.public_id}/")
    sign_in(page, world.users["worker"], live_server)
    walk.visit("home-worker", "/")
    assert page.locator("html").get_attribute("lang") == "en"
    if walk.failures:
        pytest.fail(
            "axe-core found WCAG 2.1 AA problems:\n" + "\n\n".join(walk.failures), pytrace=False
        )
