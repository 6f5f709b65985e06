"""The enterprise archive export (电子劳动合同归档导出): one ZIP of every completed envelope.

Per envelope a folder with the signed PDFs (their latest version) and the ledger proof bundle
of each signature (``accord.ledger.bundle``: verifiable offline, years later, without
Accord), plus ``manifest.json`` / ``manifest.csv`` (number, title, kind, worker name with the
masked ID only, dates, SHA-256 of every file, ledger index), ``ledger_keys.json`` and a
README saying how to verify offline.

An export is a task: its state (status, progress) lives in the cache under its id and its
ZIP in ``default_storage`` under a name derived from the id; no table is needed. The export
carries personal data, so starting and downloading it are audit-logged (PIPL; LCL Art. 50
keeps these documents at least two years after the relationship ends).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import tempfile
import uuid
import zipfile
from typing import Any

from django.core.cache import cache
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accord.core import audit
from accord.core.errors import NotFound
from accord.core.spreadsheets import safe_cell
from accord.envelopes.errors import ARCHIVE_NOT_READY
from accord.envelopes.models import Envelope, PartySignature
from accord.identity.models import Enterprise
from accord.ledger import services as ledger
from accord.ledger.checkpoints import log_verifier
from accord.ledger.models import Witness
from accord.signing import providers

log = logging.getLogger(__name__)

STATE_TTL = 7 * 24 * 3600
PROGRESS_EVERY = 20

README = """福易签 电子劳动合同归档 / Accord e-contract archive
====================================================

企业 / Enterprise: {enterprise}
导出时间 / Exported at: {at}
文件数 / Envelopes: {count}

目录结构 / Layout
-----------------
<文件编号>/<文件编号>-<序号>.pdf                 已签署的最终版本 / the final signed PDF
<文件编号>/<文件编号>-<序号>.sig<N>.bundle.json  每个签名的账本证明包 / ledger proof bundle of each signature
manifest.json, manifest.csv                      清单：编号、标题、类型、劳动者（证件号已脱敏）、日期、每个文件的 SHA-256、账本序号
ledger_keys.json                                 账本与见证人的公钥 / the ledger's and witnesses' public keys

如何离线核验 / How to verify offline
-----------------------------------
1. 文件完整性 / Integrity: 计算每个文件的 SHA-256 并与 manifest 中的值比对：
   sha256sum <文件编号>/*.pdf
2. 电子签名 / Signatures (《电子签名法》第十三条 / Electronic Signature Law Art. 13):
   在线：打开 {base}/verify 上传 PDF；
   离线：accord verify <文件>.pdf   （或任何支持 PAdES 的阅读器，信任平台根证书）
3. 账本证明 / Ledger proof (no network, no database, Python 3 + cryptography):
   python -m accord.ledger.bundle <文件>.bundle.json --log-key "<ledger_keys.json 中的 log>" \\
       [--witness-key "<见证人公钥>" ...]
   证明包中的条目记录了签署后文件的 SHA-256（document_sha256），须与对应签名后的文件一致；
   最后一个签名的条目即 manifest 中 sha256 所示的最终文件。
   The entry in each bundle holds the SHA-256 of the document as it was after that signature;
   the last signature's entry matches the final file listed in the manifest.

保存期限 / Retention: 《劳动合同法》第五十条：用人单位对已经解除或者终止的劳动合同的文本，至少保存二年备查。
LCL Art. 50: the employer keeps the text of ended contracts for at least two years.
"""

MANIFEST_COLUMNS = [
    "number",
    "title",
    "kind",
    "worker",
    "worker_id_masked",
    "sent_at",
    "completed_at",
    "retain_until",
    "file",
    "sha256",
    "size",
    "ledger_index",
]


def _key(export_id: str) -> str:
    return f"envelopes:archive-export:{export_id}"


def storage_name(enterprise_public_id: str, export_id: str) -> str:
    return f"archives/{enterprise_public_id}/{export_id}.zip"


def get_state(enterprise: Enterprise, export_id: str) -> dict[str, Any]:
    """The export's state; 404 when unknown or another enterprise's."""
    try:
        export_id = str(uuid.UUID(str(export_id)))
    except ValueError:
        raise NotFound() from None
    state = _load_state(export_id, str(enterprise.public_id))
    if state is None or state.get("enterprise") != enterprise.pk:
        raise NotFound()
    return state


def _state_name(enterprise_public_id: str, export_id: str) -> str:
    return f"archives/{enterprise_public_id}/{export_id}.json"


def _load_state(export_id: str, enterprise_public_id: str | None = None) -> dict[str, Any] | None:
    """The cache holds the live progress; the storage copy (written at the start and the end)
    survives a cache flush or eviction and wins once it says the export has finished."""
    try:
        state = cache.get(_key(export_id))
    except Exception:
        state = None
    if enterprise_public_id and (state is None or state.get("status") in ("queued", "running")):
        name = _state_name(enterprise_public_id, export_id)
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as f:
                stored = json.loads(f.read())
            if state is None or stored.get("status") in ("done", "failed"):
                state = stored
    return state


def _save_state(state: dict[str, Any], durable: bool = False) -> None:
    try:
        cache.set(_key(state["id"]), state, STATE_TTL)
    except Exception:  # progress only: the durable copy below is what the outcome relies on
        log.warning("could not cache the progress of archive export %s", state["id"])
    if durable:
        name = _state_name(state["enterprise_id"], state["id"])
        if default_storage.exists(name):
            default_storage.delete(name)
        default_storage.save(name, ContentFile(json.dumps(state).encode()))


def start_export(enterprise: Enterprise, user) -> dict[str, Any]:
    """Queue an export of every completed envelope of ``enterprise``; audit-logged."""
    export_id = str(uuid.uuid4())
    total = Envelope.objects.filter(enterprise=enterprise, status=Envelope.Status.COMPLETED).count()
    state = {
        "id": export_id,
        "enterprise": enterprise.pk,
        "enterprise_id": str(enterprise.public_id),
        "requested_by": getattr(user, "pk", None),
        "requested_by_label": user.get_username() if hasattr(user, "get_username") else "",
        "status": "queued",
        "done": 0,
        "total": total,
        "file": storage_name(str(enterprise.public_id), export_id),
        "size": 0,
        "sha256": "",
        "error": "",
        "created_at": timezone.now().isoformat(),
        "finished_at": None,
    }
    _save_state(state, durable=True)
    # The archive holds names and signed contracts: who exported it is on record.
    audit.record(
        "envelopes.archive.export",
        enterprise,
        enterprise_id=enterprise.pk,
        changes={"export": [None, export_id], "envelopes": [None, total]},
    )
    transaction.on_commit(lambda: _enqueue(export_id, str(enterprise.public_id)))
    return state


def _enqueue(export_id: str, enterprise_public_id: str) -> None:
    try:
        build_archive.enqueue(export_id, enterprise_public_id)
    except Exception:  # the state says queued; a retry from the page starts a new export
        log.exception("could not enqueue archive export %s", export_id)


@task()
def build_archive(export_id: str, enterprise_public_id: str | None = None) -> dict[str, Any]:
    return build(export_id, enterprise_public_id)


def _iso(value) -> str:
    return value.isoformat() if value else ""


def build(export_id: str, enterprise_public_id: str | None = None) -> dict[str, Any]:
    """Write the ZIP of an export (the task's body); updates the progress in the cache."""
    state = _load_state(export_id, enterprise_public_id)
    if state is None:
        return {"status": "unknown"}
    enterprise = Enterprise.objects.get(pk=state["enterprise"])
    state.update(status="running", done=0)
    _save_state(state)
    try:
        with tempfile.TemporaryFile() as tmp:
            digest = _write_zip(tmp, enterprise, state)
            tmp.seek(0)
            if default_storage.exists(state["file"]):
                default_storage.delete(state["file"])
            default_storage.save(state["file"], File(tmp, name=state["file"]))
            size = default_storage.size(state["file"])
    except Exception as exc:
        log.exception("archive export %s failed", export_id)
        state.update(
            status="failed", error=type(exc).__name__, finished_at=timezone.now().isoformat()
        )
        _save_state(state, durable=True)
        return state
    state.update(status="done", size=size, sha256=digest, finished_at=timezone.now().isoformat())
    _save_state(state, durable=True)
    return state


def _write_zip(tmp, enterprise: Enterprise, state: dict[str, Any]) -> str:
    envelopes = (
        Envelope.objects.filter(enterprise=enterprise, status=Envelope.Status.COMPLETED)
        .select_related("person")
        .prefetch_related("documents")
        .order_by("completed_at", "id")
    )
    state["total"] = envelopes.count()
    manifest: list[dict[str, Any]] = []
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, envelope in enumerate(envelopes.iterator(chunk_size=200), start=1):
            signatures = list(
                PartySignature.objects.filter(party__envelope=envelope)
                .select_related("signature", "document")
                .order_by("signature__signed_at", "id")
            )
            for doc in envelope.documents.all():
                pdf = providers.load_document(doc.current_sha256)
                name = f"{envelope.number}/{doc.number}.pdf"
                zf.writestr(name, pdf)
                sigs = [s.signature for s in signatures if s.document_id == doc.pk]
                bundle_files = []
                for i, sig in enumerate(sigs, start=1):
                    if sig.ledger_index is None:
                        continue
                    bundle = ledger.bundle_for(index=sig.ledger_index)
                    data = json.dumps(bundle, ensure_ascii=False, indent=2).encode()
                    bundle_name = f"{envelope.number}/{doc.number}.sig{i}.bundle.json"
                    zf.writestr(bundle_name, data)
                    bundle_files.append(
                        {
                            "file": bundle_name,
                            "sha256": hashlib.sha256(data).hexdigest(),
                            "ledger_index": sig.ledger_index,
                            "document_sha256_after": sig.output_sha256,
                        }
                    )
                manifest.append(
                    {
                        "number": doc.number,
                        "envelope": envelope.number,
                        "title": envelope.title,
                        "kind": envelope.kind,
                        "worker": envelope.person.name,
                        "worker_id_masked": envelope.person.id_number_masked,
                        "sent_at": _iso(envelope.sent_at),
                        "completed_at": _iso(envelope.completed_at),
                        "retain_until": _iso(envelope.retain_until),
                        "file": name,
                        "sha256": doc.current_sha256,
                        "original_sha256": doc.original_sha256,
                        "size": len(pdf),
                        "pages": doc.pages,
                        "ledger_index": [b["ledger_index"] for b in bundle_files],
                        "bundles": bundle_files,
                    }
                )
            if n % PROGRESS_EVERY == 0:
                state["done"] = n
                _save_state(state)
        state["done"] = state["total"]
        now = timezone.localtime()
        zf.writestr(
            "manifest.json",
            json.dumps(
                {
                    "format": "accord-archive/v1",
                    "enterprise": enterprise.name,
                    "enterprise_uscc": enterprise.uscc,
                    "exported_at": now.isoformat(),
                    "documents": manifest,
                },
                ensure_ascii=False,
                indent=2,
            ),
        )
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(MANIFEST_COLUMNS)
        for row in manifest:
            writer.writerow(
                safe_cell(value)
                for value in [
                    row["number"],
                    row["title"],
                    row["kind"],
                    row["worker"],
                    row["worker_id_masked"],
                    row["sent_at"],
                    row["completed_at"],
                    row["retain_until"],
                    row["file"],
                    row["sha256"],
                    row["size"],
                    " ".join(str(i) for i in row["ledger_index"]),
                ]
            )
        # A BOM so that spreadsheet programs open the Chinese text as UTF-8.
        zf.writestr("manifest.csv", "\ufeff" + out.getvalue())
        keys = {
            "log": log_verifier().vkey,
            "witnesses": [
                {"name": w.name, "vkey": w.vkey}
                for w in Witness.objects.filter(active=True).order_by("name")
            ],
        }
        zf.writestr("ledger_keys.json", json.dumps(keys, ensure_ascii=False, indent=2))
        from django.conf import settings

        base = getattr(settings, "ACCORD_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        zf.writestr(
            "README.txt",
            README.format(
                enterprise=enterprise.name,
                at=now.strftime("%Y-%m-%d %H:%M %z"),
                count=len(manifest),
                base=base,
            ),
        )
    tmp.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: tmp.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def purge_old_exports(older_than_days: int = 7, now=None, enterprise=None) -> int:
    """Delete export ZIPs (and their state) older than ``older_than_days``: an archive holds
    personal data and is meant to be downloaded, not kept on the platform. Run it daily."""
    import datetime as dt

    cutoff = (now or timezone.now()) - dt.timedelta(days=older_than_days)
    removed = 0
    if not default_storage.exists("archives"):
        return 0
    enterprise_dirs, _ = default_storage.listdir("archives")
    if enterprise is not None:
        enterprise_dirs = [d for d in enterprise_dirs if d == str(enterprise.public_id)]
    for enterprise_dir in enterprise_dirs:
        _, files = default_storage.listdir(f"archives/{enterprise_dir}")
        for name in files:
            if not name.endswith(".json"):
                continue
            path = f"archives/{enterprise_dir}/{name}"
            with default_storage.open(path, "rb") as f:
                state = json.loads(f.read())
            created = dt.datetime.fromisoformat(state["created_at"])
            if created >= cutoff or state.get("status") in ("queued", "running"):
                continue
            if default_storage.exists(state["file"]):
                default_storage.delete(state["file"])
            default_storage.delete(path)
            try:
                cache.delete(_key(state["id"]))
            except Exception:
                log.warning("could not drop the cached state of export %s", state["id"])
            removed += 1
    return removed


def open_archive(enterprise: Enterprise, export_id: str):
    """The finished ZIP (a file object) of an export; audit-logged. 404 unless done."""
    state = get_state(enterprise, export_id)
    if state["status"] != "done" or not default_storage.exists(state["file"]):
        raise ARCHIVE_NOT_READY()
    audit.record(
        "envelopes.archive.download",
        enterprise,
        enterprise_id=enterprise.pk,
        changes={"export": [None, state["id"]], "sha256": [None, state["sha256"]]},
    )
    return state, default_storage.open(state["file"], "rb")
