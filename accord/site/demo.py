"""The demo-data loader: each app loads its own part, lowest layer first (identity's people and
enterprises, then envelopes' seals and documents for the demo enterprise)."""

from __future__ import annotations

from collections.abc import Callable

from accord.envelopes import demo as envelopes_demo
from accord.identity import demo as identity_demo
from accord.identity.demo import DemoDataError, LoadResult
from accord.mediation import demo as mediation_demo

__all__ = ["DemoDataError", "load"]


def load(
    scale: str,
    *,
    seed: int,
    enterprises: int | None = None,
    people: int | None = None,
    processes: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> LoadResult:
    """Load every app's demo data into an empty database; the counts of all parts."""
    result = identity_demo.load(
        scale,
        seed=seed,
        enterprises=enterprises,
        people=people,
        processes=processes,
        progress=progress,
    )
    result.counts["envelopes"] = envelopes_demo.load_demo()
    result.counts["mediation_cases"] = mediation_demo.load(scale, seed=seed)
    return result
