"""Runs the touchscreen app under uvicorn in a background thread of the daemon."""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from alpr_edge.logs import log

logger = logging.getLogger(__name__)


class UiStartError(Exception):
    """The UI could not bind its address (port taken, bad certificate)."""


class UiServer:
    """``start()`` returns once the port accepts connections; ``stop()`` within a few seconds."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 8080, *,
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
        self._server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]  # uvicorn's own hook
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._bound_port = 0
        self._error = "stopped"

    @property
    def scheme(self) -> str:
        return "https" if self._server.config.ssl_certfile else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.bound_port}/"

    @property
    def bound_port(self) -> int:
        """The actual port (useful with port 0)."""
        return self._bound_port or self.port

    def start(self, timeout_s: float = 10.0) -> None:
        # Bind here, in the caller's thread, so a taken port is a clear error at start-up.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as error:
            sock.close()
            raise UiStartError(f"touchscreen UI: cannot listen on {self.host}:{self.port}: {error.strerror}") from None
        self._socket = sock
        self._bound_port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="ui", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                self._close_socket()
                raise UiStartError(f"touchscreen UI: cannot serve on {self.host}:{self.port}: {self._error}")
            if time.monotonic() > deadline:
                self.stop()
                raise UiStartError(f"touchscreen UI: not listening on {self.host}:{self.port} after {timeout_s} s")
            time.sleep(0.02)
        log(logger, logging.INFO, "ui_started", url=self.url)

    def _serve(self) -> None:
        try:
            assert self._socket is not None  # bound by start()
            self._server.run(sockets=[self._socket])
        except BaseException as error:  # bad TLS files and the like: reported by start()
            self._error = str(error) or type(error).__name__

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()

    def stop(self) -> None:
        stopping = getattr(self.app.state, "stopping", None)
        if stopping is not None:
            stopping.set()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
        self._close_socket()
        log(logger, logging.INFO, "ui_stopped")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (for tests)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
