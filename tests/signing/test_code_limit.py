"""Signing codes are rate-limited per person: enough for an envelope of ten documents, no more."""

import datetime as dt
import time

import pytest
from freezegun import freeze_time

from accord.core.errors import RateLimited
from accord.signing import services

pytestmark = pytest.mark.django_db


def test_mohrss_54_eleventh_code_in_ten_minutes_is_refused(platform, contract_pdf, make_person):
    person = make_person(name="张三", phone="13900002222")
    person.verification_level = "registry"
    person.save()
    # The limit counts in fixed ten-minute windows: start at the beginning of one, the clock
    # running as usual, so a slow machine never crosses into the next window mid-test.
    window_start = time.time() // 600 * 600 + 600
    with freeze_time(dt.datetime.fromtimestamp(window_start, dt.UTC), tick=True):
        for _ in range(10):
            services.request_signing_code(person, contract_pdf, document_name="劳动合同")
        with pytest.raises(RateLimited) as err:
            services.request_signing_code(person, contract_pdf, document_name="劳动合同")
    assert err.value.code == "signing.code_rate_limited"
