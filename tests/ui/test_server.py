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
