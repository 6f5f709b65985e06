"""A writer process for the sequencer tests: ``python -m tests.ledger.seq_client ID COUNT``.

Appends COUNT entries one at a time through ``services.record`` (the sequencer process, over
its socket) and prints ``ack <index> <leaf hash hex>`` for each entry the sequencer confirmed
as durable. When the sequencer is down (killed by the test) it retries the same entry until it
is back, as a web process would. ``dump`` prints every stored leaf hash instead.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.ledger.ledger_settings")


def main() -> None:
    import django

    django.setup()
    from accord.core.errors import AccordError
    from accord.ledger import merkle, services, storage

    if sys.argv[1] == "dump":
        for data in storage.read_entries(0, storage.tree_size()):
            print(merkle.leaf_hash(data).hex())
        return
    me, count = int(sys.argv[1]), int(sys.argv[2])
    print("ready", flush=True)
    for i in range(count):
        fields = {"n": me * 1_000_000 + i, "note": "grouped"}
        while True:
            try:
                entry = services.record("test.demo", fields, wait_checkpoint=i % 7 == 0)
                break
            except AccordError:
                time.sleep(0.01)  # the sequencer is down: try again, as a caller would
        print(f"ack {entry.index} {entry.leaf_hash.hex()}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main()
