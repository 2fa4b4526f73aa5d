"""Waiting before the next connection attempt, cut short when the network comes back.

The delay between attempts doubles with jitter up to ``reconnect_max_s``
(30 s by default: a fleet still spreads out, and no device stays offline
minutes after a short outage). While it waits, the uplink probes the broker
every ``probe_every_s`` with a plain TCP connection (which also resolves its
name). Once a probe has failed, the first one that succeeds ends the wait: the
outage is over, so reconnect now. A broker that is reachable but refuses us
(bad certificate, protocol) never fails a probe, so it never shortens the
delay and is not hammered.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

PROBE_EVERY_S = 2.0
PROBE_TIMEOUT_S = 1.0


def tcp_probe(host: str, port: int, timeout: float = PROBE_TIMEOUT_S) -> Callable[[], bool]:
    """A probe: True when a TCP connection to ``host:port`` opens within ``timeout``."""

    def probe() -> bool:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return True
        except OSError:  # refused, unreachable, name not resolved, timed out
            return False

    return probe


class ReconnectWait:
    """``wait(delay)`` -> "elapsed", "network_back" or "stopped".

    ``sleep(seconds)`` returns True when the uplink is stopping (an
    Event's ``wait``); ``clock`` is monotonic seconds. Both are passed in so
    tests run the wait without real time.
    """

    def __init__(self, probe: Callable[[], bool], *, sleep: Callable[[float], bool], clock=time.monotonic,
                 probe_every_s: float = PROBE_EVERY_S):
        self.probe = probe
        self.sleep = sleep
        self.clock = clock
        self.probe_every_s = probe_every_s

    def wait(self, delay: float) -> str:
        deadline = self.clock() + delay
        failed_once = False
        while True:
            remaining = deadline - self.clock()
            if remaining <= 0:
                return "elapsed"
            if self.sleep(min(self.probe_every_s, remaining)):
                return "stopped"
            if self.clock() >= deadline:
                return "elapsed"
            if self.probe():
                if failed_once:
                    return "network_back"
            else:
                failed_once = True
