"""Retention of signed documents (LCL Art. 50): kept at least two years after the relationship
ends, and never deletable before.

Three layers:

1. The database itself refuses to delete an envelope, document, party or party signature of a
   COMPLETED envelope whose ``retain_until`` is unset or not yet past, and refuses to move a
   completed envelope out of ``completed`` or to shorten its ``retain_until`` (triggers on
   PostgreSQL and SQLite: :func:`retention_guard`, installed by a migration).
2. :func:`delete_envelope` — the only deletion the application offers — refuses the same with
   a clear error ``envelope.retention_period`` citing Art. 50.
3. :func:`purge_drafts` deletes only never-sent drafts.

The worker's copy survives the enterprise's closure: scoping lets a party see their documents
whatever the enterprise's status (envelopes/scoping.py; tested in tests/envelopes).
"""

from __future__ import annotations

import datetime as dt

from django.db import migrations, transaction
from django.utils import timezone

from accord.core import audit
from accord.core.errors import AccordError
from accord.envelopes import errors
from accord.envelopes.models import Envelope, EnvelopeDocument, Party, PartySignature

ART_50 = "《劳动合同法》第五十条 / LCL Art. 50"
GUARD_MESSAGE = "envelope.retention_period: LCL Art. 50 keeps signed documents at least two years"

# (table, how to reach the envelope row from OLD)
_CHILDREN = {
    "envelopes_envelopedocument": "e.id = OLD.envelope_id",
    "envelopes_party": "e.id = OLD.envelope_id",
    "envelopes_partysignature": (
        "e.id = (SELECT p.envelope_id FROM envelopes_party p WHERE p.id = OLD.party_id)"
    ),
}


def _sqlite_statements(today: str) -> list[str]:
    kept = f"e.status = 'completed' AND (e.retain_until IS NULL OR e.retain_until >= {today})"
    statements = [
        "CREATE TRIGGER IF NOT EXISTS envelopes_envelope_retention "
        "BEFORE DELETE ON envelopes_envelope FOR EACH ROW WHEN OLD.status = 'completed' "
        f"AND (OLD.retain_until IS NULL OR OLD.retain_until >= {today}) "
        f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END",
        "CREATE TRIGGER IF NOT EXISTS envelopes_envelope_retention_update "
        "BEFORE UPDATE OF status, retain_until ON envelopes_envelope FOR EACH ROW "
        "WHEN OLD.status = 'completed' AND (NEW.status <> 'completed' "
        "OR (OLD.retain_until IS NOT NULL AND (NEW.retain_until IS NULL "
        "OR NEW.retain_until < OLD.retain_until))) "
        f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END",
    ]
    for table, join in _CHILDREN.items():
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_retention BEFORE DELETE ON {table} "  # noqa: S608
            f"FOR EACH ROW WHEN EXISTS (SELECT 1 FROM envelopes_envelope e WHERE {join} "
            f"AND {kept}) BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END"
        )
    return statements


_PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION envelopes_retained(envelope_id bigint) RETURNS boolean AS $$
  SELECT EXISTS (SELECT 1 FROM envelopes_envelope e WHERE e.id = envelope_id
    AND e.status = 'completed' AND (e.retain_until IS NULL OR e.retain_until >= CURRENT_DATE));
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION envelopes_retention_guard() RETURNS trigger AS $$
DECLARE target bigint;
BEGIN
  IF TG_TABLE_NAME = 'envelopes_envelope' THEN
    IF TG_OP = 'UPDATE' THEN
      IF OLD.status = 'completed' AND (NEW.status <> 'completed'
         OR (OLD.retain_until IS NOT NULL
             AND (NEW.retain_until IS NULL OR NEW.retain_until < OLD.retain_until))) THEN
        RAISE EXCEPTION '@MESSAGE@' USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END IF;
    target := OLD.id;
  ELSIF TG_TABLE_NAME = 'envelopes_partysignature' THEN
    SELECT p.envelope_id INTO target FROM envelopes_party p WHERE p.id = OLD.party_id;
  ELSE
    target := OLD.envelope_id;
  END IF;
  IF envelopes_retained(target) THEN
    RAISE EXCEPTION '@MESSAGE@' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;
""".replace("@MESSAGE@", GUARD_MESSAGE)

_TABLES = ["envelopes_envelope", *_CHILDREN]


def install_guard(connection) -> None:
    """Create the retention triggers on ``connection`` (idempotent)."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        _install(cursor, vendor)


def _install(cursor, vendor: str) -> None:
    if vendor == "sqlite":
        # SQLite keeps dates as ISO text, so they compare as strings; Shanghai's calendar day.
        for statement in _sqlite_statements("date('now', '+8 hours')"):
            cursor.execute(statement)
    elif vendor == "postgresql":
        cursor.execute(_PG_FUNCTIONS)
        for table in _TABLES:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_retention ON {table}")
            ops = "DELETE OR UPDATE" if table == "envelopes_envelope" else "DELETE"
            cursor.execute(
                f"CREATE TRIGGER {table}_retention BEFORE {ops} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION envelopes_retention_guard()"
            )


def remove_guard(connection) -> None:
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            for name in [
                "envelopes_envelope_retention",
                "envelopes_envelope_retention_update",
                *(f"{t}_retention" for t in _CHILDREN),
            ]:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif vendor == "postgresql":
            for table in _TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_retention ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS envelopes_retention_guard()")
            cursor.execute("DROP FUNCTION IF EXISTS envelopes_retained(bigint)")


def retention_guard() -> migrations.RunPython:
    """The migration operation (accord/envelopes/migrations/0002_retention_guard.py)."""
    return migrations.RunPython(
        lambda apps, schema_editor: install_guard(schema_editor.connection),
        lambda apps, schema_editor: remove_guard(schema_editor.connection),
    )


# ---- the application's rules -----------------------------------------------------------------


def retention_error(envelope: Envelope) -> AccordError:
    if envelope.retain_until:
        until_zh = until_en = envelope.retain_until.isoformat()
    else:  # the relationship has not ended yet: two years after it does
        until_zh, until_en = "劳动关系结束后满二年", "two years after the working relationship ends"
    return errors.RETENTION_PERIOD(until_zh=until_zh, until_en=until_en, article=ART_50)


def is_retained(envelope: Envelope, today: dt.date | None = None) -> bool:
    """A completed envelope is kept while ``retain_until`` is unset or not yet past."""
    today = today or timezone.localdate()
    return envelope.status == Envelope.Status.COMPLETED and (
        envelope.retain_until is None or envelope.retain_until >= today
    )


def _delete_rows(envelope: Envelope) -> None:
    PartySignature.objects.filter(party__envelope=envelope).delete()
    for party in Party.objects.filter(envelope=envelope):
        party.signers.clear()
    Party.objects.filter(envelope=envelope).delete()
    EnvelopeDocument.objects.filter(envelope=envelope).delete()
    Envelope.objects.filter(pk=envelope.pk).delete()


@transaction.atomic
def delete_envelope(envelope: Envelope, *, reason: str = "") -> None:
    """Delete an envelope and its rows, unless Art. 50 keeps it (``envelope.retention_period``).

    Also refused for an envelope in progress (someone may be signing it right now)."""
    envelope = Envelope.objects.select_for_update().get(pk=envelope.pk)
    if envelope.status == Envelope.Status.COMPLETED:
        if is_retained(envelope):
            raise retention_error(envelope)
    elif envelope.status == Envelope.Status.SENT:
        raise errors.IN_PROGRESS()
    audit.record(
        "envelopes.envelope.delete",
        envelope,
        changes={"status": [envelope.status, None], "reason": [None, reason[:200]]},
    )
    _delete_rows(envelope)


def purge_drafts(older_than_days: int, now: dt.datetime | None = None) -> int:
    """Delete drafts never sent and untouched for ``older_than_days``; nothing else, ever."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = (now or timezone.now()) - dt.timedelta(days=older_than_days)
    ids = list(
        Envelope.objects.filter(
            status=Envelope.Status.DRAFT,
            sent_at__isnull=True,
            updated_at__lt=cutoff,
        ).values_list("pk", flat=True)[:1000]
    )
    count = 0
    for pk in ids:
        with transaction.atomic():
            envelope = (
                Envelope.objects.select_for_update()
                .filter(pk=pk, status=Envelope.Status.DRAFT, sent_at__isnull=True)
                .first()
            )
            if envelope is None or PartySignature.objects.filter(party__envelope=envelope).exists():
                continue
            audit.record(
                "envelopes.envelope.purge_draft",
                envelope,
                changes={"status": ["draft", None], "older_than_days": [None, older_than_days]},
            )
            _delete_rows(envelope)
            count += 1
    return count
