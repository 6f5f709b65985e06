"""Small builders shared by the ledger tests."""

from __future__ import annotations

from accord.ledger import entries


def demo_items(count: int, start: int = 0) -> list[entries.PreparedEntry]:
    return [entries.prepare("test.demo", {"n": start + i, "note": "demo"}) for i in range(count)]


def all_leaf_hashes() -> list[bytes]:
    """The leaf hash of every stored entry, recomputed from the entry bundles."""
    from accord.ledger import merkle, storage

    return [merkle.leaf_hash(d) for d in storage.read_entries(0, storage.tree_size())]


def entry_kinds() -> list[str]:
    from accord.ledger import storage

    return [
        storage.StoredEntry(i, d).kind
        for i, d in enumerate(storage.read_entries(0, storage.tree_size()))
    ]
