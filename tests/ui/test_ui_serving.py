"""The impact headline names a few live deployments and counts many by environment."""

from __future__ import annotations

from typing import Any

from ui.components.serving import INLINE_LIVE, serving_text


def deployment(model: int, environment: str) -> dict[str, Any]:
    return {
        "namespace": "models",
        "name": f"m{model}",
        "version": f"v{model}",
        "environment": environment,
        "valid_from": "2026-01-01T00:00:00.000000Z",
    }


def test_one_live_deployment_is_named() -> None:
    text = serving_text([deployment(1, "production")])
    assert text.startswith("1 live deployment depends on this dataset: **production** serves")
    assert "m1" in text and "v1" in text


def test_a_few_are_named_each() -> None:
    live = [deployment(i, "staging") for i in range(INLINE_LIVE)]
    text = serving_text(live)
    assert text.startswith(f"{INLINE_LIVE} live ones depend")
    assert all(f"m{i}" in text for i in range(INLINE_LIVE))


def test_many_are_counted_by_environment_and_model() -> None:
    live = [deployment(i % 4, "production") for i in range(5)]
    live += [deployment(i, "staging") for i in range(3)]
    text = serving_text(live)
    assert text == (
        "8 live deployments of 4 models depend on this dataset: 5 in **production**, "
        "3 in **staging**. The table below lists them."
    )
    assert "m0" not in text  # not named one by one
