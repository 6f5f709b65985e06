"""The error codes of seals, declared once and raised by name."""

from __future__ import annotations

from accord.core.errors import catalogue

E = catalogue("seals")

# ---- issue #10 (who may seal) --------------------------------------------------------------
SEAL_NEEDS_PERSON = E.invalid(
    "envelope.seal_needs_person",
    "盖章须由授权人事人员本人使用动态口令完成，API 令牌不能盖章。",
    "Sealing needs an authorised HR person with their second factor; a token cannot seal.",
)
SEAL_NOT_FOUND = E.not_found("seal.not_found", "seal")
