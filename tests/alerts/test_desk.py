"""The alert desk over a real store: one transaction per hit, who may see what, outputs, time-outs."""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

import pytest

from alpr_edge.alerts import AlertDesk, AlertSignals, AlsaOutput, RecordingOutput, UnknownAlert
from alpr_edge.config import AlertsSection, Config, DeviceSection, StoreSection
from alpr_edge.daemon import Components, Daemon
from alpr_edge.hotlist.matching import entry_key
from alpr_edge.profiles import load_profile
from alpr_edge.store import Store
from alpr_edge.vision.types import Candidate, Read
from tests.fakes import EndlessSource, ReadPerObservation, SlowRecognizer


@pytest.fixture
def store(tmp_path):
    store = Store.open(tmp_path / "data", StoreSection(), dev_keys=True)
    yield store
    store.close()


def _read(read_id: str, text: str, at: float) -> Read:
    return Read(read_id=read_id, text=text, confidence=0.9, candidates=(Candidate(text, 0.9),), camera="front",
                capture_monotonic_s=0.0, capture_wall_time=at, first_seen_monotonic_s=0.0, frames=3, box=(0, 0, 1, 1),
                state="CA")


def test_covert_alerts_exist_only_for_supervisors_and_admins(store, engine, clock):
    desk = AlertDesk(store, clock=clock)
    [overt] = desk.raise_for("r1", engine.match("9ZZA114", "CA"))
    [covert] = desk.raise_for("r2", engine.match("3JRT448", "CA"))
    assert covert.covert and not overt.covert
    assert [a.alert_id for a in desk.open_for("officer")] == [overt.alert_id]
    assert {a.alert_id for a in desk.open_for("supervisor")} == {overt.alert_id, covert.alert_id}
    assert desk.open_for("technician") == [] and desk.recent_for("technician") == []
    with pytest.raises(UnknownAlert, match="no alert"):  # the same words as for an alert that does not exist
        desk.get_for(covert.alert_id, "officer")
    with pytest.raises(UnknownAlert):
        desk.step(covert.alert_id, "verified", "olive", "officer")
    assert desk.get_for(covert.alert_id, "admin").state == "raised"


def test_a_hit_is_marked_and_alerted_in_one_transaction(store, engine, clock):
    read = _read("r-hit", "9ZZA114", clock())
    store.add_reads([read])
    [alert] = AlertDesk(store, clock=clock).raise_for(read.read_id, engine.match("9ZZA114", "CA"))
    assert store.get_read(read.read_id).has_hit and alert.read_id == read.read_id
    assert AlertDesk(store, clock=clock).raise_for("r-none", []) == []


def test_no_bare_plate_hash_in_the_alerts_table(store, engine, clock):
    """Issue 21: the entry key (a bare SHA-256 of list, plate and state) was stored and brute-forced back."""
    matches = engine.match("9ZZA114", "CA")
    AlertDesk(store, clock=clock).raise_for("r1", matches)
    bare = {entry_key(m.list_name, m.entry) for m in matches} | {m.entry_key for m in matches}
    bare |= {hashlib.sha256(b"9ZZA114").hexdigest()}
    with store.read() as db:
        cells = [str(v) for table in ("alerts", "alert_steps") for row in db[table].rows for v in row.values()]
    assert cells and not [cell for cell in cells if any(b in cell for b in bare)]
    assert not [cell for cell in cells if "9ZZA114" in cell]


def test_the_outputs_follow_every_change_on_the_desk(store, engine, clock):
    output = RecordingOutput()
    desk = AlertDesk(store, signals=AlertSignals(output), clock=clock)
    [alert] = desk.raise_for("r1", engine.match("9ZZA114", "CA"))
    assert output.state["buzzer"] != "off"
    desk.step(alert.alert_id, "acknowledged", "olive", "officer")
    assert output.state == {"buzzer": "off", "light": "off"}


def test_the_daemon_times_out_unattended_alerts_and_silences_them(tmp_path: Path, store, engine, clock):
    """alerts.unattended_timeout_s is wired: the running daemon closes alerts nobody acted on."""
    output = RecordingOutput()
    settings = AlertsSection(unattended_timeout_s=600)
    desk = AlertDesk(store, signals=AlertSignals(output), settings=settings, clock=clock)
    config = Config(device=DeviceSection(data_dir=tmp_path / "run"), alerts=settings)
    parts = Components(source=EndlessSource(), recognizer=SlowRecognizer(), aggregator=ReadPerObservation(),
                       hotlists=engine, desk=desk)
    daemon = Daemon(config, load_profile("sim"), parts, max_frames=1)
    [alert] = daemon.handle_reads([_read("r1", "9ZZA114", clock())])
    assert output.state["buzzer"] != "off"
    clock.advance(599)
    daemon.run()
    assert desk.get_for(alert.alert_id, "admin").state == "raised"  # not yet
    clock.advance(2)
    daemon = Daemon(config, load_profile("sim"), parts, max_frames=1)
    daemon.run()
    assert desk.get_for(alert.alert_id, "admin").state == "timed_out"
    assert output.state == {"buzzer": "off", "light": "off"}
    [last] = desk.history(alert.alert_id, "admin")[-1:]
    assert (last.to_state, last.user) == ("timed_out", "system")


def test_alerts_go_with_their_hit_reads_and_stay_while_a_hold_keeps_them(tmp_path: Path, engine, clock):
    """Issue 21: alert rows (hot list details, read ids) outlived the reads: they were never purged."""
    from datetime import UTC, datetime, timedelta

    from alpr_edge.store import add_hold

    now = datetime.fromtimestamp(clock(), UTC)
    store = Store.open(tmp_path / "data", StoreSection(), dev_keys=True, clock=lambda: now)
    desk = AlertDesk(store, clock=clock, settings=AlertsSection(suppress_window_s=0))  # two alerts, not a repeat
    plain, held = _read("r-plain", "9ZZA114", clock()), _read("r-held", "9ZZA114", clock() + 1)
    store.add_reads([plain, held])
    [gone] = desk.raise_for(plain.read_id, engine.match("9ZZA114", "CA"))
    [kept] = desk.raise_for(held.read_id, engine.match("9ZZA114", "CA"))
    desk.step(gone.alert_id, "verified", "olive", "officer")
    add_hold(store, held.read_id, case_number="24-77", reason="evidence", user="sam", role="supervisor")
    store.purge(now + timedelta(days=StoreSection().hit_retention_days + 1))
    with pytest.raises(UnknownAlert):
        desk.get_for(gone.alert_id, "admin")
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM alert_steps WHERE alert_id = ?", [gone.alert_id]).fetchone()[0] == 0
    assert desk.get_for(kept.alert_id, "admin").read_id == held.read_id  # the hold keeps read and alert
    store.close()


def test_the_daemon_closes_the_outputs_at_shutdown_and_the_tone_folder_goes(tmp_path: Path, store, engine, clock,
                                                                               monkeypatch):
    """The tone player's folder (issue 21) is removed when the daemon stops, not left in /tmp."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    player = (sys.executable, "-c", "pass")  # a stand-in for aplay
    output = AlsaOutput(player=player, pause_s=0.05)
    desk = AlertDesk(store, signals=AlertSignals(output), settings=AlertsSection(), clock=clock)
    config = Config(device=DeviceSection(data_dir=tmp_path / "run"))
    parts = Components(source=EndlessSource(), recognizer=SlowRecognizer(), aggregator=ReadPerObservation(),
                       hotlists=engine, desk=desk)
    daemon = Daemon(config, load_profile("sim"), parts, max_frames=1)
    [_alert] = daemon.handle_reads([_read("r1", "9ZZA114", clock())])
    assert list(tmp_path.glob("alpr-tones-*"))
    daemon.run()
    assert not list(tmp_path.glob("alpr-tones-*"))
