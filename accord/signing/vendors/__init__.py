"""Adapters for the commercial signing vendors 法大大 (fadada), e签宝 (esign) and 契约锁 (qiyuesuo).

UNTESTED AGAINST THE REAL SERVICES: see base.py and each module for the documents they follow.
A vendor becomes available to enterprises only once its settings are present (``configured``).
"""

from __future__ import annotations

from accord.signing.errors import PROVIDER_NOT_CONFIGURED
from accord.signing.vendors.base import VendorAdapter
from accord.signing.vendors.esign import EsignAdapter
from accord.signing.vendors.fadada import FadadaAdapter
from accord.signing.vendors.qiyuesuo import QiyuesuoAdapter

VENDORS: dict[str, VendorAdapter] = {
    adapter.name: adapter for adapter in (FadadaAdapter(), EsignAdapter(), QiyuesuoAdapter())
}


def vendor(name: str) -> VendorAdapter:
    """The adapter ``name``; refuses clearly when its settings are missing."""
    adapter = VENDORS[name]
    missing = adapter.missing_settings()
    if missing:
        raise PROVIDER_NOT_CONFIGURED(name=name, missing=", ".join(missing))
    return adapter


def configured_vendors() -> list[str]:
    return [name for name, adapter in VENDORS.items() if adapter.configured()]
