"""Project settings with the ledger installed, for as long as accord.settings lacks it."""

from accord.settings import *  # noqa: F403
from accord.settings import INSTALLED_APPS

if "accord.ledger" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "accord.ledger"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # Our own test database file, so that a run beside another engineer's run cannot clash.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-ledger.sqlite3")}  # noqa: F405
