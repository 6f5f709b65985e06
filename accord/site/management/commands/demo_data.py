"""``accord demo-data``: load the demo data of every app (small: seconds; district: 300,000
enterprises and 2.2 million workers) and print the demo accounts."""

from django.core.management.base import BaseCommand, CommandError

from accord.identity import demo
from accord.site import demo as site_demo


class Command(BaseCommand):
    help = (
        "Load demo data into an empty database (--scale small|district) and print the demo "
        "accounts; --accounts only prints them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(demo.SCALES), default="small")
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help="the same seed gives the same data (default %(default)s)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the database already holds an enterprise",
        )
        parser.add_argument("--accounts", action="store_true", help="only print the demo accounts")
        parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
        parser.add_argument("--enterprises", type=int, help="override the scale's enterprise count")
        parser.add_argument(
            "--workers", type=int, help="override the scale's worker (person) count"
        )
        parser.add_argument(
            "--processes",
            type=int,
            help="worker processes formatting rows for COPY (default: CPU count)",
        )

    def handle(
        self,
        *args,
        scale,
        seed,
        if_empty,
        accounts,
        quiet,
        enterprises,
        workers,
        processes,
        **options,
    ):
        if accounts:
            self.stdout.write(demo.format_accounts(demo.account_rows()))
            return
        if not demo.database_is_empty():
            if if_empty:
                if not quiet:
                    self.stdout.write("The database already holds data; demo data not loaded.")
                    self.stdout.write(demo.format_accounts(demo.account_rows()))
                return
            raise CommandError(
                "The database already holds enterprises; demo data loads into an "
                "empty database (use --if-empty to skip quietly)."
            )
        say = (lambda message: None) if quiet else (lambda message: self.stdout.write(message))
        try:
            result = site_demo.load(
                scale,
                seed=seed,
                enterprises=enterprises,
                people=workers,
                processes=processes,
                progress=say,
            )
        except demo.DemoDataError as e:
            raise CommandError(str(e)) from None
        if quiet:
            return
        counts = ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ({scale}, seed {seed}) loaded by {result.method} in {result.seconds:.1f} s: {counts}."
            )
        )
        self.stdout.write(demo.format_accounts(demo.account_rows()))
