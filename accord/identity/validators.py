"""Identity numbers: resident ID (GB 11643, via python-stdnum cn.ric), USCC (GB 32100, cn.uscc),
and the other document types a worker may hold in Shenzhen."""

from __future__ import annotations

import datetime as dt
import re

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from accord.core.errors import InvalidInput

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# Hong Kong / Macau / Taiwan residence permits are 18-digit numbers beginning 810000, 820000,
# 830000 with the GB 11643 check digit; the mainland travel permits are H/M + 8 digits (HK/Macau)
# or 8 digits (Taiwan). Foreign permanent residence IDs: 15 characters (old) or 18 digits
# starting with 9 (2023 format). Passports: 5–20 letters and digits.
HMT_PERMIT_RE = re.compile(r"^[HM]\d{8}(\d{2})?$")
TW_PERMIT_RE = re.compile(r"^\d{8}$")
FOREIGN_OLD_RE = re.compile(r"^[A-Z]{3}\d{12}$")
PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")


def _bad(code: str, zh: str, en: str, field: str) -> InvalidInput:
    return InvalidInput(code, zh, en, field)


def _gb11643_ok(number: str) -> bool:
    # The same check digit as a resident ID, without the birth-place code table.
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17]


def clean_resident_id(value: str, field: str = "id_number") -> tuple[str, dt.date, str]:
    """Validate a PRC resident ID; return (number, birth date, gender 'M'/'F')."""
    number = ric.compact(value or "").upper()
    try:
        ric.validate(number)
    except stdnum_errors.InvalidChecksum:
        raise _bad(
            "identity.resident_id_checksum",
            "身份证号码校验位错误。",
            "The resident ID number's check digit is wrong.",
            field,
        ) from None
    except stdnum_errors.InvalidComponent:
        raise _bad(
            "identity.resident_id_birth_date",
            "身份证号码中的出生日期不存在。",
            "The birth date inside the resident ID number is impossible.",
            field,
        ) from None
    except stdnum_errors.ValidationError:
        raise _bad(
            "identity.resident_id_format",
            "身份证号码应为 18 位（末位可为 X）。",
            "A resident ID number has 18 characters (the last may be X).",
            field,
        ) from None
    birth = ric.get_birth_date(number)
    if birth > dt.date.today():
        raise _bad(
            "identity.resident_id_birth_date",
            "身份证号码中的出生日期晚于今天。",
            "The birth date inside the resident ID number is in the future.",
            field,
        )
    gender = "M" if int(number[16]) % 2 else "F"
    return number, birth, gender


def clean_id_document(id_type: str, value: str, field: str = "id_number"):
    """Validate any accepted document; return (number, birth date or None, gender or '')."""
    number = re.sub(r"[\s-]", "", value or "").upper()
    if id_type == "resident":
        return clean_resident_id(number, field)
    if id_type in ("hk_macau", "taiwan"):
        if len(number) == 18 and number[:6] in ("810000", "820000", "830000"):
            if not _gb11643_ok(number):
                raise _bad(
                    "identity.permit_checksum",
                    "居住证号码校验位错误。",
                    "The residence permit number's check digit is wrong.",
                    field,
                )
            try:
                birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            except ValueError:
                raise _bad(
                    "identity.permit_birth_date",
                    "居住证号码中的出生日期不存在。",
                    "The birth date inside the permit number is impossible.",
                    field,
                ) from None
            return number, birth, "M" if int(number[16]) % 2 else "F"
        pattern = HMT_PERMIT_RE if id_type == "hk_macau" else TW_PERMIT_RE
        if pattern.match(number):
            return number, None, ""
        raise _bad(
            "identity.permit_format",
            "港澳台证件号码格式不正确。",
            "The Hong Kong/Macau/Taiwan document number is malformed.",
            field,
        )
    if id_type == "foreign_permanent":
        if FOREIGN_OLD_RE.match(number):
            return number, None, ""
        if len(number) == 18 and number.startswith("9") and number[:17].isdigit():
            if not _gb11643_ok(number):
                raise _bad(
                    "identity.permit_checksum",
                    "永久居留身份证号码校验位错误。",
                    "The permanent residence ID's check digit is wrong.",
                    field,
                )
            return number, None, ""
        raise _bad(
            "identity.permit_format",
            "外国人永久居留身份证号码格式不正确。",
            "The foreign permanent residence ID is malformed.",
            field,
        )
    if id_type == "passport":
        if PASSPORT_RE.match(number):
            return number, None, ""
        raise _bad(
            "identity.passport_format",
            "护照号码应为 5–20 位字母或数字。",
            "A passport number has 5–20 letters or digits.",
            "id_number",
        )
    raise _bad(
        "identity.id_type_unknown",
        "不支持的证件类型。",
        "Unknown identity document type.",
        "id_type",
    )


def clean_uscc(value: str, field: str = "uscc") -> str:
    number = uscc.compact(value or "").upper()
    try:
        uscc.validate(number)
    except stdnum_errors.InvalidChecksum:
        raise _bad(
            "identity.uscc_checksum",
            "统一社会信用代码校验位错误。",
            "The unified social credit code's check digit is wrong.",
            field,
        ) from None
    except stdnum_errors.ValidationError:
        raise _bad(
            "identity.uscc_format",
            "统一社会信用代码应为 18 位数字或大写字母。",
            "A unified social credit code has 18 digits or capital letters.",
            field,
        ) from None
    return number


def clean_phone(value: str, field: str = "phone") -> str:
    number = re.sub(r"[\s-]", "", value or "")
    if number.startswith("+86"):
        number = number[3:]
    if not PHONE_RE.match(number):
        raise _bad(
            "identity.phone_format",
            "手机号码应为 11 位中国大陆手机号。",
            "A phone number is an 11-digit mainland mobile number.",
            field,
        )
    return number


def clean_name(value: str, field: str = "name", max_length: int = 60) -> str:
    name = (value or "").strip()
    if not name:
        raise _bad("core.required", "此项为必填项。", "This field is required.", field)
    if len(name) > max_length:
        raise _bad(
            "core.too_long",
            f"不能超过 {max_length} 个字符。",
            f"At most {max_length} characters.",
            field,
        )
    return name
