"""Valid identifiers for made-up people and enterprises (check digits included)."""

from __future__ import annotations

import datetime as dt
import itertools

from stdnum.cn import ric, uscc

# One sequence for the whole session: factories and the conftest helpers share it, so no two
# made-up people or enterprises ever get the same number.
serial = itertools.count(1)


def resident_id(n: int, birth: str = "19900101", area: str = "440304") -> str:
    """A resident ID number (GB 11643) with sequence code ``n % 1000`` and a valid check digit."""
    body = f"{area}{birth}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def unique_resident_id(n: int) -> str:
    """A resident ID number unique for every ``n``: the birth date moves on every 1,000."""
    birth = dt.date(1990, 1, 1) + dt.timedelta(days=n // 1000)
    return resident_id(n, birth=f"{birth:%Y%m%d}")


def make_uscc(n: int) -> str:
    # registration dept 9, type 1, region 440304, a 9-character organisation code, check digit.
    body = f"91440304{n:09d}"[:17]
    return body + uscc.calc_check_digit(body)
