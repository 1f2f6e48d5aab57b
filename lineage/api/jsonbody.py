"""Bytes to a JSON value: UTF-8 only, standard JSON only, nesting bounded.

The core walks events recursively (validation, pseudonymization, canonicalisation), so nesting is
bounded here, before the value reaches it. The C parser guards its own recursion (a RecursionError,
not a crash); when a body has more brackets than the limit, its nesting is then measured on the
text with C-speed steps (strip strings, keep brackets, running sum), never by Python recursion.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any, NoReturn

from lineage.api.errors import ApiError
from lineage.api.settings import DEFAULT_MAX_DEPTH

# A JSON string, escapes included; linear on text the parser has accepted.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SIGNS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes


def parse_json(raw: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    text = _decode(raw)
    if not text.strip():
        raise ApiError(400, "empty_body", "the request body is empty: send an OpenLineage event")
    try:
        value = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            "malformed_json",
            f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except RecursionError:
        _too_deep(max_depth)
    except ValueError as exc:  # NaN/Infinity, integers beyond Python's digit limit
        raise ApiError(400, "malformed_json", f"unsupported JSON value: {exc}") from None
    if text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth:
        _too_deep(max_depth)
    return value


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400,
            "bad_encoding",
            f"the body is not UTF-8 ({exc.reason} at byte {exc.start}); JSON must be UTF-8",
            byte=exc.start,
        ) from None
    return text.removeprefix("\ufeff")  # RFC 8259 lets parsers ignore a byte order mark


def nesting_depth(text: str) -> int:
    """Deepest nesting of arrays and objects in valid JSON text."""
    skeleton = _STRING.sub("", text).encode("ascii", "ignore")
    brackets = skeleton.translate(None, _NOT_BRACKETS).translate(_SIGNS)
    if not brackets:
        return 0
    return max(accumulate(memoryview(brackets).cast("b")))


def _not_json(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number (RFC 8259)")


def _too_deep(limit: int) -> NoReturn:
    raise ApiError(
        400, "too_deep", f"the JSON is nested deeper than {limit} levels", limit=limit
    ) from None
