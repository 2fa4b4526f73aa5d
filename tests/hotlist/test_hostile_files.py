"""Hostile hot list files: every one refused with file:line, never a traceback; versions bounded."""

from __future__ import annotations

import pytest

from alpr_edge.hotlist import (
    EntryTable,
    HotList,
    HotListError,
    parse_clew,
    parse_csv,
    parse_ncic,
)
from tests.hotlist.conftest import SAMPLES, Clock

MAX_VERSION = 99991231235959  # the last YYYYMMDDHHMMSS stamp (alpr_edge.hotlist.model.MAX_VERSION)

HEADER = b"plate,state,list,reason,vehicle,entered_by,case_number,synopsis,expires\n"
GOOD_ROW = b"8FJK21,CA,BOLO,Robbery suspect vehicle,Silver sedan,Sgt #4411,26-004518,Armed robbery,2099-12-06\n"


def _problems(parse, data: bytes) -> list[str]:
    with pytest.raises(HotListError) as caught:
        parse(data, filename="list.txt", clock=Clock())
    return caught.value.problems


def test_a_csv_field_over_the_csv_modules_limit_is_a_problem_on_its_line():
    data = HEADER + GOOD_ROW + b'9XYZ123,CA,BOLO,"' + b"x" * 200_000 + b'",,a,b,c,2099-01-01\n'
    assert _problems(parse_csv, data) == ["list.txt:3: line: not CSV: field larger than field limit (131072)"]


def test_a_record_count_of_thousands_of_digits_is_a_problem_with_its_place():
    ncic = (SAMPLES / "ncic-extract.txt").read_bytes().replace(b"RECORDS=14", b"RECORDS=" + b"9" * 5000)
    assert _problems(parse_ncic, ncic) == ["list.txt:1: header: record count has 5000 digits, at most 12"]
    clew = (SAMPLES / "ca-clew-stolen.txt").read_bytes()
    head, _, _ = clew.rstrip().rpartition(b"\n")
    problems = _problems(parse_clew, head + b"\nTOTAL RECORDS: " + b"7" * 5000 + b"\n")
    assert len(problems) == 1 and problems[0].endswith(": footer: record count has 5000 digits, at most 12")
    assert problems[0].startswith("list.txt:")


@pytest.mark.parametrize("version", [0, -1, 2**70, MAX_VERSION + 1, True, 1.5])
def test_a_version_outside_the_bounds_is_refused(version):
    with pytest.raises(HotListError, match="version"):
        HotList(name="x", source="test", entries=EntryTable.from_entries([]), version=version, received_at=0.0)


def test_every_importer_refuses_an_unbounded_version_given_to_it():
    with pytest.raises(HotListError, match="version"):
        parse_csv(HEADER + GOOD_ROW, version=2**70, clock=Clock())


def test_the_largest_stamp_is_a_valid_version():
    hotlist = HotList(name="x", source="test", entries=EntryTable.from_entries([]), version=MAX_VERSION, received_at=0.0)
    assert hotlist.version == MAX_VERSION
