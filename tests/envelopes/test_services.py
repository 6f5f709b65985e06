"""Envelopes: order, sealing, the worker's signature, and every way an envelope ends."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.utils import timezone

from accord.core.errors import AccordError, Conflict, InvalidInput, PermissionDenied
from accord.core.events import deliver_pending
from accord.core.models import AuditEntry, Notification, SmsMessage
from accord.envelopes import drafting, services
from accord.envelopes.models import Envelope, Party
from accord.identity.models import Employment, User
from accord.seals import services as seals
from accord.seals.models import Seal
from accord.signing import providers
from accord.signing.verify import verify_pdf
from tests.envelopes.conftest import last_code, last_link, totp_code
from tests.ledger.helpers import entry_kinds
from tests.support.factories import contract_fields, published

pytestmark = pytest.mark.django_db

# A tiny valid PNG (1×1, opaque black): a drawn signature.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _contract(shop, **kw) -> Envelope:
    return drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published("labour-fixed"),
        fields=kw.pop("fields", contract_fields()),
        created_by=shop.hr,
        **kw,
    )


def _worker_signs(shop, envelope: Envelope) -> Envelope:
    party = envelope.parties.get(role=Party.Role.WORKER)
    services.record_view(party, pages_read=party.envelope.documents.first().pages)
    services.record_consent(party)
    services.save_signature_image(party, PNG)
    services.request_code(party)
    return services.sign_personal(party, code=last_code(), user=shop.worker.user)


def test_lcl_art10_contract_is_sealed_then_signed_by_the_worker_and_recorded(shop):
    envelope = _contract(shop, send=True)
    deliver_pending()
    worker_party = envelope.parties.get(role=Party.Role.WORKER)
    # The worker signs second: not told, not shown, not in their list before the seal.
    assert worker_party.status == Party.Status.WAITING
    assert not SmsMessage.objects.filter(text__contains="/s/").exists()
    worker_user = User.objects.get(person=shop.worker)
    assert not services.may_see_document(worker_user, envelope)
    assert not Envelope.objects.filter(pk=envelope.pk).filter(
        pk__in=__import__("accord.core.scoping", fromlist=["scoped"]).scoped(Envelope, worker_user)
    )
    assert Notification.objects.filter(recipient=shop.hr, title__contains="待盖章").exists()

    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    # Sealed: the 待盖章 to-do leaves HR's inbox.
    assert not Notification.objects.filter(title__contains="待盖章").exists()
    deliver_pending()
    worker_party.refresh_from_db()
    assert worker_party.status == Party.Status.READY
    assert services.party_for_link(last_link()) == worker_party
    assert services.may_see_document(worker_user, envelope)

    envelope = _worker_signs(shop, envelope)
    deliver_pending()
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.COMPLETED
    pdf = providers.load_document(envelope.documents.get().current_sha256)
    report = verify_pdf(pdf)
    assert report.valid and [s.kind for s in report.signatures] == [
        "signature",
        "signature",
        "document_timestamp",  # archived (B-LTA) once completed
    ]
    assert report.signatures[0].certification  # the seal certifies; the worker fills its field
    assert entry_kinds().count("document.signed") >= 2
    actions = set(
        AuditEntry.objects.filter(object_id=str(envelope.public_id)).values_list(
            "action", flat=True
        )
    )
    assert {
        "envelopes.envelope.create",
        "envelopes.envelope.send",
        "envelopes.envelope.complete",
    } <= actions
    assert Notification.objects.filter(recipient=worker_user, title__contains="已完成").exists()
    assert SmsMessage.objects.filter(text__contains="已签署完成").exists()


def test_lcl_art19_unlawful_draft_is_refused_with_its_article_and_nothing_created(shop):
    fields = contract_fields()
    start = dt.date.fromisoformat(fields["start_date"])
    fields["probation_end_date"] = (start + dt.timedelta(days=200)).isoformat()
    with pytest.raises(InvalidInput) as err:
        _contract(shop, fields=fields)
    assert any("第十九条" in (p.article or "") for p in err.value.problems)
    assert not Envelope.objects.exists()


def test_lcl_art20_probation_wage_under_80_percent_is_refused(shop):
    with pytest.raises(InvalidInput) as err:
        _contract(shop, fields=contract_fields(probation_wage="5000.00"))
    assert any("第二十条" in (p.article or "") for p in err.value.problems)


def test_same_idempotency_key_creates_one_envelope(shop):
    first = _contract(shop, idempotency_key="hr-system-42")
    again = _contract(shop, idempotency_key="hr-system-42")
    assert first.pk == again.pk and Envelope.objects.count() == 1


def test_worker_cannot_act_before_turn_and_cannot_sign_twice(shop):
    envelope = _contract(shop, send=True)
    party = envelope.parties.get(role=Party.Role.WORKER)
    with pytest.raises(Conflict) as err:
        services.record_consent(party)
    assert err.value.code == "envelope.not_your_turn"
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    _worker_signs(shop, envelope)
    party.refresh_from_db()
    with pytest.raises(Conflict) as err:
        services.request_code(party)
    assert err.value.code == "envelope.already_completed"


def test_a_signer_who_is_not_the_named_party_is_refused(shop, make_user):
    envelope = _contract(shop, send=True)
    stranger = make_user("worker")
    with pytest.raises(PermissionDenied) as err:
        services.personal_party(envelope, stranger)
    assert err.value.code == "envelope.not_a_party"


def test_hr_outside_the_signing_group_cannot_seal(shop, make_user):
    other_hr = make_user("hr", enterprise=shop.enterprise)
    envelope = _contract(
        shop,
        send=True,
        parties=[
            services.PartyInput(Party.Role.ENTERPRISE, 1, signers=(shop.hr,)),
            services.PartyInput(Party.Role.WORKER, 2, person=shop.worker),
        ],
    )
    with pytest.raises(PermissionDenied) as err:
        services.seal(envelope, user=other_hr, otp_token=totp_code(other_hr))
    assert err.value.code == "envelope.not_in_signing_group"


def test_signing_code_is_bound_to_the_document_and_a_wrong_code_signs_nothing(shop):
    envelope = _contract(shop, send=True)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    party = envelope.parties.get(role=Party.Role.WORKER)
    with pytest.raises(Conflict) as err:
        services.request_code(party)
    assert err.value.code == "envelope.consent_required"
    services.record_view(party, services.total_pages(envelope))  # MOHRSS 54: read, then agree
    services.record_consent(party)
    services.save_signature_image(party, PNG)
    services.request_code(party)
    code = last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(AccordError):
        services.sign_personal(party, code=wrong)
    party.refresh_from_db()
    assert party.status == Party.Status.READY and not party.signatures.exists()


def test_worker_rejects_with_a_reason_and_the_envelope_ends(shop):
    envelope = _contract(shop, send=True)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    party = envelope.parties.get(role=Party.Role.WORKER)
    with pytest.raises(InvalidInput):
        services.reject(party, reason=" ")
    services.reject(party, reason="工资与面谈不一致")
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.REJECTED
    assert envelope.end_reason == "工资与面谈不一致"


def test_withdraw_before_any_signature_void_after_and_completed_is_binding(shop):
    draft = _contract(shop)
    services.withdraw(draft, user=shop.hr, reason="填错岗位")
    assert Envelope.objects.get(pk=draft.pk).status == Envelope.Status.WITHDRAWN

    sealed = _contract(shop, send=True)
    services.seal(sealed, user=shop.hr, otp_token=totp_code(shop.hr))
    with pytest.raises(Conflict) as err:
        services.withdraw(sealed, user=shop.hr)
    assert err.value.code == "envelope.withdraw_after_signature"
    services.void(sealed, user=shop.hr, reason="劳动者未到岗")
    sealed.refresh_from_db()
    assert sealed.status == Envelope.Status.VOIDED
    assert not sealed.parties.filter(status=Party.Status.READY).exists()


def test_completed_contract_cannot_be_voided(shop):
    envelope = _contract(shop, send=True)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    _worker_signs(shop, envelope)
    with pytest.raises(Conflict) as err:
        services.void(Envelope.objects.get(pk=envelope.pk), user=shop.hr, reason="x")
    assert err.value.code == "envelope.completed_not_voidable"


def test_deadline_expires_and_reminders_are_daily_and_limited(shop):
    envelope = _contract(shop, send=True)
    deliver_pending()
    later = timezone.now() + dt.timedelta(days=1, hours=1)
    assert services.remind_due(later) == 1
    assert services.remind_due(later) == 0  # not twice the same day
    deliver_pending()
    assert Notification.objects.filter(recipient=shop.hr, title__contains="提醒").exists()
    assert services.expire_due(envelope.deadline + dt.timedelta(seconds=1)) == 1
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.EXPIRED
    with pytest.raises(Conflict):
        services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))


def test_lcl_art50_termination_ends_employment_and_keeps_documents_two_years(shop):
    contract = _contract(shop, send=True)
    services.seal(contract, user=shop.hr, otp_token=totp_code(shop.hr))
    _worker_signs(shop, contract)
    leave = timezone.localdate() + dt.timedelta(days=30)
    notice = drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published("termination"),
        fields={"leave_date": leave.isoformat(), "leave_reason": "双方协商一致"},
        created_by=shop.hr,
        send=True,
    )
    with pytest.raises(Conflict) as err:
        services.seal(notice, user=shop.hr, otp_token=totp_code(shop.hr))
    assert err.value.code == "seal.none_configured"  # a termination takes the official seal
    official = seals.create_seal(
        shop.enterprise, user=shop.manager, name="公章", kind=Seal.Kind.OFFICIAL
    )
    seals.grant_power(official, user=shop.manager, grantee=shop.hr, power="use")
    with pytest.raises(PermissionDenied):  # sensitive: a manager approves this exact document
        services.seal(notice, user=shop.hr, otp_token=totp_code(shop.hr))
    (approval,) = services.request_seal_approval(notice, user=shop.hr)
    seals.decide_approval(approval, user=shop.manager, approve=True)
    services.seal(notice, user=shop.hr, otp_token=totp_code(shop.hr))
    _worker_signs(shop, notice)
    job = Employment.objects.get(pk=shop.job.pk)
    assert job.end_date == leave
    kept = set(Envelope.objects.filter(person=shop.worker).values_list("retain_until", flat=True))
    assert kept == {leave.replace(year=leave.year + 2)}


def test_completed_contract_is_archived_b_lta_in_the_ledger_and_renewed_when_due(shop, client):
    envelope = _contract(shop, send=True)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    _worker_signs(shop, envelope)
    signed_sha = envelope.documents.get().current_sha256
    deliver_pending()  # the archive subscriber runs on envelope.completed
    doc = envelope.documents.get()
    assert doc.archived_at is not None and doc.current_sha256 != signed_sha
    report = verify_pdf(providers.load_document(doc.current_sha256))
    assert report.valid
    assert [s.kind for s in report.signatures][-1] == "document_timestamp"
    # /verify finds the archived file's ledger entry like any signature's.
    page = client.post("/verify", {"file": _upload(providers.load_document(doc.current_sha256))})
    assert page.status_code == 200 and 'data-ledger-proof="ok"' in page.content.decode()
    before = doc.current_sha256
    assert services.renew_archives_due(doc.archive_renew_after) == 1
    doc.refresh_from_db()
    assert (
        doc.current_sha256 != before
        and verify_pdf(providers.load_document(doc.current_sha256)).valid
    )


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("contract.pdf", data, content_type="application/pdf")
