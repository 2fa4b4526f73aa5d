"""SerialNmeaReceiver against real NMEA written into a real pseudo-terminal."""

import time
from datetime import timedelta

import pytest

from alpr_edge.gps import ClockTracker, FakeClock, SerialNmeaReceiver
from tests.gps.gps_samples import (
    BERKELEY, WHEN, corrupt_checksum, epoch, gga, no_fix_epoch, rmc, wait_for, wire,
)


@pytest.fixture
def start_receiver(device):
    started = []

    def start(**options):
        options.setdefault("reopen_min_s", 0.02)
        options.setdefault("reopen_max_s", 0.2)
        receiver = SerialNmeaReceiver(str(device.path), 9600, options.pop("stale_after_s", 3.0), **options)
        receiver.start()
        started.append(receiver)
        wait_for(lambda: receiver.status()["state"] == "open", what="the port to open")
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


def counters(receiver):
    return receiver.status()["counters"]


def test_a_good_epoch_becomes_one_complete_fix(device, start_receiver):
    receiver = start_receiver()
    device.write(epoch(WHEN, 37.8719, -122.2683, kmh=36.0, course=265.3, sats=12, hdop=0.8, alt=64.5))

    sequence, fix = receiver.wait_fix(0, timeout=3)
    assert sequence == 1
    assert fix.time_utc == WHEN
    assert fix.lat == pytest.approx(37.8719, abs=1e-6) and fix.lon == pytest.approx(-122.2683, abs=1e-6)
    assert (fix.alt_m, fix.fix_quality, fix.satellites, fix.hdop) == (64.5, 1, 12, 0.8)
    assert fix.speed_kmh == pytest.approx(36.0, abs=0.01)
    assert fix.heading_deg == pytest.approx(265.3)
    wait_for(lambda: counters(receiver)["sentences_parsed"] == 4, what="all four sentences")
    status = receiver.status()
    assert status["has_fix"] and not status["stale"]
    assert status["counters"]["bad_checksums"] == status["counters"]["unparseable_lines"] == 0
    assert status["counters"]["fixes"] == 1


@pytest.mark.parametrize("talker", ["GP", "GL", "GA", "BD"])
def test_other_talkers_give_fixes_too(device, start_receiver, talker):
    receiver = start_receiver()
    device.write([rmc(WHEN, talker=talker), gga(WHEN, talker=talker, sats=7)])
    _, fix = receiver.wait_fix(0, timeout=3)
    assert fix.has_position and fix.satellites == 7


def test_bad_checksums_are_counted_and_not_used(device, start_receiver):
    receiver = start_receiver()
    device.write(epoch(WHEN, *BERKELEY))
    receiver.wait_fix(0, timeout=3)
    later = WHEN + timedelta(seconds=1)
    device.write([corrupt_checksum(line) for line in epoch(later, 37.9, -122.3)])

    wait_for(lambda: counters(receiver)["bad_checksums"] == 4, what="four bad checksums")
    fix = receiver.position().fix
    assert fix.time_utc == WHEN and fix.lat == pytest.approx(BERKELEY[0], abs=1e-6)
    assert counters(receiver)["fixes"] == 1


def test_split_reads_truncated_lines_and_noise_are_survived(device, start_receiver):
    receiver = start_receiver()
    whole = wire(epoch(WHEN))
    device.write(b"\x00\xff\xfe garbage from the bootloader\r\n")
    device.write(b"$GNRMC,170229.00,A,3752.16\r\n")  # cut short by a reset
    device.write(b"$GNGGA,170229.00,37$" + whole[1:40])  # cut short by the next sentence...
    device.write(whole[40:])  # ...which arrives in two reads
    _, fix = receiver.wait_fix(0, timeout=3)

    assert fix.has_position and fix.time_utc == WHEN
    wait_for(lambda: counters(receiver)["sentences_parsed"] == 4, what="the four good sentences")
    assert counters(receiver)["unparseable_lines"] == 3
    assert counters(receiver)["bad_checksums"] == 0


def test_a_receiver_without_fix_reports_none_never_zero(device, start_receiver):
    receiver = start_receiver()
    device.write(no_fix_epoch(WHEN, sats=2))
    _, fix = receiver.wait_fix(0, timeout=3)

    assert not fix.has_position and fix.fix_quality == 0
    assert fix.lat is None and fix.lon is None and fix.speed_kmh is None
    assert fix.satellites == 2 and fix.time_utc == WHEN
    position = receiver.position()
    assert position.stale and not position.has_position
    assert position.to_dict()["lat"] is None and position.to_dict()["lon"] is None
    assert receiver.status()["has_fix"] is False


def test_a_lost_fix_keeps_the_last_position_flagged_stale(device, start_receiver):
    receiver = start_receiver()
    device.write(epoch(WHEN, *BERKELEY))
    receiver.wait_fix(0, timeout=3)
    assert not receiver.position().stale
    device.write(no_fix_epoch(WHEN + timedelta(seconds=1)))
    receiver.wait_fix(1, timeout=3)

    position = receiver.position()
    assert position.stale
    assert position.fix.lat == pytest.approx(BERKELEY[0], abs=1e-6)
    assert position.fix.time_utc == WHEN


def test_a_fix_older_than_the_limit_is_stale(device, start_receiver):
    clock = FakeClock(monotonic=500.0)
    receiver = start_receiver(clock=clock, stale_after_s=3.0)
    device.write(epoch(WHEN))
    _, fix = receiver.wait_fix(0, timeout=3)
    assert fix.received_monotonic_s == 500.0

    fresh = receiver.position(now_monotonic=502.9)
    assert not fresh.stale and fresh.age_s == pytest.approx(2.9)
    clock.advance(3.5)
    old = receiver.position()
    assert old.stale and old.age_s == pytest.approx(3.5)
    assert old.to_dict()["lat"] == pytest.approx(BERKELEY[0], abs=1e-6)
    assert receiver.status()["stale"] and not receiver.status()["has_fix"]


def test_a_receiver_that_goes_away_is_reopened_when_it_returns(device, start_receiver):
    receiver = start_receiver()
    device.write(epoch(WHEN))
    receiver.wait_fix(0, timeout=3)

    device.unplug()
    wait_for(lambda: receiver.status()["state"] == "disconnected", what="the loss to be noticed")
    assert receiver.position().fix.time_utc == WHEN  # the last fix survives the loss
    device.plug()
    wait_for(lambda: receiver.status()["state"] == "open", what="the reopen")
    assert counters(receiver)["reopen_count"] == 1
    later = WHEN + timedelta(seconds=5)
    device.write(epoch(later, 37.8650, -122.2700))
    _, fix = receiver.wait_fix(1, timeout=3)
    assert fix.time_utc == later and fix.lat == pytest.approx(37.8650, abs=1e-6)


def test_noise_at_a_wrong_baud_rate_makes_it_try_the_next_rate(device, start_receiver):
    receiver = start_receiver(baud_hunt_after_s=0.2)
    noise = bytes((i * 37 + 11) % 256 for i in range(100)).replace(b"$", b"#")

    def noise_keeps_coming():  # a receiver at another rate never stops talking
        device.write(noise)
        time.sleep(0.02)
        return counters(receiver)["baud_changes"] >= 1

    wait_for(noise_keeps_coming, timeout=3, what="a baud change")
    assert receiver.status()["baud"] != 9600
    assert counters(receiver)["sentences_parsed"] == 0
    device.write(epoch(WHEN))
    _, fix = receiver.wait_fix(0, timeout=3)
    assert fix.has_position


def test_each_epoch_start_feeds_the_clock_tracker(device, start_receiver):
    # The system clock says 100 s later than the receiver does.
    clock = FakeClock(wall=WHEN.timestamp() + 100.0, monotonic=50.0)
    tracker = ClockTracker(clock, max_offset_s=2.0)
    receiver = start_receiver(clock_tracker=tracker)
    device.write(epoch(WHEN))
    receiver.wait_fix(0, timeout=3)

    stamp = tracker.timestamp(clock.wall(), clock.monotonic())
    assert stamp.source == "gps"
    assert stamp.offset_s == pytest.approx(100.0)
    assert stamp.utc == WHEN
    assert tracker.status()["samples"] == 1  # one per epoch, not one per sentence


def test_stop_ends_the_thread_and_wait_fix_returns(device, start_receiver):
    receiver = start_receiver()
    receiver.stop()
    assert receiver.status()["state"] == "stopped"
    assert receiver.wait_fix(0, timeout=0.2) is None


def test_a_read_from_a_moment_ago_gets_the_fix_of_that_moment(device, start_receiver):
    clock = FakeClock(monotonic=100.0)
    receiver = start_receiver(clock=clock)
    latitudes = [37.8690, 37.8700, 37.8710]  # driving north, one fix a second
    for second, lat in enumerate(latitudes):
        device.write(epoch(WHEN + timedelta(seconds=second), lat, -122.268))
        receiver.wait_fix(second, timeout=3)
        clock.advance(1.0)

    assert receiver.position(now_monotonic=101.2).fix.lat == pytest.approx(37.8700, abs=1e-6)
    assert receiver.position(now_monotonic=100.3).fix.lat == pytest.approx(37.8690, abs=1e-6)
    latest = receiver.position()  # now is 103.0: the last fix, a second old
    assert latest.fix.lat == pytest.approx(37.8710, abs=1e-6) and latest.age_s == pytest.approx(1.0)
    assert not latest.stale
