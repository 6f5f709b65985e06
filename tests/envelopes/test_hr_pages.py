"""HR pages of 福易签: author and send in the browser, seal with TOTP, the worker signs, the
detail shows it; legal problems inline with their articles; lifecycle steps; every URL is a 404
outside the enterprise."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.core.events import deliver_pending
from accord.envelopes import drafting, services
from accord.envelopes.models import Envelope, Party
from accord.identity.models import Employment, User
from tests.conftest import login
from tests.envelopes.conftest import totp_code
from tests.envelopes.test_services import _worker_signs
from tests.support.factories import contract_fields, published

pytestmark = pytest.mark.django_db


def _hr(shop) -> Client:
    client = Client()
    login(client, shop.hr)
    return client


def _new_url(shop, kind="labour_fixed") -> str:
    return f"/enterprises/{shop.enterprise.public_id}/envelopes/new?employment={shop.job.public_id}&kind={kind}"


def _post_fields(**over) -> dict:
    data = {
        "template_version": str(published("labour-fixed").public_id),
        "hours_system": "standard",
        "position_category": "other",
        **{k: v for k, v in contract_fields().items() if k != "term_type"},
        "pay_day": "10",
        "action": "send",
    }
    data.update(over)
    return data


def _contract(shop, **kw) -> Envelope:
    return drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published("labour-fixed"),
        fields=contract_fields(),
        created_by=shop.hr,
        employment=shop.job,
        **kw,
    )


def test_lcl_art10_hr_authors_sends_seals_with_totp_and_the_detail_shows_completion(shop):
    client = _hr(shop)
    page = client.get(_new_url(shop))
    assert page.status_code == 200
    html = page.content.decode()
    assert "新建固定期限劳动合同" in html and str(published("labour-fixed").public_id) in html
    assert 'name="signers"' in html  # the HR signing group can be chosen

    response = client.post(_new_url(shop), _post_fields(signers=[str(shop.hr.public_id)]))
    assert response.status_code == 302
    envelope = Envelope.objects.get()
    assert response["Location"] == f"/envelopes/{envelope.public_id}/"
    assert envelope.status == Envelope.Status.SENT and envelope.employment == shop.job
    assert list(envelope.parties.get(role=Party.Role.ENTERPRISE).signers.all()) == [shop.hr]
    deliver_pending()

    detail = client.get(f"/envelopes/{envelope.public_id}/").content.decode()
    assert 'name="otp"' in detail and "确认盖章" in detail

    wrong = client.post(f"/envelopes/{envelope.public_id}/seal", {"otp": "000000"})
    assert wrong.status_code in (401, 403, 422) and "auth.totp_invalid" in wrong.content.decode()
    # django-otp throttles after a wrong code; as if the back-off delay had passed:
    TOTPDevice.objects.filter(user=shop.hr).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    sealed = client.post(f"/envelopes/{envelope.public_id}/seal", {"otp": totp_code(shop.hr)})
    assert sealed.status_code == 302
    deliver_pending()
    envelope.refresh_from_db()
    assert envelope.parties.get(role=Party.Role.ENTERPRISE).status == Party.Status.SIGNED

    _worker_signs(shop, envelope)
    deliver_pending()
    detail = client.get(f"/envelopes/{envelope.public_id}/").content.decode()
    assert 'data-status="completed"' in detail
    assert detail.count('data-status="signed"') == 2
    assert "全部签署完成" in detail  # the audit history, oldest first
    assert detail.index("创建") < detail.index("全部签署完成")
    assert "/ledger/entries/" in detail and "evidence.pdf" in detail
    assert 'name="otp"' not in detail  # nothing left to do


def test_lcl_art19_unlawful_probation_is_shown_inline_with_its_article_and_nothing_is_created(shop):
    start = timezone.localdate() + dt.timedelta(days=3)
    response = _hr(shop).post(
        _new_url(shop),
        _post_fields(probation_end_date=(start + dt.timedelta(days=200)).isoformat()),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-error-code="contract.unlawful_draft"' in html
    assert "第十九条" in html
    assert 'id="err-probation_end_date"' in html  # under the field, not only at the top
    assert not Envelope.objects.exists()


def test_lcl_art20_live_check_lists_the_problem_with_its_article(shop):
    client = _hr(shop)
    url = (
        f"/enterprises/{shop.enterprise.public_id}/envelopes/check"
        f"?employment={shop.job.public_id}&kind=labour_fixed"
    )
    bad = client.post(url, _post_fields(probation_wage="5000.00"), HTTP_HX_REQUEST="true")
    assert bad.status_code == 200
    assert (
        "第二十条" in bad.content.decode()
        and 'data-testid="legal-problems"' in bad.content.decode()
    )
    good = client.post(url, _post_fields(), HTTP_HX_REQUEST="true")
    assert 'data-testid="legal-ok"' in good.content.decode()


def test_required_lifecycle_fields_are_reported_per_field(shop):
    Envelope.objects.all().delete()
    response = _hr(shop).post(
        _new_url(shop, "termination"),
        {"template_version": str(published("termination").public_id), "action": "send"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="err-leave_date"' in html and 'id="err-leave_reason"' in html


def test_save_draft_then_send_then_withdraw_with_reason(shop):
    client = _hr(shop)
    client.post(_new_url(shop), _post_fields(action="draft"))
    envelope = Envelope.objects.get()
    assert envelope.status == Envelope.Status.DRAFT
    assert client.post(f"/envelopes/{envelope.public_id}/send").status_code == 302
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT
    client.post(f"/envelopes/{envelope.public_id}/withdraw", {"reason": "岗位信息有误"})
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.WITHDRAWN and envelope.end_reason == "岗位信息有误"
    detail = client.get(f"/envelopes/{envelope.public_id}/").content.decode()
    assert "岗位信息有误" in detail and 'data-testid="actions"' not in detail


def test_void_after_the_seal_needs_a_reason(shop):
    envelope = _contract(shop, send=True)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    client = _hr(shop)
    detail = client.get(f"/envelopes/{envelope.public_id}/").content.decode()
    assert "作废" in detail and "withdraw" not in detail  # signed once: void, not withdraw
    refused = client.post(f"/envelopes/{envelope.public_id}/void", {"reason": ""})
    assert refused.status_code == 422 and "envelope.reason_required" in refused.content.decode()
    client.post(f"/envelopes/{envelope.public_id}/void", {"reason": "劳动者未到岗"})
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.VOIDED


def test_sensitive_kind_shows_request_approval_instead_of_the_seal_form(shop):
    from accord.seals import services as seals
    from accord.seals.models import Seal

    official = seals.create_seal(
        shop.enterprise, user=shop.manager, name="公章", kind=Seal.Kind.OFFICIAL
    )
    seals.grant_power(official, user=shop.manager, grantee=shop.hr, power="use")
    # A termination notice ends a signed labour contract (LCL Art. 10, 36–50).
    Envelope.objects.filter(pk=_contract(shop).pk).update(
        status=Envelope.Status.COMPLETED, completed_at=timezone.now()
    )
    notice = drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published("termination"),
        fields={"leave_date": timezone.localdate().isoformat(), "leave_reason": "协商一致"},
        created_by=shop.hr,
        employment=shop.job,
        send=True,
    )
    client = _hr(shop)
    detail = client.get(f"/envelopes/{notice.public_id}/").content.decode()
    assert "申请用印审批" in detail and 'name="otp"' not in detail
    client.post(f"/envelopes/{notice.public_id}/approval")
    detail = client.get(f"/envelopes/{notice.public_id}/").content.decode()
    assert "待审批" in detail and "申请用印审批</button>" not in detail


def test_list_filters_by_state_kind_and_worker_name(shop, make_person):
    sent = _contract(shop, send=True)
    other = make_person(name="李娜", phone="13900002222")
    job2 = Employment.objects.create(
        person=other, enterprise=shop.enterprise, start_date=dt.date(2026, 1, 1)
    )
    drafting.create_from_template(
        enterprise=shop.enterprise,
        person=other,
        version=published("offer"),
        fields={"job_title": "会计", "start_date": "2026-12-01"},
        created_by=shop.hr,
        employment=job2,
    )
    client = _hr(shop)
    everything = client.get("/envelopes/").content.decode()
    assert "共 2 条" in everything and sent.number in everything
    assert "共 1 条" in client.get("/envelopes/?status=sent").content.decode()
    by_kind = client.get("/envelopes/?kind=offer").content.decode()
    assert "李娜" in by_kind and sent.number not in by_kind
    by_name = client.get("/envelopes/?q=张三").content.decode()
    assert sent.number in by_name and "李娜" not in by_name


def test_timeline_page_lists_documents_and_offers_the_steps_that_fit(shop):
    envelope = _contract(shop)
    html = _hr(shop).get(f"/employments/{shop.job.public_id}/timeline").content.decode()
    assert envelope.number in html
    assert html.index('data-kind="employment.start"') < html.index(envelope.number)
    # The draft is still open: no second one of its kind, but the other kinds of contract fit.
    assert 'data-kind="labour_fixed" data-allowed="false"' in html
    assert 'data-kind="labour_open_ended" data-allowed="true"' in html
    assert 'data-kind="leaving_certificate" data-allowed="false"' in html
    assert "第五十条" in html  # why the certificate of leaving is not offered yet
    page = _hr(shop).get(_new_url(shop, "leaving_certificate"))
    assert page.status_code == 200 and "lifecycle.step_not_allowed" in page.content.decode()


def test_the_worker_is_sent_to_their_signing_page(shop):
    envelope = _contract(shop, send=True)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    client = Client()
    login(client, User.objects.get(person=shop.worker))
    party = envelope.parties.get(role=Party.Role.WORKER)
    response = client.get(f"/envelopes/{envelope.public_id}/")
    assert response.status_code == 302 and response["Location"] == f"/my/sign/{party.public_id}"


# ---- every URL of these pages is a 404 outside the enterprise ----------------------------------


@pytest.fixture
def outsiders(shop, make_user, make_enterprise, make_person):
    other = make_enterprise(name="深圳市华强北另一家公司", street="huaqiangbei")
    return {
        "other_hr": make_user("hr", enterprise=other),
        "other_worker": make_user("worker", person=make_person(name="王五", phone="13900003333")),
        "other_street": make_user("street_officer", street="huaqiangbei"),
    }


def test_every_hr_url_is_not_found_for_another_enterprise_worker_or_street(shop, outsiders):
    envelope = _contract(shop, send=True)
    e, emp, ent = envelope.public_id, shop.job.public_id, shop.enterprise.public_id
    urls = [
        ("get", f"/enterprises/{ent}/envelopes/new?employment={emp}&kind=labour_fixed"),
        ("get", f"/enterprises/{ent}/envelopes/new"),
        ("post", f"/enterprises/{ent}/envelopes/new?employment={emp}&kind=labour_fixed"),
        ("post", f"/enterprises/{ent}/envelopes/check?employment={emp}&kind=labour_fixed"),
        ("get", f"/envelopes/{e}/"),
        ("post", f"/envelopes/{e}/send"),
        ("post", f"/envelopes/{e}/seal"),
        ("post", f"/envelopes/{e}/approval"),
        ("post", f"/envelopes/{e}/withdraw"),
        ("post", f"/envelopes/{e}/void"),
        ("get", f"/employments/{emp}/timeline"),
    ]
    for who, user in outsiders.items():
        client = Client()
        login(client, user)
        for method, url in urls:
            response = getattr(client, method)(url)
            assert response.status_code == 404, (who, method, url, response.status_code)
        listing = client.get("/envelopes/")
        assert envelope.number.encode() not in listing.content, who
    # The owner gets the normal answers.
    owner = _hr(shop)
    for url in (urls[0][1], urls[1][1], urls[4][1], urls[10][1], "/envelopes/"):
        assert owner.get(url).status_code == 200, url
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT  # nothing the outsiders posted changed it


# ---- the whole lifecycle through the pages ------------------------------------------------------


def _create_in_page(client, shop, kind: str, code: str, fields: dict) -> Envelope:
    before = set(Envelope.objects.values_list("pk", flat=True))
    data = {"template_version": str(published(code).public_id), "action": "send", **fields}
    response = client.post(_new_url(shop, kind), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Envelope.objects.exclude(pk__in=before).get()


def _seal_in_page(client, shop, envelope: Envelope) -> None:
    from accord.seals import services as seals
    from accord.seals.models import SealApproval

    url = f"/envelopes/{envelope.public_id}/"
    if services.needs_seal_approval(envelope):
        assert "申请用印审批" in client.get(url).content.decode()
        assert client.post(f"{url}approval").status_code == 302
        approval = SealApproval.objects.get(
            document_sha256=envelope.documents.get().current_sha256, status="pending"
        )
        seals.decide_approval(approval, user=shop.manager, approve=True)
    response = client.post(f"{url}seal", {"otp": totp_code(shop.hr)})
    assert response.status_code == 302, response.content.decode()[:3000]


def test_lcl_art10_19_35_50_the_whole_lifecycle_runs_through_the_hr_pages(shop):
    """入 offer and contract, 转 confirmation, 调 change and renewal, 离 termination and the
    certificate of leaving: each drafted in the page, sealed in the page, signed by the worker."""
    from accord.seals import services as seals
    from accord.seals.models import Seal

    official = seals.create_seal(
        shop.enterprise, user=shop.manager, name="公章", kind=Seal.Kind.OFFICIAL
    )
    seals.grant_power(official, user=shop.manager, grantee=shop.hr, power="use")
    client = _hr(shop)
    today = timezone.localdate()
    contract = {k: v for k, v in contract_fields().items() if k != "term_type"}
    steps = [
        (
            "offer",
            "offer",
            {
                "start_date": contract["start_date"],
                "job_title": "软件工程师",
                "place": "深圳市福田区",
                "monthly_wage": "8000",
            },
        ),
        (
            "labour_fixed",
            "labour-fixed",
            {**contract, "hours_system": "standard", "position_category": "other"},
        ),
        ("confirmation", "confirmation", {"confirm_date": contract["probation_end_date"]}),
        (
            "change",
            "change",
            {
                "change_effective_date": today.isoformat(),
                "change_description": "岗位调整为高级软件工程师，月工资 12000 元",
            },
        ),
        ("renewal", "renewal", {"renewal_end_date": "2032-12-31"}),
        (
            "termination",
            "termination",
            {"leave_date": today.isoformat(), "leave_reason": "双方协商一致解除劳动合同"},
        ),
        ("leaving_certificate", "leaving-certificate", {"leave_date": today.isoformat()}),
    ]
    done = []
    for kind, code, fields in steps:
        timeline = client.get(f"/employments/{shop.job.public_id}/timeline").content.decode()
        assert f'data-kind="{kind}" data-allowed="true"' in timeline, kind
        envelope = _create_in_page(client, shop, kind, code, fields)
        _seal_in_page(client, shop, envelope)
        _worker_signs(shop, envelope)
        deliver_pending()
        envelope.refresh_from_db()
        assert envelope.status == Envelope.Status.COMPLETED, kind
        done.append(envelope)

    job = Employment.objects.get(pk=shop.job.pk)
    assert job.end_date == today  # the termination notice ended the employment (LCL Art. 50)
    html = client.get(f"/employments/{job.public_id}/timeline").content.decode()
    positions = [html.index(e.number) for e in done]
    assert positions == sorted(positions)  # in time order
    assert html.index('data-kind="employment.start"') < positions[0]
    assert positions[-2] < html.index('data-kind="employment.end"')
    assert 'data-allowed="true"' not in html  # nothing more fits once the certificate is out
    assert set(Envelope.objects.values_list("retain_until", flat=True)) == {
        today.replace(year=today.year + 2)
    }


def test_list_and_timeline_queries_stay_flat_as_documents_grow(shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _hr(shop)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _contract(shop)
    urls = ["/envelopes/", f"/employments/{shop.job.public_id}/timeline"]
    few = [count(url) for url in urls]
    for _ in range(4):
        offer = drafting.create_from_template(
            enterprise=shop.enterprise,
            person=shop.worker,
            version=published("offer"),
            fields={"job_title": "会计", "start_date": "2026-12-01"},
            created_by=shop.hr,
            employment=shop.job,
        )
        # One offer out at a time (lifecycle): each taken back before the next.
        services.withdraw(offer, user=shop.hr, reason="岗位调整")
    assert [count(url) for url in urls] == few


def test_the_bureau_reads_list_detail_and_timeline_without_actions(shop, make_user):
    envelope = _contract(shop, send=True)
    bureau = Client()
    login(bureau, make_user("bureau_officer"))
    assert envelope.number in bureau.get("/envelopes/").content.decode()
    detail = bureau.get(f"/envelopes/{envelope.public_id}/")
    assert detail.status_code == 200
    assert 'data-testid="actions"' not in detail.content.decode()
    timeline = bureau.get(f"/employments/{shop.job.public_id}/timeline").content.decode()
    assert envelope.number in timeline and 'data-testid="steps"' not in timeline
    # Drafting and acting stay with the enterprise's HR.
    new = f"/enterprises/{shop.enterprise.public_id}/envelopes/new?employment={shop.job.public_id}&kind=offer"
    assert bureau.get(new).status_code == 404
    assert bureau.post(f"/envelopes/{envelope.public_id}/withdraw").status_code == 404
