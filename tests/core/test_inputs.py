"""Untrusted input is refused in one place with a declared 4xx, never a 500 (issue #13).

Each test first reproduced the defect the issue names: a NUL byte in the login username, deeply
nested JSON and year-9999 dates at the public check-up, NUL and lone surrogates in filters and
JSON text, a body read whole before its size was known, HTML errors from the API.
"""

from __future__ import annotations

import io

import pytest
from django.test import Client, override_settings
from django.urls import path

from accord.core import inputs
from accord.identity.validators import clean_name

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/contracts/check"


def _boom(request):
    raise RuntimeError("an unexpected failure")


urlpatterns = [path("api/v1/boom", _boom)]


def _lawful(**changes):
    body = {
        "term_type": "fixed",
        "start_date": "2030-01-01",
        "end_date": "2032-12-31",
        "probation_end_date": "2030-02-28",
        "monthly_wage": "8000.00",
        "probation_wage": "6400.00",
    }
    body.update(changes)
    return body


def test_a_nul_byte_in_the_login_username_is_a_422_not_a_500(client):
    page = client.post("/login", {"username": "admin\x00", "password": "x" * 12})
    assert page.status_code == 422
    assert "core.invalid_characters" in page.content.decode()


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "x\udfffy", "bell\x07"])
def test_nul_control_and_lone_surrogates_in_json_text_are_refused_with_the_field(client, text):
    r = client.post(CHECK, _lawful(term_type=text), content_type="application/json")
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "core.invalid_characters" and body["field"] == "term_type"
    assert body["message_zh"] and body["message_en"]


def test_a_nul_byte_in_a_filter_is_refused_with_the_parameter_as_field(make_user, login_as):
    client = login_as(make_user("bureau_officer"))
    r = client.get("/api/v1/enterprises", {"name": "华\x00"})
    assert r.status_code == 422
    assert r.json()["code"] == "core.invalid_characters" and r.json()["field"] == "name"


def test_ordinary_chinese_text_with_line_breaks_passes(client):
    # The guard lets line breaks and tabs through to the API's own checks: the check-up then
    # refuses the field it does not know (contract.unknown_field), not its characters.
    r = client.post(CHECK, _lawful(note="第一行\n第二行\t完"), content_type="application/json")
    assert r.status_code == 422
    assert r.json()["code"] == "contract.unknown_field" and r.json()["field"] == "note"


def test_deeply_nested_json_is_a_clear_error(client):
    deep = "[" * 100_000 + "]" * 100_000
    r = client.post(CHECK, deep, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "core.json_too_deep"
    assert r.json()["field"] == "body"


def test_json_nested_just_past_the_limit_is_refused_and_at_it_passes():
    most = inputs.json_max_depth()
    inputs.parse_json(("[" * most + "]" * most).encode())
    with pytest.raises(inputs.AccordError) as refused:
        inputs.parse_json(("[" * (most + 1) + "]" * (most + 1)).encode())
    assert refused.value.code == "core.json_too_deep"


@pytest.mark.parametrize("field", ["start_date", "end_date", "probation_end_date", "signing_date"])
def test_year_9999_dates_at_the_check_up_are_a_422_with_the_field(client, field):
    r = client.post(CHECK, _lawful(**{field: "9999-12-31"}), content_type="application/json")
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert {"code": "core.date_out_of_range", "field": field}.items() <= problems[0].items()


def test_a_year_9999_start_date_in_an_api_schema_is_a_422(make_user, login_as, make_enterprise):
    enterprise = make_enterprise()
    client = login_as(make_user("hr", enterprise=enterprise))
    r = client.post(
        f"/api/v1/enterprises/{enterprise.public_id}/employees",
        {
            "name": "王五",
            "id_number": "11010519491231002X",
            "start_date": "9999-12-31",
        },
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["problems"][0]["field"] == "start_date"


def test_a_body_over_the_limit_is_refused_at_its_declared_length_without_being_read():
    class Unreadable(io.RawIOBase):
        def read(self, *args):
            raise AssertionError("the body was read")

    limit = inputs.max_request_bytes()
    r = Client().generic(
        "POST",
        "/verify",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(limit + 1),
        **{"wsgi.input": Unreadable()},
    )
    assert r.status_code == 413
    assert "core.request_too_large" in r.content.decode()


@override_settings(ACCORD_MAX_REQUEST_BYTES=64 * 1024)
def test_a_multipart_upload_is_counted_while_it_streams(client):
    """A chunked body declares no length: the upload handler stops it past the limit."""
    handler = inputs.LimitedUploadHandler()
    handler.handle_raw_input(None, {}, 0, b"x")
    handler.receive_data_chunk(b"x" * 60 * 1024, 0)
    with pytest.raises(inputs.AccordError) as refused:
        handler.receive_data_chunk(b"x" * 8 * 1024, 60 * 1024)
    assert refused.value.status == 413


def test_an_unknown_api_url_answers_json_not_html(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert r.json()["code"] == "core.not_found"


@pytest.mark.urls("tests.core.test_inputs")
@override_settings(DEBUG=False)
def test_a_server_error_in_the_api_answers_json_in_production():
    r = Client(raise_request_exception=False).get("/api/v1/boom")
    assert r.status_code == 500 and r["Content-Type"].startswith("application/json")
    assert r.json()["code"] == "core.server_error"


@pytest.mark.parametrize(
    "name",
    ["张\u202e三", "李\u200b四", "王\u2066五\u2069", "赵\x07六", "钱\u00ad七", "孙\n八"],
    ids=["rlo", "zero-width", "isolate", "control", "soft-hyphen", "newline"],
)
def test_names_that_go_into_contracts_refuse_invisible_and_direction_characters(name):
    with pytest.raises(inputs.AccordError) as refused:
        clean_name(name)
    assert refused.value.code == "core.invisible_characters" and refused.value.field == "name"


@pytest.mark.parametrize("name", ["张三", "阿依古丽·买买提", "O'Brien Zhang", "欧阳 娜娜"])
def test_ordinary_names_pass(name):
    assert clean_name(name) == name
