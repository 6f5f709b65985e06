"""Signing codes are rate-limited per person: enough for an envelope of ten documents, no more."""

import pytest

from accord.core.errors import RateLimited
from accord.signing import services

pytestmark = pytest.mark.django_db


def test_mohrss_54_eleventh_code_in_ten_minutes_is_refused(platform, contract_pdf, make_person):
    person = make_person(name="张三", phone="13900002222")
    person.verification_level = "registry"
    person.save()
    for _ in range(10):
        services.request_signing_code(person, contract_pdf, document_name="劳动合同")
    with pytest.raises(RateLimited) as err:
        services.request_signing_code(person, contract_pdf, document_name="劳动合同")
    assert err.value.code == "signing.code_rate_limited"
