"""Issue #10, the table of holes: every rule the pages keep, the API keeps too — one table per rule,
each row a request from one side (the page or the API) answering with the same code, message and
field, because both call the same service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from accord.contracts import templates as contract_templates
from accord.core.errors import NotFound
from accord.core.events import deliver_pending
from accord.envelopes import drafting, services
from accord.envelopes.models import Envelope, Party
from accord.identity import auth
from accord.identity.models import Employment, User
from tests.conftest import login
from tests.envelopes.conftest import totp_code
from tests.support.factories import contract_fields, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(shop):
    _, plaintext = auth.create_api_token(
        enterprise=shop.enterprise, name="HR system", created_by=shop.hr
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def _hr(shop) -> Client:
    client = Client()
    login(client, shop.hr)
    return client


def _create_api(client, shop, headers=None, **over):
    body = {
        "template_version": str(published("labour-fixed").public_id),
        "employment": str(shop.job.public_id),
        "fields": contract_fields(),
        "send": True,
    }
    body.update(over)
    return client.post(
        f"/api/v1/enterprises/{shop.enterprise.public_id}/envelopes",
        body,
        content_type="application/json",
        **(headers or {}),
    )


def _new_url(shop, kind="labour_fixed", job=None) -> str:
    job = job or shop.job
    return (
        f"/enterprises/{shop.enterprise.public_id}/envelopes/new"
        f"?employment={job.public_id}&kind={kind}"
    )


def _page_fields(code="labour-fixed", **over) -> dict:
    data = {
        "template_version": str(published(code).public_id),
        "hours_system": "standard",
        "position_category": "other",
        **{k: v for k, v in contract_fields().items() if k != "term_type"},
        "pay_day": "10",
        "action": "send",
    }
    data.update(over)
    return data


def _page_error(response) -> tuple[int, str]:
    html = response.content.decode()
    marker = 'data-error-code="'
    assert marker in html, html[:3000]
    return response.status_code, html.split(marker, 1)[1].split('"', 1)[0]


# ---- 人社厅发〔2021〕54号: consent only after reading every page -------------------------------


@pytest.fixture
def sealed(shop):
    envelope = drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published("labour-fixed"),
        fields=contract_fields(),
        created_by=shop.hr,
        employment=shop.job,
        send=True,
    )
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    deliver_pending()
    return envelope


def _worker(shop) -> Client:
    client = Client()
    login(client, User.objects.get(person=shop.worker))
    return client


def test_mohrss54_consent_before_reading_every_page_is_refused_by_page_and_api_alike(shop, sealed):
    party = sealed.parties.get(role=Party.Role.WORKER)
    total = sealed.documents.get().pages
    assert total >= 2
    client = _worker(shop)
    client.post(f"/my/sign/{party.public_id}/read", {"pages": 1})
    page = client.post(f"/my/sign/{party.public_id}/consent", {"agree": "1"})
    api = client.post(f"/api/v1/envelopes/{sealed.public_id}/consent")
    assert _page_error(page) == (422, "envelope.pages_unread")
    assert api.status_code == 422, api.content
    body = api.json()
    assert body["code"] == "envelope.pages_unread" and body["field"] == "read_all"
    assert f"请先阅读全部 {total} 页（已阅读 1 页）" in body["message_zh"]
    assert body["message_zh"] in page.content.decode()
    party.refresh_from_db()
    assert party.consent_at is None


def test_mohrss54_api_consent_after_reporting_every_page_read(shop, sealed):
    party = sealed.parties.get(role=Party.Role.WORKER)
    total = sealed.documents.get().pages
    client = _worker(shop)
    read = client.post(
        f"/api/v1/envelopes/{sealed.public_id}/read",
        {"pages": total},
        content_type="application/json",
    )
    assert read.status_code == 200 and read.json() == {"read_pages": total, "total": total}
    assert client.post(f"/api/v1/envelopes/{sealed.public_id}/consent").status_code == 200
    party.refresh_from_db()
    assert party.consent_at is not None and party.consent_text == services.CONSENT_TEXT


def test_mohrss54_the_service_itself_refuses_consent_without_reading(shop, sealed):
    party = sealed.parties.get(role=Party.Role.WORKER)
    with pytest.raises(Exception) as err:
        services.record_consent(party)
    assert getattr(err.value, "code", "") == "envelope.pages_unread"


# ---- LCL Art. 50: a certificate of leaving only after the employment ended --------------------


def test_lcl_art50_leaving_certificate_for_an_active_employment_refused_by_page_and_api(
    shop, token
):
    version = published("leaving-certificate")
    page = _hr(shop).post(
        _new_url(shop, "leaving_certificate"),
        {"template_version": str(version.public_id), "leave_date": "2026-06-30", "action": "send"},
    )
    api = _create_api(
        Client(), shop, token, template_version=str(version.public_id), fields={}, send=True
    )
    assert _page_error(page) == (409, "lifecycle.step_not_allowed")
    assert api.status_code == 409, api.content
    assert api.json()["code"] == "lifecycle.step_not_allowed"
    assert "第五十条" in api.json()["message_zh"] and api.json()["field"] == "kind"
    assert not Envelope.objects.exists()


def test_lcl_art50_the_api_issues_the_certificate_once_the_employment_ended(shop, token):
    Employment.objects.filter(pk=shop.job.pk).update(end_date=timezone.localdate())
    version = published("leaving-certificate")
    api = _create_api(
        Client(), shop, token, template_version=str(version.public_id), fields={}, send=False
    )
    assert api.status_code == 201, api.content


# ---- a party must be a person of the enterprise (privacy across enterprises) -----------------


@pytest.fixture
def stranger(make_enterprise, make_person):
    """A person of another enterprise, whose UUID a signature certificate may have shown."""
    other = make_enterprise(name="他企业有限公司")
    person = make_person(name="外企赵六", phone="13900009999")
    Employment.objects.create(person=person, enterprise=other, start_date="2025-01-01")
    return person


def _parties_with(shop, person) -> list[dict]:
    return [
        {"role": "enterprise", "order": 1},
        {"role": "legal_rep", "order": 2, "person": str(person.public_id)},
        {"role": "worker", "order": 3, "person": str(shop.worker.public_id)},
    ]


def test_a_person_of_another_enterprise_as_a_party_is_not_found_by_api_and_page(
    shop, token, stranger
):
    api = _create_api(Client(), shop, token, parties=_parties_with(shop, stranger))
    page = _hr(shop).post(_new_url(shop), _page_fields(legal_rep=str(stranger.public_id)))
    assert api.status_code == 404, api.content
    assert api.json()["code"] == "identity.person_not_found"
    assert api.json()["field"] == "parties[1].person"
    assert "赵六" not in api.content.decode()
    assert page.status_code == 404 and "赵六" not in page.content.decode()
    assert not Envelope.objects.exists()
    assert not User.objects.filter(person=stranger).exists()  # no account, no signing link


def test_a_person_of_the_enterprise_signs_as_legal_representative(shop, token, make_person):
    rep = make_person(name="王五", phone="13900002222")
    Employment.objects.create(person=rep, enterprise=shop.enterprise, start_date="2020-01-01")
    api = _create_api(Client(), shop, token, parties=_parties_with(shop, rep))
    assert api.status_code == 201, api.content
    assert [p["name"] for p in api.json()["parties"]] == [shop.enterprise.name, "王五", "张三"]


@pytest.mark.parametrize("what", ["template_version", "employment", "person"])
def test_another_enterprises_template_employment_or_person_is_not_found(
    shop, token, stranger, what
):
    other = stranger.employments.get().enterprise
    foreign_version = contract_templates.create_template(
        enterprise=other,
        kind="offer",
        name="他企业录用通知",
        title="录用通知书",
        sections=[{"text": "{{worker.name}}：欢迎。"}],
    )
    contract_templates.publish(foreign_version)
    over = {
        "template_version": {"template_version": str(foreign_version.public_id)},
        "employment": {"employment": str(stranger.employments.get().public_id)},
        "person": {"employment": None, "person": str(stranger.public_id)},
    }[what]
    api = _create_api(Client(), shop, token, **over)
    assert api.status_code == 404, api.content
    assert api.json()["message_zh"] == NotFound.MESSAGE_ZH
    assert "赵六" not in api.content.decode()
    assert not Envelope.objects.exists()


def test_another_enterprises_template_on_the_page_is_not_found(shop, stranger):
    other = stranger.employments.get().enterprise
    version = contract_templates.create_template(
        enterprise=other,
        kind="labour_fixed",
        name="他企业劳动合同",
        title="劳动合同书",
        sections=list(published("labour-fixed").sections),
    )
    contract_templates.publish(version)
    page = _hr(shop).post(_new_url(shop), _page_fields(template_version=str(version.public_id)))
    assert _page_error(page) == (404, "contracts.template_not_found")
    assert not Envelope.objects.exists()


def test_another_enterprises_seal_is_not_found(shop, token, make_enterprise, make_user):
    from accord.seals.services import setup_default_seals

    other = make_enterprise(name="第三方有限公司")
    setup_default_seals(other, manager=make_user("hr", enterprise=other), users=[])
    foreign_seal = other.seals.first()
    created = _create_api(Client(), shop, token).json()
    client = _hr(shop)
    response = client.post(
        f"/api/v1/envelopes/{created['id']}/seal",
        {"otp": totp_code(shop.hr), "seal": str(foreign_seal.public_id)},
        content_type="application/json",
    )
    assert response.status_code == 404 and response.json()["code"] == "seal.not_found"


# ---- no second labour contract for the same worker and start ----------------------------------


def test_lcl_art10_a_second_labour_contract_for_the_same_start_is_refused_by_api_and_page(
    shop, token
):
    first = _create_api(Client(), shop, token, idempotency_key="a")
    assert first.status_code == 201
    api = _create_api(
        Client(),
        shop,
        token,
        template_version=str(published("labour-open-ended").public_id),
        fields=contract_fields(term_type="open_ended", end_date=""),
        idempotency_key="b",
    )
    page = _hr(shop).post(_new_url(shop, "labour_open_ended"), _page_fields("labour-open-ended"))
    assert api.status_code == 409, api.content
    assert api.json()["code"] == "envelope.contract_exists"
    assert api.json()["field"] == "start_date"
    assert _page_error(page) == (409, "envelope.contract_exists")
    assert api.json()["message_zh"] in page.content.decode()
    assert Envelope.objects.count() == 1


def test_lcl_art10_existing_labour_contract_is_the_one_function_batches_use(shop, token):
    start = dt.date.fromisoformat(contract_fields()["start_date"])
    assert services.existing_labour_contract(shop.enterprise, shop.worker, start) is None
    created = _create_api(Client(), shop, token).json()
    found = services.existing_labour_contract(shop.enterprise, shop.worker, start)
    assert found is not None and str(found.public_id) == created["id"]
    later = start + dt.timedelta(days=1)
    assert services.existing_labour_contract(shop.enterprise, shop.worker, later) is None


def test_lcl_art10_a_withdrawn_contract_does_not_block_a_new_one(shop, token):
    created = _create_api(Client(), shop, token).json()
    services.withdraw(Envelope.objects.get(public_id=created["id"]), user=shop.hr, reason="错")
    assert _create_api(Client(), shop, token).status_code == 201


# ---- LCL Art. 19 ¶2: one probation per employer and worker ------------------------------------


def _completed_contract_with_probation(shop) -> Envelope:
    start = timezone.localdate() - dt.timedelta(days=400)
    # Drafted back then, when its term began: a fixed-term contract drafted today for a term
    # that began 400 days ago would be deemed open-ended (LCL Art. 14 ¶3, Regulations Art. 7).
    with freeze_time(dt.datetime.combine(start, dt.time(10), tzinfo=dt.UTC)):
        envelope = drafting.create_from_template(
            enterprise=shop.enterprise,
            person=shop.worker,
            version=published("labour-fixed"),
            fields=contract_fields(
                start_date=start.isoformat(),
                end_date=(start + dt.timedelta(days=365)).isoformat(),
                probation_end_date=(start + dt.timedelta(days=60)).isoformat(),
            ),
            created_by=shop.hr,
            employment=shop.job,
        )
    Envelope.objects.filter(pk=envelope.pk).update(
        status=Envelope.Status.COMPLETED, completed_at=timezone.now()
    )
    return envelope


@pytest.mark.parametrize("flag", [False, "false", None])
def test_lcl_art19_hr_flag_cannot_override_the_platforms_own_probation_records(shop, token, flag):
    _completed_contract_with_probation(shop)
    fields = contract_fields()
    if flag is not None:
        fields["had_probation_with_employer"] = flag
    api = _create_api(Client(), shop, token, fields=fields)
    assert api.status_code == 422, api.content
    assert api.json()["code"] == "contract.unlawful_draft"
    assert "contract.second_probation" in {p["code"] for p in api.json()["problems"]}


def test_lcl_art19_page_and_api_refuse_a_second_probation_alike(shop, token):
    _completed_contract_with_probation(shop)
    page = _hr(shop).post(_new_url(shop), _page_fields())
    api = _create_api(
        Client(), shop, token, fields=contract_fields(had_probation_with_employer="false")
    )
    assert _page_error(page)[0] == 422 and api.status_code == 422
    assert 'data-code="contract.second_probation"' in page.content.decode()
    assert "contract.second_probation" in {p["code"] for p in api.json()["problems"]}
    assert Envelope.objects.count() == 1


def test_lcl_art19_hr_flag_may_add_a_past_probation_the_platform_does_not_know(shop, token):
    api = _create_api(
        Client(), shop, token, fields=contract_fields(had_probation_with_employer=True)
    )
    assert api.status_code == 422
    assert "contract.second_probation" in {p["code"] for p in api.json()["problems"]}


def _checkup(client, flag):
    start = timezone.localdate() + dt.timedelta(days=10)
    return client.post(
        "/api/v1/contracts/check",
        {
            "term_type": "fixed",
            "start_date": start.isoformat(),
            "end_date": start.replace(year=start.year + 3).isoformat(),
            "probation_end_date": (start + dt.timedelta(days=60)).isoformat(),
            "monthly_wage": "8000.00",
            "probation_wage": "6800.00",
            "had_probation_with_employer": flag,
        },
        content_type="application/json",
    )


@pytest.mark.parametrize(
    ("flag", "second_probation"),
    [(True, True), ("true", True), (False, False), ("false", False), (0, False), ("", False)],
)
def test_lcl_art19_checkup_reads_the_probation_flag_strictly(client, flag, second_probation):
    response = _checkup(client, flag)
    assert response.status_code == 200, response.content
    codes = {p["code"] for p in response.json()["problems"]}
    assert ("contract.second_probation" in codes) is second_probation


@pytest.mark.parametrize("flag", ["maybe", "no thanks", 7, [1]])
def test_lcl_art19_checkup_refuses_a_garbled_probation_flag_with_the_field(client, flag):
    response = _checkup(client, flag)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "had_probation_with_employer"


# ---- the idempotency key is looked up in one place -------------------------------------------


def test_find_by_idempotency_key_scopes_to_the_enterprise(shop, token, make_enterprise):
    created = _create_api(Client(), shop, token, idempotency_key="ehr-7").json()
    found = services.find_by_idempotency_key(shop.enterprise, "ehr-7")
    assert found is not None and str(found.public_id) == created["id"]
    assert services.find_by_idempotency_key(make_enterprise(), "ehr-7") is None
    assert services.find_by_idempotency_key(shop.enterprise, "") is None


# ---- which template versions an enterprise may use: one home, one code -----------------------


def test_usable_versions_are_the_shipped_and_own_published_ones(shop, make_enterprise):
    other = make_enterprise()
    draft_own = contract_templates.create_template(
        enterprise=shop.enterprise,
        kind="offer",
        name="本企业草稿",
        title="t",
        sections=[{"text": "x"}],
    )
    foreign = contract_templates.create_template(
        enterprise=other, kind="offer", name="他企业", title="t", sections=[{"text": "x"}]
    )
    contract_templates.publish(foreign)
    usable = set(contract_templates.usable_versions(shop.enterprise, kind="offer"))
    assert published("offer") in usable
    assert draft_own not in usable and foreign not in usable
    for version in (draft_own, foreign):
        with pytest.raises(NotFound) as err:
            contract_templates.usable_version(shop.enterprise, version.public_id)
        assert err.value.code == "contracts.template_not_found"
    assert contract_templates.usable_version(shop.enterprise, published("offer").public_id)


# ---- a token cannot seal (Electronic Signature Law Art. 13), one function in seals ------------


def test_esl_art13_a_token_cannot_seal_and_the_rule_lives_in_seals(shop, token):
    from accord.core.errors import AccordError
    from accord.seals import services as seals

    created = _create_api(Client(), shop, token).json()
    response = Client().post(
        f"/api/v1/envelopes/{created['id']}/seal",
        {"otp": "123456"},
        content_type="application/json",
        **token,
    )
    assert response.status_code == 422 and response.json()["code"] == "envelope.seal_needs_person"
    seals.require_person_for_sealing(shop.hr)  # a person: no error

    class TokenPrincipal:
        token = object()

    with pytest.raises(AccordError) as err:
        seals.require_person_for_sealing(TokenPrincipal())
    assert err.value.code == "envelope.seal_needs_person"


def test_mohrss54_nothing_is_read_before_ones_turn(shop):
    """A later signer is shown nothing before the earlier ones sign (issue #6): their reading
    is not recorded either, from the API as from the page."""
    envelope = drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published("labour-fixed"),
        fields=contract_fields(),
        created_by=shop.hr,
        employment=shop.job,
        send=True,
    )
    party = envelope.parties.get(role=Party.Role.WORKER)
    client = _worker(shop)
    api = client.post(
        f"/api/v1/envelopes/{envelope.public_id}/read",
        {"pages": 2},
        content_type="application/json",
    )
    assert api.status_code == 404  # before their turn the envelope is not even theirs to see
    assert client.post(f"/my/sign/{party.public_id}/read", {"pages": 2}).status_code == 404
    party.refresh_from_db()
    assert party.read_pages == 0 and party.viewed_at is None


def test_the_worker_cannot_also_sign_as_the_legal_representative(shop, token):
    api = _create_api(Client(), shop, token, parties=_parties_with(shop, shop.worker))
    page = _hr(shop).post(_new_url(shop), _page_fields(legal_rep=str(shop.worker.public_id)))
    assert api.status_code == 422 and "envelope.party_person_twice" in {
        p["code"] for p in api.json()["problems"]
    }
    assert page.status_code == 422 and "envelope.party_person_twice" in page.content.decode()
    assert not Envelope.objects.exists()


# ---- LCL Art. 9, 23 ¶2, 25, 84: the clauses of a single draft, from the page and the API -------


@pytest.mark.parametrize(
    ("page", "api", "code"),
    [
        ({"deposit": "500"}, {"deposit": "500"}, "contract.deposit_not_allowed"),
        ({"holds_id_documents": "on"}, {"holds_id_documents": True}, "contract.id_document_held"),
        ({"penalty_other": "on"}, {"penalties": ["other"]}, "contract.penalty_not_allowed"),
        (
            {"non_compete_months": "12", "position_category": "senior_technical"},
            {"non_compete_months": 12, "position_category": "senior_technical"},
            "contract.non_compete_compensation_missing",
        ),
    ],
)
def test_lcl_art9_23_25_84_page_and_api_refuse_a_draft_alike(shop, token, page, api, code):
    response = _hr(shop).post(_new_url(shop), _page_fields(**page))
    refused = _create_api(Client(), shop, token, fields=contract_fields(**api))
    assert _page_error(response)[0] == 422 and refused.status_code == 422
    assert f'data-code="{code}"' in response.content.decode()
    assert code in {p["code"] for p in refused.json()["problems"]}
    assert not Envelope.objects.exists()


def test_lcl_art14_para3_a_draft_a_year_after_work_began_is_deemed_open_ended(shop, token):
    Employment.objects.filter(pk=shop.job.pk).update(
        start_date=timezone.localdate() - dt.timedelta(days=400)
    )
    shop.job.refresh_from_db()
    response = _hr(shop).post(_new_url(shop), _page_fields())
    refused = _create_api(Client(), shop, token)
    assert _page_error(response)[0] == 422 and refused.status_code == 422
    assert 'data-code="contract.deemed_open_ended"' in response.content.decode()
    assert "contract.deemed_open_ended" in {p["code"] for p in refused.json()["problems"]}
