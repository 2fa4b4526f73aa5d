"""One launcher for the real Mosquitto the tests talk to (loopback port, TLS, client certificates required).

The uplink tests and the self-test's broker check each used to write their own
config and start-and-wait loop; this is the one copy. Tests that need no broker
never start one: a test asks for a fixture that builds a ``Mosquitto`` here.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

MOSQUITTO = Path(shutil.which("mosquitto") or "/usr/sbin/mosquitto")
needs_mosquitto = pytest.mark.skipif(not MOSQUITTO.exists(), reason="mosquitto is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accepts(port: int, timeout: float = 0.2) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=timeout).close()
        return True
    except OSError:
        return False


class Mosquitto:
    """A broker on 127.0.0.1 that trusts ``ca`` and requires a client certificate (its CN the user name);
    ``persistence`` keeps sessions and queued messages across a restart, in ``folder``/db."""

    def __init__(self, folder: Path, *, ca: Path, cert: Path, key: Path, persistence: bool = False):
        self.folder = Path(folder)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.config = self.folder / "mosquitto.conf"
        lines = [
            "user root", f"listener {self.port} 127.0.0.1", f"cafile {ca}", f"certfile {cert}", f"keyfile {key}",
            "require_certificate true", "use_identity_as_username true", "allow_anonymous false",
        ]
        if persistence:
            (self.folder / "db").mkdir(exist_ok=True)
            lines += ["persistence true", f"persistence_location {self.folder / 'db'}/"]
        lines += [f"log_dest file {self.folder / 'mosquitto.log'}",
                  "log_type error", "log_type warning", "log_type notice", "log_type information", ""]
        self.config.write_text("\n".join(lines))

    @property
    def url(self) -> str:
        return f"mqtts://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self.process = subprocess.Popen([str(MOSQUITTO), "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not accepts(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"mosquitto did not start; log:\n{self.log()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                os.kill(self.process.pid, signal.SIGCONT)  # a frozen broker cannot act on SIGTERM
                self.process.terminate()
                self.process.wait(10)
            self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text() if path.exists() else ""
