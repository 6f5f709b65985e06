"""Small builders shared by the ledger tests."""

from __future__ import annotations

from accord.ledger import entries


def demo_items(count: int, start: int = 0) -> list[entries.PreparedEntry]:
    return [entries.prepare("test.demo", {"n": start + i, "note": "demo"}) for i in range(count)]
