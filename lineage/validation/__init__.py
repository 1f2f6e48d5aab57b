"""Validate OpenLineage events offline against the vendored spec and this project's facets.

The public API is `Violation` and `validate_event`; the modules of this package each do one job:

* `targets`: which parts of an event are checked against which schema: the envelope by the core
  version and event kind, each facet by its key (standard, `mlaudit_*`, or generic);
* `facets`: standard facet key -> schema definition(s), and the version a facet is checked by;
* `documents`: the vendored schema files and the one `referencing.Registry` every `$ref` resolves
  through; nothing is ever fetched;
* `formats`: the formats that are asserted (`uuid`, `date-time`);
* `compiled` (built from `predicates`, written out as Python by `codegen`): the fast path, a
  compiled predicate per schema that answers the common "valid" case; `validators`:
  jsonschema, the authority whenever the fast path says no, and `messages`, what its errors say.

What counts as invalid is what the schemas say, with one deliberate reading: `format` asserts only
`uuid` (run identity) and `date-time` (ordering and as-of queries). The schemas declare JSON
Schema 2020-12, whose default dialect treats `format` as an annotation, and real producers put
placeholders such as "string" into URI fields that the store never dereferences, so `format: uri`
is an annotation here (see `formats`). Drift with one meaning (a non-UUID run id, a time without
an offset, a `dataQualityMetrics` facet without `columnMetrics`, ...) is `lineage.normalize`'s to
fix before validation, never a reason for validation to look away.
"""

from __future__ import annotations

from dataclasses import dataclass

from lineage.validation import compiled, messages, targets, validators

__all__ = ["Violation", "validate_event"]


@dataclass(frozen=True)
class Violation:
    path: str
    message: str


def validate_event(event: dict) -> list[Violation]:
    """Every violation in `event`, not only the first, each with its JSON path; [] if valid."""
    if not isinstance(event, dict):
        return [Violation("$", f"event: expected a JSON object, got {messages.describe(event)}")]
    version, kind = targets.core_schema_for(event)
    try:
        if compiled.is_valid(event, version, kind):
            return []
        violations: list[Violation] = []
        for path, instance, refs in targets.targets(event, version, kind):
            explained = messages.explain(validators.validator(refs), instance, path)
            violations.extend(Violation(*pair) for pair in explained)
    except RecursionError:
        # Recursive schemas (nested schema fields) follow the data down; so would an attacker.
        return [Violation("$", "event: nested too deeply to validate")]
    return list(dict.fromkeys(violations))
