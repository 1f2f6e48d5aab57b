"""Charts (Altair, which Streamlit ships): activity by category, metrics across versions."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from lineage.categories import CATEGORIES

# One fixed color per category, so the same category looks the same on every chart.
CATEGORY_COLORS = ["#4c6ef5", "#12b886", "#fab005", "#fa5252", "#be4bdb", "#adb5bd"]
BUCKET_FORMAT = {
    "second": "%H:%M:%S",
    "minute": "%m-%d %H:%M",
    "hour": "%m-%d %H:00",
    "day": "%Y-%m-%d",
    "month": "%Y-%m",
}


def category_chart(counts: dict[str, Any]) -> None:
    """Stacked bars: entries per category per time bucket."""
    frame = pd.DataFrame(counts["rows"])
    stamp = pd.to_datetime(frame["bucket"], utc=True)
    frame["when"] = stamp.dt.strftime(BUCKET_FORMAT[counts["bucket"]])
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "when:O",
                title=f"per {counts['bucket']} (UTC)",
                axis=alt.Axis(labelAngle=0, labelOverlap="greedy"),
            ),
            y=alt.Y("sum(entries):Q", title="entries"),
            color=alt.Color(
                "category:N",
                scale=alt.Scale(domain=list(CATEGORIES), range=CATEGORY_COLORS),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=["when", "category", "entries"],
        )
        .properties(height=280)
    )
    st.altair_chart(chart, width="stretch")


def time_format(times: pd.Series) -> str:
    """An axis format fit for the span: seconds for a demo, dates for a year of history."""
    span = (times.max() - times.min()).total_seconds() if len(times) else 0
    if span < 600:
        return "%H:%M:%S"
    if span < 2 * 86400:
        return "%d %H:%M"
    return "%Y-%m-%d"


def metrics_chart(points: list[dict[str, Any]]) -> None:
    """One line per metric over evaluation time; points carry the version in their tooltip."""
    frame = pd.DataFrame(points)
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame["short_version"] = frame["version"].fillna("-").str.slice(0, 12)
    chart = (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=70))
        .encode(
            x=alt.X(
                "time:T",
                title="evaluated at (UTC)",
                axis=alt.Axis(format=time_format(frame["time"]), labelOverlap="greedy"),
            ),
            y=alt.Y("value:Q", title="value", scale=alt.Scale(zero=False)),
            color=alt.Color("metric:N", legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["time:T", "short_version:N", "metric:N", alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(height=300)
    )
    st.altair_chart(chart, width="stretch")


def deployment_chart(rows: list[dict[str, Any]]) -> None:
    """Which version served where when: one bar per interval, by environment.

    A live interval is drawn to a little past the last change rather than to now, so a history
    of seconds (the demo) or of years reads the same way; its label says it is live.
    """
    frame = pd.DataFrame(rows)
    frame["start"] = pd.to_datetime(frame["valid_from"], utc=True)
    ended = pd.to_datetime(frame["valid_to"], utc=True)
    last = max(frame["start"].max(), ended.max() if ended.notna().any() else frame["start"].max())
    margin = max((last - frame["start"].min()) * 0.25, pd.Timedelta(seconds=1))
    frame["end"] = ended.fillna(last + margin)
    frame["short_version"] = frame["version"].fillna("-").str.slice(0, 12)
    frame["label"] = frame["short_version"] + frame["valid_to"].isna().map(
        {True: " (live)", False: ""}
    )
    base = alt.Chart(frame).encode(
        x=alt.X("start:T", title="UTC", axis=alt.Axis(format=time_format(frame["start"]))),
        x2="end:T",
        y=alt.Y("environment:N", title=None),
    )
    bars = base.mark_bar(cornerRadius=3, height=26).encode(
        color=alt.Color("short_version:N", legend=None),  # each bar is labelled instead
        tooltip=["environment", "short_version", "action", "valid_from", "valid_to"],
    )
    text = base.mark_text(align="left", dx=4, color="white", fontWeight="bold").encode(
        text="label:N"
    )
    chart = (bars + text).properties(height=60 + 45 * frame["environment"].nunique())
    st.altair_chart(chart, width="stretch")
