"""Runs the touchscreen app under uvicorn in a background thread of the daemon."""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

import uvicorn

from alpr_edge.logs import log

logger = logging.getLogger(__name__)


class UiStartError(Exception):
    """The UI could not bind its address (port taken, bad certificate)."""


class UiServer:
    """``start()`` returns once the port accepts connections; ``stop()`` within a few seconds."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 8080, *,
                 tls_cert: Path | None = None, tls_key: Path | None = None):
        self.app = app
        self.host = host
        self.port = port
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
            ssl_certfile=str(tls_cert) if tls_cert else None, ssl_keyfile=str(tls_key) if tls_key else None,
            timeout_graceful_shutdown=2, server_header=False,
        )
        self._server = uvicorn.Server(config)
        # uvicorn would otherwise install its own SIGINT/SIGTERM handlers: the daemon owns signals.
        self._server.install_signal_handlers = lambda: None
        self._thread: threading.Thread | None = None

    @property
    def scheme(self) -> str:
        return "https" if self._server.config.ssl_certfile else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.bound_port}/"

    @property
    def bound_port(self) -> int:
        """The actual port (useful with port 0)."""
        servers = getattr(self._server, "servers", None) or []
        for server in servers:
            for sock in server.sockets:
                return sock.getsockname()[1]
        return self.port

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._server.run, name="ui", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                raise UiStartError(f"touchscreen UI: cannot serve on {self.host}:{self.port} (port in use or TLS files unreadable)")
            if time.monotonic() > deadline:
                self.stop()
                raise UiStartError(f"touchscreen UI: not listening on {self.host}:{self.port} after {timeout_s} s")
            time.sleep(0.02)
        log(logger, logging.INFO, "ui_started", url=self.url)

    def stop(self) -> None:
        stopping = getattr(self.app.state, "stopping", None)
        if stopping is not None:
            stopping.set()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
        log(logger, logging.INFO, "ui_stopped")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (for tests)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
