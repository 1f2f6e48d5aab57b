"""`mlaudit ingest --url`: send a file's events to a running server, in batches, retrying safely.

Events are checked locally first, with the server's own validation and normalisation, so the
remote import keeps the local one's rule: any invalid event rejects the whole file and nothing
is sent. Batches go to `POST /api/v1/lineage/batch`; a 503, a gateway error or a dropped
connection is retried (bounded, honouring Retry-After), which is safe because the server
stores each event once however often it is sent. A 413 splits the batch in two.
"""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import httpx

from lineage.errors import AuditError, InvalidEventsError
from lineage.ingest_result import Rejected
from lineage.normalize import normalize_event
from lineage.validation import Violation, validate_event

BATCH_PATH = "/api/v1/lineage/batch"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
DEFAULT_ATTEMPTS = 8
MAX_WAIT_SECONDS = 30.0
GZIP_ABOVE = 16 * 1024  # bytes: smaller bodies are not worth compressing


class SendError(AuditError):
    """The server refused the request (credentials, size, ...) or stayed unreachable."""


def send_events(
    url: str,
    token: str | None,
    events: list[Any],
    batch_size: int = 500,
    *,
    timeout: float = 60.0,
    attempts: int = DEFAULT_ATTEMPTS,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """Send `events`; returns {"events": n, "stored": s, "duplicates": d}.

    Raises InvalidEventsError (nothing sent) when any event is invalid locally; SendError when
    the server refuses a request, cannot be reached within `attempts` tries per batch, or
    rejects events that passed locally (the server's own privacy rules, say: the message names
    them and how many others were stored).
    """
    rejected = check_locally(events)
    if rejected:
        raise InvalidEventsError(rejected)
    summary: dict[str, Any] = {"events": len(events), "stored": 0, "duplicates": 0, "rejected": []}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(timeout=timeout, headers=headers, transport=transport) as http:
        sender = _Sender(http, batch_url(url), attempts)
        for start in range(0, len(events), max(1, batch_size)):
            sender.send(events[start : start + batch_size], start, summary)
    refused = summary.pop("rejected")
    if refused:
        raise SendError(_refusals(refused, summary["stored"]))
    return summary


def _refusals(refused: list[dict[str, Any]], stored: int) -> str:
    shown = "; ".join(
        f"event {item['index'] + 1}: {v['path']}: {v['message']}"
        for item in refused[:5]
        for v in item["violations"][:2]
    )
    return f"the server rejected {len(refused)} event(s) ({stored} others stored): {shown}"


def batch_url(url: str) -> str:
    """Accept the server's base URL, or one ending in the OpenLineage endpoint."""
    base = url.rstrip("/")
    for suffix in (BATCH_PATH, "/api/v1/lineage", "/api/v1"):
        base = base.removesuffix(suffix)
    return base + BATCH_PATH


def check_locally(events: list[Any]) -> list[Rejected]:
    """The server's validation, without its database or keys."""
    rejected: list[Rejected] = []
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            violation = Violation("$", "an event must be a JSON object")
            rejected.append(Rejected(index, [violation]))
            continue
        violations = validate_event(normalize_event(event)[0])
        if violations:
            rejected.append(Rejected(index, violations))
    return rejected


class _Sender:
    def __init__(self, http: httpx.Client, endpoint: str, attempts: int) -> None:
        self.http, self.endpoint, self.attempts = http, endpoint, max(1, attempts)

    def send(self, batch: list[Any], offset: int, summary: dict[str, Any]) -> None:
        response = self._post(batch)
        if response.status_code == 413 and len(batch) > 1:
            half = len(batch) // 2
            self.send(batch[:half], offset, summary)
            self.send(batch[half:], offset + half, summary)
            return
        body = _json(response)
        if response.status_code != 200 and not (response.status_code == 400 and "rejected" in body):
            message = body.get("message") or response.text[:200]
            raise SendError(f"{self.endpoint}: HTTP {response.status_code}: {message}")
        counts = body.get("summary", {})
        summary["stored"] += counts.get("stored", 0)
        summary["duplicates"] += counts.get("duplicates", 0)
        for item in body.get("rejected", []):
            summary["rejected"].append({**item, "index": offset + item["index"]})

    def _post(self, batch: list[Any]) -> httpx.Response:
        content = json.dumps(batch, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if len(content) > GZIP_ABOVE:
            content, headers["Content-Encoding"] = gzip.compress(content, compresslevel=3), "gzip"
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.http.post(self.endpoint, content=content, headers=headers)
            except httpx.TransportError as exc:
                if attempt == self.attempts:
                    raise SendError(f"{self.endpoint}: unreachable ({exc})") from exc
                time.sleep(_backoff(attempt, None))
                continue
            if response.status_code not in RETRY_STATUSES or attempt == self.attempts:
                return response
            time.sleep(_backoff(attempt, response.headers.get("retry-after")))
        raise AssertionError("unreachable")  # the loop always returns or raises


def _backoff(attempt: int, retry_after: str | None) -> float:
    if retry_after and retry_after.strip().isdigit():
        return min(float(retry_after), MAX_WAIT_SECONDS)
    return min(0.25 * 2 ** (attempt - 1), MAX_WAIT_SECONDS)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
