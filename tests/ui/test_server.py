"""UiServer: uvicorn in a thread that starts, serves and stops promptly."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from alpr_edge.config import UiSection
from alpr_edge.ui import UiServer, UiStartError, create_app
from alpr_edge.ui.server import free_port


def test_serves_and_stops_promptly_even_with_a_push_stream_open(world, tmp_path):
    from tests.ui.conftest import PASSWORDS

    server = UiServer(create_app(world.services, UiSection(push_max_s=60)), "127.0.0.1", free_port())
    server.start()
    try:
        with httpx.Client(base_url=server.url) as client:
            assert client.get("/").status_code == 200
            assert client.post("/api/login", json={"name": "tim", "secret": PASSWORDS["tim"]}).status_code == 200
            with client.stream("GET", "/api/events") as stream:
                assert next(stream.iter_lines()).startswith("retry:")
                started = time.monotonic()
                server.stop()
                assert time.monotonic() - started < 5
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url, timeout=1)


def test_a_taken_port_is_a_clear_error(world):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = UiServer(create_app(world.services, UiSection()), "127.0.0.1", port)
        with pytest.raises(UiStartError, match=str(port)):
            server.start()


def test_no_api_description_is_served(make_client):
    """Issue 21: /openapi.json was served without a login."""
    client = make_client()
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404


def test_an_oversize_body_is_refused_before_it_is_read(make_client):
    """Issue 21: one 300 MB body pushed memory to 1.8 GB; the limit applies before any parsing."""
    client = make_client()
    declared = client.post("/api/login", content=b"x" * (256 * 1024), headers={"Content-Type": "application/json"})
    assert declared.status_code == 413

    def chunks():  # no Content-Length: counted as it streams in
        for _ in range(64):
            yield b"x" * 8192

    streamed = client.post("/api/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert client.post("/api/login", json={"name": "olive", "secret": "olive-pass-1"}).status_code == 200


def test_requests_beyond_the_concurrency_bound_are_turned_away():
    import asyncio

    from alpr_edge.ui.app import MAX_CONCURRENT, RequestLimits

    release = asyncio.Event()
    statuses: list[int] = []

    async def slow_app(scope, receive, send):
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def main():
        limits = RequestLimits(slow_app)

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        scope = {"type": "http", "path": "/api/live", "headers": []}
        waiting = [asyncio.create_task(limits(scope, receive, send)) for _ in range(MAX_CONCURRENT)]
        await asyncio.sleep(0)
        await limits(scope, receive, send)  # one too many: answered at once
        release.set()
        await asyncio.gather(*waiting)

    asyncio.run(main())
    assert statuses[0] == 503 and statuses[1:] == [200] * MAX_CONCURRENT
