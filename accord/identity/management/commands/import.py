"""``accord import registry FILE.csv``: importers of trusted reference data."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accord.core.errors import AccordError
from accord.identity import services


class Command(BaseCommand):
    help = "Import reference data. Kinds: registry (trusted resident registry CSV: name,id_type,id_number)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["registry"])
        parser.add_argument("file")
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="import the good rows even if some rows are bad",
        )

    def handle(self, *args, kind, file, skip_bad_rows, **opts):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            result = services.import_registry(
                path.read_bytes(), source=path.name, skip_bad_rows=skip_bad_rows
            )
        except AccordError as exc:
            for p in exc.problems or []:
                self.stderr.write(
                    f"line {p.row}, column {p.column}: {p.code}: {p.message_zh} / {p.message_en}"
                )
            raise CommandError(
                f"{exc.code}: {exc.message_zh} / {exc.message_en} (nothing imported)"
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"imported {result['imported']}, updated {result['updated']}, skipped {result['skipped']}"
            )
        )
