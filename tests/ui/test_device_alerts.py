"""An alert from a real daemon, handled through the touchscreen API, lands in the store's audit trail."""

from __future__ import annotations

import time

import pytest

from tests.ui.device_world import start_device


@pytest.fixture
def world(tmp_path):
    world = start_device(tmp_path)
    yield world
    world.stop()


def wait_for_alert(client) -> dict:
    deadline = time.monotonic() + 10
    while True:
        alerts = client.get("/api/alerts").json()
        if alerts:
            return alerts[0]
        assert time.monotonic() < deadline, "no alert reached the touchscreen"
        time.sleep(0.1)


def test_verify_confirm_dispose_through_the_device(world):
    client, csrf = world.login("olive")
    world.show("4XYZ987")
    world.show("ABC1234")
    summary = wait_for_alert(client)
    assert summary["read_text"] == "ABC1234" and summary["sounding"] is True
    alert = client.get(f"/api/alerts/{summary['alert_id']}").json()
    assert alert["entry"]["plate"] == "ABC1234" and alert["entry"]["case_number"] == "24-001234"
    assert alert["entry"]["vehicle"] == "2016 Honda Civic, grey" and alert["match_kind"] == "exact"
    assert world.output.history[-1].state != "off"  # the car's buzzer sounds
    url = f"/api/alerts/{summary['alert_id']}/step"
    assert client.post(url, json={"step": "confirmed"}, headers=csrf).status_code == 400  # not before the visual check
    assert client.post(url, json={"step": "verified"}, headers=csrf).json()["state"] == "verified"
    assert world.output.history[-1].state == "off"  # compared: the buzzer stops
    assert client.post(url, json={"step": "confirmed", "note": "CLETS: still stolen"}, headers=csrf).json()["state"] == "confirmed"
    done = client.post(url, json={"step": "disposed", "disposition": "vehicle_recovered"}, headers=csrf).json()
    assert [r["text"] for r in client.get("/api/live").json()["reads"]] == ["ABC1234", "4XYZ987"]
    assert done["state"] == "disposed" and [s["step"] for s in done["history"]] == ["raised", "verified", "confirmed", "disposed"]
    trail = [(r["action"], r["user"], r["outcome"]) for r in world.audit("alert_")]
    assert ("alert_verified", "olive", "verified") in trail
    assert ("alert_confirmed", "olive", "confirmed") in trail
    assert ("alert_disposed", "olive", "disposed") in trail
    assert ("alert_confirmed", "olive", "refused") in trail


def test_a_misread_closes_the_device_alert(world):
    client, csrf = world.login("olive")
    world.show("ABC1234")
    summary = wait_for_alert(client)
    closed = client.post(f"/api/alerts/{summary['alert_id']}/step", json={"step": "misread"}, headers=csrf).json()
    assert closed["state"] == "misread"
    assert summary["alert_id"] not in [a["alert_id"] for a in client.get("/api/alerts").json()]


def test_a_technician_gets_no_plate_from_the_device(world):
    officer, _ = world.login("olive")
    world.show("ABC1234")
    summary = wait_for_alert(officer)
    tech, _ = world.login("tim")
    live = tech.get("/api/live")
    assert live.json()["reads"] == [] and b"ABC1234" not in live.content
    assert tech.get(f"/api/alerts/{summary['alert_id']}").status_code == 403
    read_id = officer.get("/api/live").json()["reads"][0]["read_id"]
    assert officer.get(f"/api/reads/{read_id}/crop.jpg").content[:2] == b"\xff\xd8"
    assert tech.get(f"/api/reads/{read_id}/crop.jpg").status_code == 403


def test_an_officer_adds_a_partial_hot_plate_and_the_next_read_alerts(world):
    client, csrf = world.login("olive")
    body = {"plate": "8KID42?", "state": "CA", "reason": "Amber alert", "case_number": "24-0042", "expires": "2099-01-01"}
    refused = client.post("/api/hotlist", json=body, headers=csrf)
    assert refused.status_code == 400 and "synopsis" in refused.json()["message"]
    assert "more than" in client.post("/api/hotlist", json={**body, "synopsis": "Child taken"}, headers=csrf).json()["message"]
    from datetime import date, timedelta

    body.update(synopsis="Child taken from school", expires=(date.today() + timedelta(days=7)).isoformat())
    entry = client.post("/api/hotlist", json=body, headers=csrf).json()
    assert entry["plate"] == "8KID42?" and entry["entered_by"] == "olive"
    assert [a for a in world.audit("hotlist_plate_add") if a["user"] == "olive"][-1]["outcome"] == "added"
    world.show("8KID427")
    alert = wait_for_alert(client)
    detail = client.get(f"/api/alerts/{alert['alert_id']}").json()
    assert detail["match_kind"] == "wildcard" and detail["entry"]["plate"] == "8KID42?"
