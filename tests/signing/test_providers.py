"""The SigningProvider interface through the built-in provider."""

from __future__ import annotations

import re

import pytest

from accord.core.errors import AccordError
from accord.core.models import SmsMessage
from accord.signing.providers import SigningProvider, provider
from accord.signing.verify import verify_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


def _code() -> str:
    return re.search(r"验证码 (\d{6})", SmsMessage.objects.order_by("-id").first().text).group(1)


def test_builtin_provider_prepare_request_callback_fetch(platform, contract_pdf, make_person):
    person = make_person(name="张三")
    person.verification_level = "in_person"
    person.save()
    p: SigningProvider = provider("builtin")
    prepared = p.prepare(contract_pdf, person=person, document_name="劳动合同")
    assert prepared.status == "pending" and not SmsMessage.objects.exists()
    with pytest.raises(AccordError) as err:
        p.fetch_result(prepared.request_id)
    assert err.value.code == "signing.not_signed_yet"

    p.request(prepared.request_id)
    first = _code()
    p.request(prepared.request_id)  # a new code replaces the first
    with pytest.raises(AccordError) as err:
        p.callback(prepared.request_id, {"code": first})
    assert err.value.code == "signing.code_invalid"

    done = p.callback(prepared.request_id, {"code": _code()})
    assert done.status == "used" and done.result_sha256
    signed = p.fetch_result(prepared.request_id)
    assert verify_pdf(signed).valid
    assert p.status(prepared.request_id).result_sha256 == done.result_sha256
    with pytest.raises(AccordError) as err:  # a duplicate callback signs nothing twice
        p.callback(prepared.request_id, {"code": _code()})
    assert err.value.code == "signing.intent_used"


def test_unknown_request_and_provider(platform):
    import uuid

    with pytest.raises(AccordError) as err:
        provider().status(str(uuid.uuid4()))
    assert err.value.code == "signing.request_not_found" and err.value.status == 404
    with pytest.raises(AccordError):
        provider("fadada")
