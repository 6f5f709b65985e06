"""Project settings with the signing app installed, for as long as accord.settings lacks it."""

from accord.settings import *  # noqa: F403
from accord.settings import INSTALLED_APPS

if "accord.signing" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "accord.signing"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # Our own test database file, so that a run beside another engineer's run cannot clash.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-signing.sqlite3")}  # noqa: F405
