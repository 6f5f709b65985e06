"""Browser journeys: Playwright driving Debian's Chromium against pytest-django's live server.

One browser for the whole session, a fresh context (cookies, viewport, language) per test.
Every e2e module marks its tests ``django_db(transaction=True)``: the live server runs in
another thread, so the data must be committed; the ``world`` fixture loads the reference data
(streets, industries) again, since the flush after each transactional test removes it.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.apps import apps as django_apps
from django.db import connections
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.core.notifications import notify
from accord.identity.models import Employment, Enterprise, User
from tests.conftest import login

# Playwright's sync API keeps an event loop in this thread; without this Django would refuse the
# ORM calls that tests make between browser steps (it reads the variable at each call).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Committed data (the live server runs in another thread). Naming every app as available changes
# nothing in the registry but spares the flush after each test from re-creating content types
# and permissions, which Accord does not use: half of each test's teardown on PostgreSQL.
# (By the apps' names: an INSTALLED_APPS entry may name an AppConfig class.)
E2E_DB = pytest.mark.django_db(
    transaction=True, available_apps=[a.name for a in django_apps.get_app_configs()]
)

CHROMIUM = os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
PASSWORD = "Correct-horse-42"  # what tests/conftest.py's make_user gives every account
STAFF_ROLES = ["admin", "bureau_officer", "auditor", "street_officer", "hr", "mediator"]


@pytest.fixture(scope="module")
def browser(django_db_blocker):
    """One Chromium per test module, stopped when the module is done: Playwright's sync API
    keeps an event loop running in this thread, and code that calls asyncio.run() (pyHanko's
    synchronous signing) cannot run while it does. Modules in other packages import this
    fixture; a wider scope would keep the loop running into the next package's tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
        # While Playwright's sync API runs, this thread is in another contextvars context, and
        # Django keeps connections per context: close the ones the tests opened in it, or
        # PostgreSQL refuses to drop the test database at the end.
        with django_db_blocker.unblock():
            connections.close_all()


@pytest.fixture
def open_page(browser, live_server):
    """``open_page(phone=False, locale="zh-CN")`` → a page in a new context on the live server."""
    contexts = []

    def make(*, phone: bool = False, locale: str = "zh-CN"):
        # The browser's language decides the page language (LocaleMiddleware): Chinese unless
        # a test asks for another, whatever the machine's locale.
        # Reduced motion switches off Bootstrap's transitions: no colour caught mid-fade.
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            reduced_motion="reduce",
            **(PHONE if phone else DESKTOP),
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def current_totp(user: User) -> str:
    """The code the user's authenticator app would show right now."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def log_in_through_form(page, user: User) -> None:
    """Staff login as a person does it: username and password, then the TOTP code if needed."""
    page.goto("/login")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    if user.needs_totp:
        page.wait_for_url("**/login/otp**")
        page.fill("#otp_token", current_totp(user))
        page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def sign_in(page, user: User, live_server) -> None:
    """A session cookie for ``user`` (TOTP step done), for tests whose subject is not the login."""
    client = Client()
    login(client, user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@dataclass
class World:
    """A small, realistic slice of Futian: enough to fill every page a role can reach."""

    users: dict[str, User]
    enterprise: Enterprise  # the HR user's enterprise, in 福田街道
    worker_person: object
    people: list = field(default_factory=list)


ENTERPRISES = [
    # name, street, industry division, size, employees
    ("深圳市福田前海金融服务有限公司", "futian", "66", "medium", 180),
    ("深圳市华强北电子商贸有限公司", "huaqiangbei", "51", "small", 35),
    ("深圳市莲花山软件科技有限公司", "lianhua", "65", "medium", 240),
    ("深圳市香蜜湖资本管理有限公司", "xiangmihu", "67", "small", 22),
    ("深圳市梅林商务咨询有限公司", "meilin", "72", "micro", 8),
    ("深圳市园岭零售连锁有限公司", "yuanling", "52", "large", 420),
    ("深圳市沙头物业租赁有限公司", "shatou", "71", "small", 40),
    ("深圳市华富互联网科技有限公司", "huafu", "64", "medium", 150),
    ("深圳市福保国际贸易有限公司", "fubao", "51", "small", 28),
    ("深圳市南园保险代理有限公司", "nanyuan", "68", "micro", 9),
    ("深圳市福田会展服务有限公司", "futian", "72", "small", 60),
    ("深圳市华强北通信设备有限公司", "huaqiangbei", "63", "medium", 130),
]


@pytest.fixture
def reference_data(transactional_db):
    """The streets and industries that migration 0002 loads: the flush after every transactional
    test deletes them (serialized_rollback cannot bring them back here, because a flush by an
    earlier transactional test re-creates content types that it would then insert again)."""
    load = importlib.import_module("accord.identity.migrations.0002_reference_data").load
    load(django_apps, None)


@pytest.fixture
def world(reference_data, make_enterprise, make_person, make_user, organisation) -> World:
    enterprise = make_enterprise(
        name="深圳市福田示范科技有限公司",
        street="futian",
        industry="65",
        size="medium",
        employee_count=120,
    )
    for name, street, industry, size, employees in ENTERPRISES:
        make_enterprise(
            name=name, street=street, industry=industry, size=size, employee_count=employees
        )
    worker_person = make_person(name="张小明", phone="13800138000")
    people = [worker_person]
    Employment.objects.create(
        person=worker_person,
        enterprise=enterprise,
        start_date=date(2024, 3, 1),
        position="软件工程师",
    )
    for name, position in [("陈丽", "人事专员"), ("刘伟", "测试工程师"), ("黄芳", "产品经理")]:
        person = make_person(name=name)
        Employment.objects.create(
            person=person, enterprise=enterprise, start_date=date(2023, 9, 1), position=position
        )
        people.append(person)
    users = {
        "admin": make_user("admin"),
        "bureau_officer": make_user("bureau_officer"),
        "auditor": make_user("auditor"),
        "street_officer": make_user("street_officer", street="futian"),
        "hr": make_user("hr", enterprise=enterprise, totp=False),
        "mediator": make_user("mediator", organisation=organisation, totp=False),
        "worker": make_user("worker", person=worker_person),
    }
    for role, user in users.items():
        notify(user, "欢迎使用福田区和谐劳动关系服务平台", "请先完善您的信息。", link="/")
        if role == "worker":
            notify(user, "您的实名认证已通过号码校验", "如需人口库核验，请联系所在企业人事。")
    return World(users=users, enterprise=enterprise, worker_person=worker_person, people=people)
