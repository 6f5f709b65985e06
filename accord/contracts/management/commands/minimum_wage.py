"""``accord minimum-wage list|add``: keep the local minimum wage current (data, with its source)."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accord.contracts.models import MinimumWage
from accord.core import audit


class Command(BaseCommand):
    help = "List or add the minimum wage standards used by the contract checks."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list")
        add = sub.add_parser("add")
        add.add_argument("--region", default="shenzhen")
        add.add_argument("--from", dest="effective_from", required=True, help="YYYY-MM-DD")
        add.add_argument("--monthly", required=True, help="yuan per month, e.g. 2520")
        add.add_argument("--hourly", required=True, help="part-time yuan per hour, e.g. 23.7")
        add.add_argument("--source", required=True, help="the published document")
        choices = list(MinimumWage.Confidence.values)
        add.add_argument("--monthly-confidence", choices=choices, default="confirmed")
        add.add_argument("--hourly-confidence", choices=choices, default="confirmed")
        add.add_argument("--note", default="", help="how the figures were checked")

    def handle(self, *args, action, **opts):
        if action == "list":
            for row in MinimumWage.objects.all():
                self.stdout.write(
                    f"{row.region}\t{row.effective_from}\t{row.monthly_fen / 100:.2f}\t"
                    f"{row.hourly_fen / 100:.2f}\t{row.monthly_confidence}/"
                    f"{row.hourly_confidence}\t{row.source}"
                )
            return
        try:
            start = dt.date.fromisoformat(opts["effective_from"])
            monthly = int(Decimal(opts["monthly"]) * 100)
            hourly = int(Decimal(opts["hourly"]) * 100)
        except (ValueError, InvalidOperation) as exc:
            raise CommandError(f"bad value: {exc}") from None
        if monthly <= 0 or hourly <= 0 or not opts["source"].strip():
            raise CommandError("monthly and hourly must be positive and the source given")
        with transaction.atomic():
            row, created = MinimumWage.objects.update_or_create(
                region=opts["region"],
                effective_from=start,
                defaults={
                    "monthly_fen": monthly,
                    "hourly_fen": hourly,
                    "source": opts["source"].strip(),
                    "monthly_confidence": opts["monthly_confidence"],
                    "hourly_confidence": opts["hourly_confidence"],
                    "note": opts["note"].strip(),
                },
            )
            audit.record(
                "contracts.minimum_wage.set",
                row,
                changes={"monthly_fen": [None, monthly], "hourly_fen": [None, hourly]},
            )
        self.stdout.write(self.style.SUCCESS(f"{'added' if created else 'updated'}: {row}"))
