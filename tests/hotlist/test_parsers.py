"""The three layouts parsed from the shared samples; bad files refused line by line."""

from __future__ import annotations

from datetime import date

import pytest

from alpr_edge.hotlist import HotListError, parse_clew, parse_csv, parse_ncic
from tests.hotlist.conftest import NOW, SAMPLES, Clock


def _where(error: HotListError) -> list[tuple[int, str]]:
    """(line, field) of each problem, from 'file:line: field: why'."""
    out = []
    for problem in error.problems:
        _, line, field, _ = problem.split(":", 3)
        out.append((int(line), field.strip()))
    return out


def test_ncic_sample_parses_every_record_and_field():
    hotlist = parse_ncic(SAMPLES / "ncic-extract.txt", clock=Clock())
    assert len(hotlist) == 14
    assert hotlist.source == "ncic" and hotlist.version == 20261122040000 and hotlist.received_at == NOW
    first = hotlist.entries[0]
    assert (first.plate, first.state, first.list_type, first.reason) == ("7XKM219", "CA", "V", "Stolen vehicle")
    assert (first.entered_by, first.case_number, first.entered_on) == ("CA0430000", "000001231", date(2026, 11, 1))
    assert first.vehicle == "2018 HOND CIV 4D BLK"
    assert [e.list_type for e in hotlist.entries] == list("VVPFWMAVRHVPVV")
    two_tone = hotlist.entries[7]
    assert (two_tone.plate, two_tone.state, two_tone.vehicle) == ("CXT4821", "AZ", "2017 DODG CHA 4D BLU/BLK")
    blank_vehicle = hotlist.entries[2]
    assert (blank_vehicle.plate, blank_vehicle.vehicle, blank_vehicle.list_type) == ("6GHL904", "", "P")
    assert hotlist.entries[8].state == "ON"  # a Canadian province
    assert hotlist.entries[-1].plate == "0OB8Q1I"


def test_ncic_bad_sample_refused_naming_file_line_and_field():
    with pytest.raises(HotListError) as caught:
        parse_ncic(SAMPLES / "ncic-extract-bad.txt")
    problems = caught.value.problems
    assert all(p.startswith(f"{SAMPLES / 'ncic-extract-bad.txt'}:") for p in problems)
    where = _where(caught.value)
    assert (3, "agency and record number") in where  # the one-character line
    assert (4, "plate") in where and "truncated" in problems[where.index((4, "plate"))]
    assert (5, "entry date") in where and "'2026-11-' is not a valid date" in problems[where.index((5, "entry date"))]
    assert (6, "plate") in where and problems[where.index((6, "plate"))].endswith("empty")
    assert (7, "plate") in where and "non-ASCII character 'Ä'" in problems[where.index((7, "plate"))]
    assert not any(line in (2, 8) for line, _ in where)  # the valid records are not blamed


def test_ncic_header_count_must_agree():
    text = (SAMPLES / "ncic-extract.txt").read_text().replace("RECORDS=14", "RECORDS=15")
    with pytest.raises(HotListError) as caught:
        parse_ncic(text, filename="x.txt")
    assert caught.value.problems == ["x.txt:1: header: RECORDS=15 but the file holds 14 record line(s)"]


def test_ncic_errors_found_deep_in_a_large_file():
    good = (SAMPLES / "ncic-extract.txt").read_text().splitlines()[1:]
    records = [good[i % len(good)] for i in range(30000)]
    records[21233] = records[21233][:19] + "20261399" + records[21233][27:]
    records[29998] = records[29998][:37] + "ZZ" + records[29998][39:]
    text = f"NCIC HOT FILE EXTRACT 20261122 0400 RECORDS={len(records)}\n" + "\n".join(records) + "\n"
    with pytest.raises(HotListError) as caught:
        parse_ncic(text, filename="big.txt")
    assert _where(caught.value) == [(21235, "entry date"), (30000, "plate state")]
    assert "'ZZ' is not a state or province code" in caught.value.problems[1]


def test_ncic_crlf_and_control_characters():
    text = (SAMPLES / "ncic-extract.txt").read_text().replace("\n", "\r\n")
    assert len(parse_ncic(text.encode())) == 14
    broken = text.replace("7XKM219 ", "7XKM\t19 ", 1)
    with pytest.raises(HotListError) as caught:
        parse_ncic(broken.encode(), filename="t.txt")
    assert caught.value.problems == ["t.txt:2: plate: control character 0x09 at column 32"]


def test_clew_sample_parses_with_blank_county_and_dates_of_loss():
    hotlist = parse_clew(SAMPLES / "ca-clew-stolen.txt", clock=Clock())
    assert [(e.plate, e.state) for e in hotlist.entries] == [
        ("7XKM219", "CA"), ("3JRT448", "CA"), ("BXX1024", "NV"), ("6YUL011", "CA"), ("51733T1", "CA")]
    assert hotlist.entries[2].entered_on == date(2026, 10, 30)
    assert all(e.list_type == "V" and e.reason == "Stolen vehicle" for e in hotlist.entries)
    assert hotlist.version == 20261122000000


@pytest.mark.parametrize("change, where, why", [
    (lambda t: t.replace("TOTAL RECORDS: 5", "TOTAL RECORDS: 6"), (7, "footer"), "TOTAL RECORDS: 6 but the file holds 5"),
    (lambda t: t.replace("TOTAL RECORDS: 5\n", ""), (6, "footer"), "expected a last line"),
    (lambda t: t.replace("11/01/2026", "13/01/2026"), (2, "date of loss"), "'13/01/2026' is not a valid date (MM/DD/YYYY)"),
    (lambda t: t.replace("BXX1024 NV", "BXX1024 QQ"), (4, "state"), "'QQ' is not a state"),
    (lambda t: t.replace("3JRT448 CA01", "3JRT448 CAx1"), (3, "county code"), "expected 2 digits or blanks"),
])
def test_clew_bad_records_refused(change, where, why):
    text = change((SAMPLES / "ca-clew-stolen.txt").read_text())
    with pytest.raises(HotListError) as caught:
        parse_clew(text, filename="clew.txt")
    assert _where(caught.value) == [where]
    assert why in caught.value.problems[0]


def test_csv_sample_parses_partial_plates_and_expiry():
    hotlist = parse_csv(SAMPLES / "agency-bolo.csv", clock=Clock())
    assert [e.plate for e in hotlist.entries] == ["8FJK2*", "7??L330", "6WQP418"]
    first = hotlist.entries[0]
    assert first.is_partial and first.expires == date(2026, 12, 6) and first.entered_by == "Sgt #4411"
    assert first.case_number == "26-004518" and first.list_type == "BOLO"
    assert hotlist.entries[2].list_type == "Stakeout" and not hotlist.entries[2].is_partial


def test_csv_bad_sample_refused_with_every_reason():
    with pytest.raises(HotListError) as caught:
        parse_csv(SAMPLES / "agency-bolo-bad.csv", clock=Clock())
    where = _where(caught.value)
    text = "\n".join(caught.value.problems)
    assert (2, "synopsis") in where and "looks like a date of birth" in text and "name with an address" in text
    assert (3, "case_number") in where
    assert (4, "entered_by") in where and "social security number" in text and "driver licence number" in text
    assert (5, "reason") in where and "'investigation' alone is not a reason" in text
    assert (5, "expires") in where and "'2026-13-45' is not a valid date" in text
    assert all(p.startswith(str(SAMPLES / "agency-bolo-bad.csv") + ":") for p in caught.value.problems)


def test_csv_refuses_personal_data_columns_and_unknown_columns():
    text = "plate,state,list,reason,vehicle,entered_by,case_number,synopsis,expires,dob,colour\n"
    with pytest.raises(HotListError) as caught:
        parse_csv(text, filename="p.csv", clock=Clock())
    assert caught.value.problems == [
        "p.csv:1: dob: personal data column is not allowed in hot lists",
        "p.csv:1: colour: unknown column (expected: plate, state, list, reason, vehicle, entered_by, case_number, synopsis, expires)",
    ]


def test_csv_plate_rules():
    header = "plate,state,list,reason,vehicle,entered_by,case_number,synopsis,expires\n"
    rows = ["*1*,CA,BOLO,Robbery suspect,,Ofc 1,26-1,Robbery at store,2026-12-01",
            "AB-C 123,CA,BOLO,Robbery suspect,,Ofc 1,26-2,Robbery at store,2026-12-01",
            "ABC123,XX,BOLO,Robbery suspect,,Ofc 1,26-3,Robbery at store,2026-11-01"]
    with pytest.raises(HotListError) as caught:
        parse_csv(header + "\n".join(rows), filename="r.csv", clock=Clock())
    assert _where(caught.value) == [(2, "plate"), (4, "state")]  # a past expiry is no reason to refuse the list
    assert "at least 4 known characters" in caught.value.problems[0]
    ok = parse_csv(header + rows[1], clock=Clock())
    assert ok.entries[0].plate == "ABC123"  # separators dropped


def test_csv_entries_already_expired_are_skipped_with_their_line():
    header = "plate,state,list,reason,vehicle,entered_by,case_number,synopsis,expires\n"
    rows = ["ABC123,CA,BOLO,Robbery suspect,,Ofc 1,26-3,Robbery at store,2026-11-01",
            "XYZ987,CA,BOLO,Robbery suspect,,Ofc 1,26-4,Robbery at store,2026-11-22",
            "DEF456,CA,BOLO,Robbery suspect,,Ofc 1,26-5,Robbery at store,2026-11-21"]
    hotlist = parse_csv(header + "\n".join(rows), filename="r.csv", clock=Clock())  # 2026-11-22
    assert [e.plate for e in hotlist.entries] == ["XYZ987"]  # expiring today still counts today
    assert hotlist.skipped == ("r.csv:2: expires: 2026-11-01 skipped, already past",
                               "r.csv:4: expires: 2026-11-21 skipped, already past")


def test_unreadable_file_is_a_clear_error(tmp_path):
    with pytest.raises(HotListError) as caught:
        parse_ncic(tmp_path / "missing.txt")
    assert caught.value.problems[0].startswith(f"{tmp_path / 'missing.txt'}: cannot read")


def test_ncic_unknown_type_code_and_bad_record_number():
    text = (SAMPLES / "ncic-extract.txt").read_text()
    text = text.replace("VCA0430000000001231", "QCA0430000000001231").replace("PCA0190000000000871", "PCA01900000000008#1")
    with pytest.raises(HotListError) as caught:
        parse_ncic(text, filename="n.txt")
    assert _where(caught.value) == [(2, "list type"), (4, "agency and record number")]
    assert "unknown code 'Q'" in caught.value.problems[0]


def test_ncic_plate_with_a_blank_inside():
    text = (SAMPLES / "ncic-extract.txt").read_text().replace("7XKM219   CA", "7XK M219  CA")
    with pytest.raises(HotListError) as caught:
        parse_ncic(text, filename="n.txt")
    assert caught.value.problems == ["n.txt:2: plate: blanks inside or before the plate (it must be left-aligned, without spaces)"]
