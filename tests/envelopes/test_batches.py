"""Batch sending from a spreadsheet (issue #6 item 6): every row checked first, nothing sent from
a file with a bad row (unless HR skips bad rows), sent by the task worker in chunks, the same
file twice sends nothing twice, an interrupted task resumes without double-sending."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from accord.contracts import batch as sheet
from accord.core.errors import InvalidInput
from accord.core.events import deliver_pending
from accord.envelopes import batches
from accord.envelopes.models import Batch, Envelope, Party
from accord.identity.models import Employment, Person
from tests.conftest import login, resident_id
from tests.envelopes.conftest import totp_code
from tests.support.factories import published
from tests.support.processes import READY_DEADLINE

pytestmark = pytest.mark.django_db

HEADER = [zh for _k, zh, _en, _r in sheet.COLUMNS]


def row(n: int, **over) -> list:
    start = timezone.localdate() + dt.timedelta(days=10)
    values = {
        "name": f"工人{n}",
        "id_type": "居民身份证",
        "id_number": resident_id(700 + n, birth="19920315"),
        "phone": f"1370000{n:04d}",
        "job_title": "操作工",
        "place": "深圳市福田区",
        "term_type": "固定期限",
        "start_date": start.isoformat(),
        "end_date": (start.replace(year=start.year + 3) - dt.timedelta(days=1)).isoformat(),
        "probation_end_date": (start + dt.timedelta(days=89)).isoformat(),
        "monthly_wage": "8000",
        "probation_wage": "6800",
        "hourly_wage": "",
    }
    values.update(over)
    return [values.get(k, "") for k, _zh, _en, _r in sheet.COLUMNS]


def xlsx(rows: list[list], header: list[str] | None = None) -> bytes:
    book = Workbook()
    ws = book.active
    ws.append(header or HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(shop, data: bytes, skip: bool = False) -> Batch:
    batch, _ = batches.upload(
        shop.enterprise,
        data=data,
        file_name="入职名单.xlsx",
        version=published("labour-fixed"),
        user=shop.hr,
        skip_bad_rows=skip,
    )
    return batch


def test_lcl_art19_art20_bad_file_lists_every_problem_by_row_column_article_and_sends_nothing(
    shop,
):
    today = timezone.localdate()
    start = today + dt.timedelta(days=10)
    data = xlsx(
        [
            row(1),
            row(2, id_number="440304199001011234"),  # wrong check digit
            row(3, start_date=(today - dt.timedelta(days=3)).isoformat()),  # in the past
            # three-year term: at most six months' probation (LCL Art. 19)
            row(4, probation_end_date=(start + dt.timedelta(days=250)).isoformat()),
            row(5, probation_wage="1000"),  # under 80 % and the minimum wage (LCL Art. 20)
        ]
    )
    batch = upload(shop, data)
    assert batch.status == Batch.Status.CHECKED and batch.total_rows == 5 and batch.bad_rows == 4
    by_row = {}
    for p in batch.problems:
        by_row.setdefault(p["row"], []).append(p)
    assert set(by_row) == {3, 4, 5, 6}
    # Named by the spreadsheet's own columns, the key beside it for programs.
    assert by_row[3][0]["column"] == "证件号码" and by_row[3][0]["field"] == "id_number"
    assert by_row[3][0]["message_en"]
    assert any(p["column"] == "开始日期" and "第十条" in p["article"] for p in by_row[4])
    assert any(
        p["column"] == "试用期结束日期" and "第十九条" in (p["article"] or "") for p in by_row[5]
    )
    assert any("第二十条" in (p["article"] or "") for p in by_row[6])
    assert all(p["message_zh"] and p["code"] for p in batch.problems)
    with pytest.raises(InvalidInput) as err:
        batches.start(batch, user=shop.hr)
    assert err.value.code == "batch.has_bad_rows" and len(err.value.problems) >= 4
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CHECKED
    assert not Envelope.objects.exists()


def test_wrong_columns_are_refused_and_nothing_is_kept(shop):
    data = xlsx([["张三", "13800000000"]], header=["姓名", "电话"])
    with pytest.raises(InvalidInput) as err:
        upload(shop, data)
    assert err.value.code == "batch.columns_missing" and "证件号码" in err.value.message_zh
    assert not Batch.objects.exists()


def test_lcl_art12_term_type_must_match_the_template(shop):
    batch = upload(shop, xlsx([row(1, term_type="无固定期限", end_date="")]))
    assert [p["code"] for p in batch.problems] == ["batch.term_type_mismatch"]
    assert "第十二条" in batch.problems[0]["article"]


def test_skip_bad_rows_sends_only_the_good_ones(shop):
    data = xlsx([row(1), row(2, monthly_wage="100"), row(3)])
    batch = upload(shop, data, skip=True)
    assert batch.bad_rows == 1
    batches.start(batch, user=shop.hr)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.QUEUED
    batches.run_all(batch)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE and batch.sent == 2 and batch.failed == 0
    sent = Envelope.objects.filter(batch=batch)
    assert sorted(e.person.name for e in sent) == ["工人1", "工人3"]
    assert all(e.status == Envelope.Status.SENT for e in sent)
    # each worker was registered as an employee from the row's start date, with an account
    for e in sent:
        assert e.employment.enterprise == shop.enterprise
        assert e.employment.start_date == timezone.localdate() + dt.timedelta(days=10)
        assert e.person.user is not None
        assert e.idempotency_key.startswith(f"batch:{batch.public_id}:")
    # the enterprise seals first: HR is told, the worker is not yet
    assert set(
        Party.objects.filter(envelope__batch=batch, role="enterprise").values_list(
            "status", flat=True
        )
    ) == {"ready"}


def test_same_file_twice_is_one_batch_and_no_new_envelopes(shop):
    data = xlsx([row(1), row(2)])
    batch = upload(shop, data)
    batches.start(batch, user=shop.hr)
    batches.run_all(batch)
    assert Envelope.objects.count() == 2
    again, created = batches.upload(
        shop.enterprise,
        data=data,
        file_name="copy.xlsx",
        version=published("labour-fixed"),
        user=shop.hr,
    )
    assert not created and again.pk == batch.pk
    batches.start(again, user=shop.hr)
    batches.run_all(again)
    assert Batch.objects.count() == 1 and Envelope.objects.count() == 2


def test_same_file_with_another_template_version_sends_no_second_contract(shop):
    from accord.contracts import templates

    data = xlsx([row(1), row(2)])
    first = upload(shop, data)
    batches.start(first, user=shop.hr)
    batches.run_all(first)
    old = published("labour-fixed")
    newer = templates.new_version(old.template, title=old.title, sections=old.sections)
    newer = templates.publish(newer)
    second, created = batches.upload(
        shop.enterprise, data=data, file_name="again.xlsx", version=newer, user=shop.hr
    )
    assert created
    batches.start(second, user=shop.hr)
    batches.run_all(second)
    second.refresh_from_db()
    assert Envelope.objects.count() == 2 and second.sent == 0 and second.failed == 2
    assert {p["code"] for p in second.problems} == {"batch.contract_exists"}


def test_a_chunk_is_sent_whole_or_not_at_all_and_a_run_again_sends_nothing_twice(shop, monkeypatch):
    from accord.envelopes import batch_send

    monkeypatch.setattr(batches, "CHUNK_ROWS", 3)
    data = xlsx([row(n) for n in range(1, 7)])
    batch = upload(shop, data)
    batches.start(batch, user=shop.hr)
    assert batch.chunks.count() == 2

    def crash(*args, **kwargs):
        raise RuntimeError("the worker died while writing")

    first = batch_send.claim(batch.pk)
    monkeypatch.setattr(batch_send, "publish_many", crash)  # the last write of the chunk
    with pytest.raises(RuntimeError):
        batch_send.run_chunk(first)
    monkeypatch.undo()
    batch.refresh_from_db()
    # nothing of the chunk exists: no person, no employment, no envelope
    assert batch.status == Batch.Status.FAILED and not Envelope.objects.filter(batch=batch)
    assert not Person.objects.filter(name__startswith="工人").exists()
    batches.start(batch, user=shop.hr)  # resumed
    batches.run_all(batch)
    batches.run_all(batch)  # and a duplicate delivery of the tasks
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE and batch.sent == 6
    keys = list(Envelope.objects.filter(batch=batch).values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == 6
    assert Person.objects.filter(name__startswith="工人").count() == 6
    assert (
        Employment.objects.filter(
            enterprise=shop.enterprise, person__name__startswith="工人"
        ).count()
        == 6
    )


def test_existing_person_and_active_employment_are_reused(shop):
    shop.worker.refresh_from_db()
    mine = row(1, name=shop.worker.name, id_number=shop.worker.id_number, phone=shop.worker.phone)
    batch = upload(shop, xlsx([mine]))
    batches.start(batch, user=shop.hr)
    batches.run_all(batch)
    envelope = Envelope.objects.get(batch=batch)
    assert envelope.person == shop.worker and envelope.employment == shop.job
    assert Employment.objects.filter(person=shop.worker).count() == 1


def test_a_row_that_fails_when_sending_is_reported_and_the_others_go_on(shop):
    shop.worker.refresh_from_db()
    # The identity number is known under another name: refused, never merged.
    other = row(1, name="别人", id_number=shop.worker.id_number)
    batch = upload(shop, xlsx([other, row(2)]))
    batches.start(batch, user=shop.hr)
    batches.run_all(batch)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE and batch.sent == 1 and batch.failed == 1
    failed = [p for p in batch.problems if p["stage"] == "send"]
    assert failed[0]["row"] == 2 and failed[0]["code"] == "identity.person_name_mismatch"


# ---- API and pages ------------------------------------------------------------------------------


def _api_upload(client, shop, data: bytes, skip: bool = False):
    return client.post(
        f"/api/v1/enterprises/{shop.enterprise.public_id}/batches",
        {
            "file": _file(data),
            "template_version": str(published("labour-fixed").public_id),
            "skip_bad_rows": "true" if skip else "false",
        },
    )


def _file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        "batch.xlsx",
        data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def test_api_upload_start_progress_and_problems(client, shop):
    login(client, shop.hr)
    data = xlsx([row(1), row(2, probation_wage="10")])
    response = _api_upload(client, shop, data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total_rows"] == 2 and body["bad_rows"] == 1 and body["status"] == "checked"
    batch_id = body["id"]
    problems = client.get(f"/api/v1/batches/{batch_id}/problems").json()
    assert problems["count"] >= 1 and problems["results"][0]["row"] == 3
    assert any("第二十条" in (p["article"] or "") for p in problems["results"])
    refused = client.post(f"/api/v1/batches/{batch_id}/start")
    assert refused.status_code == 422 and refused.json()["code"] == "batch.has_bad_rows"
    # the same file again, now skipping bad rows: the same batch (200)
    again = _api_upload(client, shop, data, skip=True)
    assert again.status_code == 200 and again.json()["id"] == batch_id
    started = client.post(f"/api/v1/batches/{batch_id}/start")
    assert started.status_code == 200 and started.json()["status"] == "queued"
    batches.run_all(Batch.objects.get(public_id=batch_id))
    progress = client.get(f"/api/v1/batches/{batch_id}").json()
    assert progress["status"] == "done" and progress["sent"] == 1 and progress["to_send"] == 1
    assert progress["percent"] == 100


def test_api_refuses_an_unreadable_file_with_its_code(client, shop):
    login(client, shop.hr)
    response = _api_upload(client, shop, b"not a spreadsheet")
    assert response.status_code == 422 and response.json()["code"] == "batch.not_a_spreadsheet"


def test_pages_list_detail_progress_fragment_and_upload_form(client, shop):
    login(client, shop.hr)
    new_url = f"/enterprises/{shop.enterprise.public_id}/batches/new"
    page = client.get(new_url)
    assert (
        page.status_code == 200
        and str(published("labour-fixed").public_id) in page.content.decode()
    )
    response = client.post(
        new_url,
        {
            "file": _file(xlsx([row(1), row(2)])),
            "template_version": str(published("labour-fixed").public_id),
            "deadline_days": "7",
        },
    )
    assert response.status_code == 302
    batch = Batch.objects.get()
    assert response["Location"] == f"/batches/{batch.public_id}/"
    detail = client.get(f"/batches/{batch.public_id}/").content.decode()
    # Nothing sent yet: no progress bar and no "已发送" count, the rows waiting.
    assert "<progress" not in detail and "已发送" not in detail and "2 份合同待发送" in detail
    assert 'aria-live="polite"' in detail and 'data-testid="start"' in detail
    assert "disabled" not in detail.split('data-testid="start"')[0].rsplit("<", 1)[-1]
    started = client.post(f"/batches/{batch.public_id}/start")
    assert started.status_code == 302
    batch.refresh_from_db()
    assert batch.status == Batch.Status.QUEUED
    detail = client.get(f"/batches/{batch.public_id}/").content.decode()
    assert 'hx-trigger="every 2s"' in detail  # polled while it sends
    fragment = client.get(f"/batches/{batch.public_id}/progress")
    assert fragment.status_code == 200 and "0 / 2" in fragment.content.decode()
    batches.run_all(batch)
    fragment = client.get(f"/batches/{batch.public_id}/progress")
    assert fragment.status_code == 286  # htmx stops polling
    live = fragment.content.decode()
    assert "2 / 2" in live
    # The last poll brings the seal form (no manual refresh) and a result per row, each a link.
    assert 'data-testid="seal-form"' in live and "2 份合同待本企业盖章" in live
    for envelope in Envelope.objects.filter(batch=batch):
        assert f'href="/envelopes/{envelope.public_id}/"' in live and envelope.number in live
    assert "every 2s" not in client.get(f"/batches/{batch.public_id}/").content.decode()
    listing = client.get(f"/enterprises/{shop.enterprise.public_id}/batches/").content.decode()
    assert "入职名单" in listing or "batch.xlsx" in listing


def test_page_shows_problems_by_row_column_and_article(client, shop):
    login(client, shop.hr)
    batch = upload(shop, xlsx([row(1, probation_wage="100")]))
    html = client.get(f"/batches/{batch.public_id}/").content.decode()
    # The spreadsheet's own column, never the internal field name.
    assert "第二十条" in html and "试用期工资" in html and "probation_wage" not in html
    # It cannot be sent as it is: 开始发送 is drawn disabled, with the policy's reason.
    assert 'disabled aria-describedby="start-why"' in html
    assert 'data-error-code="batch.has_bad_rows"' in html


# ---- cross-enterprise access --------------------------------------------------------------------


@pytest.fixture
def outsiders(shop, make_enterprise, make_user):
    other = make_enterprise()
    return {
        "other_hr": make_user("hr", enterprise=other),
        "worker": make_user("worker"),
        "street_officer": make_user("street_officer", street="shatou"),
    }


def test_batch_urls_answer_404_outside_the_enterprise(client, shop, outsiders):
    batch = upload(shop, xlsx([row(1)]))
    urls = [
        ("get", f"/api/v1/batches/{batch.public_id}"),
        ("get", f"/api/v1/batches/{batch.public_id}/problems"),
        ("post", f"/api/v1/batches/{batch.public_id}/start"),
        ("post", f"/api/v1/batches/{batch.public_id}/seal"),
        ("get", f"/batches/{batch.public_id}/"),
        ("get", f"/batches/{batch.public_id}/progress"),
        ("post", f"/batches/{batch.public_id}/start"),
        ("post", f"/batches/{batch.public_id}/seal"),
        ("get", f"/enterprises/{shop.enterprise.public_id}/batches/"),
        ("get", f"/enterprises/{shop.enterprise.public_id}/batches/new"),
    ]
    for who, user in outsiders.items():
        client.logout()
        login(client, user)
        for method, url in urls:
            if method == "post" and url.startswith("/api/"):
                response = client.post(url, {"otp": "000000"}, content_type="application/json")
            else:
                response = getattr(client, method)(url)
            assert response.status_code == 404, (who, url, response.status_code)
            if url.startswith("/api/"):
                assert response.json()["code"] == "core.not_found", (who, url)
        response = _api_upload(client, shop, xlsx([row(9)]))
        assert response.status_code == 404, (who, response.status_code)
    assert not Envelope.objects.exists()
    assert Batch.objects.count() == 1
    # the owner gets the normal answers
    client.logout()
    login(client, shop.hr)
    for method, url in urls:
        if method == "get":
            # (the progress fragment of a batch that is not sending answers 286: stop polling)
            assert client.get(url).status_code in (200, 286), url


# ---- 批量盖章 -------------------------------------------------------------------------------------


def test_esl_art13_seal_all_ready_envelopes_with_one_totp(shop):
    batch = upload(shop, xlsx([row(1), row(2), row(3)]))
    batches.start(batch, user=shop.hr)
    batches.run_all(batch)
    state = batches.seal_all(batch, user=shop.hr, otp_token=totp_code(shop.hr))
    assert state["status"] == "done"
    assert state["sealed"] == 3 and state["refused"] == 0, state
    assert batches.seal_progress(batch)["sealed"] == 3
    deliver_pending()
    assert set(
        Party.objects.filter(envelope__batch=batch, role="worker").values_list("status", flat=True)
    ) == {"ready"}


def test_seal_all_with_a_wrong_code_seals_nothing(shop):
    batch = upload(shop, xlsx([row(1)]))
    batches.start(batch, user=shop.hr)
    batches.run_all(batch)
    with pytest.raises(Exception) as err:
        batches.seal_all(batch, user=shop.hr, otp_token="000000")
    assert getattr(err.value, "code", "") == "auth.totp_invalid"
    assert batches.seal_progress(batch)["status"] == "refused"
    assert not Party.objects.filter(envelope__batch=batch, role="enterprise", status="signed")


def test_seal_all_from_the_page_is_queued_and_run_by_its_task(client, shop):
    from django_tasks_db.models import DBTaskResult

    from accord.envelopes import batch_tasks

    batch = upload(shop, xlsx([row(1), row(2)]))
    batches.start(batch, user=shop.hr)
    batches.run_all(batch)
    login(client, shop.hr)
    html = client.get(f"/batches/{batch.public_id}/").content.decode()
    assert 'name="otp"' in html  # two envelopes wait for the seal
    response = client.post(f"/batches/{batch.public_id}/seal", {"otp": totp_code(shop.hr)})
    assert response.status_code == 302
    queued = DBTaskResult.objects.get(task_path__endswith="batch_tasks.seal_batch")
    assert queued.priority == 90  # ahead of the sending: the code is only good for a minute
    assert batches.seal_progress(batch)["status"] == "queued"
    state = batch_tasks.seal_batch.call(*queued.args_kwargs["args"])
    assert state["status"] == "done" and state["sealed"] == 2
    html = client.get(f"/batches/{batch.public_id}/progress").content.decode()
    assert "2 / 2" in html and "已盖章" in html


def test_seal_all_is_not_queued_twice_while_it_runs(client, shop):
    batch = upload(shop, xlsx([row(1)]))
    batches.start(batch, user=shop.hr)
    batches.run_all(batch)
    login(client, shop.hr)
    first = client.post(
        f"/api/v1/batches/{batch.public_id}/seal",
        {"otp": totp_code(shop.hr)},
        content_type="application/json",
    )
    assert first.status_code == 202 and first.json()["seal"]["status"] == "queued"
    again = client.post(
        f"/api/v1/batches/{batch.public_id}/seal",
        {"otp": "123456"},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["code"] == "batch.sealing_in_progress"


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_process_sends_the_batch_in_chunks(shop, monkeypatch):
    """The real worker (`accord db_worker`) runs the chunk tasks queued when the batch starts."""
    import subprocess
    import sys

    from tests.core.test_worker import _worker_env

    monkeypatch.setattr(batches, "CHUNK_ROWS", 2)
    batch = upload(shop, xlsx([row(n) for n in range(1, 6)]))
    batches.start(batch, user=shop.hr)  # commits: three chunk tasks are queued
    batch.refresh_from_db()
    assert batch.status == Batch.Status.QUEUED and not Envelope.objects.exists()
    subprocess.run(
        [sys.executable, "-m", "accord", "db_worker", "--batch", "--no-startup-delay"],
        env=_worker_env(),
        check=True,
        timeout=300,
        capture_output=True,
    )
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE and batch.sent == 5 and batch.failed == 0
    assert Envelope.objects.filter(batch=batch, status="sent").count() == 5


# ---- WCAG 2.1 AA in a browser (axe-core), desktop and a 375 px phone ------------------------------

from tests.e2e.conftest import browser, open_page, sign_in  # noqa: E402, F401


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_batch_pages_have_no_wcag_21_aa_violations(open_page, shop, live_server, device):  # noqa: F811
    from tests.e2e.conftest import no_horizontal_scroll
    from tests.e2e.test_accessibility import axe_violations, describe

    batch = upload(shop, xlsx([row(1), row(2, probation_wage="100")]))
    page = open_page(phone=device == "phone")
    sign_in(page, shop.hr, live_server)
    failures = []
    for name, url in [
        ("list", f"/enterprises/{shop.enterprise.public_id}/batches/"),
        ("new", f"/enterprises/{shop.enterprise.public_id}/batches/new"),
        ("detail", f"/batches/{batch.public_id}/"),
    ]:
        response = page.goto(url)
        assert response.status == 200, (name, response.status)
        violations = axe_violations(page)
        if violations:
            failures.append(describe(name, violations))
        if device == "phone" and not no_horizontal_scroll(page):
            failures.append(f"{name}: scrolls sideways on a 375 px phone")
    assert page.locator("[data-testid=progress-text]").count() == 1
    assert not failures, "\n".join(failures)


LIVE_DEADLINE_MS = int(READY_DEADLINE * 1000)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_batch_page_follows_sending_and_sealing_by_itself(open_page, shop, live_server):  # noqa: F811
    """The page updates itself (htmx polling): the progress, then — without a reload — the seal
    form once sending has finished and the result per row, and after 批量盖章 the form goes."""
    import subprocess
    import sys

    from tests.core.test_worker import _worker_env
    from tests.e2e.test_accessibility import axe_violations, describe

    batch = upload(shop, xlsx([row(1), row(2)]))
    page = open_page(phone=True)
    sign_in(page, shop.hr, live_server)
    page.goto(f"/batches/{batch.public_id}/")
    assert "已发送" not in page.locator("[data-testid=progress]").inner_text()
    page.get_by_role("button", name="开始发送").click()
    page.wait_for_url(f"**/batches/{batch.public_id}/")
    batches.run_all(batch)  # the worker sends while the page is open
    seal_form = page.locator("[data-testid=seal-form]")
    # Came with a poll: the page was never reloaded. (A deadline for a loaded machine only.)
    seal_form.wait_for(state="visible", timeout=LIVE_DEADLINE_MS)
    assert page.locator("[data-testid=results] a").count() == 2
    assert "2 / 2" in page.locator("[data-testid=progress-text]").inner_text()
    violations = axe_violations(page)
    assert not violations, describe("batch sent, seal form shown", violations)

    page.fill("#seal-otp", totp_code(shop.hr))
    page.get_by_role("button", name="全部盖章").click()
    page.wait_for_url(f"**/batches/{batch.public_id}/")
    subprocess.run(  # the real task worker seals the batch
        [sys.executable, "-m", "accord", "db_worker", "--batch", "--no-startup-delay"],
        env=_worker_env(),
        check=True,
        timeout=300,
        capture_output=True,
    )
    page.locator("[data-testid=seal-progress]", has_text="已完成").wait_for(
        timeout=LIVE_DEADLINE_MS
    )
    assert page.locator("[data-testid=seal-section]").count() == 0  # nothing left to seal
    assert all(
        e.parties.get(role=Party.Role.ENTERPRISE).status == Party.Status.SIGNED
        for e in Envelope.objects.filter(batch=batch)
    )
