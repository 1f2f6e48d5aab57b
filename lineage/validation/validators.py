"""jsonschema validators: the authority that decides when the compiled checks say no, and explains.

One validator per schema (a tuple of refs), built once, resolving through the vendored registry
and asserting only the formats of `formats.format_checker()`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend

from lineage.validation.documents import registry
from lineage.validation.formats import format_checker
from lineage.validation.targets import schema_of


def _required(validator: Validator, required: Any, instance: Any, schema: Any) -> Iterator[Any]:
    # Like jsonschema's, but the error's path ends at the missing field itself.
    if not validator.is_type(instance, "object"):
        return
    for name in required:
        if name not in instance:
            yield ValidationError(f"{name!r} is a required property", path=(name,))


_Validator = extend(Draft202012Validator, {"required": _required})


@functools.cache
def validator(refs: tuple[str, ...]) -> Validator:
    return _Validator(schema_of(refs), registry=registry(), format_checker=format_checker())
