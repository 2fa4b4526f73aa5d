"""Alert outputs: the recorded sim outputs, gpiozero on mock pins, and the sim profile end to end."""

from __future__ import annotations

import time

import pytest

from alpr_edge.alerts import (
    AlertDesk, AlertSignals, AlsaOutput, GpioOutput, MultiOutput, NullOutput, RecordingOutput, open_outputs,
)
from alpr_edge.config import StoreSection
from alpr_edge.hotlist import HotListEngine, MemoryListStorage, parse_clew, parse_csv, parse_ncic
from alpr_edge.profiles import OutputSettings, load_profile
from alpr_edge.store import Store
from alpr_edge.vision.types import Candidate, Read
from tests.alerts.conftest import SAMPLES


class Tick:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        self.now += 1
        return self.now


def test_recording_output_remembers_each_change():
    output = RecordingOutput(Tick())
    output.alert(2, covert=False)
    output.alert(2, covert=False)  # no change, nothing recorded
    output.alert(1, covert=False)
    output.clear()
    assert [(c.device, c.state, c.priority) for c in output.history] == [
        ("buzzer", "beep 0.25/0.25", 2), ("light", "blink 0.3/0.3", 2),
        ("buzzer", "beep 0.1/0.1", 1), ("light", "blink 0.15/0.15", 1),
        ("buzzer", "off", None), ("light", "off", None)]
    assert [c.at for c in output.history] == sorted(c.at for c in output.history)


def test_covert_alert_is_recorded_but_drives_nothing():
    output = RecordingOutput(Tick())
    output.alert(1, covert=True)
    assert output.state == {"buzzer": "off", "light": "off"}
    assert [(c.device, c.covert) for c in output.history] == [("none", True)]


def test_open_outputs_registry():
    assert isinstance(open_outputs(OutputSettings(driver="none")), NullOutput)
    assert isinstance(open_outputs(OutputSettings(driver="sim")), RecordingOutput)
    assert isinstance(open_outputs(load_profile("sim").outputs), RecordingOutput)
    with pytest.raises(ValueError, match="unknown driver"):
        open_outputs(OutputSettings(driver="bell"))


def test_gpio_output_on_mock_pins():
    pytest.importorskip("gpiozero")
    from gpiozero.pins.mock import MockFactory

    factory = MockFactory()
    settings = OutputSettings(driver="gpio", buzzer_pin=27, light_pin=22)
    with_sound = open_outputs(settings, pin_factory=MockFactory(), sound=True)
    assert isinstance(with_sound, MultiOutput) and isinstance(with_sound.outputs[1], AlsaOutput)
    with_sound.close()
    output = open_outputs(settings, pin_factory=factory, sound=False)
    assert isinstance(output, GpioOutput)
    buzzer, light = factory.pin(27), factory.pin(22)
    output.alert(1, covert=False)
    time.sleep(0.45)  # priority 1 beeps 0.1 s on, 0.1 s off
    assert sum(1 for s in buzzer.states if s.state) >= 2  # it went on more than once
    assert any(s.state for s in light.states)
    output.clear()
    assert not buzzer.state and not light.state
    output.alert(2, covert=True)
    time.sleep(0.05)
    assert not buzzer.state and not light.state
    output.close()


def _setup(tmp_path, clock, audit):
    engine = HotListEngine(MemoryListStorage(), clock=clock, audit=audit)
    engine.replace(parse_ncic(SAMPLES / "ncic-extract.txt", clock=clock))
    engine.replace(parse_csv(SAMPLES / "agency-bolo.csv", clock=clock, name="bolo"))
    engine.replace(parse_clew(SAMPLES / "ca-clew-stolen.txt", clock=clock, name="covert", covert=True))
    store = Store.open(tmp_path, StoreSection(), dev_keys=True)
    output = open_outputs(load_profile("sim").outputs, clock=Tick())
    return engine, AlertDesk(store, signals=AlertSignals(output), clock=clock), output, store


def _read(read_id, text, candidates=(), state="CA"):
    return Read(read_id=read_id, text=text, confidence=0.8, candidates=tuple(candidates), camera="sim-front",
                capture_monotonic_s=0.0, capture_wall_time=0.0, first_seen_monotonic_s=0.0, frames=3, box=(0, 0, 1, 1),
                state=state)


def test_sim_profile_alerts_reach_the_store_and_the_outputs(tmp_path, clock, audit):
    """Through the desk, as the daemon and the touchscreen use it: the outputs follow each change."""
    engine, desk, output, store = _setup(tmp_path, clock, audit)
    reads = [
        _read("r1", "6WQP4I8"),  # stakeout list, lenient (I for 1): priority 3
        _read("r2", "9ZZAII4", [Candidate("9ZZA114", 0.4)]),  # Amber alert through the lenient form: priority 1
        _read("r3", "3JRT448"),  # covert list only
        _read("r4", "1ABC234"),  # no match
    ]
    raised = []
    for read in reads:
        raised += desk.raise_for(read.read_id, engine.match(read.text, read.state, read.candidates))[:1]
    assert [(a.read_id, a.list_name, a.priority, a.match_kind, a.covert) for a in raised] == [
        ("r1", "bolo", 3, "lenient", False), ("r2", "ncic", 1, "lenient", False), ("r3", "covert", 2, "exact", True)]
    assert [(c.device, c.state) for c in output.history] == [
        ("buzzer", "beep 0.5/1"), ("light", "blink 0.5/0.5"),  # the stakeout hit
        ("buzzer", "beep 0.1/0.1"), ("light", "blink 0.15/0.15"),  # the Amber alert overrides it
        ("none", "covert alert: no in-car output")]
    amber, stakeout = raised[1], raised[0]
    desk.step(amber.alert_id, "acknowledged", "ofc", "officer")
    assert output.state["buzzer"] == "beep 0.5/1"  # the stakeout hit is still unacknowledged
    desk.step(stakeout.alert_id, "misread", "ofc", "officer")
    assert output.state == {"buzzer": "off", "light": "off"}
    with store.read() as db:
        assert db["alerts"].count == 3 and db["alert_steps"].count == 5
    store.close()
