"""The JSON Schema formats validation asserts: `uuid` and `date-time`, and no other.

The OpenLineage schemas declare JSON Schema 2020-12, whose default dialect treats `format` as an
annotation. We assert only the formats whose meaning the store depends on: `uuid` (run identity)
and `date-time` (ordering and as-of queries). Every other format, `uri` included, stays an
annotation: real producers put placeholders such as "string" or "producer" into URI fields
(`producer`, `dataSource.uri`, `sourceCodeLocation.url`), and the store never dereferences them.
"""

from __future__ import annotations

import calendar
import functools
import re

from jsonschema import FormatChecker

# The only asserted formats (see the module docstring); any other `format` is an annotation.
ASSERTED_FORMATS = ("uuid", "date-time")

CANONICAL_UUID = re.compile(r"^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z")

# RFC 3339 date-time with the grammar of rfc3339-validator 0.1.4 (jsonschema's optional checker):
# "T" and "Z" in either case, an offset is mandatory, no leap second; but no trailing newline.
_DATE_TIME = re.compile(
    r"^(\d{4})-(0[1-9]|1[0-2])-(\d{2})[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)\Z",
    re.ASCII,
)
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_date_time(value: object) -> bool:
    """RFC 3339 date-time, as JSON Schema's `format: date-time` means it."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.match(value)
    if match is None:
        return False
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if year == 0 or day == 0:
        return False
    return day <= 28 or day <= _DAYS_IN_MONTH[month] + (month == 2 and calendar.isleap(year))


@functools.cache
def format_checker() -> FormatChecker:
    """jsonschema's FormatChecker for ASSERTED_FORMATS: uuid (its own check), date-time (ours).

    jsonschema checks date-time only when rfc3339-validator is installed; ours is registered
    whatever is installed so results never depend on it. A format the checker does not know is
    not asserted, by jsonschema and by the compiled checks alike: that is what makes `uri` (and
    any other format) an annotation.
    """
    checker = FormatChecker(formats=("uuid",))
    checker.checks("date-time")(is_date_time)
    return checker


def is_uuid(value: object) -> bool:
    # The canonical form (nearly every run id) is decided by a regex; only other spellings take
    # jsonschema's UUID() parse, which is what decides them.
    if isinstance(value, str) and CANONICAL_UUID.match(value) is not None:
        return True
    return format_checker().conforms(value, "uuid")
