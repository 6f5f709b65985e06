"""Identity numbers: resident ID (GB 11643, via python-stdnum cn.ric), USCC (GB 32100, cn.uscc),
and the other document types a worker may hold in Shenzhen."""

from __future__ import annotations

import datetime as dt
import re

from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric, uscc

from accord.core import inputs
from accord.core.errors import REQUIRED, TOO_LONG
from accord.identity.errors import (
    ID_TYPE_UNKNOWN,
    PASSPORT_FORMAT,
    PERMIT_BIRTH_DATE,
    PERMIT_CHECKSUM,
    PERMIT_FORMAT,
    PHONE_FORMAT,
    RESIDENT_ID_AREA,
    RESIDENT_ID_BIRTH_DATE,
    RESIDENT_ID_CHECKSUM,
    RESIDENT_ID_FORMAT,
    USCC_CHECKSUM,
    USCC_FORMAT,
)

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# Hong Kong / Macau / Taiwan residence permits are 18-digit numbers beginning 810000, 820000,
# 830000 with the GB 11643 check digit; the mainland travel permits are H/M + 8 digits (HK/Macau)
# or 8 digits (Taiwan). Foreign permanent residence IDs: 15 characters (old) or 18 digits
# starting with 9 (2023 format). Passports: 5–20 letters and digits.
HMT_PERMIT_RE = re.compile(r"^[HM]\d{8}(\d{2})?$")
TW_PERMIT_RE = re.compile(r"^\d{8}$")
FOREIGN_OLD_RE = re.compile(r"^[A-Z]{3}\d{12}$")
PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")


def _gb11643_ok(number: str) -> bool:
    # The same check digit as a resident ID, without the birth-place code table.
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17]


def _area_code_in_use(code: str, birth: dt.date, today: dt.date) -> bool:
    """Was ``code`` a GB/T 2260 area code at some time when this number could be assigned?

    GB 11643-1999 §5.2: the address code is that of the holder's permanent residence *when the
    number is assigned* (编码时), not at birth. A number is assigned at or after birth and no
    later than today, and codes are created, renamed and abolished: 440304 is 上埗区办事处 from
    1983 and 福田区 from 1990, and a Futian resident born in 1982 rightly holds a 440304 number.
    So a code is possible when its span of use (python-stdnum's table, ``[start-end]``) meets the
    years from the birth year to today — never "it existed in the birth year"."""
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        info.update(props)
    county = info.get("county")
    if not county:
        return False
    for entry in county.split(","):
        if not entry.startswith("["):
            return True  # in use throughout
        start, _, end = entry[1:].split("]", 1)[0].partition("-")
        if (not start or int(start) <= today.year) and (not end or int(end) >= birth.year):
            return True
    return False


def clean_resident_id(value: str, field: str = "id_number") -> tuple[str, dt.date, str]:
    """Validate a PRC resident ID; return (number, birth date, gender 'M'/'F').

    Each check names its own cause: the format, the check digit, the birth date (impossible or
    in the future), then the area code (``_area_code_in_use``)."""
    number = ric.compact(value or "").upper()
    if (
        len(number) != 18
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise RESIDENT_ID_FORMAT(field)
    if number[-1] != ric.calc_check_digit(number):
        raise RESIDENT_ID_CHECKSUM(field)
    try:
        birth = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise RESIDENT_ID_BIRTH_DATE(field) from None
    today = dt.date.today()
    if birth > today:
        raise RESIDENT_ID_BIRTH_DATE(field)
    if not _area_code_in_use(number[:6], birth, today):
        raise RESIDENT_ID_AREA(field)
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
                raise PERMIT_CHECKSUM(field)
            try:
                birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            except ValueError:
                raise PERMIT_BIRTH_DATE(field) from None
            return number, birth, "M" if int(number[16]) % 2 else "F"
        pattern = HMT_PERMIT_RE if id_type == "hk_macau" else TW_PERMIT_RE
        if pattern.match(number):
            return number, None, ""
        raise PERMIT_FORMAT(field)
    if id_type == "foreign_permanent":
        if FOREIGN_OLD_RE.match(number):
            return number, None, ""
        if len(number) == 18 and number.startswith("9") and number[:17].isdigit():
            if not _gb11643_ok(number):
                raise PERMIT_CHECKSUM(field)
            return number, None, ""
        raise PERMIT_FORMAT(field)
    if id_type == "passport":
        if PASSPORT_RE.match(number):
            return number, None, ""
        raise PASSPORT_FORMAT("id_number")
    raise ID_TYPE_UNKNOWN("id_type")


def clean_uscc(value: str, field: str = "uscc") -> str:
    number = uscc.compact(value or "").upper()
    try:
        uscc.validate(number)
    except stdnum_errors.InvalidChecksum:
        raise USCC_CHECKSUM(field) from None
    except stdnum_errors.ValidationError:
        raise USCC_FORMAT(field) from None
    return number


def clean_phone(value: str, field: str = "phone") -> str:
    number = re.sub(r"[\s-]", "", value or "")
    if number.startswith("+86"):
        number = number[3:]
    if not PHONE_RE.match(number):
        raise PHONE_FORMAT(field)
    return number


def clean_name(value: str, field: str = "name", max_length: int = 60) -> str:
    name = (value or "").strip()
    if not name:
        raise REQUIRED(field)
    if len(name) > max_length:
        raise TOO_LONG(field, max_length=max_length)
    return inputs.check_name(name, field)
