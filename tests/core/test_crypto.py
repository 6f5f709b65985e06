import base64
import os

import pytest
from django.db import connection

from accord.core import crypto


def test_round_trip_and_fresh_nonce_each_time():
    a, b = crypto.encrypt("440304199001011234"), crypto.encrypt("440304199001011234")
    assert a != b
    assert crypto.decrypt(a) == crypto.decrypt(b) == "440304199001011234"


def test_old_key_still_decrypts_after_rotation(settings):
    old = crypto.encrypt("13800000001")
    new_key = "k2:" + base64.b64encode(os.urandom(32)).decode()
    settings.ACCORD_DATA_KEYS = f"{new_key},{settings.ACCORD_DATA_KEYS}"
    assert crypto.decrypt(old) == "13800000001"
    assert crypto.encrypt("x").startswith("k2$")


def test_masks():
    assert crypto.mask_id_number("440304199001011234") == "440304********1234"
    assert crypto.mask_phone("13812345678") == "138****5678"


@pytest.mark.django_db
def test_identity_numbers_and_phones_are_not_stored_in_clear(make_person):
    person = make_person(phone="13912345678")
    with connection.cursor() as c:
        c.execute("SELECT id_number, phone FROM identity_person WHERE id = %s", [person.pk])
        raw_id, raw_phone = c.fetchone()
    number = type(person).objects.get(pk=person.pk).id_number
    assert number not in raw_id and "13912345678" not in raw_phone
    assert person.id_number_masked == crypto.mask_id_number(number)
