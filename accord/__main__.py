"""The ``accord`` command: Django's manage.py plus Accord's own commands."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "accord"
    # Accord's commands read better with dashes (`accord demo-data`); Django's names use underscores.
    if len(argv) > 1 and "-" in argv[1] and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
