"""Talking to systemd: READY, watchdog keep-alives, status text and STOPPING.

Uses systemd-python when installed (the `systemd` extra); otherwise speaks the
sd_notify datagram protocol to $NOTIFY_SOCKET itself, which is all it is.
Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
"""

from __future__ import annotations

import os
import socket
import time


class ServiceNotifier:
    def __init__(self, socket_path: str | None = None, watchdog_usec: int | None = None):
        self.socket_path = socket_path
        self.watchdog_interval_s = (watchdog_usec / 1e6) / 2 if watchdog_usec else None
        self._last_ping = 0.0
        self.sent: list[str] = []  # what was sent, for status and tests

    @classmethod
    def from_environment(cls) -> "ServiceNotifier":
        usec = os.environ.get("WATCHDOG_USEC")
        pid = os.environ.get("WATCHDOG_PID")
        if pid and pid.isdigit() and int(pid) != os.getpid():
            usec = None  # the watchdog is meant for another process
        return cls(os.environ.get("NOTIFY_SOCKET"), int(usec) if usec and usec.isdigit() else None)

    @property
    def enabled(self) -> bool:
        return bool(self.socket_path)

    def notify(self, message: str) -> bool:
        if not self.socket_path:
            return False
        sent = _notify_with_systemd_python(message)
        if sent is None:
            sent = self._notify_socket(message)
        if sent:
            self.sent.append(message)
        return sent

    def _notify_socket(self, message: str) -> bool:
        address = self.socket_path
        if not address:
            return False
        if address.startswith("@"):
            address = "\0" + address[1:]  # abstract namespace socket
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(address)
                sock.sendall(message.encode())
        except OSError:
            return False
        return True

    def ready(self, status: str = "running") -> bool:
        return self.notify(f"READY=1\nSTATUS={status}")

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def watchdog_due(self, now: float | None = None) -> bool:
        if self.watchdog_interval_s is None:
            return False
        now = time.monotonic() if now is None else now
        return now - self._last_ping >= self.watchdog_interval_s

    def watchdog(self) -> bool:
        """Keep-alive; the daemon sends it only while its threads make progress."""
        self._last_ping = time.monotonic()
        return self.notify("WATCHDOG=1")


def _notify_with_systemd_python(message: str) -> bool | None:
    """sd_notify through systemd-python when installed; None when it is not."""
    try:
        from systemd import daemon  # type: ignore[import-not-found,attr-defined]  # optional: systemd-python
    except ImportError:
        return None
    return bool(daemon.notify(message))
