"""Platform CA keys in a PKCS#11 token: a throw-away SoftHSM2 token per test session.

Skipped only when softhsm2-util is not installed (CI installs Debian's softhsm2).
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import uuid
from io import BytesIO

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from accord.core.errors import AccordError
from accord.signing import hsm, pki, services
from accord.signing.models import Certificate
from accord.signing.pdf import validation_context
from accord.signing.verify import verify_pdf

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("softhsm2-util") is None, reason="softhsm2 not installed"),
]

MODULES = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"]
PIN = "246810"


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory):
    """A fresh token in a temporary token directory; SoftHSM reads its configuration once, when
    the library is first loaded in the process, so this runs before any test touches it."""
    module = next((m for m in MODULES if os.path.exists(m)), None)
    if module is None:
        pytest.skip("libsofthsm2.so not found")
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    label = f"accord-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            label,
            "--pin",
            PIN,
            "--so-pin",
            "13579135",
        ],
        check=True,
        capture_output=True,
    )
    return module, label


@pytest.fixture
def token(softhsm_token, settings):
    module, label = softhsm_token
    settings.ACCORD_PKCS11_MODULE = module
    settings.ACCORD_PKCS11_TOKEN = label
    settings.ACCORD_PKCS11_PIN = PIN
    return label


def test_platform_keys_are_made_in_the_token_and_never_extractable(token):
    pki.ensure_platform()
    for kind in ("root", "issuing", "tsa", "bureau_seal"):
        cert = pki.current(kind)
        assert cert is not None and cert.key_sealed.startswith("pkcs11:"), kind
        label = cert.key_sealed.removeprefix("pkcs11:")
        assert label == cert.serial
        attrs = hsm.attributes(label)
        assert attrs == {
            "sensitive": True,
            "extractable": False,
            "always_sensitive": True,
            "never_extractable": True,
        }, kind
        key = pki.load_key(cert)
        with pytest.raises(TypeError):
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        # The public key the token holds is the one in the certificate.
        assert key.public_key() == pki.x509_of(cert).public_key()


def test_certificates_issued_by_the_token_key_chain_to_the_root(token, make_enterprise):
    pki.ensure_platform()
    enterprise = make_enterprise()
    seal = pki.enterprise_seal(enterprise)
    # An enterprise seal is issued (signed) by the token's issuing CA key, its own key stays
    # envelope-encrypted (one per enterprise: docs/signing.md).
    assert not seal.key_sealed.startswith("pkcs11:")
    chain = [pki.x509_of(c) for c in pki.chain(seal)]
    for child, parent in itertools.pairwise(chain):
        child.verify_directly_issued_by(parent)
    chain[-1].verify_directly_issued_by(chain[-1])


def test_crl_and_ocsp_answers_are_signed_by_the_token(token, make_enterprise):
    from cryptography import x509
    from cryptography.x509 import ocsp

    pki.ensure_platform()
    seal = pki.enterprise_seal(make_enterprise())
    pki.revoke(seal, Certificate.Reason.KEY_COMPROMISE)
    issuing = pki.issuing_ca()
    crl = x509.load_der_x509_crl(pki.crl_der(issuing))
    assert crl.is_signature_valid(pki.x509_of(issuing).public_key())
    assert crl.get_revoked_certificate_by_serial_number(int(seal.serial, 16)) is not None
    response = ocsp.load_der_ocsp_response(pki.ocsp_for_certificate(seal))
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    pki.x509_of(issuing).public_key().verify(
        response.signature,
        response.tbs_response_bytes,
        ec.ECDSA(response.signature_hash_algorithm),
    )


@pytest.mark.parametrize("level", ["B-T", "B-LT", "B-LTA"])
def test_bureau_seal_made_by_the_token_verifies(token, contract_pdf, level):
    pki.ensure_platform()
    signed = services.seal_with_bureau(contract_pdf, level=level)
    report = verify_pdf(signed.pdf)
    assert report.valid, [s.reasons for s in report.signatures]
    # The signature itself reads B-LT; B-LTA adds a document timestamp by the token's TSA key.
    assert report.signatures[0].level == {"B-LTA": "B-LT"}.get(level, level)
    if level == "B-LTA":
        assert [s.kind for s in report.signatures] == ["signature", "document_timestamp"]
    # pyHanko's own verdict, against our root only.
    sig = PdfFileReader(BytesIO(signed.pdf)).embedded_signatures[0]
    status = validate_pdf_signature(sig, validation_context())
    assert status.bottom_line and status.intact and status.trusted
    assert status.signing_cert.serial_number == int(pki.bureau_seal().serial, 16)


def test_rotation_puts_the_new_issuing_ca_in_the_token_and_the_old_one_still_signs_crls(token):
    from cryptography import x509

    pki.ensure_platform()
    old = pki.issuing_ca()
    new = pki.rotate_issuing_ca()
    assert new.key_sealed.startswith("pkcs11:") and new.serial != old.serial
    assert pki.bureau_seal().issuer_id == new.pk
    crl = x509.load_der_x509_crl(pki.crl_der(old))
    assert crl.is_signature_valid(pki.x509_of(old).public_key())


def test_a_missing_token_key_is_a_clear_error(token):
    pki.ensure_platform()
    cert = pki.bureau_seal()
    cert.key_sealed = "pkcs11:no-such-key"
    key = pki.load_key(cert)
    with pytest.raises(AccordError) as err:
        key.sign(b"data", ec.ECDSA(hashes.SHA256()))
    assert err.value.code == "signing.pkcs11_key_missing"


def test_incomplete_settings_are_refused(settings):
    settings.ACCORD_PKCS11_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
    settings.ACCORD_PKCS11_TOKEN = ""
    settings.ACCORD_PKCS11_PIN = ""
    with pytest.raises(AccordError) as err:
        hsm.config()
    assert err.value.code == "signing.pkcs11_incomplete"


def test_without_a_token_keys_are_envelope_encrypted(settings):
    for name in ("ACCORD_PKCS11_MODULE", "ACCORD_PKCS11_TOKEN", "ACCORD_PKCS11_PIN"):
        setattr(settings, name, "")
    pki.ensure_platform()
    assert not any(c.key_sealed.startswith("pkcs11:") for c in Certificate.objects.all())


def test_init_token_command_creates_the_platform_in_the_token(token, capsys):
    from django.core.management import call_command

    call_command("pki", "init-token")
    out = capsys.readouterr().out
    assert "Platform created with its keys in the token." in out
    assert out.count("PKCS#11 token") == 4 and "extractable=False" in out
    call_command("pki", "init-token")  # idempotent
    assert "nothing to do" in capsys.readouterr().out


def test_init_token_rotates_an_envelope_platform_only_when_asked(token, settings, capsys):
    from django.core.management import CommandError, call_command

    module, label = settings.ACCORD_PKCS11_MODULE, settings.ACCORD_PKCS11_TOKEN
    settings.ACCORD_PKCS11_MODULE = settings.ACCORD_PKCS11_TOKEN = settings.ACCORD_PKCS11_PIN = ""
    pki.ensure_platform()  # envelope-encrypted keys
    old = pki.issuing_ca()
    settings.ACCORD_PKCS11_MODULE, settings.ACCORD_PKCS11_TOKEN = module, label
    settings.ACCORD_PKCS11_PIN = PIN
    with pytest.raises(CommandError, match="--rotate"):
        call_command("pki", "init-token")
    call_command("pki", "init-token", "--rotate")
    new = pki.issuing_ca()
    assert new.pk != old.pk and new.key_sealed.startswith("pkcs11:")
    assert pki.bureau_seal().key_sealed.startswith("pkcs11:")
    assert not pki.root().key_sealed.startswith("pkcs11:")  # a new root is a new trust anchor
    out = capsys.readouterr().out
    assert "envelope-encrypted" in out and "PKCS#11 token" in out


def test_init_token_needs_the_settings(settings):
    from django.core.management import CommandError, call_command

    settings.ACCORD_PKCS11_MODULE = settings.ACCORD_PKCS11_TOKEN = settings.ACCORD_PKCS11_PIN = ""
    with pytest.raises(CommandError, match="ACCORD_PKCS11_MODULE"):
        call_command("pki", "init-token")
