"""The error codes of contracts, declared once and raised by name."""

from __future__ import annotations

from accord.core.errors import catalogue

E = catalogue("contracts")

# ---- issue #10 (which template versions an enterprise may use) -----------------------------
TEMPLATE_NOT_FOUND = E.not_found("contracts.template_not_found", "template_version")
