"""Hot list files of every format, mutated: each import gives a list or a HotListError whose problems
all say file:line, never another exception."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from alpr_edge.hotlist import HotList, HotListError, parse_clew, parse_csv, parse_ncic
from tests.hotlist.conftest import SAMPLES, Clock

from .conftest import FUZZ

PARSERS = {"agency-bolo.csv": parse_csv, "ncic-extract.txt": parse_ncic, "ca-clew-stolen.txt": parse_clew}
SAMPLE_BYTES = {name: (SAMPLES / name).read_bytes() for name in PARSERS}
PROBLEM = re.compile(r"^list\.txt:\d+: ")
NASTY = [b"\x00", b"\xff", b"\r", b"\n", b",", b'"', b"9" * 5000, b"x" * 140_000, b"RECORDS=", b"TOTAL RECORDS: ",
         b"\xef\xbb\xbf", b"\t", b"*", b"?", b"2099-13-45", b"99/99/9999"]


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(PARSERS)))
    data = bytearray(SAMPLE_BYTES[name])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "line", "count"]))
        piece = draw(st.one_of(st.sampled_from(NASTY), st.binary(max_size=40)))
        if action == "count":  # the declared record count: any number of digits (5000 once gave a traceback)
            data = bytearray(re.sub(rb"(RECORDS=|TOTAL RECORDS: )\d+", lambda m: m.group(1) + b"9" * draw(
                st.integers(1, 6000)), bytes(data)))
        elif action == "insert":
            data[at:at] = piece
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 80))]
        elif action == "replace":
            data[at:at + len(piece)] = piece
        else:
            data[at:at] = piece + b"\n"
    return name, bytes(data)


def _import(parse, data: bytes) -> None:
    try:
        hotlist = parse(data, filename="list.txt", clock=Clock())
    except HotListError as error:
        assert error.problems
        for problem in error.problems:
            assert PROBLEM.match(problem) or problem.startswith("list.txt: ... and"), problem
        return
    assert isinstance(hotlist, HotList)


@settings(FUZZ, max_examples=250)
@given(mutated())
def test_mutated_samples_are_imported_or_refused_with_their_place(case):
    name, data = case
    _import(PARSERS[name], data)


@settings(FUZZ, max_examples=80)
@given(st.sampled_from(sorted(PARSERS)), st.binary(max_size=3000))
def test_arbitrary_bytes_are_refused_with_their_place(name, data):
    _import(PARSERS[name], data)
