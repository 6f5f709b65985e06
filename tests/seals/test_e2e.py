"""The seal pages in a browser: no WCAG 2.1 AA violation (axe-core), no sideways scrolling on a
375 px phone, in Chinese and in English, with seals, grants, a pending approval and a usage log."""

from __future__ import annotations

import os

import pytest

from accord.identity.models import Role
from accord.seals import approvals, services
from accord.seals.models import Power, SealUsage
from tests.e2e.conftest import (  # noqa: F401 - fixtures used by name
    E2E_DB,
    browser,
    no_horizontal_scroll,
    open_page,
    reference_data,
    sign_in,
)
from tests.e2e.test_accessibility import axe_violations, describe

pytestmark = [pytest.mark.e2e, E2E_DB]


@pytest.fixture
def seal_world(reference_data, make_enterprise, make_user):  # noqa: F811
    enterprise = make_enterprise(name="深圳市福田示范科技有限公司")
    boss = make_user(Role.HR, enterprise=enterprise)
    clerk = make_user(Role.HR, enterprise=enterprise)
    second = make_user(Role.HR, enterprise=enterprise)
    seal = services.setup_default_seals(enterprise, manager=boss, users=[clerk])
    services.create_seal(enterprise, user=boss, kind="official")
    services.grant_power(seal, user=boss, grantee=second, power=Power.MANAGE)
    approvals.request_approval(
        seal,
        user=clerk,
        document_sha256="a" * 64,
        title="解除劳动合同通知书（李四）",
        document_kind="termination",
    )
    for title, outcome, reason in (
        ("张三劳动合同", "signed", ""),
        ("李四解除通知", "refused", "seal.approval_required"),
    ):
        SealUsage.objects.create(
            seal=seal,
            user=clerk,
            user_label="陈丽",
            document_sha256="b" * 64,
            document_title=title,
            document_kind="labour_fixed",
            outcome=outcome,
            reason=reason,
            ip="10.0.0.8",
        )
    return enterprise, seal, boss


@pytest.mark.parametrize("device", ["desktop", "phone", "phone-en"])
def test_seal_pages_are_accessible_and_fit_a_phone(open_page, seal_world, live_server, device):  # noqa: F811
    enterprise, seal, boss = seal_world
    page = open_page(phone=device != "desktop", locale="en-GB" if device == "phone-en" else "zh-CN")
    sign_in(page, boss, live_server)
    failures = []
    shots = os.environ.get("ACCORD_SEAL_SHOTS")
    for name, url in (
        ("seals", f"/enterprises/{enterprise.public_id}/seals"),
        ("seal", f"/seals/{seal.public_id}/"),
    ):
        response = page.goto(url)
        assert response.status == 200
        violations = axe_violations(page)
        if violations:
            failures.append(describe(f"{name} ({url})", violations))
        if device != "desktop" and not no_horizontal_scroll(page):
            failures.append(f"{name}: scrolls sideways on a 375 px phone")
        if shots:
            page.screenshot(path=f"{shots}/{name}-{device}.png", full_page=True)
    assert not failures, "\n\n".join(failures)
