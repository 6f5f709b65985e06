"""``accord verify FILE.pdf [--json]``: offline verification; exit 0 only when all is well.

Exit codes: 0 every signature valid and the document unmodified; 1 at least one signature
invalid (or none at all); 2 the file cannot be read as a PDF.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from accord.core.errors import AccordError


class Command(BaseCommand):
    help = "Verify every signature of a signed PDF against the platform root, offline."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="Machine-readable report.")

    def handle(self, *args, **options):
        from accord.signing import verdict as verdicts
        from accord.signing.models import Signature
        from accord.signing.verify import verify_pdf

        path: Path = options["file"]
        try:
            report = verify_pdf(path.read_bytes())
        except OSError as exc:
            self._fail(options, "signing.file_unreadable", f"cannot read {path}: {exc.strerror}")
        except AccordError as exc:
            self._fail(options, exc.code, f"{exc.message_en} / {exc.message_zh}")
        record = Signature.objects.filter(output_sha256=report.sha256).first()
        ledger_index = record.ledger_index if record else None
        verdict = verdicts.build(report).as_dict()
        if options["json"]:
            body = report.as_dict()
            body["ledger_index"] = ledger_index
            body["verdict"] = verdict
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"{path}: sha256 {report.sha256}")
            self.stdout.write(f"  {verdict['headline_en']}")
            self.stdout.write(f"  {verdict['headline_zh']}")
            for mark in verdict["marks_en"]:
                self.stdout.write(
                    f"  - {mark['role_label']}: {mark['name']} ({mark['time'] or '-'})"
                )
            for party in verdict["awaiting_en"]:
                self.stdout.write(f"  - still to sign: {party}")
            for s in report.signatures:
                mark = "VALID" if s.valid else "INVALID"
                self.stdout.write(f"  [{mark}] {s.field_name} ({s.kind}, {s.level}) by {s.signer}")
                self.stdout.write(
                    f"      time {s.signed_at.isoformat() if s.signed_at else '-'}; "
                    f"chain to root: {'yes' if s.trusted else 'no'}; "
                    f"intact: {'yes' if s.intact else 'no'}; coverage: {s.coverage}; "
                    f"revoked: {'yes' if s.revoked else 'no'}"
                )
                for reason in s.reasons:
                    self.stdout.write(f"      reason: {reason}")
            for problem in report.problems:
                self.stdout.write(f"  problem: {problem}")
            if ledger_index is not None:
                self.stdout.write(f"  evidence ledger entry: {ledger_index}")
            self.stdout.write("RESULT: " + ("valid" if report.valid else "INVALID"))
        sys.exit(0 if report.valid else 1)

    def _fail(self, options, code: str, message: str):
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"valid": False, "error": {"code": code, "message": message}},
                    ensure_ascii=False,
                )
            )
        else:
            self.stderr.write(f"error: {code}: {message}")
        sys.exit(2)
