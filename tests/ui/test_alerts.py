"""The alert lifecycle through the API, the live view and its push: the real desk over a real store."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from alpr_edge.alerts.lifecycle import banner


def step(client, csrf, alert_id, name, **extra):
    return client.post(f"/api/alerts/{alert_id}/step", json={"step": name, **extra}, headers={"X-CSRF-Token": csrf})


@pytest.fixture
def raised(world):
    world.push_read("4XYZ987")
    _, alert = world.push_read("7ABC123", "CA")
    return alert.alert_id


def test_alert_detail_has_the_entry_and_images(login, raised):
    client, _ = login("olive")
    alert = client.get(f"/api/alerts/{raised}").json()
    assert alert["state"] == "raised" and alert["read_text"] == "7ABC123" and alert["match_kind"] == "exact"
    assert alert["entry"]["case_number"] == "24-001234" and alert["entry"]["vehicle"].startswith("2016 Honda")
    for kind in ("crop", "overview"):
        image = client.get(f"/api/reads/{alert['read_id']}/{kind}.jpg")
        assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"


def test_each_step_sends_the_lifecycle_banner_for_the_new_state(login, raised):
    client, csrf = login("olive")
    seen = [client.get(f"/api/alerts/{raised}").json()]
    seen.append(step(client, csrf, raised, "verified").json())
    seen.append(step(client, csrf, raised, "confirmed").json())
    for alert in seen:  # the screen draws these as sent: look, words and question
        assert alert["banner"] == asdict(banner(alert["state"]))
    assert [a["banner"]["look"] for a in seen] == ["unverified", "verified", "confirmed"]


def test_verify_confirm_dispose_each_step_audited_with_the_officer(login, world, raised):
    client, csrf = login("olive")
    assert step(client, csrf, raised, "verified").json()["state"] == "verified"
    assert step(client, csrf, raised, "confirmed", note="dispatch: still wanted").json()["state"] == "confirmed"
    done = step(client, csrf, raised, "disposed", disposition="vehicle_recovered").json()
    assert done["state"] == "disposed" and done["disposition"] == "vehicle_recovered"
    steps = [(r.action, r.user) for r in world.actions() if r.detail.get("alert_id") == raised and r.action != "ui_alert_viewed"]
    assert steps == [
        ("alert_raised", "system"), ("alert_verified", "olive"), ("alert_confirmed", "olive"), ("alert_disposed", "olive"),
    ]
    assert client.get("/api/alerts").json() == []


def test_not_confirmed_closes_the_alert(login, raised):
    client, csrf = login("olive")
    step(client, csrf, raised, "verified")
    assert step(client, csrf, raised, "not_confirmed").json()["state"] == "not_confirmed"
    assert client.get("/api/alerts").json() == []
    assert step(client, csrf, raised, "disposed", disposition="no_action").status_code == 400


def test_silencing_stops_the_sound_but_the_alert_stays_unverified(login, raised):
    client, csrf = login("olive")
    assert client.get("/api/alerts").json()[0]["sounding"] is True
    silenced = step(client, csrf, raised, "acknowledged").json()
    assert silenced["state"] == "acknowledged" and "verified" in silenced["next_steps"]
    assert client.get("/api/alerts").json()[0]["sounding"] is False


def test_only_a_supervisor_dismisses_and_only_with_a_note(login, world, raised):
    officer, officer_csrf = login("olive")
    assert step(officer, officer_csrf, raised, "dismissed", note="duplicate").status_code == 400
    supervisor, csrf = login("sam")
    assert step(supervisor, csrf, raised, "dismissed").status_code == 400
    assert step(supervisor, csrf, raised, "dismissed", note="duplicate of an earlier stop").json()["state"] == "dismissed"
    assert world.actions("alert_dismissed", outcome="dismissed")[0].user == "sam"


def test_covert_alerts_are_not_shown_to_officers(login, world):
    world.add_hot("3CVT333", None, "Surveillance", list_name="covert-ops", covert=True)
    _, alert = world.push_read("3CVT333")
    officer, csrf = login("olive")
    assert officer.get("/api/alerts").json() == []
    assert officer.get("/api/live").json()["reads"][0]["alert_id"] is None
    assert officer.get(f"/api/alerts/{alert.alert_id}").status_code == 404
    assert step(officer, csrf, alert.alert_id, "verified").status_code == 404
    supervisor, _ = login("sam")
    assert [a["alert_id"] for a in supervisor.get("/api/alerts").json()] == [alert.alert_id]


def test_a_misread_closes_the_alert(login, world, raised):
    client, csrf = login("olive")
    assert step(client, csrf, raised, "misread").json()["state"] == "misread"
    assert client.get("/api/alerts").json() == []
    assert world.actions("alert_misread")[0].user == "olive"
    assert step(client, csrf, raised, "verified").status_code == 400


@pytest.mark.parametrize("steps, refused", [
    ([], "confirmed"),  # no confirmation before the visual check
    ([], "disposed"),
    (["acknowledged"], "confirmed"),
    (["verified"], "misread"),
    (["verified"], "disposed"),
    ([], "launch"),
])
def test_steps_out_of_order_are_refused_and_change_nothing(login, world, raised, steps, refused):
    client, csrf = login("olive")
    for name in steps:
        assert step(client, csrf, raised, name).status_code == 200
    before = world.alert(raised).state
    response = step(client, csrf, raised, refused, disposition="no_action")
    assert response.status_code == 400 and response.json()["message"]
    assert world.alert(raised).state == before
    assert world.actions(outcome="refused")[-1].detail["to"] == refused


def test_unknown_disposition_is_refused(login, raised):
    client, csrf = login("olive")
    step(client, csrf, raised, "verified")
    step(client, csrf, raised, "confirmed")
    response = step(client, csrf, raised, "disposed", disposition="shoot")
    assert response.status_code == 400 and "disposition" in response.json()["message"].lower()


def test_unknown_alert_is_404(login):
    client, csrf = login("olive")
    assert client.get("/api/alerts/nope").status_code == 404
    assert step(client, csrf, "nope", "verified").status_code == 404


def test_alerts_queue_by_priority(login, world):
    world.add_hot("5LOW000", None, "Parking warrant", list_name="local", priority=3)
    world.push_read("5LOW000")
    world.push_read("7ABC123", "CA")
    client, _ = login("olive")
    assert [a["priority"] for a in client.get("/api/alerts").json()] == [1, 3]


def test_live_view_lists_reads_newest_first_with_status_and_warnings(login, world, raised):
    client, _ = login("olive")
    live = client.get("/api/live").json()
    assert [r["text"] for r in live["reads"]] == ["7ABC123", "4XYZ987"]
    assert live["reads"][0]["alert_id"] == raised and live["reads"][1]["alert_id"] is None
    assert live["gps"]["status"] == "warn" and "no GPS" in live["gps"]["detail"]  # this world has no receiver
    assert live["uplink"]["status"] == "warn" and live["warnings"] == []
    world.clock.advance(hours=30)  # the hot list ages past hotlist.max_age_hours
    warnings = client.get("/api/live").json()["warnings"]
    assert len(warnings) == 1 and "ncic" in warnings[0] and "stale" in warnings[0].lower()


def _events(client) -> list[tuple[str, dict]]:
    events = []
    with client.stream("GET", "/api/events") as stream:
        name = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and name:
                events.append((name, json.loads(line[6:])))
    return events


def test_the_push_stream_sends_the_live_snapshot_with_the_alert(login, raised):
    client, _ = login("olive")
    events = _events(client)
    assert events[0][0] == "live"
    assert [a["alert_id"] for a in events[0][1]["alerts"]] == [raised]


def test_the_push_stream_says_locked_with_the_unverified_alert_and_nothing_else(login, clock, raised):
    client, _ = login("olive")
    clock.advance(301)
    events = _events(client)
    assert [name for name, _ in events] == ["locked"]
    locked = events[0][1]
    assert locked["pending_alerts"] == 1 and set(locked) == {"pending_alerts", "alerts"}  # no live reads
    assert [(a["alert_id"], a["read_text"], a["state"]) for a in locked["alerts"]] == [(raised, "7ABC123", "raised")]


def test_a_locked_screen_shows_an_unverified_alert_but_takes_no_step(login, clock, world, raised):
    client, csrf = login("olive")
    clock.advance(301)
    shown = client.get(f"/api/alerts/{raised}")
    assert shown.status_code == 200 and shown.json()["read_text"] == "7ABC123"
    assert world.actions("ui_alert_viewed")[-1].detail["locked"] is True
    image = client.get(f"/api/reads/{shown.json()['read_id']}/crop.jpg")
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
    assert step(client, csrf, raised, "verified").status_code == 423
    assert world.alert(raised).state == "raised"
    other = world.feed.newest(5)[-1]  # the read before the hit: not an alert's, not shown while locked
    assert client.get(f"/api/reads/{other.read_id}/crop.jpg").status_code == 423
    assert client.get("/api/live").status_code == 423


def test_a_locked_screen_does_not_show_a_verified_alert(login, clock, raised):
    client, csrf = login("olive")
    assert step(client, csrf, raised, "verified").status_code == 200
    clock.advance(301)
    assert client.get(f"/api/alerts/{raised}").status_code == 423
    assert _events(client) == [("locked", {"pending_alerts": 0, "alerts": []})]


def test_a_step_records_the_reason_the_officer_chose(login, world, raised):
    client, csrf = login("olive")
    refused = step(client, csrf, raised, "misread", reason="state_differs")  # wrong_state's reason, not misread's
    assert refused.status_code == 400 and "does not go with the misread step" in refused.json()["message"]
    assert world.alert(raised).state == "raised"
    closed = step(client, csrf, raised, "misread", reason="not_a_plate").json()
    assert closed["state"] == "misread" and closed["state_label"] == "Closed: camera misread"
    assert world.actions("alert_misread")[-1].detail["reason"] == "not_a_plate"


def test_the_alert_detail_carries_the_buttons_and_the_differences(login, world):
    _, alert = world.push_read("7A8C123", "CA")
    client, _ = login("olive")
    detail = client.get(f"/api/alerts/{alert.alert_id}").json()
    assert detail["differs"] == {"read": [2], "entry": [2]}
    assert [(a["step"], a["reason"]) for a in detail["actions"]][:3] == [
        ("verified", None), ("misread", "characters_differ"), ("misread", "not_a_plate")]


def test_the_push_stream_needs_a_session(make_client):
    assert make_client().get("/api/events").status_code == 401


def test_add_hot_plate_records_the_logged_in_user_and_then_alerts(login, world):
    client, csrf = login("olive")
    body = {"plate": "8kid 42?", "state": "ca", "reason": "Amber alert", "case_number": "24-9", "expires": "2026-12-31",
            "synopsis": "Child taken from school"}
    headers = {"X-CSRF-Token": csrf}
    assert client.post("/api/hotlist", json={**body, "entered_by": "someone"}, headers=headers).status_code == 422
    entry = client.post("/api/hotlist", json=body, headers=headers).json()
    assert entry["plate"] == "8KID42?" and entry["state"] == "CA" and entry["entered_by"] == "olive"
    assert world.actions("hotlist_plate_add", outcome="added")[0].user == "olive"
    _, alert = world.push_read("8KID427", "CA")
    assert alert is not None and alert.match_kind == "wildcard"


GOOD_PLATE = {"plate": "7XYZ123", "reason": "Stolen", "case_number": "24-9", "synopsis": "Taken overnight",
              "expires": "2026-12-31"}


@pytest.mark.parametrize("change, words", [
    ({"plate": "7ABC1234567"}, "plate"),  # the hot list engine's own rule, in its words
    ({"plate": "7AB!123"}, "plate"),
    ({"expires": "31/12/2026"}, "YYYY-MM-DD"),
    ({"expires": ""}, "always expire"),
    ({"synopsis": ""}, "synopsis"),
    ({"case_number": ""}, "case_number"),
])
def test_bad_hot_plates_are_refused_with_the_reason(login, world, change, words):
    client, csrf = login("olive")
    response = client.post("/api/hotlist", json={**GOOD_PLATE, **change}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 400 and words in response.json()["message"], response.text
    assert world.manual_count() == 0
    assert client.post("/api/hotlist", json=GOOD_PLATE, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert world.manual_count() == 1
