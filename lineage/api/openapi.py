"""Pieces of the OpenAPI document that FastAPI cannot infer: bodies read by hand, error answers.

Ingest routes read their body themselves (limits first, no model binding), so the request body
and the error responses are declared here for /openapi.json.
"""

from __future__ import annotations

from typing import Any

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": f"An OpenLineage RunEvent, DatasetEvent or JobEvent ({SPEC}).",
    "externalDocs": {"url": "https://openlineage.io/apidocs/openapi/"},
}
# The scheme FastAPI declares for read routes (lineage.api.auth.bearer), named for ingest routes.
BEARER: dict[str, Any] = {"security": [{"HTTPBearer": []}]}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    "required": ["error", "message"],
}


def request_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
            "description": "UTF-8 JSON; `Content-Encoding: gzip` is accepted.",
        }
    }


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("No bearer token, or an invalid, expired or revoked one."),
    403: _error("The token's roles do not allow this."),
    503: _error("The audit database is unavailable; retry after Retry-After seconds."),
}
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error(
        "Malformed JSON (with line and column), not UTF-8, nested too deeply, or an "
        "invalid event (every violation with its JSON path)."
    ),
    408: _error("The body did not arrive in time."),
    413: _error("The body is larger than the server's limit (also after decompression)."),
    415: _error("Not application/json, or a Content-Encoding other than gzip."),
    **AUTH_ERRORS,
}
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("A parameter is malformed."),
    404: _error("No such dataset, model or version."),
    **AUTH_ERRORS,
}
