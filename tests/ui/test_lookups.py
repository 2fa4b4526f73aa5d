"""Look-ups need a purpose and a case number; who may see what is enforced by the server."""

from __future__ import annotations

import pytest

GOOD = {"purpose": "stolen-wanted-or-suspect-vehicle: Armed robbery at 5th and Main, getaway car", "case_number": "24-001234"}


@pytest.fixture
def reads(world):
    for text in ("7ABC123", "7ABD123", "4XYZ987"):
        world.push_read(text)


def search(client, csrf, **body):
    return client.post("/api/search", json=body, headers={"X-CSRF-Token": csrf})


def test_search_with_purpose_and_case_number_finds_partial_plates_and_is_audited(login, world, reads):
    client, csrf = login("sam")
    result = search(client, csrf, plate="7ab?123", **GOOD).json()
    assert result["partial"] is True
    assert sorted(h["text"] for h in result["hits"]) == ["7ABC123", "7ABD123"]
    assert [h["text"] for h in search(client, csrf, plate="4XY*", **GOOD).json()["hits"]] == ["4XYZ987"]
    record = world.actions("reads.search", outcome="ok")[0]
    assert record.user == "sam" and record.detail["case_number"] == "24-001234" and record.detail["purpose"] == GOOD["purpose"]


@pytest.mark.parametrize("body, words", [
    ({"plate": "7ABC123", "purpose": GOOD["purpose"], "case_number": ""}, "case number is required"),
    ({"plate": "7ABC123", "purpose": "", "case_number": "24-1"}, "No purpose given"),
    ({"plate": "7ABC123", "purpose": "investigation", "case_number": "24-001234"}, "not one of this agency's authorised purposes"),
    ({"plate": "7ABC123", "purpose": " Investigation. ", "case_number": "24-001234"}, "write it as PURPOSE: detail"),
    ({"plate": "7ABC123", "purpose": "Immigration enforcement", "case_number": "24-001234"}, "SB 54"),
    ({"plate": "*", **GOOD}, "3 known characters"),
    ({"plate": "7A!C123", "purpose": "", "case_number": "24-1"}, "No purpose given"),
])
def test_searches_without_proper_grounds_are_refused_with_the_reason(login, world, reads, body, words):
    client, csrf = login("sam")
    response = search(client, csrf, **body)
    assert response.status_code == 400
    assert words in response.json()["message"]
    assert not world.actions("reads.search", outcome="ok")
    assert world.actions("reads.search", outcome="refused")[-1].user == "sam"  # refusals are audited too


def test_the_services_refuse_too_even_if_the_app_did_not(world):
    from alpr_edge.ui.backend import Refused, SessionUser

    with pytest.raises(Refused, match="not one of this agency's authorised purposes"):
        world.services.search("7ABC123", False, "investigation", "24-1", SessionUser("sam", "supervisor"))
    with pytest.raises(Refused, match="may not search"):  # the role is decided above the store, and audited
        world.services.search("7ABC123", False, "Stolen vehicle report", "24-1187", SessionUser("olive", "officer"))
    refused = world.actions("reads.search", outcome="refused")
    assert [r.user for r in refused] == ["sam", "olive"]


@pytest.mark.parametrize("name, browse", [("olive", 200), ("tim", 403)])
def test_officers_and_technicians_cannot_search_officers_may_browse(login, name, browse):
    client, csrf = login(name)
    assert search(client, csrf, plate="7ABC123", **GOOD).status_code == 403
    assert client.get("/api/hotlist").status_code == browse


def test_only_admins_read_the_audit_trail(login, world):
    for name in ("olive", "sam", "tim"):
        client, _ = login(name)
        assert client.get("/api/audit").status_code == 403
    client, _ = login("ada")
    trail = client.get("/api/audit").json()
    assert {"login"} <= {r["action"] for r in trail}
    assert world.actions("audit.view")[0].user == "ada"


def test_a_technician_never_receives_a_plate_or_an_image(login, world):
    read, alert = world.push_read("7ABC123", "CA")
    client, csrf = login("tim")
    responses = [
        client.get("/api/live"), client.get("/api/alerts"), client.get(f"/api/alerts/{alert.alert_id}"),
        client.get(f"/api/reads/{read.read_id}/crop.jpg"), client.get(f"/api/reads/{read.read_id}/overview.jpg"),
        client.get("/api/hotlist"), client.get("/api/start-of-shift"), client.get("/api/session"),
        client.post(f"/api/alerts/{alert.alert_id}/step", json={"step": "verified"}, headers={"X-CSRF-Token": csrf}),
    ]
    with client.stream("GET", "/api/events") as stream:
        pushed = b"".join(stream.iter_bytes())
    for response in responses:
        assert b"7ABC123" not in response.content
        assert b"\xff\xd8" not in response.content[:2]
    assert b"7ABC123" not in pushed and b"event: live" in pushed
    assert [r.status_code for r in responses[1:5]] == [403] * 4
    live = responses[0].json()
    assert live["reads"] == [] and live["alerts"] == [] and live["reads_count"] == 1
    assert world.alert(alert.alert_id).state == "raised"


def test_officer_sees_the_plate_the_technician_does_not(login, world):
    world.push_read("4XYZ987")
    officer, _ = login("olive")
    assert officer.get("/api/live").json()["reads"][0]["text"] == "4XYZ987"


def test_covert_lists_are_never_browsed_by_an_officer(login, world):
    """Issue 20: a covert list's plates reached an officer through the hot-list browse."""
    world.add_hot("3CVT333", None, "Surveillance", list_name="covert-ops", covert=True)
    officer, _ = login("olive")
    plates = [e["plate"] for e in officer.get("/api/hotlist").json()]
    assert "7ABC123" in plates and "3CVT333" not in plates
    supervisor, _ = login("sam")
    assert "3CVT333" in [e["plate"] for e in supervisor.get("/api/hotlist").json()]
