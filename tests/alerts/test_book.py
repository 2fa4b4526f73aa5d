"""The alert lifecycle, stored in real SQLite and audited at each step."""

from __future__ import annotations

import pytest
import sqlite_utils

from alpr_edge.alerts import (
    CLOSED, DISPOSITIONS, AlertBook, AlertError, read_text_hash,
)
from alpr_edge.config import AlertsSection
from alpr_edge.hotlist import HotListEngine, MemoryListStorage, parse_clew, parse_csv, parse_ncic
from alpr_edge.store.transactions import Transactions
from tests.alerts.conftest import SAMPLES


@pytest.fixture
def engine(clock):
    engine = HotListEngine(MemoryListStorage(), clock=clock, audit=lambda *a, **k: None)
    engine.replace(parse_ncic(SAMPLES / "ncic-extract.txt", clock=clock))
    engine.replace(parse_csv(SAMPLES / "agency-bolo.csv", clock=clock, name="bolo"))
    return engine


@pytest.fixture
def db(tmp_path):
    return sqlite_utils.Database(tmp_path / "alerts.db")


@pytest.fixture
def book(db, audit, clock):
    return AlertBook(Transactions(db), audit, clock=clock, settings=AlertsSection(suppress_window_s=300))


def _raise(book, engine, clock, text="7XKM219", read_id="read-1", state="CA"):
    return book.raise_alert(read_id, engine.match(text, state), clock())


def test_raise_stores_the_entry_summary_without_plate_text(book, engine, clock, db, audit):
    alert = _raise(book, engine, clock)
    assert (alert.state, alert.list_name, alert.match_kind, alert.priority, alert.repeats) == ("raised", "ncic", "exact", 2, 0)
    assert (alert.reason, alert.case_number, alert.vehicle, alert.entered_by) == (
        "Stolen vehicle", "000001231", "2018 HOND CIV 4D BLK", "CA0430000")
    assert book.get(alert.alert_id) == alert
    assert audit.records[-1]["action"] == "alert_raised" and audit.records[-1]["case_number"] == "000001231"
    for table in ("alerts", "alert_steps"):
        for row in db[table].rows:
            assert not any("7XKM219" in str(value) for value in row.values()), table


def test_no_matches_no_alert(book):
    assert book.raise_alert("read-1", [], 0.0) is None


@pytest.mark.parametrize("path", [
    [("verified", "officer"), ("confirmed", "officer"), ("disposed", "officer")],
    [("acknowledged", "officer"), ("verified", "officer"), ("not_confirmed", "officer")],
    [("acknowledged", "officer"), ("misread", "officer")],
    [("misread", "officer")],
    [("wrong_state", "officer")],
    [("verified", "supervisor"), ("dismissed", "supervisor")],
    [("acknowledged", "officer"), ("timed_out", "system")],
])
def test_every_legal_path_is_stored_and_audited(book, engine, clock, audit, path):
    alert = _raise(book, engine, clock)
    for step, role in path:
        clock.advance(5)
        extra = {"disposition": "vehicle_recovered"} if step == "disposed" else {}
        note = "duplicate of an earlier stop" if step == "dismissed" else None
        alert = book.transition(alert.alert_id, step, f"{role}-7", role, note=note, **extra)
        assert alert.state == step
        record = audit.records[-1]
        assert (record["action"], record["user"], record["role"], record["outcome"]) == (f"alert_{step}", f"{role}-7", role, step)
        assert record["case_number"] == "000001231"
    assert alert.closed == (path[-1][0] in CLOSED)
    steps = book.steps(alert.alert_id)
    assert [s.to_state for s in steps] == ["raised"] + [step for step, _ in path]
    assert [s.from_state for s in steps] == [None, "raised"] + [step for step, _ in path[:-1]]
    assert all(s.at > steps[0].at for s in steps[1:])
    if path[-1][0] == "disposed":
        assert alert.disposition == "vehicle_recovered" and steps[-1].disposition == "vehicle_recovered"
    assert (alert in book.open_alerts()) == (not alert.closed)


@pytest.mark.parametrize("before, step, role, why", [
    ([], "confirmed", "officer", "an alert that is raised cannot become confirmed"),
    ([], "disposed", "officer", "cannot become disposed"),
    ([("verified", "officer")], "verified", "officer", "cannot become verified"),
    ([("misread", "officer")], "verified", "officer", "none: the alert is closed"),
    ([("verified", "officer"), ("confirmed", "officer")], "not_confirmed", "officer", "next steps: disposed"),
    ([("verified", "officer"), ("confirmed", "officer")], "dismissed", "supervisor", "cannot become dismissed"),
    ([], "raised", "officer", "unknown step 'raised'"),
    ([], "arrested", "officer", "unknown step 'arrested'"),
    ([], "verified", "technician", "role 'technician' may not act on alerts"),
    ([], "dismissed", "officer", "only a supervisor or admin may dismiss"),
    ([], "dismissed", "supervisor", "needs a note"),
    ([], "timed_out", "admin", "only the system times alerts out"),
])
def test_illegal_steps_refused_and_audited(book, engine, clock, audit, before, step, role, why):
    alert = _raise(book, engine, clock)
    for previous, previous_role in before:
        alert = book.transition(alert.alert_id, previous, "u", previous_role)
    with pytest.raises(AlertError, match=why):
        book.transition(alert.alert_id, step, "u", role)
    assert book.get(alert.alert_id).state == alert.state  # nothing changed
    assert len(book.steps(alert.alert_id)) == len(before) + 1
    assert audit.records[-1]["outcome"] == "refused"


@pytest.mark.parametrize("disposition", [None, "shot"])
def test_disposition_must_be_a_known_one(book, engine, clock, disposition):
    alert = _raise(book, engine, clock)
    book.transition(alert.alert_id, "verified", "o", "officer")
    book.transition(alert.alert_id, "confirmed", "o", "officer")
    with pytest.raises(AlertError, match="a disposition is required"):
        book.transition(alert.alert_id, "disposed", "o", "officer", disposition=disposition)
    for known in DISPOSITIONS[:1]:
        assert book.transition(alert.alert_id, "disposed", "o", "officer", disposition=known).state == "disposed"


def test_unknown_alert_and_missing_user(book):
    with pytest.raises(AlertError, match="no alert"):
        book.transition("nope", "verified", "o", "officer")
    with pytest.raises(AlertError, match="names who"):
        book.transition("nope", "verified", "", "officer")


def test_suppression_window(book, engine, clock):
    first = _raise(book, engine, clock, read_id="r1")
    clock.advance(120)
    again = _raise(book, engine, clock, read_id="r2")
    assert again.alert_id == first.alert_id and again.repeats == 1 and again.last_read_id == "r2"
    clock.advance(299)  # the window counts from the last sighting
    assert _raise(book, engine, clock, read_id="r3").alert_id == first.alert_id
    clock.advance(301)
    fresh = _raise(book, engine, clock, read_id="r4")
    assert fresh.alert_id != first.alert_id and fresh.repeats == 0
    assert len(book.open_alerts()) == 2


def test_suppression_is_per_plate_on_a_wildcard_entry(book, engine, clock):
    a = _raise(book, engine, clock, "7ABL330", "r1")
    b = _raise(book, engine, clock, "7XYL330", "r2")
    assert a.match_kind == "wildcard" and a.alert_id != b.alert_id


def test_suppression_uses_the_callers_text_hash(book, engine, clock):
    key = b"device-secret"
    a = book.raise_alert("r1", engine.match("7XKM219"), clock(), text_hash=read_text_hash("7XKM219", key))
    b = book.raise_alert("r2", engine.match("7XKM219"), clock(), text_hash=read_text_hash("7XKM219", key))
    c = book.raise_alert("r3", engine.match("7XKM219"), clock(), text_hash=read_text_hash("OTHER", key))
    assert a.alert_id == b.alert_id != c.alert_id


def test_suppression_holds_across_a_restart_with_a_lasting_hash_key(db, audit, engine, clock):
    def device_hash(text):
        return read_text_hash(text, b"key kept in the store's keyring")

    settings = AlertsSection(suppress_window_s=300)
    first = AlertBook(Transactions(db), audit, clock=clock, settings=settings, text_hasher=device_hash).raise_alert(
        "r1", engine.match("7XKM219"), clock())
    clock.advance(60)
    restarted = AlertBook(Transactions(db), audit, clock=clock, settings=settings, text_hasher=device_hash)
    again = restarted.raise_alert("r2", engine.match("7XKM219"), clock())
    assert again.alert_id == first.alert_id and again.repeats == 1
    rekeyed = AlertBook(Transactions(db), audit, clock=clock, settings=settings, text_hasher=lambda t: read_text_hash(t, b"another key"))
    assert rekeyed.raise_alert("r3", engine.match("7XKM219"), clock()).alert_id != first.alert_id


def test_a_misread_alert_is_not_raised_again_inside_the_window(book, engine, clock):
    alert = _raise(book, engine, clock)
    book.transition(alert.alert_id, "misread", "o", "officer")
    again = _raise(book, engine, clock, read_id="r2")
    assert again.alert_id == alert.alert_id and again.state == "misread" and book.open_alerts() == []


def test_covert_hits_get_their_own_alert_for_privileged_roles_only(book, engine, clock):
    engine.replace(parse_clew(SAMPLES / "ca-clew-stolen.txt", clock=clock, name="covert", covert=True, priority=1))
    overt, covert = book.raise_alerts("r1", engine.match("7XKM219", "CA"), clock())
    assert (overt.list_name, overt.covert, overt.other_lists) == ("ncic", False, ())
    assert (covert.list_name, covert.covert) == ("covert", True)
    assert book.raise_alert("r2", engine.match("3JRT448", "CA"), clock()).covert
    assert [a.list_name for a in book.open_alerts(include_covert=False)] == ["ncic"]
    with pytest.raises(AlertError, match="covert alerts are handled by supervisors"):
        book.transition(covert.alert_id, "verified", "o", "officer")
    assert book.transition(covert.alert_id, "verified", "s", "supervisor").state == "verified"


def test_higher_priority_list_wins_and_the_others_are_named(book, engine, clock):
    engine.replace(parse_clew(SAMPLES / "ca-clew-stolen.txt", clock=clock, priority=1))
    alert = book.raise_alert("r1", engine.match("7XKM219", "CA"), clock())
    assert (alert.list_name, alert.priority, alert.other_lists) == ("clew", 1, ("ncic",))


def test_stale_list_alerts_say_so(book, engine, clock):
    clock.advance(30 * 3600)
    alert = _raise(book, engine, clock)
    assert alert.stale and book.get(alert.alert_id).stale


def test_unattended_alerts_time_out(db, audit, engine, clock):
    book = AlertBook(Transactions(db), audit, clock=clock, settings=AlertsSection(unattended_timeout_s=600))
    waiting = _raise(book, engine, clock, "7XKM219", "r1")
    confirmed = _raise(book, engine, clock, "8BRT552", "r2")
    book.transition(confirmed.alert_id, "verified", "o", "officer")
    book.transition(confirmed.alert_id, "confirmed", "o", "officer")
    clock.advance(601)
    assert [a.alert_id for a in book.time_out_unattended()] == [waiting.alert_id]
    assert book.get(waiting.alert_id).state == "timed_out" and audit.records[-1]["user"] == "system"
    assert book.get(confirmed.alert_id).state == "confirmed"  # a confirmed hit waits for its disposition


def test_alerts_and_steps_survive_a_restart(tmp_path, audit, engine, clock):
    path = tmp_path / "a.db"
    book = AlertBook(Transactions(sqlite_utils.Database(path)), audit, clock=clock)
    alert = _raise(book, engine, clock)
    book.transition(alert.alert_id, "verified", "o", "officer", note="characters and state compared")
    reopened = AlertBook(Transactions(sqlite_utils.Database(path)), audit, clock=clock)
    assert reopened.get(alert.alert_id).state == "verified"
    assert reopened.steps(alert.alert_id)[-1].note == "characters and state compared"


def test_dismissing_and_covert_handling_follow_the_permission_table(book, engine, clock, monkeypatch):
    """The lifecycle had its own list of privileged roles beside the permission table; now it asks `can`."""
    from alpr_edge.accounts.permissions import PERMISSIONS
    from alpr_edge.alerts.desk import may_dismiss

    engine.replace(parse_clew(SAMPLES / "ca-clew-stolen.txt", clock=clock, name="covert", covert=True))
    monkeypatch.setitem(PERMISSIONS, "officer", PERMISSIONS["officer"] | {"alerts.dismiss", "alerts.covert"})
    monkeypatch.setitem(PERMISSIONS, "supervisor", PERMISSIONS["supervisor"] - {"alerts.dismiss", "alerts.covert"})
    assert may_dismiss("officer") and not may_dismiss("supervisor")
    alert = _raise(book, engine, clock)
    with pytest.raises(AlertError, match="only a supervisor or admin may dismiss"):
        book.transition(alert.alert_id, "dismissed", "s", "supervisor", note="duplicate")
    assert book.transition(alert.alert_id, "dismissed", "o", "officer", note="duplicate").state == "dismissed"
    covert = book.raise_alert("r9", engine.match("3JRT448", "CA"), clock())
    with pytest.raises(AlertError, match="covert alerts are handled by"):
        book.transition(covert.alert_id, "verified", "s", "supervisor")
    assert book.transition(covert.alert_id, "verified", "o", "officer").state == "verified"
