"""The mediation agreement (Art. 14) signed through 福易签: the employer seals, the worker signs,
the organisation's seal goes over both (real PAdES, ledger entries); the worker's own signed
contract offered as evidence with its ledger proof."""

import datetime as dt

import pytest
from django.utils import timezone

from accord.core.events import deliver_pending
from accord.envelopes import drafting
from accord.envelopes import services as envelopes
from accord.envelopes.models import Envelope, Party
from accord.identity.models import User
from accord.mediation import services
from accord.mediation.models import Agreement, Case, Evidence
from accord.seals import services as seals
from accord.signing import providers
from accord.signing.verify import verify_pdf
from tests.envelopes.conftest import last_code, totp_code
from tests.envelopes.test_services import PNG
from tests.support import factories
from tests.support.factories import contract_fields, published

pytestmark = pytest.mark.django_db


def _worker_signs(envelope, worker):
    party = envelope.parties.get(role=Party.Role.WORKER)
    envelopes.record_view(party, pages_read=envelope.documents.first().pages)
    envelopes.record_consent(party)
    envelopes.save_signature_image(party, PNG)
    envelopes.request_code(party)
    return envelopes.sign_personal(party, code=last_code(), user=User.objects.get(person=worker))


@pytest.fixture
def case_in_mediation(shop, org, officer, mediator):
    # An agreement is sealed with the enterprise's official seal (公章), not its contract seal.
    official = seals.create_seal(shop.enterprise, user=shop.manager, name="公章", kind="official")
    seals.grant_power(official, user=shop.manager, grantee=shop.hr, power="use")
    return factories.CaseFactory(
        organisation=org,
        employment=shop.job,
        status=Case.Status.IN_MEDIATION,
        mediator=mediator,
        actor=officer,
    )


def test_art14_agreement_is_sealed_by_the_employer_signed_by_the_worker_then_by_the_organisation(
    shop,
    case_in_mediation,
    officer,
):
    due = timezone.localdate() + dt.timedelta(days=10)
    agreement = services.draft_agreement(
        case_in_mediation,
        actor=officer,
        terms="用人单位支付加班工资人民币 5,000 元。",
        instalments=[services.InstalmentInput(due, 500_000)],
    )
    envelope = agreement.envelope
    assert envelope.kind == "mediation_agreement" and envelope.status == Envelope.Status.SENT
    assert Case.objects.get(pk=case_in_mediation.pk).status == Case.Status.AGREED
    deliver_pending()
    envelopes.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    deliver_pending()
    _worker_signs(Envelope.objects.get(pk=envelope.pk), shop.worker)
    deliver_pending()  # envelope.completed → the organisation's seal, the agreement in force
    agreement = Agreement.objects.get(pk=agreement.pk)
    assert agreement.status == Agreement.Status.EFFECTIVE
    assert agreement.effective_on == timezone.localdate()
    assert agreement.ledger_index is not None
    report = verify_pdf(providers.load_document(agreement.final_sha256))
    # The employer's seal, the worker's signature, the organisation's seal (and the archive
    # timestamp 福易签 adds on completion).
    assert report.valid
    assert [s.kind for s in report.signatures].count("signature") == 3
    assert services.confirmation_deadline(agreement) >= timezone.localdate() + dt.timedelta(days=30)
    deliver_pending()  # a second delivery changes nothing
    assert Agreement.objects.get(pk=agreement.pk).final_sha256 == agreement.final_sha256


def test_an_agreement_needs_the_employer_registered_to_be_e_signed(org, officer, mediator):
    case = factories.CaseFactory(
        organisation=org, status=Case.Status.IN_MEDIATION, mediator=mediator, actor=officer
    )
    Case.objects.filter(pk=case.pk).update(enterprise=None)
    case.refresh_from_db()
    with pytest.raises(Exception) as e:
        services.draft_agreement(case, actor=officer, terms="支付", instalments=[])
    assert e.value.code == "mediation.agreement_needs_enterprise"
    assert not Agreement.objects.exists()


def test_the_workers_signed_contract_is_offered_as_evidence_with_its_ledger_proof(
    shop,
    org,
    officer,
):
    contract = drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published("labour-fixed"),
        fields=contract_fields(),
        created_by=shop.hr,
        send=True,
    )
    deliver_pending()
    envelopes.seal(contract, user=shop.hr, otp_token=totp_code(shop.hr))
    deliver_pending()
    _worker_signs(Envelope.objects.get(pk=contract.pk), shop.worker)
    case = factories.CaseFactory(organisation=org, employment=shop.job)
    worker_user = User.objects.get(person=shop.worker)
    assert [e.pk for e in services.signed_contracts_of(case)] == [contract.pk]
    evidence = services.offer_contract(
        case, actor=worker_user, envelope_public_id=contract.public_id
    )
    assert evidence.kind == Evidence.Kind.CONTRACT and evidence.ledger_index is not None
    assert evidence.sha256 == contract.documents.get().current_sha256
