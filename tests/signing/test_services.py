"""Sole control (Electronic Signature Law Art. 13): intents, codes bound to the document, seals."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.core.context import Actor, acting_as
from accord.core.errors import AccordError
from accord.core.models import AuditEntry, SmsMessage
from accord.identity.models import Role
from accord.signing import pki, services
from accord.signing.models import Certificate, Signature, SigningIntent
from accord.signing.verify import verify_pdf
from tests.signing.fixtures import CONTRACT, FONTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified_person(make_person):
    person = make_person(name="张三", phone="13900001111")
    person.verification_level = "registry"
    person.save()
    return person


def _last_code() -> str:
    return re.search(r"验证码 (\d{6})", SmsMessage.objects.order_by("-id").first().text).group(1)


def _other_pdf() -> bytes:
    import typst

    return typst.compile(CONTRACT.replace("20,000", "2,000").encode(), font_paths=FONTS)


def _totp(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_art13_person_signs_with_a_one_time_event_certificate(
    platform, contract_pdf, verified_person
):
    with acting_as(
        Actor(user_id=None, label="张三", role="worker", ip="10.1.2.3", user_agent="Phone/1.0")
    ):
        intent = services.request_signing_code(
            verified_person, contract_pdf, document_name="劳动合同"
        )
    sms = SmsMessage.objects.order_by("-id").first()
    assert intent.document_sha256[:8] in sms.text and "劳动合同" in sms.text
    assert intent.code_hash and _last_code() not in intent.code_hash
    assert (intent.ip, intent.user_agent, intent.auth_method) == (
        "10.1.2.3",
        "Phone/1.0",
        "session+sms",
    )

    signed = services.sign_as_person(contract_pdf, intent=intent, code=_last_code(), level="B-T")

    report = verify_pdf(signed.pdf)
    assert report.valid and "张三" in report.signatures[0].signer
    cert = signed.signature.certificate
    assert cert.kind == Certificate.Kind.EVENT and cert.person == verified_person
    assert cert.key_sealed == "" and cert.key_destroyed_at is not None  # used once, destroyed
    intent.refresh_from_db()
    assert intent.status == SigningIntent.Status.USED and signed.signature.intent == intent
    assert signed.signature.input_sha256 == intent.document_sha256
    assert signed.signature.field_name == "sig1"
    assert AuditEntry.objects.filter(action="signing.signature.create").exists()


def test_signature_is_appended_to_the_evidence_ledger(platform, contract_pdf, verified_person):
    from accord.ledger import storage

    intent = services.request_signing_code(verified_person, contract_pdf)
    signed = services.sign_as_person(contract_pdf, intent=intent, code=_last_code())
    assert signed.signature.ledger_index is not None
    entry = storage.get_entry(signed.signature.ledger_index)
    assert signed.signature.output_sha256.encode() in entry.data


def test_art13_code_is_single_use(platform, contract_pdf, verified_person):
    intent = services.request_signing_code(verified_person, contract_pdf)
    code = _last_code()
    services.sign_as_person(contract_pdf, intent=intent, code=code)
    with pytest.raises(AccordError) as err:
        services.sign_as_person(contract_pdf, intent=intent, code=code)
    assert err.value.code == "signing.intent_used"


def test_art13_code_for_another_document_hash_is_refused(platform, contract_pdf, verified_person):
    intent = services.request_signing_code(verified_person, contract_pdf)
    with pytest.raises(AccordError) as err:
        services.sign_as_person(_other_pdf(), intent=intent, code=_last_code())
    assert err.value.code == "signing.document_mismatch"
    assert "第十三条" in err.value.message_zh
    assert not Signature.objects.exists()
    assert not Certificate.objects.filter(kind=Certificate.Kind.EVENT).exists()


def test_expired_code_is_refused(platform, contract_pdf, verified_person):
    intent = services.request_signing_code(verified_person, contract_pdf)
    SigningIntent.objects.filter(pk=intent.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(AccordError) as err:
        services.sign_as_person(contract_pdf, intent=intent, code=_last_code())
    assert err.value.code == "signing.code_expired"
    assert not Signature.objects.exists()


def test_wrong_codes_count_and_lock_the_intent(platform, contract_pdf, verified_person, settings):
    intent = services.request_signing_code(verified_person, contract_pdf)
    right = _last_code()
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(settings.ACCORD_OTP_MAX_ATTEMPTS):
        with pytest.raises(AccordError) as err:
            services.sign_as_person(contract_pdf, intent=intent, code=wrong)
        assert err.value.code == "signing.code_invalid"
    intent.refresh_from_db()
    assert intent.attempts == settings.ACCORD_OTP_MAX_ATTEMPTS
    with pytest.raises(AccordError) as err:
        services.sign_as_person(contract_pdf, intent=intent, code=right)  # too late now
    assert err.value.code == "signing.intent_used"


def test_unverified_person_cannot_ask_for_a_code(platform, contract_pdf, make_person):
    person = make_person()
    person.verification_level = "checksum"
    person.save()
    with pytest.raises(AccordError) as err:
        services.request_signing_code(person, contract_pdf)
    assert err.value.code == "signing.identity_not_verified" and err.value.status == 403
    assert not SmsMessage.objects.exists()


def test_no_code_for_a_bad_pdf(platform, verified_person):
    with pytest.raises(AccordError) as err:
        services.request_signing_code(verified_person, b"%PDF-1.7 broken")
    assert err.value.code == "signing.pdf_malformed"
    assert not SigningIntent.objects.exists()


def test_handwritten_signature_image_is_the_appearance(platform, contract_pdf, verified_person):
    from accord.signing import appearance

    png = _png()
    intent = services.request_signing_code(verified_person, contract_pdf)
    signed = services.sign_as_person(
        contract_pdf, intent=intent, code=_last_code(), signature_image=png
    )
    assert verify_pdf(signed.pdf).valid
    with pytest.raises(AccordError) as err:
        appearance.person_pdf("张三", b"GIF89a not a png")
    assert err.value.code == "signing.signature_image_invalid"


def _png() -> bytes:
    import struct
    import zlib

    width, height = 40, 10
    raw = b"".join(b"\x00" + bytes([0, 0, 0, 255] * width) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# ---- enterprise seals ------------------------------------------------------------------------


def test_hr_seals_with_a_fresh_second_factor_then_the_worker_signs(
    platform, contract_pdf, make_enterprise, make_user, verified_person
):
    enterprise = make_enterprise(name="深圳市福田区测试科技有限公司")
    hr = make_user(Role.HR, enterprise=enterprise)
    token = _totp(hr)
    sealed = services.seal_as_enterprise(
        contract_pdf,
        user=hr,
        enterprise=enterprise,
        otp_token=token,
        certify=True,
        reserve_person_fields=1,
    )
    seal_intent = sealed.signature.intent
    assert seal_intent.kind == "enterprise_seal" and seal_intent.user == hr
    assert seal_intent.auth_method == "session+totp"
    assert sealed.signature.certificate.enterprise == enterprise

    with pytest.raises(AccordError) as err:  # the same code cannot be used twice
        services.seal_as_enterprise(contract_pdf, user=hr, enterprise=enterprise, otp_token=token)
    assert err.value.code == "auth.totp_invalid"

    intent = services.request_signing_code(verified_person, sealed.pdf)
    both = services.sign_as_person(sealed.pdf, intent=intent, code=_last_code())
    report = verify_pdf(both.pdf)
    assert report.valid, [(s.field_name, s.reasons) for s in report.signatures]
    assert [s.field_name for s in report.signatures] == ["sig1", "seal1"] or sorted(
        s.field_name for s in report.signatures
    ) == ["seal1", "sig1"]


def test_seal_needs_an_hr_role_in_that_enterprise(
    platform, contract_pdf, make_enterprise, make_user
):
    mine, other = make_enterprise(), make_enterprise()
    hr_of_other = make_user(Role.HR, enterprise=other)
    with pytest.raises(AccordError) as err:
        services.seal_as_enterprise(
            contract_pdf, user=hr_of_other, enterprise=mine, otp_token=_totp(hr_of_other)
        )
    assert err.value.code == "signing.seal_not_authorised"
    assert not Signature.objects.exists()


def test_revoked_seal_is_replaced_and_the_old_one_never_signs_again(
    platform, contract_pdf, make_enterprise, make_user
):
    enterprise = make_enterprise()
    hr = make_user(Role.HR, enterprise=enterprise)
    old = pki.enterprise_seal(enterprise)
    pki.revoke(old, "key_compromise")
    sealed = services.seal_as_enterprise(
        contract_pdf, user=hr, enterprise=enterprise, otp_token=_totp(hr)
    )
    assert sealed.signature.certificate.pk != old.pk
    assert verify_pdf(sealed.pdf).valid


def test_bureau_seal(platform, contract_pdf):
    signed = services.seal_with_bureau(contract_pdf, level="B-LT")
    report = verify_pdf(signed.pdf)
    assert report.valid and report.signatures[0].level == "B-LT"
    assert signed.signature.certificate.kind == Certificate.Kind.BUREAU_SEAL
