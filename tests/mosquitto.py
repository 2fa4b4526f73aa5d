"""One launcher for the real Mosquitto that tests and test tools talk to, on a loopback port.

The uplink tests, the self-test's broker check, the fleet simulation and the
crash campaign each used to write their own config and start-and-wait loop;
this is the one copy. With ``ca``/``cert``/``key`` the broker speaks TLS only
and requires a client certificate (its CN the user name); without them it is
plain MQTT for anonymous clients (the scripts' agency side). No pytest here:
scripts/ import it too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

MOSQUITTO = Path(shutil.which("mosquitto") or "/usr/sbin/mosquitto")
LOG_TYPES = ("error", "warning", "notice", "information")


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
    """A broker on 127.0.0.1; ``persistence`` keeps sessions and queued messages across a restart
    (in ``folder``/db), ``extra`` adds config lines, its log is ``folder``/mosquitto.log."""

    def __init__(self, folder: Path, *, ca: Path | None = None, cert: Path | None = None, key: Path | None = None,
                 persistence: bool = False, extra: Sequence[str] = (), log_types: Sequence[str] = LOG_TYPES):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.tls = ca is not None
        self.process: subprocess.Popen | None = None
        self.config = self.folder / "mosquitto.conf"
        lines = ["user root" if os.geteuid() == 0 else "", f"listener {self.port} 127.0.0.1"]
        if self.tls:
            lines += [f"cafile {ca}", f"certfile {cert}", f"keyfile {key}", "require_certificate true",
                      "use_identity_as_username true", "allow_anonymous false"]
        else:
            lines.append("allow_anonymous true")
        if persistence:
            (self.folder / "db").mkdir(exist_ok=True)
            lines += ["persistence true", f"persistence_location {self.folder / 'db'}/"]
        lines += [*extra, f"log_dest file {self.folder / 'mosquitto.log'}", *(f"log_type {t}" for t in log_types), ""]
        self.config.write_text("\n".join(lines))

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self.process = subprocess.Popen([str(MOSQUITTO), "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not accepts(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"mosquitto did not start; log:\n{self.log()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM: with persistence it writes its database first, so sessions survive a restart."""
        if self.process is not None:
            if self.process.poll() is None:
                os.kill(self.process.pid, signal.SIGCONT)  # a frozen broker cannot act on SIGTERM
                self.process.terminate()
                self.process.wait(timeout)
            self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""
