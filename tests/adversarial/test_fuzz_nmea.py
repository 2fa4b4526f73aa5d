"""NMEA sentences with valid checksums and hostile fields: parse_sentence raises only SentenceError,
the assembler only ValueError, and every fix it builds is finite and strict JSON."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from alpr_edge.gps.nmea import (
    FixAssembler,
    LineSplitter,
    SentenceError,
    is_used,
    parse_sentence,
    sentence,
)

from .conftest import FUZZ

TALKERS = ["GP", "GN", "GL", "BD", "P", "PUBX", "PGRM", "XX", ""]
TYPES = ["RMC", "GGA", "GSA", "VTG", "GSV", "TXT", "", "R", "ZDA"]
FIELD = st.one_of(
    st.sampled_from(["", "A", "V", "N", "S", "E", "W", "M", "K", "T", "inf", "-inf", "nan", "NaN", "1e999", "Infinity",
                     "170230.00", "246060.99", "120626", "310299", "3752.164", "12216.080", "9999.9999", "-1", "0",
                     "00", "99", "..", "1.2.3"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**6, 10**12).map(str),
    st.text(alphabet="0123456789.-+eE", max_size=12),
)


@st.composite
def sentences(draw) -> str:
    head = draw(st.sampled_from(TALKERS)) + draw(st.sampled_from(TYPES))
    fields = draw(st.lists(FIELD, max_size=20))
    return sentence(",".join([head, *fields]) if fields or draw(st.booleans()) else head)


def _check_fix(fix) -> None:
    for name, value in fix.to_dict().items():
        if isinstance(value, float):
            assert math.isfinite(value), (name, value)
    json.dumps(fix.to_dict(), allow_nan=False)


@settings(FUZZ, max_examples=250)
@given(st.lists(sentences(), min_size=1, max_size=12))
def test_sentences_never_raise_more_than_they_declare(batch):
    assembler = FixAssembler()
    for index, text in enumerate(batch):
        try:
            message = parse_sentence(text)
        except SentenceError:
            continue
        if not is_used(message):
            continue
        try:
            update = assembler.feed(message, float(index))
        except ValueError:
            continue
        for fix in (update.current, update.completed):
            if fix is not None:
                _check_fix(fix)


@settings(FUZZ, max_examples=150)
@given(st.binary(max_size=2000))
def test_any_bytes_on_the_wire_split_into_bounded_candidates(data):
    splitter = LineSplitter()
    for candidate in splitter.feed(data) + splitter.feed(b"\r\n"):
        assert candidate.startswith("$")
        try:
            parse_sentence(candidate)
        except SentenceError:
            pass
