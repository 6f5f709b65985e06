"""The HR contract workspace (LCL Art. 10, 14, 82, 19, 44–47) and the archive export."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from accord.contracts.models import DocumentKind, MinimumWage
from accord.core.models import AuditEntry
from accord.envelopes import archive, services, workspace
from accord.envelopes.models import Envelope
from accord.identity.models import Employment
from accord.ledger import bundle as bundles
from accord.ledger.checkpoints import log_verifier
from accord.signing.verify import verify_pdf
from tests.conftest import login
from tests.envelopes.conftest import totp_code
from tests.envelopes.test_services import _contract, _worker_signs
from tests.support import factories
from tests.test_access_matrix import OUTSIDERS, ObjectUrl, _call, world  # noqa: F401

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 10)


def _row(
    shop, kind=DocumentKind.LABOUR_FIXED, status=Envelope.Status.COMPLETED, person=None, **values
):
    """An envelope row with the values drafting stores (the workspace only reads these)."""
    return Envelope.objects.create(
        enterprise=shop.enterprise,
        person=person or shop.worker,
        number=services.new_number(),
        title="劳动合同书",
        kind=kind,
        status=status,
        values=values,
        completed_at=timezone.now() if status == Envelope.Status.COMPLETED else None,
    )


def _hire(shop, make_person, start=START, name="李四") -> Employment:
    person = make_person(name=name)
    return Employment.objects.create(person=person, enterprise=shop.enterprise, start_date=start)


def _exposure(ws, employment):
    return next(e for e in ws.exposures if e.employment == str(employment.public_id))


def test_lcl_art10_written_contract_is_due_within_one_month_of_starting(shop, make_person):
    job = _hire(shop, make_person)
    ws = workspace.build(shop.enterprise, today=dt.date(2026, 4, 5))
    e = _exposure(ws, job)
    assert e.due_date == dt.date(2026, 4, 9)
    assert e.days_left == 4 and e.urgency == "due_soon"
    assert e.days_employed == 27
    assert e.exposure == 0  # nothing owed inside the first month
    assert (
        e.draft_url
        == f"/enterprises/{shop.enterprise.public_id}/envelopes/new?employment={job.public_id}"
    )


def test_lcl_art82_double_wages_from_the_second_month_at_the_draft_wage(shop, make_person):
    job = _hire(shop, make_person)
    _row(
        shop, status=Envelope.Status.DRAFT, person=job.person, **{"pay.monthly_wage": "9,000.00 元"}
    )
    ws = workspace.build(shop.enterprise, today=dt.date(2026, 6, 10))
    e = _exposure(ws, job)
    assert e.urgency == "overdue" and e.days_overdue == 62
    assert e.wage_known and e.wage == Decimal("9000")
    assert e.double_wage_months == Decimal("2.00")  # 10 April to 10 June
    assert e.exposure == Decimal("18000")
    assert e.monthly_cost == Decimal("9000")
    assert e.open_envelope is not None  # the draft is being prepared: link to it


def test_lcl_art82_cap_eleven_months_and_art14_deemed_open_ended_after_a_year(shop, make_person):
    job = _hire(shop, make_person)
    _row(shop, status=Envelope.Status.REJECTED, person=job.person, **{"pay.monthly_wage": "10000"})
    ws = workspace.build(shop.enterprise, today=dt.date(2028, 1, 1))
    e = _exposure(ws, job)
    assert e.double_wage_months == Decimal("11.00")
    assert e.exposure == Decimal("110000")
    assert e.deemed_open_ended
    before_a_year = workspace.build(shop.enterprise, today=dt.date(2027, 3, 9))
    assert not _exposure(before_a_year, job).deemed_open_ended


def test_lcl_art82_unknown_wage_is_a_lower_bound_at_the_minimum_wage(shop, make_person, client):
    job = _hire(shop, make_person)
    today = dt.date(2026, 5, 10)
    minimum = Decimal(MinimumWage.in_force(today).monthly_fen) / 100
    ws = workspace.build(shop.enterprise, today=today)
    e = _exposure(ws, job)
    assert not e.wage_known and e.wage == workspace.yuan(minimum)
    assert e.exposure == workspace.yuan(minimum)  # one month: 10 April to 10 May
    assert ws.exposure_at_minimum
    login(client, shop.hr)
    page = client.get(f"/enterprises/{shop.enterprise.public_id}/contracts").content.decode()
    assert "≥ ¥" in page and "按最低工资计" in page


def test_lcl_art10_a_signed_contract_or_an_ended_job_leaves_the_list(shop, make_person):
    signed = _hire(shop, make_person, name="已签")
    _row(shop, person=signed.person, **{"term.end_date": "2029-03-09"})
    left = _hire(shop, make_person, name="已离职")
    left.end_date = dt.date(2026, 4, 1)
    left.save()
    pending = _hire(shop, make_person, start=dt.date(2026, 2, 1), name="未签")
    ws = workspace.build(shop.enterprise, today=dt.date(2026, 6, 1))
    listed = {e.employment for e in ws.exposures}
    assert str(pending.public_id) in listed
    assert str(signed.public_id) not in listed and str(left.public_id) not in listed
    # Sorted by urgency: the earliest due date (most overdue) first.
    assert [e.due_date for e in ws.exposures] == sorted(e.due_date for e in ws.exposures)


def test_lcl_art14_art46_fixed_terms_ending_in_30_days(shop, make_person):
    today = dt.date(2027, 12, 20)
    Employment.objects.filter(pk=shop.job.pk).update(start_date=dt.date(2026, 1, 1))
    _row(shop, **{"term.end_date": "2028-01-05", "pay.monthly_wage": "8,000.00 元"})
    twice = _hire(shop, make_person, start=dt.date(2022, 1, 1), name="王二")
    _row(shop, person=twice.person, **{"term.end_date": "2025-01-05"})
    _row(shop, kind=DocumentKind.RENEWAL, person=twice.person, **{"renewal.end_date": "2028-01-10"})
    later = _hire(shop, make_person, start=dt.date(2026, 1, 1), name="赵六")
    _row(shop, person=later.person, **{"term.end_date": "2028-06-01"})
    rows = {r.worker: r for r in workspace.build(shop.enterprise, today=today).expiring}
    assert set(rows) == {"张三", "王二"}
    first = rows["张三"]
    assert first.days_left == 16 and not first.must_offer_open_ended
    # Art. 47: 2026-01-01 to 2028-01-05 is two years and four days: less than six months
    # beyond the full years counts half a month.
    assert first.years_of_service == Decimal("2.5")
    assert first.compensation == Decimal("20000")
    assert rows["王二"].fixed_terms == 2 and rows["王二"].must_offer_open_ended


def test_lcl_art47_years_of_service_rounding():
    assert workspace.service_years(dt.date(2020, 1, 1), dt.date(2023, 1, 1)) == 3
    assert workspace.service_years(dt.date(2020, 1, 1), dt.date(2023, 3, 1)) == Decimal("3.5")
    assert workspace.service_years(dt.date(2020, 1, 1), dt.date(2023, 8, 1)) == 4


def test_lcl_art19_probations_ending_in_14_days(shop, make_person):
    today = dt.date(2026, 6, 1)
    _row(shop, **{"probation.end_date": "2026-06-10"})
    other = _hire(shop, make_person, name="钱七")
    _row(shop, person=other.person, **{"probation.end_date": "2026-07-10"})
    rows = workspace.build(shop.enterprise, today=today).probations
    assert [(r.worker, r.days_left, r.confirmed) for r in rows] == [("张三", 9, False)]
    _row(shop, kind=DocumentKind.CONFIRMATION)
    assert workspace.build(shop.enterprise, today=today).probations[0].confirmed


def test_counts_by_state_api_and_page(shop, client, make_user):
    _row(shop, status=Envelope.Status.DRAFT)
    _row(shop, status=Envelope.Status.SENT)
    _row(shop, status=Envelope.Status.SENT)
    login(client, shop.hr)
    data = client.get(f"/api/v1/enterprises/{shop.enterprise.public_id}/contract-workspace").json()
    assert data["counts"]["sent"] == 2 and data["counts"]["draft"] == 1 and data["total"] == 3
    assert {"exposures", "expiring", "probations", "exposure_sum"} <= set(data)
    page = client.get(f"/enterprises/{shop.enterprise.public_id}/contracts")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-status="sent">2<' in html
    assert f"/envelopes/?status=sent&amp;enterprise={shop.enterprise.public_id}" in html
    assert 'id="state-chart"' in html and "echarts" in html
    assert 'data-testid="archive-start"' in html


def test_bureau_reads_the_workspace_but_cannot_export(shop, client, make_user):
    bureau = make_user("bureau_officer")
    login(client, bureau)
    page = client.get(f"/enterprises/{shop.enterprise.public_id}/contracts")
    assert page.status_code == 200
    assert 'data-testid="archive-start"' not in page.content.decode()
    assert "起草合同" not in page.content.decode()
    response = client.post(f"/api/v1/enterprises/{shop.enterprise.public_id}/archive-exports")
    assert response.status_code == 404


# ---- the archive export ------------------------------------------------------------------


@pytest.fixture
def completed(shop) -> Envelope:
    envelope = _contract(shop, send=True)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    _worker_signs(shop, envelope)
    envelope.refresh_from_db()
    return envelope


def test_archive_export_zip_has_signed_pdfs_bundles_and_manifest(shop, completed, client):
    _row(shop, status=Envelope.Status.SENT)  # not completed: not exported
    login(client, shop.hr)
    base = f"/api/v1/enterprises/{shop.enterprise.public_id}/archive-exports"
    started = client.post(base)
    assert started.status_code == 202
    export = started.json()
    assert export["status"] == "queued" and export["total"] == 1
    # Not ready yet: a clear conflict, not a broken file.
    early = client.get(f"{base}/{export['id']}/download")
    assert early.status_code == 409 and early.json()["code"] == "envelope.archive_not_ready"

    archive.build(export["id"], str(shop.enterprise.public_id))  # what the task worker runs
    progress = client.get(export["progress_url"]).json()
    assert progress["status"] == "done" and progress["percent"] == 100 and progress["done"] == 1

    response = client.get(progress["download_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == progress["sha256"]
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())
    assert {"manifest.json", "manifest.csv", "README.txt", "ledger_keys.json"} <= names
    manifest = json.loads(zf.read("manifest.json"))
    (doc,) = manifest["documents"]
    assert doc["number"] == completed.documents.get().number
    assert doc["worker"] == "张三"
    assert doc["worker_id_masked"] == shop.worker.id_number_masked
    assert shop.worker.id_number not in zf.read("manifest.json").decode()
    assert shop.worker.id_number not in zf.read("manifest.csv").decode("utf-8-sig")
    pdf = zf.read(doc["file"])
    assert (
        hashlib.sha256(pdf).hexdigest() == doc["sha256"] == completed.documents.get().current_sha256
    )
    assert verify_pdf(pdf).valid
    assert len(doc["bundles"]) == 2 and doc["ledger_index"]
    keys = json.loads(zf.read("ledger_keys.json"))
    assert keys["log"] == log_verifier().vkey
    for b in doc["bundles"]:
        verified = bundles.verify_bundle(zf.read(b["file"]), keys["log"])
        assert verified.index == b["ledger_index"]
        assert verified.body["document_sha256"] == b["document_sha256_after"]
    assert doc["bundles"][-1]["document_sha256_after"] == doc["sha256"]
    rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
    assert rows[0]["sha256"] == doc["sha256"] and rows[0]["worker_id_masked"]
    assert "python -m accord.ledger.bundle" in zf.read("README.txt").decode()
    actions = list(
        AuditEntry.objects.filter(action__startswith="envelopes.archive.").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["envelopes.archive.download", "envelopes.archive.export"]


def test_archive_export_page_button_progress_and_download(shop, completed, client):
    login(client, shop.hr)
    started = client.post(f"/enterprises/{shop.enterprise.public_id}/contracts/archive-exports")
    assert started.status_code == 302
    export_id = started["Location"].split("export=")[1].split("#")[0]
    page = client.get(started["Location"]).content.decode()
    assert "<progress" in page and 'data-status="queued"' in page
    built = archive.build(export_id, str(shop.enterprise.public_id))
    assert built["status"] == "done", built
    page = client.get(started["Location"]).content.decode()
    assert 'data-status="done"' in page, (
        re.findall(r'data-status="[a-z]+"', page) and 'data-testid="archive-download"' in page
    )
    download = client.get(
        f"/enterprises/{shop.enterprise.public_id}/contracts/archive-exports/{export_id}/download"
    )
    assert download.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).testzip() is None


# ---- cross-enterprise: every URL answers 404 -------------------------------------------------


@pytest.fixture
def outsiders(make_enterprise, make_user):
    other = make_enterprise(street="huaqiangbei")
    return {
        "hr_other": make_user("hr", enterprise=other, totp=False),
        "worker": make_user("worker"),
        "street_other": make_user("street_officer", street="huaqiangbei"),
        "street_same": make_user("street_officer", street="futian"),
    }


@pytest.mark.parametrize("who", ["hr_other", "worker", "street_other", "street_same"])
def test_cross_enterprise_workspace_and_archive_urls_are_404(shop, client, outsiders, who):
    owner_export = archive.start_export(shop.enterprise, shop.hr)
    archive.build(owner_export["id"], str(shop.enterprise.public_id))
    ent = shop.enterprise.public_id
    eid = owner_export["id"]
    login(client, outsiders[who])
    calls = [
        ("get", f"/api/v1/enterprises/{ent}/contract-workspace"),
        ("post", f"/api/v1/enterprises/{ent}/archive-exports"),
        ("get", f"/api/v1/enterprises/{ent}/archive-exports/{eid}"),
        ("get", f"/api/v1/enterprises/{ent}/archive-exports/{eid}/download"),
        ("get", f"/enterprises/{ent}/contracts"),
        ("post", f"/enterprises/{ent}/contracts/archive-exports"),
        ("get", f"/enterprises/{ent}/contracts/archive-exports/{eid}/download"),
    ]
    before = AuditEntry.objects.filter(action__startswith="envelopes.archive.").count()
    for method, url in calls:
        response = getattr(client, method)(url)
        assert response.status_code == 404, (url, response.status_code)
        if url.startswith("/api/"):
            assert response.json()["code"] == "core.not_found"
    assert AuditEntry.objects.filter(action__startswith="envelopes.archive.").count() == before


def test_another_enterprises_export_id_is_404_for_its_own_hr(
    shop, client, make_enterprise, make_user
):
    theirs = make_enterprise()
    their_hr = make_user("hr", enterprise=theirs, totp=False)
    export = archive.start_export(shop.enterprise, shop.hr)
    archive.build(export["id"], str(shop.enterprise.public_id))
    login(client, their_hr)
    base = f"/api/v1/enterprises/{theirs.public_id}/archive-exports/{export['id']}"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/download").status_code == 404
    assert (
        client.get(f"/api/v1/enterprises/{theirs.public_id}/archive-exports/not-a-uuid").status_code
        == 404
    )


# ---- the same URLs in the shape of the project's access matrix (tests/test_access_matrix.py) ----

WORKSPACE_URLS = [
    ObjectUrl("get", "/enterprises/{enterprise}/contracts"),
    ObjectUrl("get", "/api/v1/enterprises/{enterprise}/contract-workspace"),
    ObjectUrl("post", "/api/v1/enterprises/{enterprise}/archive-exports", {}, owner_status=202),
    ObjectUrl("post", "/enterprises/{enterprise}/contracts/archive-exports", {}, owner_status=302),
    # The world's envelope is a draft: its owner is told it is not completed (409).
    ObjectUrl("get", "/api/v1/envelopes/{envelope}/evidence-report.pdf", owner_status=409),
    ObjectUrl("get", "/envelopes/{envelope}/evidence.pdf", owner_status=409),
]


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("url", WORKSPACE_URLS, ids=lambda u: f"{u.method} {u.template}")
def test_outsiders_get_404_on_workspace_urls(client, world, who, url):  # noqa: F811
    users, ids = world
    login(client, users[who])
    response = _call(client, url, ids)
    assert response.status_code == 404, response.content[:300]
    if url.template.startswith("/api/"):
        assert response.json()["code"] == "core.not_found"


@pytest.mark.parametrize("url", WORKSPACE_URLS, ids=lambda u: f"{u.method} {u.template}")
def test_owner_reaches_the_workspace_urls(client, world, url):  # noqa: F811
    users, ids = world
    login(client, users["owner"])
    assert _call(client, url, ids).status_code == url.owner_status


def test_old_exports_are_purged_and_then_404(shop, client):
    export = archive.start_export(shop.enterprise, shop.hr)
    archive.build(export["id"], str(shop.enterprise.public_id))
    assert archive.purge_old_exports(7, enterprise=shop.enterprise) == 0  # a fresh one stays
    later = timezone.now() + dt.timedelta(days=8)
    assert archive.purge_old_exports(7, now=later, enterprise=shop.enterprise) == 1
    login(client, shop.hr)
    url = f"/api/v1/enterprises/{shop.enterprise.public_id}/archive-exports/{export['id']}"
    assert client.get(url).status_code == 404


def test_a_finished_export_survives_a_cache_flush(shop, completed, client):
    from django.core.cache import cache

    export = archive.start_export(shop.enterprise, shop.hr)
    archive.build(export["id"], str(shop.enterprise.public_id))
    cache.clear()  # Redis restarted, or the entry evicted: the stored state still answers
    login(client, shop.hr)
    url = f"/api/v1/enterprises/{shop.enterprise.public_id}/archive-exports/{export['id']}"
    assert client.get(url).json()["status"] == "done"
    assert client.get(f"{url}/download").status_code == 200


def test_archive_manifest_csv_escapes_formulas(shop, completed):
    """A title like ``=cmd|' /C calc'!A0`` was written as is, run by the spreadsheet (issue #13)."""
    formula = "=cmd|' /C calc'!A0"
    Envelope.objects.filter(pk=completed.pk).update(title=formula)
    export = factories.archive_export(shop.enterprise, shop.hr)
    with default_storage.open(export["file"]) as f:
        zf = zipfile.ZipFile(io.BytesIO(f.read()))
    rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
    assert rows[0]["title"] == "'" + formula
    # manifest.json is data, not a spreadsheet: the title stays exactly what it is.
    assert json.loads(zf.read("manifest.json"))["documents"][0]["title"] == formula
