"""envelopes/policy.py: who may do what in which state — and that the services and the pages take
their answer from it (the envelope page draws exactly the buttons policy allows, the service
refuses exactly what policy refuses, with policy's code)."""

from __future__ import annotations

import pytest
from django.test import Client

from accord.core.errors import AccordError
from accord.core.events import deliver_pending
from accord.envelopes import drafting, policy, services
from accord.envelopes.models import Envelope, Party
from tests.conftest import login
from tests.envelopes.conftest import totp_code
from tests.envelopes.test_services import _worker_signs
from tests.support.factories import contract_fields, published

pytestmark = pytest.mark.django_db


def _envelope(shop, state: str) -> Envelope:
    """An envelope of the shop in one of the states the page can show."""
    envelope = drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published("labour-fixed"),
        fields=contract_fields(),
        created_by=shop.hr,
        employment=shop.job,
        send=state != "draft",
    )
    if state in ("sealed", "completed"):
        services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
        deliver_pending()
    if state == "completed":
        _worker_signs(shop, envelope)
    if state == "withdrawn":
        services.withdraw(envelope, user=shop.hr, reason="岗位信息有误")
    return Envelope.objects.get(pk=envelope.pk)


# state -> (send, seal, withdraw, void, evidence report) for the sending HR user
TABLE = {
    "draft": (True, False, True, False, False),
    "sent": (False, True, True, False, False),
    "sealed": (False, False, False, True, False),
    "completed": (False, False, False, False, True),
    "withdrawn": (False, False, False, False, False),
}
WHY_NOT = {
    ("draft", "seal"): "envelope.not_open",
    ("draft", "void"): "envelope.void_before_signature",
    ("sent", "send"): "envelope.not_draft",
    ("sent", "void"): "envelope.void_before_signature",
    ("sealed", "seal"): "envelope.party_already_signed",
    ("sealed", "withdraw"): "envelope.withdraw_after_signature",
    ("completed", "void"): "envelope.completed_not_voidable",
    ("completed", "seal"): "envelope.already_completed",
    ("withdrawn", "void"): "envelope.not_open",
    ("withdrawn", "withdraw"): "envelope.not_open",
}


@pytest.mark.parametrize("state", list(TABLE))
def test_policy_table_of_the_senders_actions_per_state(shop, state):
    envelope = _envelope(shop, state)
    actions = policy.envelope_actions(shop.hr, envelope)
    got = (
        actions.send.allowed,
        actions.seal.allowed,
        actions.withdraw.allowed,
        actions.void.allowed,
        actions.evidence_report.allowed,
    )
    assert got == TABLE[state]
    for (row, action), code in WHY_NOT.items():
        if row == state:
            assert getattr(actions, action).code == code


@pytest.mark.parametrize("state", list(TABLE))
def test_the_envelope_page_draws_exactly_the_buttons_policy_allows(shop, state):
    envelope = _envelope(shop, state)
    client = Client()
    login(client, shop.hr)
    html = client.get(f"/envelopes/{envelope.public_id}/").content.decode()
    send, seal, withdraw, void, evidence = TABLE[state]
    base = f"/envelopes/{envelope.public_id}/"
    assert (f'action="{base}send"' in html) is send
    assert (f'action="{base}seal"' in html) is seal
    assert (f'action="{base}withdraw"' in html) is withdraw
    assert (f'action="{base}void"' in html) is void
    assert (f'href="{base}evidence.pdf"' in html) is evidence


@pytest.mark.parametrize(
    ("state", "action"),
    [(state, action) for (state, action) in WHY_NOT if action in ("withdraw", "void", "send")],
)
def test_the_service_refuses_with_policys_code(shop, state, action):
    envelope = _envelope(shop, state)
    with pytest.raises(AccordError) as err:
        if action == "withdraw":
            services.withdraw(envelope, user=shop.hr, reason="x")
        elif action == "void":
            services.void(envelope, user=shop.hr, reason="x")
        else:
            services.send_envelope(envelope, actor=shop.hr)
    assert err.value.code == WHY_NOT[(state, action)]


def test_void_is_refused_before_any_signature_by_page_and_api_alike(shop):
    """The page showed no void button before a signature while the service voided anyway: now
    the service refuses, with the code policy gives, and points to withdrawing."""
    envelope = _envelope(shop, "sent")
    client = Client()
    login(client, shop.hr)
    page = client.post(f"/envelopes/{envelope.public_id}/void", {"reason": "劳动者未到岗"})
    api = client.post(
        f"/api/v1/envelopes/{envelope.public_id}/void",
        {"reason": "劳动者未到岗"},
        content_type="application/json",
    )
    assert page.status_code == 409
    assert 'data-error-code="envelope.void_before_signature"' in page.content.decode()
    assert api.status_code == 409 and api.json()["code"] == "envelope.void_before_signature"
    assert Envelope.objects.get(pk=envelope.pk).status == Envelope.Status.SENT


def test_a_person_acts_only_in_their_turn_and_the_signing_step_follows_the_state(shop):
    envelope = _envelope(shop, "sent")
    worker = envelope.parties.get(role=Party.Role.WORKER)
    assert policy.can_view_signing_page(worker).code == "envelope.not_your_turn"
    assert policy.can_act_as_party(worker).code == "envelope.not_your_turn"
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    worker.refresh_from_db()
    assert policy.can_view_signing_page(worker).allowed
    assert policy.signing_step(worker) == "read"
    total = services.total_pages(envelope)
    assert policy.can_consent(worker, total_pages=total).code == "envelope.pages_unread"
    services.record_view(worker, total)
    worker.refresh_from_db()
    assert policy.can_consent(worker, total_pages=total).allowed
    assert policy.can_sign(worker).code == "envelope.consent_required"
    services.void(envelope, user=shop.hr, reason="劳动者未到岗")
    worker.refresh_from_db()
    assert policy.signing_step(worker) == "ended"


def test_mohrss54_real_name_is_verified_before_consent_in_the_service_page_and_api(shop):
    """Consent to the electronic form is recorded only for a verified person: the policy says
    no, the service refuses, and the page and the API answer the same code."""
    from accord.envelopes.models import Party as PartyModel
    from accord.identity.models import User

    envelope = _envelope(shop, "sealed")
    worker = envelope.parties.get(role=Party.Role.WORKER)
    total = services.total_pages(envelope)
    services.record_view(worker, total)
    shop.worker.verification_level = "checksum"  # a valid number is not a real name
    shop.worker.save(update_fields=["verification_level"])
    worker = PartyModel.objects.select_related("person", "envelope").get(pk=worker.pk)
    assert policy.can_consent(worker, total_pages=total).code == "envelope.identity_before_consent"
    with pytest.raises(AccordError) as refused:
        services.record_consent(worker)
    assert refused.value.code == "envelope.identity_before_consent"
    assert "实名认证" in refused.value.message_zh and "54" in refused.value.message_zh
    client = Client()
    login(client, User.objects.get(person=shop.worker))
    page = client.post(f"/my/sign/{worker.public_id}/consent", {"agree": "1", "read_all": "1"})
    assert page.status_code == 409
    assert 'data-error-code="envelope.identity_before_consent"' in page.content.decode()
    api = client.post(f"/api/v1/envelopes/{envelope.public_id}/consent")
    assert api.status_code == 409 and api.json()["code"] == "envelope.identity_before_consent"
    worker.refresh_from_db()
    assert worker.consent_at is None
    # Once verified, the same consent goes through.
    shop.worker.verification_level = "registry"
    shop.worker.save(update_fields=["verification_level"])
    assert services.record_consent(worker).consent_at is not None
