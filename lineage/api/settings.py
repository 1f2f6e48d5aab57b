"""Defaults of the HTTP API, in a module without FastAPI so the CLI's help stays fast."""

from __future__ import annotations

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_MAX_BODY = 5 * 1024 * 1024  # bytes, on the wire and after decompression
DEFAULT_MAX_DEPTH = 64  # nesting of arrays and objects in one body
BODY_TIMEOUT_SECONDS = 60.0  # a body trickling in slower than this holds a connection: 408
MAX_CONNECTIONS = 1024  # beyond this uvicorn answers 503 at once (clients retry those)
# Integer query parameters end up in the user action that records the read, and RFC 8785
# canonical JSON holds integers exactly only up to 2**53 - 1.
MAX_JSON_INT = 2**53 - 1
