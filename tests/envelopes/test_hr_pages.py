"""HR pages in plain words (issue #11, item 6): English without translator notes or glued
words, filters and the audit log without internal names, leaving asked for and confirmed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from accord.core import audit
from accord.core.context import Actor, acting_as
from accord.core.models import AuditEntry
from accord.identity.models import Employment, ResidentRegistryRecord
from accord.identity.verification import id_index, name_index
from tests.conftest import login
from tests.envelopes.test_batches import row, upload, xlsx

pytestmark = pytest.mark.django_db


def test_english_pages_show_no_translator_notes_nor_glued_words(client, shop):
    login(client, shop.hr)
    client.cookies["django_language"] = "en"
    batch = upload(shop, xlsx([row(1)]))
    html = client.get(f"/batches/{batch.public_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "7 days" in html and "blocktrans" not in html
    new = client.get(
        f"/enterprises/{shop.enterprise.public_id}/envelopes/new"
        f"?employment={shop.job.public_id}&kind=labour_fixed",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert new.status_code == 200
    assert "New: " in new.content.decode() and "NewFixed" not in new.content.decode()
    with translation.override("en"):
        assert translation.ngettext("%(days)s 天", "%(days)s 天", 1) % {"days": 1} == "1 day"
        assert translation.gettext("新建%(kind_label)s") % {"kind_label": "X"} == "New: X"


def test_filters_name_what_they_filter_in_plain_words(client, shop):
    login(client, shop.hr)
    html = client.get(f"/envelopes/?enterprise={shop.enterprise.public_id}").content.decode()
    assert "public id" not in html.lower() and "public_id" not in html


def test_the_audit_log_says_what_was_done_to_what(client, shop, make_user):
    auditor = make_user("auditor")
    with acting_as(Actor(user_id=shop.hr.pk, label=shop.hr.username, role="hr")):
        audit.record("auth.login", shop.hr)
        audit.record(
            "signing.signature.create",
            object_type="signing.signature",
            object_id="27",
            label="Signature object (27)",
        )
    login(client, auditor)
    html = client.get("/audit/").content.decode()
    assert "登录" in html and "电子签名 27" in html and "企业人事" in html
    assert ">auth.login<" not in html and "Signature object" not in html


def test_leaving_is_asked_for_with_its_date_and_confirmed(client, shop):
    login(client, shop.hr)
    page = client.get(f"/enterprises/{shop.enterprise.public_id}/").content.decode()
    form = page.split('data-testid="end-employment"', 1)[1].split("</form>", 1)[0]
    assert 'type="date"' in form and "value=" not in form.split('type="date"', 1)[1][:80]
    assert 'name="confirm"' in form and "required" in form
    url = f"/employments/{shop.job.public_id}/end"
    day = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    refused = client.post(url, {"end_date": day})  # not confirmed: nothing ends
    assert refused.status_code == 422
    assert Employment.objects.get(pk=shop.job.pk).end_date is None
    assert client.post(url, {"end_date": day, "confirm": "on"}).status_code == 302
    assert Employment.objects.get(pk=shop.job.pk).end_date.isoformat() == day


def test_esl_art13_rows_that_will_fail_real_name_verification_are_shown_before_sending(
    client, shop
):
    """Each row is asked of the IdentityVerifier (the local resident registry) at upload: HR
    sees which workers could not sign, by line, before anything is sent."""
    known, unknown = row(1), row(2)
    mismatched = row(3)
    for values, name in ((known, known[0]), (mismatched, "另一个名字")):
        ResidentRegistryRecord.objects.create(
            id_number_index=id_index("resident", values[2]),
            name_index=name_index(name),
            source="test registry",
        )
    batch = upload(shop, xlsx([known, unknown, mismatched]))
    assert batch.identity["checked"] == 3 and batch.identity["verified"] == 1
    assert batch.identity["unknown"] == [3] and batch.identity["mismatch"] == [4]
    assert batch.status == "checked" and batch.sent == 0  # nothing sent to find this out
    login(client, shop.hr)
    html = client.get(f"/batches/{batch.public_id}/").content.decode()
    table = html.split('data-testid="identity-rows"', 1)[1].split("</table>", 1)[0]
    assert 'data-row="3"' in table and "人口库中没有这个证件号码" in table
    assert 'data-row="4"' in table and "不一致" in table
    assert 'data-row="2"' not in table
    assert AuditEntry.objects.filter(action="envelopes.batch.identity_precheck").count() == 1
