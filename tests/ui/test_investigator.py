"""Issue 23 on the touchscreen's API: look-up results, their images, evidence packages, holds, corrections.

Over the device's own services and a real store (``tests.ui.world``); the same
screens in real Chromium are in ``test_browser_lookup.py``.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from alpr_edge.store.evidence import verify_package
from tests.ui.world import MAP_URL

GOOD = {"purpose": "stolen-wanted-or-suspect-vehicle: Armed robbery at 5th and Main, getaway car", "case_number": "24-001234"}
RECIPIENT = "oakland police department / Det. R. Ortiz"


def post(client, csrf, path, **body):
    return client.post(path, json=body, headers={"X-CSRF-Token": csrf})


def look_up(client, csrf, plate="7ABC123", **grounds):
    response = post(client, csrf, "/api/search", plate=plate, **{**GOOD, **grounds})
    assert response.status_code == 200, response.text
    return response.json()["hits"]


@pytest.fixture
def earlier(world):
    """Two reads of the plate from an earlier shift (store only) and one of another plate."""
    return [world.earlier_read("7ABC123", hours_ago=30), world.earlier_read("7ABC123", hours_ago=20),
            world.earlier_read("4XYZ987", hours_ago=10)]


# -- results: place, map link, holds, corrections --------------------------------------------


def test_a_result_shows_time_place_and_the_agencys_map_link(login, earlier):
    client, csrf = login("sam")
    hits = look_up(client, csrf)
    assert [h["read_id"] for h in hits] == [earlier[0].read_id, earlier[1].read_id]
    hit = hits[0]
    assert (hit["latitude"], hit["longitude"]) == (37.8044, -122.2711)
    assert hit["map_link"] == "https://maps.example.gov/?q=37.804400,-122.271100"
    assert hit["time"] == earlier[0].capture_wall_time and hit["holds"] == [] and hit["corrections"] == []


def test_no_map_link_without_a_position_or_a_pattern(world, login):
    from dataclasses import replace

    world.earlier_read("5NOP555", position=None)
    client, csrf = login("sam")
    assert look_up(client, csrf, "5NOP555")[0]["map_link"] is None
    world.earlier_read("5NOP556")
    world.services.investigations.config = replace(world.config, ui=replace(world.config.ui, map_url=""))
    hit = look_up(client, csrf, "5NOP556")[0]
    assert hit["map_link"] is None and hit["latitude"] == 37.8044
    assert MAP_URL  # the world's other tests do have one


# -- images: only to the session whose look-up returned the read -------------------------------


def image(client, read_id, kind="crop"):
    return client.get(f"/api/reads/{read_id}/{kind}.jpg")


def test_a_look_up_opens_its_results_images_to_that_session_only(world, login, earlier):
    sam, csrf = login("sam")
    world.clock.advance(seconds=31)  # the next TOTP code
    other_sam, _ = login("sam")  # the same supervisor on another session
    ada, _ = login("ada")
    stored = earlier[0].read_id
    assert image(sam, stored).status_code == 404  # knowing an id is not a look-up
    look_up(sam, csrf)
    for kind in ("crop", "overview"):
        response = image(sam, stored, kind)
        assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"
    assert image(sam, earlier[2].read_id).status_code == 404  # not among the results
    assert image(other_sam, stored).status_code == 404
    assert image(ada, stored).status_code == 404


def test_an_officer_gets_no_stored_read_image_not_even_a_covert_hits(world, login):
    """Before issue 23 the image route decrypted any stored read for any officer who knew its id."""
    world.add_hot("3CVT333", None, "Surveillance", list_name="covert-ops", covert=True)
    read, alert = world.push_read("3CVT333")
    assert alert is not None and alert.covert
    olive, _ = login("olive")
    sam, _ = login("sam")
    assert image(olive, read.read_id).status_code == 200  # on the live view: the officer sees every read there
    world.feed.add([world.earlier_read("1PLN111")] * 50)  # the live view moves on
    assert image(olive, read.read_id).status_code == 404
    assert image(olive, world.earlier_read("2OLD222").read_id).status_code == 404
    assert image(sam, read.read_id).status_code == 200  # the covert alert is a supervisor's to see


def test_an_overt_alerts_images_stay_open_to_the_officer_after_the_live_view_moves_on(world, login):
    read, alert = world.push_read("7ABC123")
    assert alert is not None
    world.feed.add([world.earlier_read("1PLN111")] * 50)
    olive, _ = login("olive")
    assert image(olive, read.read_id).status_code == 200


# -- evidence packages -----------------------------------------------------------------


def export(client, csrf, read_ids, recipient=RECIPIENT, **grounds):
    return post(client, csrf, "/api/lookup/export", plate="7ABC123", read_ids=read_ids, recipient=recipient,
                **{**GOOD, **grounds})


def test_a_supervisor_exports_chosen_results_as_a_signed_package(world, login, earlier):
    client, csrf = login("sam")
    assert client.get("/api/lookup/recipients").json() == list(world.config.evidence.permitted_recipients)
    hits = look_up(client, csrf)
    response = export(client, csrf, [hits[1]["read_id"]])
    assert response.status_code == 200, response.text
    result = response.json()
    folder = Path(result["folder"])
    assert folder.parent == world.config.data_dir / "exports"
    assert result["read_ids"] == [earlier[1].read_id] and result["recipient"] == "Oakland Police Department / Det. R. Ortiz"
    intact, problems, _ = verify_package(folder)
    assert intact, problems
    assert sorted(p.name for p in (folder / "reads").iterdir()) == [earlier[1].read_id]
    for path in folder.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    [record] = world.actions("evidence.export", outcome="ok")
    assert record.user == "sam" and record.detail["case_number"] == "24-001234"
    assert record.detail["read_ids"] == [earlier[1].read_id] and record.detail["folder"] == str(folder)
    assert world.actions("reads.export.package", outcome="ok")[0].detail["purpose"] == GOOD["purpose"]


def test_packages_go_to_the_configured_export_folder(world, login, earlier, tmp_path):
    from dataclasses import replace

    folder = tmp_path / "usb-evidence"
    world.services.investigations.config = replace(world.config, ui=replace(world.config.ui, export_dir=folder))
    client, csrf = login("sam")
    hits = look_up(client, csrf)
    written = Path(export(client, csrf, [hits[0]["read_id"]]).json()["folder"])
    assert written.parent == folder and written.name.startswith("24-001234-")
    assert verify_package(written)[0] and not (world.config.data_dir / "exports").exists()


@pytest.mark.parametrize("recipient, words", [
    ("FBI / Agent Smith", "not a permitted recipient"),
    ("Oakland Police Department", "expected \\\"AGENCY / person\\\""),
])
def test_a_recipient_the_agency_does_not_permit_is_refused_and_audited(world, login, earlier, recipient, words):
    client, csrf = login("sam")
    hits = look_up(client, csrf)
    response = export(client, csrf, [hits[0]["read_id"]], recipient=recipient)
    assert response.status_code == 400 and words.replace("\\", "") in response.json()["message"]
    [refused] = world.actions("evidence.export", outcome="refused")
    assert refused.user == "sam" and refused.detail["recipient"] == recipient
    assert not (world.config.data_dir / "exports").exists() or not any((world.config.data_dir / "exports").iterdir())


def test_no_package_leaves_a_device_whose_agency_permits_no_recipient(world, login, earlier):
    from dataclasses import replace

    world.services.investigations.config = replace(
        world.config, evidence=replace(world.config.evidence, permitted_recipients=[]))
    client, csrf = login("sam")
    assert client.get("/api/lookup/recipients").json() == []
    hits = look_up(client, csrf)
    response = export(client, csrf, [hits[0]["read_id"]])
    assert response.status_code == 400 and "no recipients are permitted" in response.json()["message"]
    assert world.actions("evidence.export", outcome="refused")


def test_an_export_reaches_no_further_than_the_look_up(world, login, earlier):
    client, csrf = login("sam")
    look_up(client, csrf)
    other = earlier[2].read_id  # a stored read this session never looked up
    assert export(client, csrf, [other]).status_code == 404
    look_up(client, csrf, "4XYZ987")
    response = export(client, csrf, [other])  # looked up, but not a result of the grounds now given
    assert response.status_code == 400 and "not among this look-up's results" in response.json()["message"]
    assert world.actions("evidence.export", outcome="refused")
    assert not world.actions("evidence.export", outcome="ok")


def test_an_export_needs_proper_grounds_again(world, login, earlier):
    client, csrf = login("sam")
    hits = look_up(client, csrf)
    response = export(client, csrf, [hits[0]["read_id"]], case_number="")
    assert response.status_code == 400 and "case number is required" in response.json()["message"]
    assert world.actions("reads.export.package", outcome="refused")


# -- holds ---------------------------------------------------------------------------


def test_a_supervisor_places_and_releases_a_hold_with_case_and_reason(world, login, earlier):
    client, csrf = login("sam")
    read_id = look_up(client, csrf)[0]["read_id"]
    refused = post(client, csrf, "/api/lookup/hold", read_id=read_id, case_number="24-001234", reason="")
    assert refused.status_code == 400 and "case number and a reason" in refused.json()["message"]
    held = post(client, csrf, "/api/lookup/hold", read_id=read_id, case_number="24-001234", reason="Court order 55").json()
    [hold] = held["holds"]
    assert hold["case_number"] == "24-001234" and hold["reason"] == "Court order 55" and hold["placed_by"] == "sam"
    assert look_up(client, csrf)[0]["holds"] == held["holds"]  # the hold state shows with the result
    no_reason = post(client, csrf, "/api/lookup/release", read_id=read_id, hold_id=hold["hold_id"], reason="")
    assert no_reason.status_code == 400 and "reason is required" in no_reason.json()["message"]
    released = post(client, csrf, "/api/lookup/release", read_id=read_id, hold_id=hold["hold_id"], reason="Case closed by court")
    assert released.status_code == 200 and released.json()["holds"] == []
    assert [r.outcome for r in world.actions("hold.add")] == ["refused: case number and reason required", "ok"]
    release = world.actions("hold.release", outcome="ok")[0]
    assert release.user == "sam" and release.detail["reason"] == "Case closed by court"
    assert world.actions("hold.release", outcome="refused")[0].detail["reason"] == ""


def test_a_hold_of_another_read_cannot_be_released_through_this_one(world, login, earlier):
    from alpr_edge.store import add_hold

    other_hold = add_hold(world.store, earlier[2].read_id, case_number="24-9", reason="Other case", user="ada", role="admin")
    client, csrf = login("sam")
    read_id = look_up(client, csrf)[0]["read_id"]
    response = post(client, csrf, "/api/lookup/release", read_id=read_id, hold_id=other_hold, reason="Not mine to release")
    assert response.status_code == 400 and "No active hold" in response.json()["message"]
    assert [h["id"] for h in __import__("alpr_edge.store", fromlist=["list_holds"]).list_holds(world.store)] == [other_hold]


# -- corrections ---------------------------------------------------------------------


def test_a_supervisor_corrects_a_read_and_both_values_are_shown_and_audited(world, login, earlier):
    client, csrf = login("sam")
    read_id = look_up(client, csrf)[0]["read_id"]
    response = post(client, csrf, "/api/lookup/correct", read_id=read_id, text="7ABC128", state="",
                    reason="8 read as 3, checked on the image")
    assert response.status_code == 200, response.text
    hit = response.json()
    assert (hit["text"], hit["state"]) == ("7ABC128", "CA")
    [correction] = hit["corrections"]
    assert (correction["from_text"], correction["to_text"], correction["by"]) == ("7ABC123", "7ABC128", "sam")
    assert [h["read_id"] for h in look_up(client, csrf, "7ABC128")] == [read_id]  # found under the corrected plate
    [audited] = world.actions("reads.correct", outcome="ok")
    assert audited.detail["from"]["text"] == "7ABC123" and audited.detail["to"]["text"] == "7ABC128"


def test_a_correction_without_a_reason_is_refused_and_audited(world, login, earlier):
    client, csrf = login("sam")
    read_id = look_up(client, csrf)[0]["read_id"]
    response = post(client, csrf, "/api/lookup/correct", read_id=read_id, state="NV", reason="ok")
    assert response.status_code == 400 and "reason is required" in response.json()["message"]
    assert world.actions("reads.correct", outcome="refused")
    assert world.store.get_read(read_id).state == "CA"


# -- who may ---------------------------------------------------------------------------


@pytest.mark.parametrize("path, body", [
    ("/api/lookup/export", {"plate": "7ABC123", "read_ids": ["x"], "recipient": RECIPIENT, **GOOD}),
    ("/api/lookup/hold", {"read_id": "x", "case_number": "24-1", "reason": "Court order"}),
    ("/api/lookup/release", {"read_id": "x", "hold_id": "h", "reason": "Case closed"}),
    ("/api/lookup/correct", {"read_id": "x", "text": "7ABC128", "reason": "misread on scene"}),
])
@pytest.mark.parametrize("name", ["olive", "tim"])
def test_officers_and_technicians_cannot_export_hold_or_correct(world, login, earlier, name, path, body):
    body = {**body, "read_id": earlier[0].read_id} if "read_id" in body else {**body, "read_ids": [earlier[0].read_id]}
    client, csrf = login(name)
    assert post(client, csrf, path, **body).status_code == 403
    assert client.get("/api/lookup/recipients").status_code == 403
    assert not world.actions("hold.add") and not world.actions("reads.correct") and not world.actions("evidence.export")


def test_the_services_refuse_an_officer_too_and_audit_it(world, earlier):
    from alpr_edge.ui.backend import Refused, SessionUser

    olive = SessionUser("olive", "officer")
    read_id = earlier[0].read_id
    with pytest.raises(Refused, match="may not export"):
        world.services.export_package([read_id], "7ABC123", False, GOOD["purpose"], GOOD["case_number"], RECIPIENT, olive)
    with pytest.raises(Refused, match="may not place"):
        world.services.place_hold(read_id, "24-1", "Court order", olive)
    with pytest.raises(Refused, match="may not release"):
        world.services.release_hold(read_id, "h", "Case closed", olive)
    with pytest.raises(Refused, match="may not correct"):
        world.services.correct_read(read_id, "7ABC128", None, "misread on scene", olive)
    for action in ("evidence.export", "hold.add", "hold.release", "reads.correct"):
        [refused] = world.actions(action, outcome="refused")
        assert refused.user == "olive", action
    assert world.store.get_read(read_id).text == "7ABC123"


def test_a_role_refusal_is_recorded_in_the_command_lines_words(world, earlier):
    """The screen once wrote "may not place holds" and "may not export reads" where `alpr-edge hold add` and
    `reads export` write the permission table's words: one refusal, two spellings in the audit trail."""
    from alpr_edge.ui.backend import Refused, SessionUser

    olive, read_id = SessionUser("olive", "officer"), earlier[0].read_id
    calls = [lambda: world.services.search("7ABC123", False, GOOD["purpose"], GOOD["case_number"], SessionUser("tim", "technician")),
             lambda: world.services.export_package([read_id], "7ABC123", False, GOOD["purpose"], GOOD["case_number"], RECIPIENT, olive),
             lambda: world.services.place_hold(read_id, "24-1", "Court order", olive),
             lambda: world.services.release_hold(read_id, "h", "Case closed", olive),
             lambda: world.services.correct_read(read_id, "7ABC128", None, "misread on scene", olive)]
    for call in calls:
        with pytest.raises(Refused, match="may not "):
            call()
    outcomes = [(r.action, r.outcome) for r in world.actions(outcome="refused")]
    assert outcomes == [("reads.search", "refused: role technician may not search stored reads"),
                        ("evidence.export", "refused: role officer may not export stored reads"),
                        ("hold.add", "refused: role officer may not place evidence holds"),
                        ("hold.release", "refused: role officer may not release evidence holds"),
                        ("reads.correct", "refused: role officer may not correct stored reads")]


def test_the_screen_offers_the_tools_by_role(login):
    for name, allowed in (("olive", False), ("tim", False), ("sam", True), ("ada", True)):
        client, _ = login(name)
        can = client.get("/api/session").json()["can"]
        assert (can["export"], can["hold"], can["correct"]) == (allowed,) * 3, name
