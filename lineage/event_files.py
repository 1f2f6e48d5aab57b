"""Read OpenLineage events from a file: a JSON array, one JSON object, or JSON Lines."""

from __future__ import annotations

import json
from typing import Any

from lineage.errors import AuditError


class EventFileError(AuditError):
    """The file is not JSON, JSON Lines or a JSON array of events."""


def parse_event_text(text: str, source: str = "input") -> list[Any]:
    """Events in the order they appear; errors name the line."""
    stripped = text.lstrip()
    if not stripped:
        raise EventFileError(f"{source}: no events (the input is empty)")
    if stripped[0] == "[":
        return _parse_array(text, source)
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        return _parse_lines(text, source)


def _parse_array(text: str, source: str) -> list[Any]:
    try:
        events = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventFileError(
            f"{source}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    return list(events)


def _parse_lines(text: str, source: str) -> list[Any]:
    events: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise EventFileError(
                f"{source}: line {number} is not a JSON object: {exc.msg} (column {exc.colno})"
            ) from exc
    return events
