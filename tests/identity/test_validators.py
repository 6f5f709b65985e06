import datetime as dt

import pytest

from accord.core.errors import InvalidInput
from accord.identity.validators import clean_id_document, clean_phone, clean_resident_id, clean_uscc
from tests.conftest import make_uscc, resident_id


def test_valid_resident_id_gives_birth_date_and_gender():
    number, birth, gender = clean_resident_id("11010519491231002X")
    assert (number, birth, gender) == ("11010519491231002X", dt.date(1949, 12, 31), "F")


def test_lowercase_x_is_normalised():
    assert clean_resident_id("11010519491231002x")[0] == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "identity.resident_id_checksum"),
        (resident_id(1, birth="19491331"), "identity.resident_id_birth_date"),  # month 13
        ("1101051949123100", "identity.resident_id_format"),
        ("", "identity.resident_id_format"),
    ],
)
def test_bad_resident_ids_name_the_problem_and_field(value, code):
    with pytest.raises(InvalidInput) as e:
        clean_resident_id(value)
    assert e.value.code == code
    assert e.value.field == "id_number"
    assert e.value.message_zh and e.value.message_en


@pytest.mark.parametrize(
    ("number", "birth"),
    [
        # The case: a Futian resident born 1982; 440304 is a code from 1983 (上埗区办事处,
        # 福田区 from 1990), and numbers are assigned long after birth.
        ("440304198209044742", dt.date(1982, 9, 4)),
        (resident_id(321, birth="19650312", area="440304"), dt.date(1965, 3, 12)),
        (resident_id(88, birth="19580101", area="440303"), dt.date(1958, 1, 1)),  # 罗湖 (1983-)
        (resident_id(17, birth="19700615", area="440306"), dt.date(1970, 6, 15)),  # 宝安区 (1992-)
        (resident_id(5, birth="19851001", area="440321"), dt.date(1985, 10, 1)),  # 宝安县 1982–92
        ("11010519491231002X", dt.date(1949, 12, 31)),  # GB 11643-1999's own example
    ],
)
def test_gb11643_s5_2_area_code_counts_when_the_number_was_assigned_not_at_birth(number, birth):
    assert clean_resident_id(number)[1] == birth


@pytest.mark.parametrize(
    "number",
    [
        resident_id(5, birth="19950101", area="440321"),  # 宝安县 was gone (1992) before birth
        resident_id(5, birth="19900101", area="440399"),  # never a code
        resident_id(5, birth="19900101", area="999999"),
    ],
)
def test_gb11643_an_area_code_not_in_use_names_the_area_not_the_birth_date(number):
    with pytest.raises(InvalidInput) as e:
        clean_resident_id(number)
    assert e.value.code == "identity.resident_id_area"
    assert "行政区划代码" in e.value.message_zh and "area code" in e.value.message_en
    assert "出生日期" not in e.value.message_zh


def test_future_birth_date_is_refused():
    future = (dt.date.today() + dt.timedelta(days=400)).strftime("%Y%m%d")
    with pytest.raises(InvalidInput) as e:
        clean_resident_id(resident_id(1, birth=future))
    assert e.value.code == "identity.resident_id_birth_date"


def test_uscc_check_digit():
    good = make_uscc(12345)
    assert clean_uscc(good.lower()) == good
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as e:
        clean_uscc(bad)
    assert e.value.code == "identity.uscc_checksum"


def test_hong_kong_residence_permit_uses_gb11643_check_digit():
    number = resident_id(5, area="810000")
    assert clean_id_document("hk_macau", number)[0] == number
    with pytest.raises(InvalidInput):
        clean_id_document("hk_macau", number[:-1] + ("0" if number[-1] != "0" else "1"))


def test_travel_permits_and_passports():
    assert clean_id_document("hk_macau", "H12345678")[0] == "H12345678"
    assert clean_id_document("taiwan", "12345678")[0] == "12345678"
    assert clean_id_document("passport", "e1234567")[0] == "E1234567"
    with pytest.raises(InvalidInput) as e:
        clean_id_document("martian", "x")
    assert e.value.field == "id_type"


def test_phone_numbers():
    assert clean_phone("+86 138-0000-0001") == "13800000001"
    with pytest.raises(InvalidInput):
        clean_phone("12000000000")
