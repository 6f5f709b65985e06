"""Settings for the processes the ledger tests start (sequencer, witnesses) and for ``--ds``.

The project settings, with the ledger guaranteed installed and a test database file of its own
on SQLite, so that a ledger run beside another engineer's run of the suite cannot clash.
"""

from accord.settings import *  # noqa: F403
from accord.settings import DATABASES, INSTALLED_APPS, VAR_DIR

if "accord.ledger" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "accord.ledger"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-ledger.sqlite3")}
