"""Retention (LCL Art. 50): signed documents are kept at least two years after the relationship
ends and never deletable before -- by the database itself and by the application."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accord.core.errors import Conflict
from accord.core.models import AuditEntry
from accord.envelopes import drafting, retention, services
from accord.envelopes.models import Envelope, Party, PartySignature
from accord.identity.models import Employment
from tests.envelopes.conftest import totp_code
from tests.envelopes.test_services import _contract, _worker_signs
from tests.support.factories import published

pytestmark = pytest.mark.django_db


@pytest.fixture
def guard():
    """The triggers the migration installs (0002_retention_guard), installed here directly."""
    retention.install_guard(connection)
    yield
    retention.remove_guard(connection)


@pytest.fixture
def completed(shop) -> Envelope:
    envelope = _contract(shop, send=True)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    _worker_signs(shop, envelope)
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.COMPLETED and envelope.retain_until is None
    return envelope


def _refused(action) -> None:
    with pytest.raises(IntegrityError) as err, transaction.atomic():
        action()
    assert "retention_period" in str(err.value)


def _raw_delete(table: str, column: str, value: int):
    # Straight SQL: what a console session or a careless script would do, past the ORM.
    def run():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [value])  # noqa: S608

    return run


def test_lcl_art50_database_refuses_deleting_any_row_of_a_completed_envelope(completed, guard):
    party = completed.parties.get(role=Party.Role.WORKER)
    _refused(_raw_delete("envelopes_partysignature", "party_id", party.pk))
    _refused(_raw_delete("envelopes_party", "envelope_id", completed.pk))
    _refused(_raw_delete("envelopes_envelopedocument", "envelope_id", completed.pk))
    _refused(_raw_delete("envelopes_envelope", "id", completed.pk))
    _refused(lambda: PartySignature.objects.filter(party__envelope=completed).delete())
    assert Envelope.objects.filter(pk=completed.pk).exists()
    assert PartySignature.objects.filter(party__envelope=completed).count() == 2


def test_lcl_art50_database_refuses_reopening_or_shortening_a_completed_envelope(completed, guard):
    _refused(lambda: Envelope.objects.filter(pk=completed.pk).update(status="voided"))
    until = timezone.localdate() + dt.timedelta(days=700)
    Envelope.objects.filter(pk=completed.pk).update(retain_until=until)  # set by Art. 50: fine
    Envelope.objects.filter(pk=completed.pk).update(retain_until=until + dt.timedelta(days=1))
    _refused(lambda: Envelope.objects.filter(pk=completed.pk).update(retain_until=until))
    _refused(lambda: Envelope.objects.filter(pk=completed.pk).update(retain_until=None))


def test_lcl_art50_database_still_refuses_while_retain_until_is_in_the_future(completed, guard):
    services.set_retention(completed.enterprise, completed.person, timezone.localdate())
    completed.refresh_from_db()
    assert completed.retain_until > timezone.localdate()
    _refused(_raw_delete("envelopes_envelopedocument", "envelope_id", completed.pk))
    _refused(lambda: PartySignature.objects.filter(party__envelope=completed).delete())


def test_lcl_art50_delete_service_refuses_with_the_article(completed):
    with pytest.raises(Conflict) as err:
        retention.delete_envelope(completed)
    assert err.value.code == "envelope.retention_period"
    assert "第五十条" in err.value.message_zh and "Art. 50" in err.value.message_en
    services.set_retention(completed.enterprise, completed.person, timezone.localdate())
    completed.refresh_from_db()
    with pytest.raises(Conflict) as err:
        retention.delete_envelope(completed)
    assert completed.retain_until.isoformat() in err.value.message_zh


def test_lcl_art50_after_the_retention_period_a_completed_envelope_may_be_deleted(completed, guard):
    # The relationship ended more than two years ago (e.g. a record imported late).
    long_ago = timezone.localdate() - dt.timedelta(days=3 * 366)
    services.set_retention(completed.enterprise, completed.person, long_ago)
    completed.refresh_from_db()
    assert completed.retain_until < timezone.localdate()
    retention.delete_envelope(completed, reason="保存期满")
    assert not Envelope.objects.filter(pk=completed.pk).exists()
    assert AuditEntry.objects.filter(
        action="envelopes.envelope.delete", object_id=str(completed.public_id)
    ).exists()


def test_envelope_being_signed_cannot_be_deleted(shop):
    envelope = _contract(shop, send=True)
    with pytest.raises(Conflict) as err:
        retention.delete_envelope(envelope)
    assert err.value.code == "envelope.in_progress"


def _offer(shop, make_person, **kw) -> Envelope:
    """An offer to a new hire of the shop (one offer out per employment, lifecycle.py)."""
    person = make_person(name="新员工")
    Employment.objects.create(person=person, enterprise=shop.enterprise, start_date="2026-12-01")
    return drafting.create_from_template(
        enterprise=shop.enterprise,
        person=person,
        version=published("offer"),
        fields={},
        created_by=shop.hr,
        **kw,
    )


def test_purge_drafts_deletes_only_old_never_sent_drafts(shop, completed, guard, make_person):
    old_draft = _offer(shop, make_person)
    new_draft = _offer(shop, make_person)
    sent = _offer(shop, make_person, send=True)
    withdrawn = _offer(shop, make_person)
    services.withdraw(withdrawn, user=shop.hr, reason="填错")
    old = timezone.now() - dt.timedelta(days=40)
    Envelope.objects.filter(pk__in=[old_draft.pk, sent.pk, withdrawn.pk, completed.pk]).update(
        updated_at=old
    )
    assert retention.purge_drafts(30) == 1
    left = set(Envelope.objects.values_list("pk", flat=True))
    assert old_draft.pk not in left
    assert {new_draft.pk, sent.pk, withdrawn.pk, completed.pk} <= left
    assert AuditEntry.objects.filter(action="envelopes.envelope.purge_draft").count() == 1
    with pytest.raises(ValueError):
        retention.purge_drafts(0)


def test_lcl_art50_the_migration_operation_installs_and_removes_the_guard(completed):
    from types import SimpleNamespace

    operation = retention.retention_guard()
    editor = SimpleNamespace(connection=connection)
    operation.code(None, editor)
    _refused(_raw_delete("envelopes_envelopedocument", "envelope_id", completed.pk))
    operation.reverse_code(None, editor)
    # Without the guard only the application's rule stands (and the ORM's PROTECT).
    with transaction.atomic():
        _raw_delete("envelopes_partysignature", "party_id", completed.parties.first().pk)()
        transaction.set_rollback(True)
