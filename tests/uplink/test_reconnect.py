"""Reconnection: a capped, jittered delay, cut short when the broker becomes reachable again."""

from __future__ import annotations

import random

from alpr_edge.config import UplinkSection
from alpr_edge.uplink import Uplink, backoff_delay

from .conftest import AGENCY, DEVICE, settings_for, wait_for


def test_the_default_delay_never_exceeds_thirty_seconds_and_is_jittered():
    settings = UplinkSection()
    rng = random.Random(7)
    delays = [backoff_delay(attempt, settings.reconnect_min_s, settings.reconnect_max_s, rng) for attempt in range(40)]
    assert max(delays) <= 30.0
    late = delays[10:]
    assert min(late) >= 15.0 and len({round(d, 3) for d in late}) == len(late)  # spread, not one instant


class World:
    """A moved clock and a scripted network: probe results by time."""

    def __init__(self, reachable_from: float | None):
        self.now = 0.0
        self.reachable_from = reachable_from
        self.probes: list[float] = []

    def sleep(self, seconds: float) -> bool:
        self.now += seconds
        return False

    def probe(self) -> bool:
        self.probes.append(self.now)
        return self.reachable_from is not None and self.now >= self.reachable_from

    def waiter(self):
        from alpr_edge.uplink.reconnect import ReconnectWait

        return ReconnectWait(self.probe, sleep=self.sleep, clock=lambda: self.now, probe_every_s=2.0)


def test_the_wait_ends_as_soon_as_a_probe_sees_the_broker_back():
    world = World(reachable_from=7.0)
    wait = world.waiter()
    assert wait.wait(30.0) == "network_back"
    assert world.now == 8.0  # the first probe after the return, not the end of the delay


def test_a_broker_reachable_all_along_never_shortens_the_delay():
    # It refused us (certificate, protocol): reconnecting at once would hammer it.
    world = World(reachable_from=0.0)
    wait = world.waiter()
    assert wait.wait(30.0) == "elapsed" and world.now == 30.0


def test_a_network_still_down_waits_out_the_delay():
    world = World(reachable_from=None)
    wait = world.waiter()
    assert wait.wait(9.0) == "elapsed" and world.now == 9.0 and len(world.probes) == 4


def test_a_stop_ends_the_wait():
    from alpr_edge.uplink.reconnect import ReconnectWait

    wait = ReconnectWait(lambda: False, sleep=lambda seconds: True, clock=lambda: 0.0)
    assert wait.wait(30.0) == "stopped"


def test_after_an_outage_the_device_is_back_within_seconds_not_at_the_end_of_its_delay(broker, store, pki, tmp_path):
    # A delay of 150 to 300 s after the outage: only the probe can bring it back within the test's wait.
    uplink = Uplink(settings_for(broker, reconnect_min_s=300.0, reconnect_max_s=300.0), agency=AGENCY,
                    device_id=DEVICE, store=store, tls=pki.device, hotlist_sink=None, hotlist_public_key=None,
                    seal_public_key=None, state_dir=tmp_path / "state")
    uplink.start()
    try:
        assert wait_for(lambda: uplink.status()["state"] == "connected")
        broker.stop()
        assert wait_for(lambda: uplink.status()["state"] == "offline", timeout=15)
        wait_for(lambda: False, timeout=2.5)  # at least one probe finds the broker gone
        broker.start()
        ids = store.add(3)
        assert wait_for(lambda: uplink.status()["state"] == "connected", timeout=10), uplink.status()
        uplink.wake()
        assert wait_for(lambda: store.uploaded == set(ids))
    finally:
        uplink.stop()
