"""JSONPath-like field paths, and rewriting the values they select without mutating the input.

Grammar (a small subset of JSONPath, enough to name fields in OpenLineage events):

    $                      the event
    .name                  an object member whose name is letters, digits, `_` or `-`
    ["any name"] ['name']  an object member with any other name (`dagster/user`)
    [*]  or  .*            every element of an array, or every member of an object

Examples: `$.run.facets.mlaudit_actor.name`, `$.outputs[*].facets.ownership.owners[*].name`,
`$.run.facets.mlaudit_dagster.tags["dagster/user"]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

_STEP = re.compile(
    r"""\.(?P<name>[A-Za-z0-9_-]+)
      | \.\*
      | \[\*\]
      | \["(?P<dq>[^"]+)"\]
      | \['(?P<sq>[^']+)'\]""",
    re.VERBOSE,
)

# (container, member name or index) -> the member's new value; the same object means unchanged.
Leaf = Callable[[Any, Any], Any]


class PathSyntaxError(ValueError):
    """A field path that does not follow the grammar above."""


@dataclass(frozen=True)
class Step:
    name: str | None  # None: every element or member


def parse_path(path: str) -> tuple[Step, ...]:
    """The steps of `path`; PathSyntaxError names the first character that does not parse."""
    if not path.startswith("$"):
        raise PathSyntaxError("must start with '$'")
    steps: list[Step] = []
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise PathSyntaxError(
                f"unexpected {path[position : position + 12]!r} at character {position + 1}"
            )
        steps.append(Step(match.group("name") or match.group("dq") or match.group("sq")))
        position = match.end()
    if not steps:
        raise PathSyntaxError("names no field ('$' alone is the whole event)")
    return tuple(steps)


def rewrite(node: Any, steps: tuple[Step, ...], leaf: Leaf) -> Any:
    """`node` with `leaf` applied to every member `steps` select.

    Containers on the way to a changed value are copied (shallowly); everything else is shared,
    so the caller's event is never mutated and an unchanged event comes back as the same object.
    """
    name, rest = steps[0].name, steps[1:]
    members: Iterable[Any]
    if name is not None:  # the common case: one named member, looked up directly
        if not isinstance(node, dict) or name not in node:
            return node
        members = (name,)
    elif isinstance(node, dict):
        members = tuple(node)
    elif isinstance(node, list):
        members = range(len(node))
    else:
        return node
    result = node
    for member in members:
        child = node[member]
        new = leaf(node, member) if not rest else rewrite(child, rest, leaf)
        if new is child:
            continue
        if result is node:
            result = dict(node) if isinstance(node, dict) else list(node)
        result[member] = new
    return result
