"""What other apps call: record evidence, get a proof bundle for it.

Contracts, mediation, worktime, credit and the audit digest sit above the ledger (DESIGN.md),
so they import these functions directly; the ledger never imports them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from accord.core.models import AuditEntry
from accord.ledger import bundle as bundles
from accord.ledger import entries, sequencer, storage
from accord.ledger.checkpoints import cosigned_text
from accord.ledger.errors import NO_CHECKPOINT, UNKNOWN_LEAF_HASH
from accord.ledger.models import Checkpoint


def record(
    kind: str,
    fields: dict[str, Any],
    personal: dict[str, str] | None = None,
    *,
    wait_checkpoint: bool = True,
) -> storage.StoredEntry:
    """Validate and append one typed entry; returns once it is durable (with its index).

    The entry goes to the sequencer (``sequencer.submit``), which commits it together with
    the entries of other callers in its own transaction: the ledger lock is never held across
    the caller's transaction. ``wait_checkpoint`` (the default) also waits for the signed
    checkpoint that includes it, so a proof bundle can be made at once.
    """
    item = entries.prepare(kind, fields, personal)
    index = sequencer.submit(item, wait_checkpoint=wait_checkpoint)
    return storage.StoredEntry(index, item.data, "")


def record_many(items: list[entries.PreparedEntry]) -> storage.AppendResult:
    """Append prepared entries as one batch (all or nothing)."""
    return storage.append(items)


def checkpoint_for(index: int) -> Checkpoint:
    """The checkpoint a bundle should point to: the most widely cosigned one covering ``index``.

    A checkpoint cosigned by the witnesses is what protects a verifier against a split view,
    so one with more cosignatures wins over a newer one with fewer.
    """
    candidates = list(Checkpoint.objects.filter(tree_size__gt=index).order_by("-tree_size")[:50])
    if not candidates:
        raise NO_CHECKPOINT("index")
    return max(candidates, key=lambda cp: (cp.cosignatures.count(), cp.tree_size))


def bundle_for(
    *, leaf_hash: bytes | None = None, index: int | None = None, disclose: bool = False
) -> dict[str, Any]:
    """A proof bundle (see bundle.py) for one entry, found by leaf hash or index.

    ``disclose`` adds the salts and values of the entry's personal fields: only for a bundle
    handed to the person concerned, never for a public page.
    """
    if index is None:
        if leaf_hash is None:
            raise UNKNOWN_LEAF_HASH("leaf_hash")
        index = storage.index_of(leaf_hash)
    entry = storage.get_entry(index)
    cp = checkpoint_for(index)
    proof = storage.inclusion_proof_by_index(index, cp.tree_size)
    disclosures = json.loads(entry.disclosures) if disclose and entry.disclosures else None
    return bundles.make_bundle(index, bytes(entry.data), proof, cosigned_text(cp), disclosures)


# Every column of an audit entry: who (the user, their label — for a token its prefix —, role,
# address and user agent), what, on what, when. Before issue #13 the label, the object's label,
# the address and the user agent were left out, so they could be edited unseen; digests of the
# days before then are re-checked with DIGEST_FIELDS_BEFORE_13.
DIGEST_FIELDS_BEFORE_13 = (
    "id",
    "at",
    "actor_id",
    "role",
    "action",
    "object_type",
    "object_id",
    "enterprise_id",
    "changes",
    "request_id",
)
DIGEST_FIELDS = (
    *DIGEST_FIELDS_BEFORE_13,
    "actor_label",
    "object_label",
    "ip",
    "user_agent",
)


def audit_digest(day: date, fields: tuple[str, ...] = DIGEST_FIELDS) -> dict[str, Any]:
    """The fields of the ``audit.daily_digest`` entry for ``day`` (Asia/Shanghai calendar day).

    The digest is SHA-256 over one canonical JSON line per audit entry of the day, in id order,
    so the bureau can later show that its audit log for that day was not edited: re-run this on
    the stored rows and compare with the ledger entry. Personal data never leaves the audit
    table: only the digest and counts go to the public ledger.
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=zone)
    rows = AuditEntry.objects.filter(at__gte=start, at__lt=start + timedelta(days=1)).order_by("id")
    digest = hashlib.sha256()
    count, first_id, last_id = 0, 0, 0
    for row in rows.values(*fields).iterator(chunk_size=2000):
        row["at"] = row["at"].isoformat()
        digest.update(entries.canonical_json(row) + b"\n")
        count += 1
        first_id = first_id or row["id"]
        last_id = row["id"]
    return {
        "day": day,
        "entry_count": count,
        "first_id": first_id,
        "last_id": last_id,
        "digest_sha256": digest.hexdigest(),
    }


def record_audit_digest(day: date) -> storage.StoredEntry:
    """Append the daily digest of the audit log (run once a day, for the day before)."""
    return record("audit.daily_digest", audit_digest(day))
