"""The impact headline: which live deployments depend on a dataset, in one sentence."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ui.components.format import label, version, when

INLINE_LIVE = 3  # live deployments named in the headline; more are counted by environment


def serving_text(live: list[dict[str, Any]]) -> str:
    """The headline for the live deployments: each named when few, else counted by environment
    (the largest sources feed dozens; the table below lists them all)."""
    if len(live) <= INLINE_LIVE:
        serving = "; ".join(
            f"**{d['environment']}** serves {label(d['namespace'], d['name'])} @ "
            f"`{version(d['version'])}` (since {when(d['valid_from'])})"
            for d in live
        )
        count = "1 live deployment depends" if len(live) == 1 else f"{len(live)} live ones depend"
        return f"{count} on this dataset: {serving}."
    environments = Counter(d["environment"] for d in live)
    spread = ", ".join(f"{n} in **{env}**" for env, n in sorted(environments.items()))
    models = len({(d["namespace"], d["name"]) for d in live})
    return (
        f"{len(live)} live deployments of {models} models depend on this dataset: {spread}. "
        "The table below lists them."
    )
