"""Platform CA keys inside a PKCS#11 token (an HSM; SoftHSM2 in development and tests).

When ``ACCORD_PKCS11_MODULE``, ``ACCORD_PKCS11_TOKEN`` and ``ACCORD_PKCS11_PIN`` are set (in
settings or the environment), the keys of the platform's own certificates — root, issuing CA,
TSA and the bureau seal — are generated inside the token as non-extractable, sensitive keys
and every signature by them (certificates, CRLs, OCSP answers, timestamps, the bureau's PDF
seals) is made by the token. The database row keeps only a reference (``key_sealed`` =
``pkcs11:<label>``, the label being the certificate's serial). Enterprise seals and one-off
event keys stay envelope-encrypted (``pki.seal_key``): one token object per enterprise would
not scale to 300,000 enterprises, and event keys are destroyed after one use anyway.

``TokenKey`` is an ``EllipticCurvePrivateKey`` whose ``sign`` asks the token: cryptography's
certificate, CRL and OCSP builders hand it the TBS bytes and embed the signature it returns,
so the certificate-building code is the same for both kinds of key. PDFs are sealed through
pyHanko's ``PKCS11Signer`` (``pdf_signer``).

Sessions: PKCS#11 login is per application, so one session stays logged in for the life of
the process and each operation opens (and closes) its own short session under that login.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from django.conf import settings

from accord.signing.errors import (
    PKCS11_INCOMPLETE,
    PKCS11_KEY_MISSING,
    PKCS11_UNAVAILABLE,
)

MARKER = "pkcs11:"
# Platform certificates whose keys live in the token when one is configured (Certificate.Kind).
TOKEN_KINDS = frozenset({"root", "issuing", "tsa", "bureau_seal"})


@dataclass(frozen=True)
class TokenConfig:
    module: str
    token: str
    pin: str


def config() -> TokenConfig | None:
    """The configured token, or None (keys are then envelope-encrypted)."""
    values = [
        getattr(settings, name, None) or os.environ.get(name, "")
        for name in ("ACCORD_PKCS11_MODULE", "ACCORD_PKCS11_TOKEN", "ACCORD_PKCS11_PIN")
    ]
    if not any(values):
        return None
    if not all(values):
        raise PKCS11_INCOMPLETE()
    return TokenConfig(*values)


def holds(kind: str) -> bool:
    """Whether a new key for a certificate of ``kind`` is made in the token."""
    return kind in TOKEN_KINDS and config() is not None


def is_token_reference(key_sealed: str) -> bool:
    return key_sealed.startswith(MARKER)


# ---- sessions -------------------------------------------------------------------------------

_lock = threading.Lock()
_logins: dict[TokenConfig, Any] = {}  # config -> (token, logged-in session), for the process


def _token(conf: TokenConfig):
    import pkcs11
    from pkcs11 import exceptions

    with _lock:
        held = _logins.get(conf)
        if held is not None:
            return held[0]
        try:
            lib = pkcs11.lib(conf.module)
            token = lib.get_token(token_label=conf.token)
        except (exceptions.PKCS11Error, RuntimeError, OSError) as exc:
            raise PKCS11_UNAVAILABLE(detail=f"{type(exc).__name__}: {exc}") from None
        try:
            login = token.open(rw=True, user_pin=conf.pin)
        except exceptions.UserAlreadyLoggedIn:
            login = None  # logged in already (by this process): sessions share it
        except exceptions.PKCS11Error as exc:
            raise PKCS11_UNAVAILABLE(detail=type(exc).__name__) from None
        _logins[conf] = (token, login)
        return token


@contextmanager
def session() -> Iterator[Any]:
    """A short read-write session on the configured token, under the process's login."""
    conf = config()
    if conf is None:
        raise PKCS11_UNAVAILABLE(detail="not configured")
    from pkcs11 import exceptions

    token = _token(conf)
    try:
        opened = token.open(rw=True)
    except exceptions.PKCS11Error as exc:
        with _lock:
            _logins.pop(conf, None)  # the next call logs in again (token re-inserted, restarted)
        raise PKCS11_UNAVAILABLE(detail=type(exc).__name__) from None
    try:
        yield opened
    finally:
        opened.close()


# ---- keys -----------------------------------------------------------------------------------


def _private(s, label: str):
    from pkcs11 import ObjectClass, exceptions

    try:
        return s.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
    except (exceptions.NoSuchKey, exceptions.MultipleObjectsReturned):
        raise PKCS11_KEY_MISSING(label=label) from None


def _public(s, label: str) -> ec.EllipticCurvePublicKey:
    from pkcs11 import ObjectClass
    from pkcs11.util.ec import encode_ec_public_key

    key = serialization.load_der_public_key(
        encode_ec_public_key(s.get_key(object_class=ObjectClass.PUBLIC_KEY, label=label))
    )
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def generate(label: str) -> TokenKey:
    """A new P-256 key pair in the token: the private half sensitive and never extractable."""
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_named_curve_parameters

    with session() as s:
        params = s.create_domain_parameters(
            KeyType.EC,
            {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
            local=True,
        )
        params.generate_keypair(
            store=True,
            label=label,
            id=label.encode(),
            public_template={Attribute.VERIFY: True, Attribute.TOKEN: True},
            private_template={
                Attribute.TOKEN: True,
                Attribute.PRIVATE: True,
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.SIGN: True,
            },
        )
    return TokenKey(label)


def attributes(label: str) -> dict[str, bool]:
    """What the token says about a private key (shown by ``accord pki status``, checked in tests)."""
    from pkcs11 import Attribute

    with session() as s:
        key = _private(s, label)
        return {
            "sensitive": bool(key[Attribute.SENSITIVE]),
            "extractable": bool(key[Attribute.EXTRACTABLE]),
            "always_sensitive": bool(key[Attribute.ALWAYS_SENSITIVE]),
            "never_extractable": bool(key[Attribute.NEVER_EXTRACTABLE]),
        }


def destroy(label: str) -> None:
    """Remove a key pair from the token (a retired CA's key, once nothing it signed needs it)."""
    from pkcs11 import Attribute, ObjectClass

    with session() as s:
        for cls in (ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY):
            for obj in list(s.get_objects({Attribute.LABEL: label, Attribute.CLASS: cls})):
                obj.destroy()


_DIGESTS: dict[str, Any] = {
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


class TokenKey(ec.EllipticCurvePrivateKey):
    """A P-256 private key held by the token; only ``sign`` and ``public_key`` are possible."""

    def __init__(self, label: str) -> None:
        self.label = label

    @cached_property
    def _public_key(self) -> ec.EllipticCurvePublicKey:
        with session() as s:
            return _public(s, self.label)

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public_key

    def sign(
        self,
        data: bytes | bytearray | memoryview,
        signature_algorithm: ec.EllipticCurveSignatureAlgorithm,
    ) -> bytes:
        """ECDSA over ``data``: hashed here, the raw CKM_ECDSA signature made by the token."""
        from pkcs11 import Mechanism
        from pkcs11.util.ec import encode_ecdsa_signature

        assert isinstance(signature_algorithm, ec.ECDSA)
        algorithm = signature_algorithm.algorithm
        if isinstance(algorithm, utils.Prehashed):
            digest = bytes(data)
        else:
            assert isinstance(algorithm, hashes.HashAlgorithm)
            digest = _DIGESTS[algorithm.name](data).digest()
        with session() as s:
            raw = _private(s, self.label).sign(digest, mechanism=Mechanism.ECDSA)
        return encode_ecdsa_signature(raw)

    @property
    def curve(self) -> ec.EllipticCurve:
        return ec.SECP256R1()

    @property
    def key_size(self) -> int:
        return 256

    def exchange(self, algorithm, peer_public_key) -> bytes:
        raise TypeError("a signing key in the token is not used for key agreement")

    def private_numbers(self) -> ec.EllipticCurvePrivateNumbers:
        raise TypeError("the token never reveals the private key")

    def private_bytes(self, encoding, format, encryption_algorithm) -> bytes:
        raise TypeError("the token never reveals the private key")

    def __copy__(self) -> TokenKey:
        return self

    def __deepcopy__(self, memo: dict) -> TokenKey:
        return self


@contextmanager
def pdf_signer(signing_cert, label: str, ca_chain) -> Iterator[Any]:
    """pyHanko's PKCS11Signer for the key ``label``, on a session open for the signing."""
    from pyhanko.sign.pkcs11 import PKCS11Signer

    with session() as s:
        yield PKCS11Signer(
            s,
            signing_cert=signing_cert,
            key_label=label,
            ca_chain=ca_chain,
            other_certs_to_pull=(),  # the chain comes from our database, not the token
            # SoftHSM2 builds without CKM_ECDSA_SHA256: pyHanko hashes, the token signs.
            use_raw_mechanism=True,
        )
