"""Canonical JSON (RFC 8785), so hashes do not depend on key order or number formatting.

The chain hashes depend on these bytes, so they must equal `rfc8785.dumps` exactly. The reference
package writes every value from Python (about 100 us for a captured event); the fast path lets
`orjson.dumps(option=OPT_SORT_KEYS)` write it (like the stdlib's C encoder with
`sort_keys=True, separators=(",", ":"), ensure_ascii=False`, whose text it equals, but ~2 us
instead of ~14 us for a 1.5 KB event), which produces the RFC 8785 text whenever:

- every number is an int in the IEEE-754 safe range, or a float that prints the same in Python and
  ECMAScript (non-integral, 1e-4 <= |x| < 1e16: both print the shortest round-trip digits in plain
  notation); integral floats print as integers in RFC 8785 (1.0 -> 1), so they become ints first;
- every key is a str and the output has no code point above U+FFFF (UTF-16 key order differs from
  code-point order only for those) and no lone surrogate (not UTF-8; RFC 8785 refuses them);
- the values are exactly dict, list, str, int, float, bool or None (no subclasses, no tuples).
  orjson would write subclasses and NaN (as null): the walk below refuses both first. It raises
  on nesting deeper than 254 levels, which then goes to `rfc8785`, as any other refusal.

Strings are escaped identically (`"`, `\\`, \\b \\f \\n \\r \\t, other controls as lowercase
\\u00xx, nothing else). Anything else goes to `rfc8785`, which also raises the errors. A test
holds the two equal over the OpenLineage samples and generated values.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson
import rfc8785

_MAX_INT = 2**53 - 1  # RFC 8785 numbers are IEEE-754 doubles
# Code points whose UTF-16 form sorts differently (astral) or that UTF-8 cannot hold (surrogates).
_NOT_PLAIN_TEXT = re.compile("[\U00010000-\U0010ffff\ud800-\udfff]")


class _Slow(Exception):
    """A value the fast path does not print exactly as RFC 8785 does."""


def canonical_text(obj: Any) -> str:
    try:
        # Keys sorted by code point (UTF-8 byte order), as RFC 8785's UTF-16 order for BMP text.
        text = orjson.dumps(_plain(obj), option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except (_Slow, ValueError, TypeError, RecursionError):  # orjson.JSONEncodeError: TypeError
        return _reference(obj)
    if not text.isascii() and _NOT_PLAIN_TEXT.search(text):
        return _reference(obj)
    return text


def _reference(obj: Any) -> str:
    return rfc8785.dumps(obj).decode("utf-8")


def _plain(value: Any) -> Any:
    """`value` with integral floats as ints (copied only where one is); _Slow when the fast path
    would print anything differently."""
    kind = type(value)
    if kind is dict:
        copy: dict[str, Any] | None = None
        for key, item in value.items():
            if type(key) is not str:
                raise _Slow
            kind = type(item)
            if kind is str or kind is bool or item is None:
                continue
            new = _plain(item)
            if new is not item:
                if copy is None:
                    copy = dict(value)
                copy[key] = new
        return value if copy is None else copy
    if kind is list:
        items: list[Any] | None = None
        for index, item in enumerate(value):
            kind = type(item)
            if kind is str or kind is bool or item is None:
                continue
            new = _plain(item)
            if new is not item:
                if items is None:
                    items = list(value)
                items[index] = new
        return value if items is None else items
    if kind is str or kind is bool or value is None:
        return value
    if kind is int and -_MAX_INT <= value <= _MAX_INT:
        return value
    if kind is float:
        return _plain_float(value)
    raise _Slow


def _plain_float(value: float) -> float | int:
    if value.is_integer():  # False for NaN and the infinities
        if -_MAX_INT <= value <= _MAX_INT:
            return int(value)  # RFC 8785 prints integral numbers without a fraction; -0.0 -> 0
        raise _Slow
    if 1e-4 <= abs(value) < 1e16:  # False for NaN
        return value
    raise _Slow


def content_key(payload: str) -> str:
    """The idempotency key of an event: SHA-256 of its canonical bytes."""
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
