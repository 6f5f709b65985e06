"""``accord mediation_calendar list [YEAR] | holiday DAY... | workday DAY...`` — the State
Council's holiday schedule as data: enter next year's holidays and swapped working days when
they are published (each November), before the shipped calendar package has them."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from accord.mediation import services
from accord.mediation.models import CalendarDay


class Command(BaseCommand):
    help = "List or add days of the State Council holiday schedule used by the mediation clock."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "holiday", "workday"])
        parser.add_argument("days", nargs="*", help="YYYY-MM-DD (or a year for list)")
        parser.add_argument("--name", default="", help="e.g. 春节")
        parser.add_argument("--source", default="", help="e.g. 国办发明电〔2026〕X号")

    def handle(self, action, days, name, source, **options):
        if action == "list":
            qs = CalendarDay.objects.all()
            if days:
                qs = qs.filter(day__year=int(days[0]))
            for row in qs:
                kind = "workday" if row.is_workday else "holiday"
                self.stdout.write(f"{row.day} {kind} {row.name} {row.source}".rstrip())
            return
        if not days:
            raise CommandError("give at least one day, YYYY-MM-DD")
        for text in days:
            try:
                day = dt.date.fromisoformat(text)
            except ValueError as exc:
                raise CommandError(f"not a date: {text}") from exc
            services.set_calendar_day(day, is_workday=action == "workday", name=name, source=source)
            self.stdout.write(f"{day} {action}")
