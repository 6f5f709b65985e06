"""The evidence ledger (存证): an append-only Merkle log with signed, witnessed checkpoints.

``merkle``, ``tiles``, ``note`` and ``bundle`` are pure (no Django) so that an auditor can
verify evidence with them alone; ``storage``, ``checkpoints`` and ``views`` wrap them.
See docs/ledger.md.
"""
