"""What goes into the ledger: typed entries, encoded canonically, with no personal data in clear.

The ledger is public, so every entry is written as if a stranger will read it. An entry is a
small JSON object (keys sorted, no spaces, UTF-8: the bytes are the Merkle leaf) with a type,
a version and the type's fields. Fields that are personal data (names, ID numbers, phone
numbers of parties) are replaced by *salted commitments*: ``SHA-256(salt || value)`` with a
16-byte random salt per field. The salts are never published: they are kept encrypted next to
the entry (``Entry.disclosures``) and handed only to a party who needs to prove the value (a
worker showing that the agreement names them). A plain hash would not do: an 18-digit
resident ID number is guessable by brute force from its hash in minutes.

Types (issue #4): document signed, decision issued, agreement concluded, grade published,
daily digest of the audit log.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from accord.core.errors import InvalidInput
from accord.ledger.bundle import check_disclosure, commitment
from accord.ledger.errors import UNKNOWN_TYPE

__all__ = [
    "ENTRY_TYPES",
    "PreparedEntry",
    "canonical_json",
    "check_disclosure",
    "commitment",
    "prepare",
]

ENTRY_VERSION = 1
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def canonical_json(value: Any) -> bytes:
    """The one encoding of an entry: sorted keys, no whitespace, UTF-8 (not ASCII escapes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _bad(field: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(f"ledger.invalid_{field}", zh, en, field)


def _sha256_hex(field: str, value: Any) -> str:
    if not isinstance(value, str) or not _HEX64.match(value.lower()):
        raise _bad(
            field, "应为 64 位十六进制 SHA-256 摘要。", "Must be a 64-digit hex SHA-256 digest."
        )
    return value.lower()


def _text(field: str, value: Any, max_length: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise _bad(
            field, "不能为空，且不超过规定长度。", "Must be non-empty text of limited length."
        )
    return value.strip()


def _time(field: str, value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _bad(field, "时间格式无效。", "Not a valid ISO 8601 time.") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise _bad(field, "时间须带时区。", "The time must be timezone-aware.")
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _day(field: str, value: Any) -> str:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise _bad(field, "日期格式无效。", "Not a valid ISO 8601 date.") from None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _bad(field, "日期格式无效。", "Not a valid date.")
    return value.isoformat()


def _fingerprints(field: str, value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not value or len(value) > 20:
        raise _bad(
            field, "至少需要一个证书指纹。", "At least one certificate fingerprint is needed."
        )
    return sorted(_sha256_hex(field, v) for v in value)


def _count(field: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _bad(field, "应为非负整数。", "Must be a non-negative integer.")
    return value


def _grade(field: str, value: Any) -> str:
    if value not in ("A", "B", "C"):
        raise _bad(field, "等级应为 A、B 或 C。", "The grade must be A, B or C.")
    return str(value)


Check = Callable[[str, Any], Any]


@dataclass(frozen=True)
class EntryType:
    """One kind of entry: its public fields with their checks, and its personal fields."""

    name: str
    label_zh: str
    fields: dict[str, Check]
    personal: tuple[str, ...] = ()


ENTRY_TYPES: dict[str, EntryType] = {
    t.name: t
    for t in [
        EntryType(
            "document.signed",
            "文件签署",
            {
                "document_sha256": _sha256_hex,
                "signer_certificates": _fingerprints,
                "signed_at": _time,
                "document_kind": _text,
            },
        ),
        EntryType(
            "decision.issued",
            "决定书出具",
            {
                "decision_ref": _text,
                "decision_kind": _text,
                "document_sha256": _sha256_hex,
                "issued_at": _time,
            },
            personal=("applicant",),
        ),
        EntryType(
            "agreement.concluded",
            "调解协议达成",
            {"case_ref": _text, "agreement_sha256": _sha256_hex, "concluded_at": _time},
            personal=("worker", "employer_representative"),
        ),
        EntryType(
            "grade.published",
            "信用等级公示",
            {
                "enterprise_uscc": _text,
                "grade": _grade,
                "period": _text,
                "facts_sha256": _sha256_hex,
                "published_at": _time,
            },
        ),
        EntryType(
            "audit.daily_digest",
            "审计日志日摘要",
            {
                "day": _day,
                "entry_count": _count,
                "first_id": _count,
                "last_id": _count,
                "digest_sha256": _sha256_hex,
            },
        ),
        # For load tests, benchmarks and the crash test only: carries nothing but a number.
        EntryType("test.demo", "测试条目", {"n": _count, "note": _text}),
    ]
}


@dataclass(frozen=True)
class PreparedEntry:
    """An entry ready to append: its type, its leaf bytes and its private disclosures."""

    kind: str
    data: bytes
    disclosures: dict[str, dict[str, str]]


def prepare(
    kind: str, fields: dict[str, Any], personal: dict[str, str] | None = None
) -> PreparedEntry:
    """Validate ``fields`` for ``kind``, commit to ``personal`` values, encode the leaf.

    Raises InvalidInput naming the offending field; nothing reaches the ledger half-checked.
    """
    entry_type = ENTRY_TYPES.get(kind)
    if entry_type is None:
        raise UNKNOWN_TYPE("type")
    unknown = set(fields) - set(entry_type.fields)
    if unknown:
        name = sorted(unknown)[0]
        raise _bad(name, "该存证类型没有此字段。", "This entry type has no such field.")
    body: dict[str, Any] = {"type": kind, "v": ENTRY_VERSION}
    for name, check in entry_type.fields.items():
        if name not in fields:
            raise _bad(name, "缺少必填字段。", "A required field is missing.")
        body[name] = check(name, fields[name])
    personal = personal or {}
    extra = set(personal) - set(entry_type.personal)
    if extra:
        raise _bad(
            sorted(extra)[0], "该字段不是个人信息字段。", "Not a personal field of this type."
        )
    disclosures: dict[str, dict[str, str]] = {}
    commitments: dict[str, str] = {}
    for name in entry_type.personal:
        if name not in personal:
            raise _bad(name, "缺少必填字段。", "A required field is missing.")
        value = _text(name, personal[name])
        salt = os.urandom(16)
        commitments[name] = commitment(salt, value)
        disclosures[name] = {"salt": base64.b64encode(salt).decode(), "value": value}
    if commitments:
        body["commitments"] = commitments
    return PreparedEntry(kind, canonical_json(body), disclosures)
