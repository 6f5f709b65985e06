"""The audit log: every state change and every view of personal data.

Call :func:`record` inside the transaction of the change, so the entry exists exactly when the
change does. ``diff`` turns two snapshots into ``{field: [before, after]}``; personal fields
are never copied into the log in clear (only that they changed).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from accord.core import bulk, metrics
from accord.core.context import current_actor
from accord.core.models import AuditEntry

# Values of these fields are never written into the log, only the fact that they changed.
PERSONAL_FIELDS = {"id_number", "phone", "password", "secret", "token_hash"}


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(getattr(value, "public_id", value.pk))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    return {f: _plain(getattr(obj, f, None)) for f in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b != a:
            changes[key] = ["***", "***"] if key in PERSONAL_FIELDS else [b, a]
    return changes


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    changes: dict[str, Any] | None = None,
    enterprise_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    label: str | None = None,
) -> AuditEntry:
    entry = entry_for(
        action,
        obj,
        changes=changes,
        enterprise_id=enterprise_id,
        object_type=object_type,
        object_id=object_id,
        label=label,
    )
    entry.save()
    metrics.count_audit(action)
    return entry


def entry_for(
    action: str,
    obj: models.Model | None = None,
    *,
    changes: dict[str, Any] | None = None,
    enterprise_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    label: str | None = None,
) -> AuditEntry:
    """The entry ``record`` writes, not yet saved: many changes of one transaction (a chunk of
    a batch) are written together with ``record_many``."""
    actor = current_actor()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", obj.pk))
        label = label if label is not None else str(obj)[:200]
        if enterprise_id is None:
            enterprise_id = getattr(obj, "enterprise_id", None)
    return AuditEntry(
        actor_id=actor.user_id,
        actor_label=actor.label[:200],
        role=actor.role,
        action=action,
        object_type=object_type or "",
        object_id=object_id or "",
        object_label=(label or "")[:200],
        enterprise_id=enterprise_id,
        changes=changes or {},
        ip=actor.ip,
        user_agent=actor.user_agent[:400],
        request_id=actor.request_id,
    )


def record_many(entries: list[AuditEntry]) -> None:
    """Write entries made by ``entry_for`` in one insert (call it inside the change's
    transaction, as ``record``)."""
    bulk.insert(AuditEntry, entries)
    for entry in entries:
        metrics.count_audit(entry.action)
