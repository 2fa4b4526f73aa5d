"""Line splitting, checksum checks and merging of one epoch's sentences (no I/O)."""

from datetime import datetime, timedelta, timezone

import pytest

from alpr_edge.gps.nmea import FixAssembler, LineSplitter, SentenceError, checksum, is_used, parse_sentence, sentence
from tests.gps.gps_samples import WHEN, corrupt_checksum, epoch, gga, gsa, rmc, vtg


def assemble(lines, start=0.0):
    assembler = FixAssembler()
    updates = [assembler.feed(parse_sentence(line), start + i * 0.01) for i, line in enumerate(lines)]
    return assembler, updates


def completed(updates):
    return [u.completed for u in updates if u.completed is not None]


def test_checksum_matches_a_real_receiver_sentence():
    # From a u-blox NEO-M8N datasheet example.
    assert checksum("GPGGA,092725.00,4717.11399,N,00833.91590,E,1,08,1.01,499.6,M,48.0,M,,") == "5B"
    assert sentence("GNVTG,,,,,,,,,N") == "$GNVTG,,,,,,,,,N*2E"


def test_parse_sentence_tells_bad_checksums_from_junk():
    good = rmc()
    assert parse_sentence(good).sentence_type == "RMC"
    body, digits = good.rsplit("*", 1)
    assert parse_sentence(f"{body}*{digits.lower()}").sentence_type == "RMC"  # some receivers send lower case
    with pytest.raises(SentenceError) as bad:
        parse_sentence(corrupt_checksum(good))
    assert bad.value.kind == "checksum"
    for junk in ("$GNRMC,170230.00,A,37", "$GNRMC,170230.00,A*ZZ", "$" + "A" * 200 + "*00", "hello"):
        with pytest.raises(SentenceError) as error:
            parse_sentence(junk)
        assert error.value.kind == "unparseable"


def test_unknown_sentence_types_are_unparseable_and_other_known_ones_unused():
    with pytest.raises(SentenceError):
        parse_sentence(sentence("GNXYZ,1,2,3"))
    txt = parse_sentence(sentence("GNTXT,01,01,02,u-blox AG - www.u-blox.com"))
    assert not is_used(txt)
    assert not is_used(parse_sentence(sentence("PUBX,00,170230.00")))
    assert is_used(parse_sentence(rmc(talker="BD")))


def test_line_splitter_reassembles_and_separates():
    splitter = LineSplitter()
    assert splitter.feed(b"$GNRMC,1") == []
    assert splitter.feed(b"2*00\r") == ["$GNRMC,12*00"]
    assert splitter.feed(b"\n") == []
    assert splitter.feed(b"noise$GNA,1$GNB,2*11\n") == ["$GNA,1", "$GNB,2*11"]
    assert splitter.discarded == 1
    splitter.feed(bytes(range(1, 256)).replace(b"\n", b"").replace(b"\r", b"").replace(b"$", b"") * 3)
    assert splitter.discarded == 2  # an endless line is dropped, not kept growing
    assert splitter.feed(b"\r\n" + rmc().encode() + b"\r\n") == [rmc()]


def test_ublox_order_completes_after_gga_and_gsa_still_updates():
    lines = epoch(WHEN, kmh=36.0, course=90.0, sats=9, hdop=1.1)
    _, updates = assemble(lines)
    done = completed(updates)
    assert len(done) == 1 and updates[2].completed is not None  # RMC, VTG, GGA: complete
    assert updates[0].new_epoch and not updates[1].new_epoch
    fix = updates[-1].current
    assert fix.has_position and fix.time_utc == WHEN and fix.satellites == 9 and fix.hdop == 1.1


def test_gga_first_and_gsa_before_rmc_are_merged():
    lines = [gga(WHEN, alt=12.5, sats=8), gsa(True, 8, 1.3), rmc(WHEN, knots=5.0, course=45.0)]
    _, updates = assemble(lines)
    fix = completed(updates)[0]
    assert fix.time_utc == WHEN  # the date came with the RMC of the same epoch
    assert (fix.alt_m, fix.satellites, fix.hdop, fix.heading_deg) == (12.5, 8, 0.9, 45.0)
    assert fix.speed_kmh == pytest.approx(9.26)


def test_rmc_only_receiver_completes_each_epoch_when_the_next_begins():
    second = WHEN + timedelta(seconds=1)
    _, updates = assemble([rmc(WHEN), vtg(), rmc(second)])
    done = completed(updates)
    assert [f.time_utc for f in done] == [WHEN]
    assert done[0].fix_quality == 1 and done[0].alt_m is None and done[0].satellites is None


def test_gga_only_receiver_gives_no_date_rather_than_a_guess():
    _, updates = assemble([gga(WHEN), gga(WHEN + timedelta(seconds=1))])
    fix = completed(updates)[0]
    assert fix.has_position and fix.time_utc is None


def test_gga_just_after_midnight_belongs_to_the_new_day():
    before = datetime(2026, 6, 12, 23, 59, 59, tzinfo=timezone.utc)
    after = before + timedelta(seconds=1)
    _, updates = assemble([rmc(before), gga(before), gga(after), rmc(after)])
    assert updates[2].current.time_utc == after


def test_no_fix_never_becomes_zero_zero():
    empty_coordinates = sentence("GNRMC,170230.00,A,,,,,0.1,,120626,,,A")  # status says valid, no position
    _, updates = assemble([empty_coordinates, gga(WHEN, quality=0)])
    for update in updates:
        assert update.current.lat is None and update.current.lon is None
        assert not update.current.has_position
    # Some receivers repeat the last position with status V: that is not a fix either.
    stale_repeat = sentence("GNRMC,170230.00,V,3752.16404,N,12216.07994,W,,,120626,,,N")
    _, updates = assemble([stale_repeat])
    assert updates[0].current.lat is None and updates[0].current.fix_quality == 0


def test_southern_and_eastern_hemispheres_are_signed():
    _, updates = assemble([rmc(WHEN, lat=-33.8568, lon=151.2153), gga(WHEN, lat=-33.8568, lon=151.2153)])
    fix = completed(updates)[0]
    assert fix.lat == pytest.approx(-33.8568, abs=1e-6) and fix.lon == pytest.approx(151.2153, abs=1e-6)


def test_malformed_fields_behind_a_valid_checksum_raise_value_error():
    assembler = FixAssembler()
    for body in ("GNRMC,17xx30.00,A,3752.1,N,12216.0,W,,,120626,,,A",
                 "GNGGA,170230.00,37A2.1,N,12216.0,W,1,08,1.0,10,M,,,,",
                 "GNGGA,170230.00,9952.1,N,12216.0,W,1,08,1.0,10,M,,,,"):
        with pytest.raises(ValueError):
            assembler.feed(parse_sentence(sentence(body)), 0.0)
