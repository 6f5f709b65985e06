"""``accord sign IN.pdf OUT.pdf --seal bureau``: seal any PDF with the bureau's seal certificate."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accord.core.errors import AccordError
from accord.signing.pdf import LEVELS


class Command(BaseCommand):
    help = "Seal a PDF with the bureau's seal certificate (PAdES, timestamped by the platform TSA)."

    def add_arguments(self, parser):
        parser.add_argument("input", type=Path)
        parser.add_argument("output", type=Path)
        parser.add_argument(
            "--seal",
            choices=["bureau"],
            required=True,
            help="Which seal: only the bureau's (enterprise seals need an HR user's "
            "second factor and are used through the web and API).",
        )
        parser.add_argument("--level", choices=LEVELS, default="B-T")
        parser.add_argument(
            "--certify",
            action="store_true",
            help="A certification signature: only form filling and signing allowed afterwards.",
        )
        parser.add_argument("--invisible", action="store_true", help="No visible seal image.")
        parser.add_argument("--reason", default="")

    def handle(self, *args, **options):
        from accord.signing.services import seal_with_bureau

        source: Path = options["input"]
        target: Path = options["output"]
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc.strerror}") from exc
        try:
            signed = seal_with_bureau(
                data,
                level=options["level"],
                certify=options["certify"],
                visible=not options["invisible"],
                reason=options["reason"],
            )
        except AccordError as exc:
            raise CommandError(f"{exc.code}: {exc.message_en} / {exc.message_zh}") from exc
        target.write_bytes(signed.pdf)
        sig = signed.signature
        self.stdout.write(
            f"signed {target} ({options['level']}) with certificate {sig.certificate.serial}; "
            f"sha256 {sig.output_sha256}"
            + (f"; ledger entry {sig.ledger_index}" if sig.ledger_index is not None else "")
        )
