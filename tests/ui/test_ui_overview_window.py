"""The Overview's activity windows end now: events stamped later (a producer's clock ahead of
ours) are counted under "All time" only, and the chart's axis never runs past the present."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pyarrow as pa
from streamlit.testing.v1 import AppTest

from lineage.store import AuditStore


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _chart_rows(at: AppTest) -> list[dict]:
    (chart,) = at.get("vega_lite_chart")
    rows: list[dict] = []
    for dataset in chart.proto.datasets:
        rows += pa.ipc.open_stream(io.BytesIO(dataset.data.data)).read_all().to_pylist()
    return rows


def test_a_window_ends_now(app, ui_store: AuditStore, kit) -> None:  # type: ignore[no-untyped-def]
    ahead = datetime.now(UTC) + timedelta(days=3)
    ui_store.ingest([kit.event("ahead", "job", time=_stamp(ahead), inputs=[kit.dataset("raw")])])
    at = app("ada")
    assert not at.exception, at.exception
    everything = {row["bucket"][:10] for row in _chart_rows(at)}
    assert ahead.strftime("%Y-%m-%d") in everything
    (window,) = at.get("button_group")
    at = window.set_value("Last 7 days").run()
    assert not at.exception, at.exception
    last_week = {row["bucket"][:10] for row in _chart_rows(at)}
    assert last_week, "the app's own views of the Overview are in the window"
    assert max(last_week) <= datetime.now(UTC).strftime("%Y-%m-%d")
