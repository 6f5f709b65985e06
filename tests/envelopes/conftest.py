"""Fixtures for envelopes: an enterprise with a contract seal, its HR, a verified worker."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.core.events import deliver_pending
from accord.core.models import SmsMessage
from accord.identity.models import Employment
from tests.signing.fixtures import platform, unreachable_revocation_urls  # noqa: F401


def totp_code(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    # A used code is refused (replay): as if the next 30-second window had come.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def last_code(phone_masked_tail: str | None = None) -> str:
    return re.search(r"验证码 (\d{6})", SmsMessage.objects.order_by("-id").first().text).group(1)


def last_link() -> str:
    for message in SmsMessage.objects.order_by("-id"):
        found = re.search(r"/s/([A-Za-z0-9_-]+)", message.text)
        if found:
            return found.group(1)
    raise AssertionError("no signing link was sent")


@pytest.fixture
def shop(platform, make_enterprise, make_person, make_user):  # noqa: F811
    """One enterprise: a seal manager, a sealing HR user, a verified worker with a job."""
    from accord.seals.services import setup_default_seals

    enterprise = make_enterprise(name="深圳市福田区福易科技有限公司")
    manager = make_user("hr", enterprise=enterprise)
    hr = make_user("hr", enterprise=enterprise)
    worker = make_person(name="张三", phone="13900001111")
    worker.verification_level = "registry"
    worker.save()
    # Hired three weeks ago: the written contract is still due (LCL Art. 10), whatever the day
    # the suite runs — a fixed date would make every draft late, then deemed open-ended.
    hired = (timezone.localdate() - dt.timedelta(days=21)).isoformat()
    job = Employment.objects.create(person=worker, enterprise=enterprise, start_date=hired)
    setup_default_seals(enterprise, manager=manager, users=[hr])
    deliver_pending()

    class Shop:
        pass

    s = Shop()
    s.enterprise, s.manager, s.hr, s.worker, s.job = enterprise, manager, hr, worker, job
    return s
