"""Sentences with valid checksums and hostile contents: counted, never the end of the reader."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from alpr_edge.gps import SerialNmeaReceiver
from alpr_edge.gps.nmea import FixAssembler, SentenceError, parse_sentence, sentence
from tests.gps.gps_samples import WHEN, epoch, lat_lon_fields, wait_for

# Short or odd proprietary and standard sentences, each with a valid checksum:
# pynmea2 raised IndexError on several, which ended the reader thread.
SHORT = ["PUBX", "PGRME", "PSRF", "PMTK", "GPRMC", "GPGGA", "GPGSA", "GPVTG", "GPTXT", "GPGSV", "P", "GP", "PUBX,", "PUBX,04"]


@pytest.mark.parametrize("body", SHORT)
def test_short_sentences_with_a_valid_checksum_never_raise_anything_but_a_sentence_error(body):
    try:
        parse_sentence(sentence(body))
    except SentenceError:
        pass


def _rmc(speed: str, lat: str | None = None) -> str:
    fields = lat or lat_lon_fields(37.8694, -122.268)
    return sentence(f"GNRMC,170230.00,A,{fields},{speed},354.20,120626,,,A")


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "Infinity", "1e999"])
def test_infinite_and_nan_values_are_refused(value):
    assembler = FixAssembler()
    with pytest.raises(ValueError):
        assembler.feed(parse_sentence(_rmc(value)), 1.0)
    gga = sentence(f"GNGGA,170230.00,{lat_lon_fields(37.8694, -122.268)},1,08,{value},55.2,M,-32.2,M,,")
    with pytest.raises(ValueError):
        FixAssembler().feed(parse_sentence(gga), 1.0)


def test_the_reader_survives_hostile_sentences_and_counts_them(device):
    receiver = SerialNmeaReceiver(str(device.path), 9600, 3.0, reopen_min_s=0.02, reopen_max_s=10.0)
    receiver.start()
    try:
        wait_for(lambda: receiver.status()["state"] == "open", what="the port to open")
        device.write([sentence(body) for body in SHORT] + [_rmc("inf"), _rmc("nan")] + epoch(WHEN))
        _, fix = receiver.wait_fix(0, timeout=3)
        # The epoch right after the junk is used: the reader did not stop (and sleep reopen_max_s) on it.
        assert fix is not None and fix.has_position
        counters = receiver.status()["counters"]
        assert counters["opens"] == 1 and counters["reopen_count"] == 0
        assert counters["unparseable_lines"] >= len(SHORT) - 4
        device.write(epoch(WHEN + timedelta(seconds=1), kmh=30.0))
        wait_for(lambda: receiver.status()["counters"]["fixes"] >= 2, what="the next fix")
        json.dumps(receiver.position().to_dict(), allow_nan=False)
    finally:
        receiver.stop()
