"""Turn raw input into entries ready to append: parse, normalise, validate, pseudonymize,
canonicalise.

Pure functions, run before the writer lock is taken, except in a large PostgreSQL batch, whose
later events are prepared in the append's waits on the server (lineage.preparation).
Pseudonymizing comes before canonicalising, so the idempotency key, the chain hash and anything
derived from the canonical bytes never cover personal data in plain text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lineage.canonical import canonical_text, content_key
from lineage.categories import categorize
from lineage.ingest_result import Rejected
from lineage.normalize import normalize_event
from lineage.privacy.apply import Identities, Pseudonymizer
from lineage.timeutil import to_store_time
from lineage.validation import Violation, validate_event

RawEvent = dict[str, Any] | str | bytes


@dataclass(frozen=True)
class PreparedEvent:
    index: int
    event: dict[str, Any]
    payload: str
    key: str
    notes: list[str]
    event_time: str
    event_type: str
    producer: str
    job_namespace: str | None
    job_name: str | None
    run_id: str | None
    actor: str | None
    categories: list[str]
    # pseudonym -> identity, for the vault only: never persisted elsewhere, never printed.
    identities: Identities = field(default_factory=dict, repr=False, compare=False)


def prepare_batch(
    raw: list[RawEvent], *, privacy: Pseudonymizer
) -> tuple[list[PreparedEvent], list[Rejected]]:
    prepared: list[PreparedEvent] = []
    rejected: list[Rejected] = []
    for index, item in enumerate(raw):
        result = prepare_one(index, item, privacy=privacy)
        (rejected if isinstance(result, Rejected) else prepared).append(result)  # type: ignore[arg-type]
    return prepared, rejected


def prepare_one(index: int, item: RawEvent, *, privacy: Pseudonymizer) -> PreparedEvent | Rejected:
    event = _parse(item)
    if isinstance(event, Violation):
        return Rejected(index, [event])
    event, notes = normalize_event(event)
    violations = validate_event(event)
    if violations:
        return Rejected(index, violations)
    # After validation, so violations name the producer's fields. Pseudonyms are strings, so the
    # event stays valid under the built-in rules (a test holds this); custom rules are re-checked.
    identities: Identities = {}
    pseudonymized, payload = _pseudonymized(event, privacy, identities)
    if pseudonymized is not event and privacy.rules.custom:
        violations = validate_event(pseudonymized)
        if violations:
            return Rejected(index, [_after_pseudonymizing(v) for v in violations])
    event = pseudonymized
    if payload is None:
        try:
            payload = canonical_text(event)
        except (ValueError, TypeError) as exc:
            return Rejected(index, [Violation("$", f"cannot be canonicalised (RFC 8785): {exc}")])
    return _prepared(index, event, payload, notes, identities)


def _pseudonymized(
    event: dict[str, Any], privacy: Pseudonymizer, identities: Identities
) -> tuple[dict[str, Any], str | None]:
    """The pseudonymized event and, when already known, its canonical text.

    The canonical text is needed anyway, and an event whose text has no `@` has no email address
    to scan for, so the text answers that for the price of a substring search. None: the text of
    the returned event is still to be made (an email was replaced, or canonicalising failed and
    is left to report its error).
    """
    fields = privacy.fields(event, identities)
    try:
        payload: str | None = canonical_text(fields)
    except (ValueError, TypeError):
        payload = None
    if payload is not None and "@" not in payload:
        return fields, payload
    scanned = privacy.emails(fields, identities)
    return scanned, (payload if scanned is fields else None)


def _after_pseudonymizing(violation: Violation) -> Violation:
    hint = "after pseudonymization: a rule in MLAUDIT_PRIVACY_RULES names a non-identity field"
    return Violation(violation.path, f"{violation.message} ({hint})")


def _parse(item: RawEvent) -> dict[str, Any] | Violation:
    if isinstance(item, dict):
        return item
    try:
        text = item.decode("utf-8") if isinstance(item, bytes) else item
        parsed = json.loads(text)
    except UnicodeDecodeError as exc:
        return Violation("$", f"not UTF-8 text: {exc}")
    except json.JSONDecodeError as exc:
        return Violation("$", f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    if not isinstance(parsed, dict):
        return Violation("$", f"an event must be a JSON object, got {type(parsed).__name__}")
    return parsed


def _prepared(
    index: int, event: dict[str, Any], payload: str, notes: list[str], identities: Identities
) -> PreparedEvent:
    job = event.get("job") or {}
    run = event.get("run") or {}
    actor = ((run.get("facets") or {}).get("mlaudit_actor") or {}).get("name")
    kind = event.get("eventType") or ("DATASET" if "dataset" in event else "JOB")
    return PreparedEvent(
        index=index,
        event=event,
        payload=payload,
        key=content_key(payload),
        notes=notes,
        event_time=to_store_time(event["eventTime"]),
        event_type=str(kind),
        producer=str(event.get("producer", "")),
        job_namespace=job.get("namespace"),
        job_name=job.get("name"),
        run_id=run.get("runId"),
        actor=actor,
        categories=categorize(event),
        identities=identities,
    )
