"""The shipped drive log, and NmeaReplay through a real pseudo-terminal to the real receiver."""

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from alpr_edge.gps import ClockTracker, FakeClock, NmeaReplay, SerialNmeaReceiver, SystemClock
from alpr_edge.gps.nmea import FixAssembler, parse_sentence
from alpr_edge.gps.replay import load_epochs, shift_line
from tests.gps.gps_samples import WHEN, epoch, no_fix_epoch, wait_for

DRIVE = Path(__file__).resolve().parents[2] / "firmware_profiles" / "sim-data" / "drive.nmea"
BERKELEY_BOX = (37.85, 37.89, -122.29, -122.25)


def in_berkeley(fix):
    south, north, west, east = BERKELEY_BOX
    return south < fix.lat < north and west < fix.lon < east


def drive_fixes():
    assembler, fixes = FixAssembler(), []
    for i, line in enumerate(DRIVE.read_text().splitlines()):
        if line.startswith("$"):
            update = assembler.feed(parse_sentence(line), float(i))
            if update.completed:
                fixes.append(update.completed)
    return fixes


def test_the_drive_is_a_few_minutes_of_plausible_city_driving():
    fixes = drive_fixes()
    assert 180 <= len(fixes) <= 600
    steps = {(b.time_utc - a.time_utc).total_seconds() for a, b in zip(fixes, fixes[1:])}
    assert steps == {1.0}  # 1 Hz, no gaps
    positioned = [f for f in fixes if f.has_position]
    assert all(in_berkeley(f) for f in positioned)
    assert max(f.speed_kmh for f in positioned) <= 50  # 25 mph streets
    moving = [f for f in positioned if f.speed_kmh > 15]
    compass = {round(f.heading_deg / 90) % 4 for f in moving}
    assert compass == {0, 1, 2, 3}  # north, east, south and west legs: it turns

    def runs(flags):
        run, found = 0, []
        for flag in flags + [False]:
            if flag:
                run += 1
            elif run:
                found, run = found + [run], 0
        return found

    stops = runs([f.has_position and f.speed_kmh < 1 for f in fixes[30:-30]])
    assert any(15 <= r <= 60 for r in stops)  # a red light mid-route
    outages = runs([not f.has_position for f in fixes])
    assert len(outages) == 1 and 3 <= outages[0] <= 20  # a brief fix loss


def test_every_sentence_of_the_drive_is_valid_gn_rmc_vtg_gga_gsa():
    epochs = load_epochs(DRIVE)
    for ep in epochs:
        kinds = [parse_sentence(line) for line in ep.lines]
        assert [k.talker + k.sentence_type for k in kinds] == ["GNRMC", "GNVTG", "GNGGA", "GNGSA"]
    assert [ep.offset_s for ep in epochs] == [float(i) for i in range(len(epochs))]


def test_shift_line_rewrites_time_and_date_with_a_new_checksum():
    moment = datetime(2031, 2, 3, 4, 5, 6, 780000, tzinfo=timezone.utc)
    line = epoch(WHEN)[0]
    shifted = shift_line(line, moment)
    message = parse_sentence(shifted)  # raises if the checksum were stale
    assert message.datestamp.isoformat() == "2031-02-03"
    assert message.timestamp.isoformat().startswith("04:05:06.780")
    assert shifted.split(",")[2:9] == line.split(",")[2:9]
    assert shift_line(epoch(WHEN)[1], moment) == epoch(WHEN)[1]  # VTG has no time


def test_a_log_without_sentences_or_missing_is_refused_with_its_name(tmp_path):
    empty = tmp_path / "empty.nmea"
    empty.write_text("# nothing\n")
    with pytest.raises(ValueError, match="empty.nmea"):
        NmeaReplay(empty)
    with pytest.raises(ValueError, match="absent.nmea"):
        NmeaReplay(tmp_path / "absent.nmea")
    with pytest.raises(RuntimeError):
        _ = NmeaReplay(DRIVE).device_path


def test_replayed_drive_reaches_the_receiver_at_the_current_time():
    replay = NmeaReplay(DRIVE, speedup=20.0, shift_to_now=True)
    tracker = ClockTracker(SystemClock())
    replay.start()
    receiver = SerialNmeaReceiver(replay.device_path, 9600, 3.0, tracker)
    try:
        receiver.start()
        sequence, fix = wait_for(lambda: receiver.wait_fix(0, timeout=0.5), what="a replayed fix")
        for _ in range(3):
            sequence, fix = receiver.wait_fix(sequence, timeout=2)
        assert fix.has_position and in_berkeley(fix)
        assert abs(fix.time_utc.timestamp() - time.time()) < 2.0
        assert abs(tracker.status()["offset_s"]) < 0.5
        assert receiver.status()["counters"]["bad_checksums"] == 0
    finally:
        receiver.stop()
        replay.stop()


def test_replay_without_shift_keeps_the_log_times_and_can_stop_at_the_end(tmp_path):
    log = tmp_path / "short.nmea"
    lines = epoch(WHEN) + no_fix_epoch(WHEN + timedelta(seconds=1)) + epoch(WHEN + timedelta(seconds=2))
    log.write_text("# three epochs\n" + "\n".join(lines) + "\n")
    replay = NmeaReplay(log, loop=False, speedup=10.0, shift_to_now=False)
    clock = FakeClock()
    replay.start()
    receiver = SerialNmeaReceiver(replay.device_path, 9600, 3.0, clock=clock)
    receiver.start()
    try:
        wait_for(lambda: receiver.status()["state"] == "open", what="the port")
        assert replay.finished.wait(3) and replay.epochs_written == 3
        wait_for(lambda: receiver.latest_fix() is not None and receiver.latest_fix().time_utc is not None,
                 what="a fix")
        assert receiver.latest_fix().time_utc.year == 2026
    finally:
        receiver.stop()
        replay.stop()
