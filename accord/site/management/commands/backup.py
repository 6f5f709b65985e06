"""``accord backup PATH``: the database, the stored documents (as stored: encrypted) and the
manifest in one tar file (see accord.core.backup). The keys are not in it: keep them apart."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from accord.core import audit, backup


class Command(BaseCommand):
    help = "Back up the database and the stored documents into one file."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **opts):
        manifest = backup.create(path)
        audit.record(
            "site.backup",
            object_type="backup",
            object_id=path.name[:64],
            label=str(path)[:200],
            changes={"files": [None, len(manifest["files"])]},
        )
        rows = sum(manifest["rows"].values())
        self.stdout.write(
            f"backup written to {path}: {manifest['database']} database, {rows} rows, "
            f"{len(manifest['files'])} files"
        )
