"""The worker's pages: the SMS link, the signing page's steps and their refusals, page images,
"my documents" from every employer (LCL Art. 16), and who else gets a 404."""

from __future__ import annotations

import base64
import datetime as dt
import re
import time

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from accord.core.events import deliver_pending
from accord.core.models import AuditEntry, SmsMessage
from accord.envelopes import drafting, pages, services
from accord.envelopes.errors import NOT_YOUR_TURN
from accord.envelopes.models import Envelope, Party
from accord.identity.models import Employment, Enterprise, Person, ResidentRegistryRecord, User
from accord.identity.verification import id_index, name_index
from tests.conftest import login
from tests.envelopes.conftest import last_code, last_link, totp_code
from tests.envelopes.test_services import PNG, _contract
from tests.support.factories import contract_fields, published

pytestmark = pytest.mark.django_db


def _sealed(shop, **kw) -> Envelope:
    envelope = _contract(shop, send=True, **kw)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    deliver_pending()
    return envelope


def _worker_party(envelope: Envelope) -> Party:
    return envelope.parties.get(role=Party.Role.WORKER)


def _worker_client(shop) -> Client:
    client = Client()
    login(client, User.objects.get(person=shop.worker))
    return client


def _url(party: Party, tail: str = "") -> str:
    return f"/my/sign/{party.public_id}{tail}"


def _sign_through_pages(client: Client, party: Party) -> None:
    total = party.envelope.documents.get().pages
    assert client.post(_url(party, "/read"), {"pages": total}).status_code in (200, 302)
    assert client.post(_url(party, "/consent"), {"agree": "1"}).status_code == 302
    png = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert client.post(_url(party, "/signature"), {"png_base64": png}).status_code == 302
    assert client.post(_url(party, "/code")).status_code == 302
    response = client.post(_url(party, "/sign"), {"code": last_code()})
    assert response.status_code == 302, response.content.decode()[:2000]


# ---- the SMS link ------------------------------------------------------------------------------


def test_unknown_link_is_a_clear_404_page(client):
    response = client.get("/s/no-such-link-token")
    assert response.status_code == 404
    assert "签署链接无效" in response.content.decode()


def test_link_remembers_the_party_and_sends_to_phone_login_then_to_the_signing_page(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    token = last_link()
    client = Client()
    response = client.get(f"/s/{token}")
    assert response.status_code == 302
    assert response["Location"] == f"/login/phone?next=/my/sign/{party.public_id}"
    assert client.session["accord_signing_party"] == str(party.public_id)

    # The phone login follows ``next`` back to the signing page.
    client.post("/login/phone", {"phone": "13900001111"})
    code = re.search(r"验证码是 (\d{6})", SmsMessage.objects.order_by("-id").first().text).group(1)
    response = client.post(
        "/login/phone",
        {"phone": "13900001111", "code": code, "next": f"/my/sign/{party.public_id}"},
    )
    assert response["Location"] == f"/my/sign/{party.public_id}"
    assert client.get(f"/s/{token}")["Location"] == f"/my/sign/{party.public_id}"
    page = client.get(f"/my/sign/{party.public_id}")
    assert page.status_code == 200
    assert 'data-step="read"' in page.content.decode()


def test_esl_art13_link_opened_by_another_person_is_refused_and_offers_to_log_out(shop, make_user):
    _sealed(shop)
    token = last_link()
    client = Client()
    login(client, make_user("worker"))
    response = client.get(f"/s/{token}")
    assert response.status_code == 403
    body = response.content.decode()
    assert "您不是该文件的签署方" in body and 'data-error-code="envelope.not_a_party"' in body
    # Logging out from there starts again with the phone login.
    response = client.post(f"/s/{token}")
    assert response.status_code == 302 and response["Location"].startswith("/login/phone?next=")
    assert "_auth_user_id" not in client.session


def test_link_reused_after_completion_is_refused_and_points_to_my_documents(shop):
    envelope = _sealed(shop)
    token = last_link()
    client = _worker_client(shop)
    _sign_through_pages(client, _worker_party(envelope))
    assert Envelope.objects.get(pk=envelope.pk).status == Envelope.Status.COMPLETED
    for who in (Client(), client):
        response = who.get(f"/s/{token}")
        assert response.status_code == 409
        body = response.content.decode()
        assert "您已签署过该文件" in body and "/my/documents" in body


def test_link_of_a_voided_envelope_says_so_with_the_reason(shop):
    envelope = _sealed(shop)
    token = last_link()
    services.void(envelope, user=shop.hr, reason="劳动者未到岗")
    response = Client().get(f"/s/{token}")
    assert response.status_code == 409
    body = response.content.decode()
    assert "已作废" in body and "劳动者未到岗" in body


# ---- the signing page ----------------------------------------------------------------------------


def test_signing_through_the_pages_then_download_verify_link_and_audit(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    _sign_through_pages(client, party)
    page = client.get(_url(party)).content.decode()
    assert 'data-step="done"' in page
    assert f"/verify?number={envelope.number}-1" in page
    download = client.get(f"/my/documents/{envelope.public_id}/1.pdf?download=1")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download["Content-Disposition"].startswith("attachment")
    assert AuditEntry.objects.filter(
        action="envelopes.document.download", object_id=str(envelope.public_id)
    ).exists()


def test_a_second_signature_is_refused_inline_not_a_500(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    _sign_through_pages(client, party)
    response = client.post(_url(party, "/sign"), {"code": "123456"})
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-error-code="envelope.already_completed"' in body
    # The page's language only; the code is in the small "for support" detail.
    assert "不能再次签署" in body and "cannot be signed again" not in body
    assert re.search(r"<details[^>]*support-detail.*envelope\.already_completed", body, re.S)


def test_not_your_turn_before_the_enterprise_seals(shop):
    envelope = _contract(shop, send=True)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    response = client.get(_url(party))
    assert response.status_code == 409
    body = response.content.decode()
    assert "envelope.not_your_turn" in body and envelope.title not in body
    # A worker reads the page's language only; the code is folded "for support", not the title.
    assert NOT_YOUR_TURN.message_zh.split("{")[0] in body
    assert NOT_YOUR_TURN.message_en.split("{")[0] not in body
    assert re.search(r"<details[^>]*support-detail.*envelope\.not_your_turn", body, re.S)
    assert "<title>envelope." not in body
    assert client.get(_url(party, "/pages/1.png")).status_code == 404
    assert client.post(_url(party, "/consent"), {"agree": "1"}).status_code == 409


def test_resume_after_drawing_shows_the_saved_signature_at_the_code_step(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    total = envelope.documents.get().pages
    client.post(_url(party, "/read"), {"pages": total})
    client.post(_url(party, "/consent"), {"agree": "1"})
    client.post(_url(party, "/signature"), {"png_base64": base64.b64encode(PNG).decode()})
    # The connection drops; the worker opens the page again (a new session, same person).
    again = _worker_client(shop)
    page = again.get(_url(party)).content.decode()
    assert 'data-step="code"' in page
    assert f"/my/sign/{party.public_id}/signature.png" in page
    assert again.get(_url(party, "/signature.png")).content == PNG
    # A code asked for, then a reload: the code field is still there.
    again.post(_url(party, "/code"))
    page = again.get(_url(party)).content.decode()
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page


def test_read_progress_is_recorded_and_consent_needs_every_page(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    total = envelope.documents.get().pages
    assert total >= 2
    client = _worker_client(shop)
    response = client.post(_url(party, "/read"), {"pages": 1}, HTTP_ACCEPT="application/json")
    assert response.json() == {"read_pages": 1, "total": total}
    page = client.get(_url(party)).content.decode()
    assert f"已阅读 <span data-read-count>1</span>/{total} 页" in page
    # The page images: continue where it stopped.
    assert 'href="#page-2"' in client.get(_url(party, "?view=pages")).content.decode()
    response = client.post(_url(party, "/consent"), {"agree": "1"})
    assert response.status_code == 422
    assert 'data-error-code="envelope.pages_unread"' in response.content.decode()
    # Without JavaScript the worker confirms having read every page instead.
    assert client.post(_url(party, "/consent"), {"agree": "1", "read_all": "1"}).status_code == 302
    party.refresh_from_db()
    assert party.read_pages == total and party.consent_text == services.CONSENT_TEXT


def test_consent_box_must_be_ticked(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    client.post(_url(party, "/read"), {"pages": envelope.documents.get().pages})
    response = client.post(_url(party, "/consent"), {})
    assert response.status_code == 422
    assert 'data-error-field="agree"' in response.content.decode()


def test_typed_name_renders_a_signature_without_javascript_and_must_be_the_own_name(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    client.post(_url(party, "/read"), {"pages": envelope.documents.get().pages})
    client.post(_url(party, "/consent"), {"agree": "1"})
    response = client.post(_url(party, "/signature"), {"typed_name": "李四"})
    assert response.status_code == 422
    assert 'data-error-code="envelope.typed_name_mismatch"' in response.content.decode()
    response = client.post(_url(party, "/signature"), {})
    assert response.status_code == 422
    assert client.post(_url(party, "/signature"), {"typed_name": "张三"}).status_code == 302
    party.refresh_from_db()
    assert bytes(party.signature_image).startswith(b"\x89PNG\r\n\x1a\n")


def test_wrong_code_is_shown_inline_and_signs_nothing(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    client.post(_url(party, "/read"), {"pages": envelope.documents.get().pages})
    client.post(_url(party, "/consent"), {"agree": "1"})
    client.post(_url(party, "/signature"), {"typed_name": "张三"})
    client.post(_url(party, "/code"))
    code = last_code()
    response = client.post(_url(party, "/sign"), {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert 400 <= response.status_code < 500
    assert 'role="alert"' in response.content.decode()
    response = client.post(_url(party, "/sign"), {"code": "12ab"})
    assert response.status_code == 422 and 'data-error-field="code"' in response.content.decode()
    party.refresh_from_db()
    assert party.status == Party.Status.READY


def test_first_time_real_name_verification_from_the_signing_page(shop, make_person):
    person = Person.objects.get(pk=shop.worker.pk)
    person.verification_level = Person.Level.CHECKSUM
    person.save()
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    page = client.get(_url(party)).content.decode()
    assert 'data-step="verify"' in page and "/pages/1.png" not in page
    response = client.post(_url(party, "/verify"))
    assert response.status_code == 422
    assert 'data-error-code="identity.verification_failed"' in response.content.decode()
    ResidentRegistryRecord.objects.create(
        id_number_index=id_index(person.id_type, person.id_number),
        name_index=name_index(person.name),
        source="test registry",
    )
    assert client.post(_url(party, "/verify")).status_code == 302
    person.refresh_from_db()
    assert person.verification_level == Person.Level.REGISTRY
    assert 'data-step="read"' in client.get(_url(party)).content.decode()


def test_worker_rejects_with_a_reason_after_an_empty_one_is_refused(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    response = client.post(_url(party, "/reject"), {"reason": "  "})
    assert response.status_code == 422 and 'data-error-field="reason"' in response.content.decode()
    assert client.post(_url(party, "/reject"), {"reason": "工资与面谈不一致"}).status_code == 302
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.REJECTED
    page = client.get(_url(party)).content.decode()
    assert 'data-step="ended"' in page and "工资与面谈不一致" in page


# ---- page images ---------------------------------------------------------------------------------


def test_page_images_are_small_cached_and_private(shop, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    doc = envelope.documents.get()
    sizes, first = [], None
    for n in range(1, doc.pages + 1):
        response = client.get(_url(party, f"/pages/{n}.png"))
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response["Cache-Control"] == "private, max-age=86400"
        assert response.content.startswith(b"\x89PNG")
        sizes.append(len(response.content))
        first = first or response.content
    print("page image sizes (bytes):", sizes)
    assert max(sizes) < 80_000  # a phone on a poor connection: each page well under 80 KB
    assert client.get(_url(party, f"/pages/{doc.pages + 1}.png")).status_code == 404
    cached = list((tmp_path / "cache" / "envelope-pages").rglob("*.png"))
    assert len(cached) == doc.pages
    assert pages.page_image(doc.current_sha256, 1) == first  # from the cache


# ---- my documents --------------------------------------------------------------------------------


def test_lcl_art16_my_documents_lists_every_employer_including_a_closed_one(
    shop, make_enterprise, make_user
):
    from accord.seals.services import setup_default_seals

    first = _sealed(shop)
    _sign_through_pages(_worker_client(shop), _worker_party(first))
    other = make_enterprise(name="深圳市华强北旧东家电子有限公司")
    manager2, hr2 = make_user("hr", enterprise=other), make_user("hr", enterprise=other)
    setup_default_seals(other, manager=manager2, users=[hr2])
    # Hired there three weeks ago: a contract drafted today is not late (LCL Art. 10, 14 ¶3).
    hired = timezone.localdate() - dt.timedelta(days=21)
    Employment.objects.create(person=shop.worker, enterprise=other, start_date=hired)
    old = drafting.create_from_template(
        enterprise=other,
        person=shop.worker,
        version=published("labour-fixed"),
        fields=contract_fields(),
        created_by=hr2,
        send=True,
    )
    services.seal(old, user=hr2, otp_token=totp_code(hr2))
    deliver_pending()
    _sign_through_pages(_worker_client(shop), _worker_party(old))
    Enterprise.objects.filter(pk=other.pk).update(status=Enterprise.Status.CLOSED)
    # A second contract with the same employer, from a later start (never a second one from the
    # same start, LCL Art. 10): no second probation (LCL Art. 19).
    later = dt.date.fromisoformat(contract_fields()["end_date"])
    no_probation = {
        k: v
        for k, v in contract_fields(
            start_date=later.isoformat(), end_date=later.replace(year=later.year + 3).isoformat()
        ).items()
        if not k.startswith("probation")
    }
    pending = _sealed(shop, fields=no_probation)
    # Another worker's envelope in the same enterprise is not listed.
    stranger = make_user("worker")
    Person.objects.filter(pk=stranger.person_id).update(phone="13900002222")

    response = _worker_client(shop).get("/my/documents")
    assert response.status_code == 200
    body = response.content.decode()
    for envelope in (first, old, pending):
        assert envelope.number in body
    assert shop.enterprise.name in body and other.name in body and "注销" in body
    assert f"/my/documents/{old.public_id}/1.pdf?download=1" in body
    assert f"/verify?number={old.number}-1" in body
    assert f"/my/sign/{_worker_party(pending).public_id}" in body  # still to sign
    assert _worker_client(shop).get(f"/my/documents/{old.public_id}/1.pdf").status_code == 200
    stranger_client = Client()
    login(stranger_client, stranger)
    assert first.number not in stranger_client.get("/my/documents").content.decode()


def test_my_documents_asks_for_the_phone_login_first(client):
    response = client.get("/my/documents")
    assert response.status_code == 302
    assert response["Location"] == "/login/phone?next=/my/documents"


# ---- nobody else's ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_worker", "other_hr", "street_officer"])
def test_another_users_signing_page_images_and_documents_are_404(
    shop, make_user, make_enterprise, who
):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    outsider = {
        "other_worker": lambda: make_user("worker"),
        "other_hr": lambda: make_user(
            "hr", enterprise=make_enterprise(name="深圳市别家科技有限公司")
        ),
        "street_officer": lambda: make_user("street_officer", street="huafu"),
    }[who]()
    client = Client()
    login(client, outsider)
    for url in (
        _url(party),
        _url(party, "/pages/1.png"),
        _url(party, "/signature.png"),
        f"/my/documents/{envelope.public_id}/1.pdf",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (_url(party, "/consent"), {"agree": "1"}),
        (_url(party, "/reject"), {"reason": "x"}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert envelope.number not in client.get("/my/documents").content.decode()
    # The owner gets the normal answers.
    owner = _worker_client(shop)
    assert owner.get(_url(party)).status_code == 200
    assert owner.get(_url(party, "/pages/1.png")).status_code == 200
    assert owner.get(f"/my/documents/{envelope.public_id}/1.pdf").status_code == 200


def test_my_documents_query_count_stays_flat_as_documents_grow(shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    starts = iter(range(1, 100))

    def no_probation() -> dict:
        # One labour contract per start date (LCL Art. 10): each from its own start.
        start = timezone.localdate() + dt.timedelta(days=next(starts))
        fields = contract_fields(
            start_date=start.isoformat(), end_date=start.replace(year=start.year + 3).isoformat()
        )
        return {k: v for k, v in fields.items() if not k.startswith("probation")}

    def add(n):
        for _ in range(n):
            fields = no_probation()
            # One contract out at a time per employment (lifecycle.py): a job each.
            job = Employment.objects.create(
                person=shop.worker, enterprise=shop.enterprise, start_date=fields["start_date"]
            )
            envelope = _contract(shop, send=True, fields=fields, employment=job)
            # Its turn has come (as after the seal): the worker sees it in the list.
            Party.objects.filter(envelope=envelope, role=Party.Role.WORKER).update(
                status=Party.Status.READY
            )

    add(1)
    client = _worker_client(shop)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/my/documents").status_code == 200
    add(4)
    with CaptureQueriesContext(connection) as five:
        body = client.get("/my/documents").content.decode()
    assert body.count("去签署") == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_consent_form_carries_the_pages_seen_when_the_last_report_is_still_on_its_way(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    total = envelope.documents.get().pages
    client = _worker_client(shop)
    response = client.post(_url(party, "/consent"), {"agree": "1", "pages_seen": str(total - 1)})
    assert response.status_code == 422  # one page short
    assert (
        client.post(_url(party, "/consent"), {"agree": "1", "pages_seen": str(total)}).status_code
        == 302
    )
    party.refresh_from_db()
    assert party.read_pages == total and party.consent_at is not None


# ---- reading and signing on a phone (issue #11) -------------------------------------------------


def test_sms_link_login_names_the_enterprise_and_the_document(shop):
    envelope = _sealed(shop)
    client = Client()
    client.get(f"/s/{last_link()}")
    page = client.get(f"/login/phone?next=/my/sign/{_worker_party(envelope).public_id}")
    body = page.content.decode()
    assert f"{shop.enterprise.name} 请您签署文件" in body
    assert "劳动合同书（固定期限）" in body and envelope.number in body
    assert shop.worker.name not in body  # nobody has logged in yet: no personal data
    # Without the link, the login page is the plain one.
    assert "请您签署文件" not in Client().get("/login/phone").content.decode()


def test_text_view_is_the_documents_words_with_the_pdf_hash_and_images_are_one_tap_away(shop):
    envelope = _sealed(shop, fields=contract_fields(probation_end_date="", probation_wage=""))
    party = _worker_party(envelope)
    doc = envelope.documents.get()
    client = _worker_client(shop)
    body = client.get(_url(party)).content.decode()
    assert 'data-testid="doc-text"' in body and doc.current_sha256 in body
    assert "乙方月工资为人民币 8,000.00 元。" in body and "试用期：不约定。" in body
    assert "试用期工资" not in body and "________" not in body
    assert shop.worker.id_number not in body  # masked in the text (the PDF has it)
    assert shop.worker.id_number_masked in body
    assert "data-text-end" in body and "data-page=" not in body
    images = client.get(_url(party, "?view=pages")).content.decode()
    assert images.count("data-page=") == doc.pages and 'class="doc-page-zoom"' in images


def test_resend_too_early_keeps_the_code_field_with_the_message_beside_it(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    client.post(_url(party, "/read"), {"pages": envelope.documents.get().pages})
    client.post(_url(party, "/consent"), {"agree": "1"})
    client.post(_url(party, "/signature"), {"typed_name": "张三"})
    # Ten codes in ten minutes are allowed (signing.services); the eleventh is a 429. Counted in
    # fixed windows: start at the beginning of one, so a slow machine never crosses into the next.
    window_start = time.time() // 600 * 600 + 600
    with freeze_time(dt.datetime.fromtimestamp(window_start, dt.UTC), tick=True):
        for _ in range(10):
            assert client.post(_url(party, "/code")).status_code == 302
        response = client.post(_url(party, "/code"))
    assert response.status_code == 429 and response["Retry-After"]
    body = response.content.decode()
    form = body[body.index('id="code-form"') : body.index("</form>", body.index('id="code-form"'))]
    assert 'id="code"' in form and 'id="code-error"' in form and "autofocus" in form
    # The code sent first still signs.
    response = client.post(_url(party, "/sign"), {"code": last_code()})
    assert response.status_code == 302


def test_phone_login_resend_too_early_keeps_the_code_field(shop):
    client = Client()
    client.post("/login/phone", {"phone": "13900001111"})
    response = client.post("/login/phone", {"phone": "13900001111", "resend": "1"})
    assert response.status_code == 429 and response["Retry-After"]
    body = response.content.decode()
    assert 'id="code"' in body and 'id="code-error"' in body
    wrong = client.post("/login/phone", {"phone": "13900001111", "code": "000000"})
    assert 'id="code"' in wrong.content.decode() and 'id="code-error"' in wrong.content.decode()


def test_worker_home_lists_what_waits_and_drops_it_once_signed(shop):
    envelope = _sealed(shop)
    party = _worker_party(envelope)
    client = _worker_client(shop)
    home = client.get("/").content.decode()
    assert f'href="/my/sign/{party.public_id}"' in home and envelope.title in home
    _sign_through_pages(client, party)
    home = client.get("/").content.decode()
    assert f'href="/my/sign/{party.public_id}"' not in home
    assert "目前没有需要您签署的文件" in home


def test_hr_preview_pdf_may_be_framed_by_our_own_pages_only(shop):
    envelope = _contract(shop)
    client = Client()
    login(client, shop.hr)
    inline = client.get(f"/api/v1/envelopes/{envelope.public_id}/documents/1.pdf")
    assert inline.status_code == 200
    assert inline["X-Frame-Options"] == "SAMEORIGIN"
    assert inline["Content-Security-Policy"] == "frame-ancestors 'self'"
    download = client.get(f"/api/v1/envelopes/{envelope.public_id}/documents/1.pdf?download=1")
    assert download["X-Frame-Options"] == "DENY"
    assert client.get(f"/envelopes/{envelope.public_id}/")["X-Frame-Options"] == "DENY"
