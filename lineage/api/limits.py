"""What a request body must be before anything parses it: JSON, UTF-8, gzip or plain, bounded.

The size limit holds for the bytes on the wire and again for the decompressed bytes, which are
produced piece by piece and never past the limit, so a small gzip bomb cannot expand in memory.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from lineage.api.errors import ApiError
from lineage.api.jsonbody import parse_json
from lineage.api.settings import BODY_TIMEOUT_SECONDS, DEFAULT_MAX_BODY, DEFAULT_MAX_DEPTH

# Parsing a big body takes milliseconds: do it off the event loop so other requests keep flowing.
THREAD_THRESHOLD = 256 * 1024
GZIP_WBITS = 16 + zlib.MAX_WBITS


@dataclass(frozen=True)
class BodyLimits:
    max_body: int = DEFAULT_MAX_BODY  # bytes, on the wire and after decompression
    max_depth: int = DEFAULT_MAX_DEPTH  # nesting of arrays and objects
    timeout: float = BODY_TIMEOUT_SECONDS  # for the whole body to arrive


async def read_json(request: Request, limits: BodyLimits) -> Any:
    """The request's JSON value, or an ApiError (400, 408, 413 or 415) saying what is wrong."""
    check_content_type(request.headers.get("content-type"))
    coding = content_coding(request.headers.get("content-encoding"))
    check_declared_length(request.headers.get("content-length"), limits.max_body)
    raw = await read_body(request, limits.max_body, limits.timeout)
    if coding == "gzip":
        raw = gunzip(raw, limits.max_body)
    if len(raw) > THREAD_THRESHOLD:
        return await run_in_threadpool(parse_json, raw, limits.max_depth)
    return parse_json(raw, limits.max_depth)


def check_content_type(value: str | None) -> None:
    media, _, parameters = (value or "").partition(";")
    media = media.strip().lower()
    json_type = media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )
    if not json_type:
        shown = f"Content-Type {value!r}" if value else "no Content-Type"
        raise ApiError(
            415,
            "unsupported_media_type",
            f"{shown}: send OpenLineage events as application/json",
            headers={"Accept-Post": "application/json"},
        )
    charset = _parameter(parameters, "charset")
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        raise ApiError(
            415, "unsupported_media_type", f"charset {charset!r}: JSON must be sent as UTF-8"
        )


def _parameter(parameters: str, name: str) -> str | None:
    for item in parameters.split(";"):
        key, _, value = item.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"')
    return None


def content_coding(value: str | None) -> str:
    """'identity' or 'gzip' (what the OpenLineage clients send); anything else is a 415."""
    codings = [c.strip().lower() for c in (value or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return "identity"
    if codings in (["gzip"], ["x-gzip"]):
        return "gzip"
    raise ApiError(
        415,
        "unsupported_encoding",
        f"Content-Encoding {value!r} is not supported: send gzip or no encoding",
        headers={"Accept-Encoding": "gzip"},
    )


def check_declared_length(value: str | None, limit: int) -> None:
    """Refuse an announced oversized body before reading a byte of it."""
    if value is None:
        return
    if not value.strip().isdigit():
        raise ApiError(400, "bad_request", f"Content-Length {value!r} is not a number")
    if int(value) > limit:
        raise too_large(limit)


async def read_body(request: Request, limit: int, timeout: float = BODY_TIMEOUT_SECONDS) -> bytes:
    """The body, counted as it arrives (chunked uploads announce no length), within `timeout`
    seconds, so a client trickling bytes cannot hold a connection for ever."""
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(400, "client_disconnected", "the client went away mid-body") from None
    except TimeoutError:
        raise ApiError(
            408, "request_timeout", f"the body did not arrive within {timeout:g} s"
        ) from None
    return b"".join(chunks)


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress at most `limit` bytes; more is a 413, a damaged stream a 400."""
    decompressor = zlib.decompressobj(GZIP_WBITS)
    pieces: list[bytes] = []
    size, pending = 0, data
    try:
        while pending and not decompressor.eof:
            piece = decompressor.decompress(pending, limit + 1 - size)
            size += len(piece)
            if size > limit:
                raise too_large(limit, decompressed=True)
            pieces.append(piece)
            pending = decompressor.unconsumed_tail
    except zlib.error as exc:
        raise ApiError(400, "bad_encoding", f"the body is not valid gzip: {exc}") from None
    if not decompressor.eof:
        raise ApiError(400, "bad_encoding", "the gzip body is truncated")
    if decompressor.unused_data:
        raise ApiError(400, "bad_encoding", "data follows the end of the gzip body")
    return b"".join(pieces)


def too_large(limit: int, *, decompressed: bool = False) -> ApiError:
    # No Retry-After: urllib3 (the OpenLineage client) would retry a 413 that carries one.
    after = " after decompression" if decompressed else ""
    return ApiError(
        413,
        "payload_too_large",
        f"the request body is larger than {limit} bytes{after}; send smaller batches",
        limit=limit,
    )
