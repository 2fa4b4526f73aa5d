"""A refused request for a read's image leaves an audit record: who, when, which read and image, why.

Through the screen's API over the device's own services and a real store
(``tests.ui.world``), with real sessions. The screen answers a refusal with
"not found" (knowing an id is no right to the read), so the audit trail is
the only place that says a request was made and why it was refused.
"""

from __future__ import annotations

from alpr_edge.store.audit import records
from tests.ui.test_investigator import look_up

REFUSED = "images.view"


def refusals(world) -> list[dict]:
    return [r for r in records(world.store) if r["action"] == REFUSED]


def image(client, read_id, kind="crop"):
    return client.get(f"/api/reads/{read_id}/{kind}.jpg")


def test_an_officer_asking_for_a_stored_reads_image_by_id_is_refused_on_the_record(world, login):
    stored = world.earlier_read("2OLD222")
    olive, _ = login("olive")
    assert image(olive, stored.read_id, "overview").status_code == 404
    [record] = refusals(world)
    assert (record["user"], record["role"], record["data"]) == ("olive", "officer", {"read_id": stored.read_id, "kind": "overview"})
    assert record["outcome"] == ("refused: not on the live view, of no alert this user may see, and not among this"
                                 " session's look-up results")
    assert record["at"].startswith(world.clock.now.isoformat()[:19])  # when: the device's clock


def test_a_supervisor_is_refused_before_the_look_up_and_served_after_it(world, login):
    stored = world.earlier_read("7ABC123", hours_ago=20)
    sam, csrf = login("sam")
    assert image(sam, stored.read_id).status_code == 404
    assert [(r["user"], r["data"]["read_id"]) for r in refusals(world)] == [("sam", stored.read_id)]
    look_up(sam, csrf)
    assert image(sam, stored.read_id).status_code == 200
    assert len(refusals(world)) == 1  # a granted image is no refusal


def test_the_routes_own_refusals_are_recorded_too(world, login, clock):
    read, alert = world.push_read("7ABC123")
    other, _ = world.push_read("4XYZ987")
    tim, _ = login("tim")
    assert image(tim, read.read_id).status_code == 403  # a technician never sees a plate
    olive, _ = login("olive")
    assert image(olive, read.read_id, "thumbnail").status_code == 404
    junk = "x" * 500
    assert image(olive, junk).status_code == 404
    clock.advance(301)  # the screen locks
    assert image(olive, read.read_id).status_code == 200  # the unverified alert's read: shown over the lock
    assert image(olive, other.read_id).status_code == 423
    seen = [(r["user"], r["data"]["read_id"], r["data"]["kind"], r["outcome"]) for r in refusals(world)]
    assert seen == [
        ("tim", read.read_id, "crop", "refused: 403: Your role (technician) may not see plate images."),
        ("olive", read.read_id, "thumbnail", "refused: 404: No such image."),
        ("olive", "x" * 64, "crop", seen[2][3]),
        ("olive", other.read_id, "crop", "refused: 423: The screen is locked."),
    ]
    assert seen[2][3].startswith("refused: not on the live view")
