"""Issue 22: a closed alert swallows a plate's re-sightings only when its close settled the plate.

Driven through the daemon's own read path (`Daemon.handle_reads`: tag, store,
match, desk) over a real store, with the sim outputs recording the buzzer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alpr_edge.alerts import AlertDesk, AlertSignals, RecordingOutput
from alpr_edge.config import AlertsSection, Config, DeviceSection, StoreSection
from alpr_edge.daemon import Components, Daemon
from alpr_edge.hotlist import HotListEngine
from alpr_edge.profiles import load_profile
from alpr_edge.store import Store
from alpr_edge.ui import SessionUser
from alpr_edge.ui.services import DeviceServices
from alpr_edge.vision.types import Candidate, Read
from tests.fakes import EndlessSource, ReadPerObservation, SlowRecognizer

OVERT, COVERT = "9ZZA114", "3JRT448"  # on the ncic extract; on the covert clew list only
SETTINGS = AlertsSection(suppress_window_s=300, unattended_timeout_s=600)


class Car:
    """A device: store, desk with recording outputs, and the daemon's read path; `restart` reopens all three."""

    def __init__(self, folder: Path, engine: HotListEngine, clock):
        self.folder, self.engine, self.clock = folder, engine, clock
        self.sequence = 0
        self._open()

    def _open(self) -> None:
        self.store = Store.open(self.folder / "data", StoreSection(), dev_keys=True)
        self.output = RecordingOutput(clock=self.clock)
        self.desk = AlertDesk(self.store, signals=AlertSignals(self.output), settings=SETTINGS, clock=self.clock)
        parts = Components(source=EndlessSource(), recognizer=SlowRecognizer(), aggregator=ReadPerObservation(),
                           hotlists=self.engine, desk=self.desk, store=self.store)
        self.daemon = Daemon(Config(device=DeviceSection(data_dir=self.folder / "data"), alerts=SETTINGS),
                             load_profile("sim"), parts, max_frames=1)
        self.screen = DeviceServices(self.daemon.config, load_profile("sim"), parts, feed=self.daemon.feed,
                                     counters=self.daemon.counters)

    def restart(self) -> None:
        self.store.close()
        self._open()

    def sight(self, text: str, times: int = 1, every_s: float = 5.0) -> list[str]:
        """``times`` passages of the plate, ``every_s`` apart; their read ids."""
        read_ids = []
        for _ in range(times):
            self.clock.advance(every_s)
            self.sequence += 1
            read = Read(read_id=f"read-{self.sequence:03d}", text=text, confidence=0.9, candidates=(Candidate(text, 0.9),),
                        camera="front", capture_monotonic_s=0.0, capture_wall_time=self.clock(), first_seen_monotonic_s=0.0,
                        frames=3, box=(0, 0, 1, 1), state="CA")
            self.daemon.handle_reads([read])
            read_ids.append(read.read_id)
        return read_ids

    def close(self, alert_id: str, how: str, role: str = "officer") -> None:
        """Close an alert the way an officer (or nobody) does."""
        if how == "timed_out":
            self.clock.advance(SETTINGS.unattended_timeout_s + 1)
            assert [a.alert_id for a in self.desk.time_out_unattended()] == [alert_id]
            return
        if how in ("misread", "wrong_state"):
            self.desk.step(alert_id, how, role, role)
            return
        for step in ("verified", "confirmed"):
            self.desk.step(alert_id, step, role, role)
        self.desk.step(alert_id, "disposed", role, role, disposition=how)

    @property
    def buzzer_changes(self) -> list[str]:
        return [change.state for change in self.output.history if change.device == "buzzer"]


@pytest.fixture
def car(tmp_path, engine, clock):
    car = Car(tmp_path, engine, clock)
    yield car
    car.store.close()


def _first_alert(car: Car, text: str = OVERT) -> str:
    car.sight(text)
    [alert] = car.desk.open_for("admin")
    return alert.alert_id


@pytest.mark.parametrize("how", ["lost_sight", "unable_to_locate", "no_action", "timed_out"])
def test_forty_sightings_after_an_unsettled_close_raise_a_new_alert(car, how):
    first = _first_alert(car)
    car.close(first, how)
    assert car.desk.open_for("officer") == [] and car.buzzer_changes[-1] == "off"
    raised_before = car.daemon.counters.alerts
    read_ids = car.sight(OVERT, 40)
    [fresh] = car.desk.open_for("officer")
    assert fresh.alert_id != first and fresh.read_id == read_ids[0]
    assert (fresh.state, fresh.repeats, fresh.last_read_id) == ("raised", 39, read_ids[-1])  # one passage, one alert
    assert car.daemon.counters.alerts == raised_before + 1
    assert car.buzzer_changes[-1].startswith("beep")  # the officer hears it again
    assert car.desk.get_for(first, "officer").repeats == 0  # the closed one absorbed nothing


@pytest.mark.parametrize("how", ["stop_made", "arrest", "vehicle_recovered", "misread"])
def test_forty_sightings_after_a_settling_close_stay_on_the_closed_alert(car, how):
    first = _first_alert(car)
    car.close(first, how)
    raised_before = car.daemon.counters.alerts
    read_ids = car.sight(OVERT, 40)
    assert car.desk.open_for("admin") == [] and car.daemon.counters.alerts == raised_before
    closed = car.desk.get_for(first, "officer")
    assert (closed.repeats, closed.last_read_id, closed.closed) == (40, read_ids[-1], True)
    assert car.buzzer_changes[-1] == "off"


def test_a_settled_plate_alerts_again_after_the_quiet_window(car):
    first = _first_alert(car)
    car.close(first, "stop_made")
    car.sight(OVERT, every_s=SETTINGS.suppress_window_s - 1)  # still inside: absorbed
    assert car.desk.open_for("officer") == []
    car.sight(OVERT, every_s=SETTINGS.suppress_window_s + 1)
    [fresh] = car.desk.open_for("officer")
    assert fresh.alert_id != first and fresh.repeats == 0


@pytest.mark.parametrize("how, new_alert", [("lost_sight", True), ("stop_made", False)])
def test_a_restart_keeps_the_rule(car, how, new_alert):
    first = _first_alert(car)
    car.close(first, how)
    car.restart()
    car.sight(OVERT, 40)
    opened = car.desk.open_for("officer")
    assert bool(opened) == new_alert
    assert car.desk.get_for(first, "officer").repeats == (0 if new_alert else 40)
    if new_alert:
        assert opened[0].repeats == 39


def test_a_covert_resighting_raises_a_silent_alert_that_only_supervisors_see(car):
    first = _first_alert(car, COVERT)
    car.close(first, "lost_sight", role="supervisor")
    read_ids = car.sight(COVERT, 40)
    [fresh] = car.desk.open_for("supervisor")
    assert fresh.covert and fresh.alert_id != first and fresh.repeats == 39
    assert car.buzzer_changes == []  # never a sound nor a light for a covert hit
    assert not any(change.device == "light" for change in car.output.history)
    assert car.desk.open_for("officer") == [] and car.desk.hits_for(read_ids, "officer") == {}
    assert set(car.desk.hits_for(read_ids, "supervisor")) == set(read_ids)


def test_every_sighting_is_a_hit_on_the_live_list_also_when_it_raised_nothing(car):
    first = _first_alert(car)
    car.close(first, "stop_made")
    read_ids = car.sight(OVERT, 5) + car.sight("NOTHOT1")
    hits = car.desk.hits_for(read_ids, "officer")
    assert hits == {read_id: first for read_id in read_ids[:5]}  # absorbed, still hits; the plain read is not
    assert car.desk.hits_for(read_ids, "technician") == {}


def test_the_touchscreens_live_list_marks_every_hit(car):
    """The live list tagged only the read that raised an alert: 40 re-sightings showed as plain reads."""
    first = _first_alert(car)
    car.sight(OVERT, 3)
    car.close(first, "stop_made")
    read_ids = car.sight(OVERT, 3)
    car.sight("NOTHOT1")
    live = car.screen.live(SessionUser("olive", "officer"))
    assert [(r.text, r.alert_id) for r in live.reads] == [("NOTHOT1", None)] + [(OVERT, first)] * 7
    assert {r.read_id for r in live.reads if r.alert_id} >= set(read_ids)


def test_sightings_go_with_their_reads_at_the_retention_purge(car):
    """The sightings table names reads: it must not outlive them (SB 34 retention)."""
    from datetime import UTC, datetime, timedelta

    first = _first_alert(car)
    car.close(first, "lost_sight")
    car.sight(OVERT, 3)
    with car.store.read() as db:
        assert db.execute("SELECT count(*) FROM alert_sightings").fetchone()[0] == 4
    later = datetime.fromtimestamp(car.clock(), UTC) + timedelta(days=StoreSection().hit_retention_days + 1)
    car.store.purge(later)
    with car.store.read() as db:
        assert db.execute("SELECT count(*) FROM alert_sightings").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0
