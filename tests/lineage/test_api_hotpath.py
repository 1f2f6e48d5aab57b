"""HotPathApp: the hot route reaches its endpoint directly, errors get the app's own handlers."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.responses import JSONResponse, Response

from lineage.api.hotpath import HotPathApp


class Refused(Exception):
    pass


class RefusedHard(Refused):
    pass


async def endpoint(request: Request) -> Response:
    kind = (await request.body()).decode()
    if kind == "refused":
        raise RefusedHard("no")
    if kind == "crash":
        raise ZeroDivisionError("boom")
    return JSONResponse({"via": "hot", "path": request.url.path})


def make_app() -> FastAPI:
    app = HotPathApp()

    @app.post("/hot")
    async def routed() -> dict[str, str]:
        return {"via": "router"}

    @app.get("/hot")
    async def read() -> dict[str, str]:
        return {"via": "router-get"}

    async def refused(_: Request, exc: Exception) -> Response:
        return JSONResponse({"handled": type(exc).__name__}, 418)

    app.add_exception_handler(Refused, refused)
    app.serve_directly("POST", "/hot", endpoint)
    return app


def test_the_hot_route_goes_to_the_endpoint_and_others_to_the_router() -> None:
    client = TestClient(make_app())
    assert client.post("/hot", content=b"ok").json() == {"via": "hot", "path": "/hot"}
    assert client.get("/hot").json() == {"via": "router-get"}
    assert client.post("/hot/", content=b"ok", follow_redirects=False).status_code != 200


def test_an_error_gets_the_handler_of_its_nearest_class() -> None:
    answer = TestClient(make_app()).post("/hot", content=b"refused")
    assert (answer.status_code, answer.json()) == (418, {"handled": "RefusedHard"})


def test_an_error_without_a_handler_propagates() -> None:
    with pytest.raises(ZeroDivisionError):
        TestClient(make_app()).post("/hot", content=b"crash")


def test_an_app_without_a_hot_route_routes_everything() -> None:
    app = HotPathApp()

    @app.post("/hot")
    async def routed() -> dict[str, str]:
        return {"via": "router"}

    assert TestClient(app).post("/hot").json() == {"via": "router"}
