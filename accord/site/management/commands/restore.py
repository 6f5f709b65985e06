"""``accord restore PATH``: load a backup into an empty database and empty storage, then prove
the result — every row count as backed up, the evidence ledger re-verified from its leaves,
and every stored document decrypted and, where it is addressed by its hash, matching it.

The restore drill of issue #13 (tests/test_backup_restore.py) runs exactly this.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from accord.core import backup
from accord.ledger.verification import verify_log

# Signed documents are stored under the SHA-256 of their contents (signing.providers).
_ADDRESSED = re.compile(r"^signing/documents/[0-9a-f]{2}/([0-9a-f]{64})\.pdf$")


class Command(BaseCommand):
    help = "Restore a backup into an empty database and storage, then verify it."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--check-only", action="store_true", help="check the backup file; restore nothing"
        )

    def handle(self, *args, path: Path, check_only: bool, **opts):
        try:
            manifest = backup.check(path) if check_only else backup.restore(path)
        except backup.BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from exc
        if check_only:
            self.stdout.write(f"backup {path} is whole: {len(manifest['files'])} files")
            return
        problems = [
            f"{table}: {count} rows restored, {manifest['rows'][table]} backed up"
            for table, count in backup.row_counts().items()
            if table in manifest["rows"] and count != manifest["rows"][table]
        ]
        for name in manifest["files"]:
            with default_storage.open(name) as f:
                data = f.read()
            addressed = _ADDRESSED.search(name)
            if addressed and hashlib.sha256(data).hexdigest() != addressed.group(1):
                problems.append(f"{name}: its contents do not match their hash")
        report = verify_log()
        if not report.ok:
            problems.append(f"the ledger does not verify: first bad index {report.first_bad_index}")
        if problems:
            raise CommandError("restored, but:\n  " + "\n  ".join(problems))
        self.stdout.write(
            f"OK: restored {sum(manifest['rows'].values())} rows and {len(manifest['files'])} "
            f"files; ledger verified ({report.tree_size} entries); every document matches its hash"
        )
