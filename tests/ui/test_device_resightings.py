"""Issue 22 through the touchscreen API of a running daemon: re-sightings after a close, and the live list."""

from __future__ import annotations

import time

import pytest

from alpr_edge.config import AlertsSection
from tests.ui.device_world import start_device


@pytest.fixture
def world(tmp_path):
    world = start_device(tmp_path, alerts=AlertsSection(suppress_window_s=300))
    yield world
    world.stop()


def live_reads(client, count: int) -> list[dict]:
    deadline = time.monotonic() + 10
    while True:
        reads = client.get("/api/live").json()["reads"]
        if len(reads) >= count:
            return reads
        assert time.monotonic() < deadline, f"{len(reads)} of {count} reads reached the live list"
        time.sleep(0.1)


def dispose(client, csrf, alert_id: str, disposition: str) -> None:
    url = f"/api/alerts/{alert_id}/step"
    for step in ("verified", "confirmed"):
        assert client.post(url, json={"step": step}, headers=csrf).status_code == 200
    done = client.post(url, json={"step": "disposed", "disposition": disposition}, headers=csrf)
    assert done.json()["state"] == "disposed"


@pytest.mark.parametrize("disposition, new_alert", [("stop_made", False), ("lost_sight", True)])
def test_resightings_after_a_close_are_hits_and_alert_again_unless_settled(world, disposition, new_alert):
    client, csrf = world.login("olive")
    world.show("ABC1234")
    [first] = live_reads(client, 1)
    assert first["alert_id"]
    dispose(client, csrf, first["alert_id"], disposition)
    world.show("ABC1234")
    world.show("4XYZ987")
    world.show("ABC1234")
    reads = live_reads(client, 4)
    assert [r["text"] for r in reads] == ["ABC1234", "4XYZ987", "ABC1234", "ABC1234"]
    open_alerts = client.get("/api/alerts").json()
    assert [r["alert_id"] is not None for r in reads] == [True, False, True, True]  # every hit marked
    if new_alert:
        [fresh] = open_alerts
        assert fresh["alert_id"] != first["alert_id"] and fresh["sounding"]
        assert {reads[0]["alert_id"], reads[2]["alert_id"]} == {fresh["alert_id"]}
    else:
        assert open_alerts == []
        assert {reads[0]["alert_id"], reads[2]["alert_id"]} == {first["alert_id"]}
        assert world.output.history[-1].state == "off"  # the buzzer stays quiet
