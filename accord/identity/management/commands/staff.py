"""``accord staff create USERNAME --role R [scope]``: staff accounts from the command line;
``accord staff unlock USERNAME``: lift a lock-out from everywhere (docs/operations.md)."""

from django.core.management.base import BaseCommand, CommandError

from accord.core.errors import AccordError
from accord.identity import accounts, auth


class Command(BaseCommand):
    help = "Create staff accounts (the first administrator, officers, HR users)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=accounts.STAFF_ROLES)
        create.add_argument("--name", default="")
        create.add_argument("--enterprise", default="", help="USCC, for role hr")
        create.add_argument("--street", default="", help="street code, for role street_officer")
        create.add_argument(
            "--organisation", default="", help="organisation name, for role mediator"
        )
        unlock = sub.add_parser(
            "unlock", help="lift the lock-out of an account locked from everywhere"
        )
        unlock.add_argument("username")

    def handle(self, *args, action, **opts):
        if action == "unlock":
            was = auth.unlock_account(opts["username"])
            self.stdout.write(f"{opts['username']}: {'unlocked' if was else 'was not locked'}")
            return
        try:
            user, password = accounts.create_staff(
                username=opts["username"],
                role=opts["role"],
                full_name=opts["name"],
                enterprise=opts["enterprise"],
                street=opts["street"],
                organisation=opts["organisation"],
            )
        except AccordError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from None
        self.stdout.write(self.style.SUCCESS(f"created {user.username} ({opts['role']})"))
        self.stdout.write(f"initial password (shown once): {password}")
        if user.needs_totp:
            self.stdout.write("the first login enrols an authenticator app (TOTP)")
