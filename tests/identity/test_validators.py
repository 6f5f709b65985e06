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
