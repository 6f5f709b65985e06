"""``accord witness``: run an independent ledger witness (see accord/ledger/witness.py).

The witness needs neither the database nor the log's keys: only its own key file, its state
file and the log's public key. It is a Django command only so that ``accord`` is the one
entry point; ``python -m accord.ledger.witness`` runs the same code without Django.
"""

from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand

from accord.ledger import witness


class Command(BaseCommand):
    help = "Run a ledger witness on its own port: cosigns only consistent checkpoints."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        witness.add_arguments(parser)

    def handle(self, *args, **opts):
        keys = ("host", "port", "key_file", "state", "log_key", "name", "alg", "print_vkey")
        witness.run(argparse.Namespace(**{k: opts[k] for k in keys}), out=self.stdout)
