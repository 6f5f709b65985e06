"""The signature scheme a receiver implements (docs/integrations.md): HMAC-SHA256 over
``{id}.{timestamp}.{body}``, ``v1=`` entries, a replay window, two secrets during rotation."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from accord.integrations import signature

BODY = b'{"id":"d1","topic":"lifecycle.hired","data":{"enterprise":"e"}}'
NOW = 1_790_000_000


def test_signature_is_hmac_sha256_of_id_timestamp_and_body():
    expected = hmac.new(b"whsec_a", b"d1.1790000000." + BODY, hashlib.sha256).hexdigest()
    assert signature.compute("whsec_a", "d1", NOW, BODY) == expected
    assert signature.header(["whsec_a"], "d1", NOW, BODY) == f"v1={expected}"


def test_a_genuine_delivery_verifies():
    header = signature.header(["whsec_a"], "d1", NOW, BODY)
    signature.verify("whsec_a", "d1", str(NOW), BODY, header, now=NOW + 10)


@pytest.mark.parametrize(
    ("secret", "webhook_id", "body"),
    [
        ("whsec_wrong", "d1", BODY),  # another secret
        ("whsec_a", "d2", BODY),  # the signature of another delivery
        ("whsec_a", "d1", BODY.replace(b"hired", b"left")),  # a tampered body
    ],
)
def test_a_forged_or_tampered_delivery_is_refused(secret, webhook_id, body):
    header = signature.header(["whsec_a"], "d1", NOW, BODY)
    with pytest.raises(signature.SignatureError):
        signature.verify(secret, webhook_id, str(NOW), body, header, now=NOW)


def test_a_replay_outside_the_tolerance_is_refused():
    header = signature.header(["whsec_a"], "d1", NOW, BODY)
    with pytest.raises(signature.SignatureError, match="tolerance"):
        signature.verify("whsec_a", "d1", str(NOW), BODY, header, now=NOW + 301)
    with pytest.raises(signature.SignatureError):
        signature.verify("whsec_a", "d1", "not-a-time", BODY, header, now=NOW)


def test_during_rotation_both_secrets_verify_and_the_header_has_two_entries():
    header = signature.header(["whsec_new", "whsec_old"], "d1", NOW, BODY)
    assert len(header.split(" ")) == 2 and all(p.startswith("v1=") for p in header.split(" "))
    signature.verify("whsec_new", "d1", str(NOW), BODY, header, now=NOW)
    signature.verify("whsec_old", "d1", str(NOW), BODY, header, now=NOW)
    with pytest.raises(signature.SignatureError):
        signature.verify("whsec_other", "d1", str(NOW), BODY, header, now=NOW)


def test_an_unknown_scheme_version_is_not_accepted():
    value = signature.compute("whsec_a", "d1", NOW, BODY)
    with pytest.raises(signature.SignatureError):
        signature.verify("whsec_a", "d1", str(NOW), BODY, f"v0={value}", now=NOW)
