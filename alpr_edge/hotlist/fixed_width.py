"""Importers for the fixed-width extracts: NCIC hot files and California CLEW.

State extracts hold millions of records and arrive several times a day, so
the columns are checked and converted with numpy over the whole file at once
(a 2,000,000-record extract loads in a few seconds); only lines that fail a
check are looked at one by one, to say exactly what is wrong with them.
Column layouts: /work/shared/hotlists/README.md, repeated in the docstrings.
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime

import numpy as np

from alpr_edge.hotlist.model import (
    LIST_TYPES,
    MAX_PLATE_LENGTH,
    Column,
    EntryTable,
    HotList,
    code_dtype,
)
from alpr_edge.hotlist.sources import STATE_CODES, Problems, read_input

SPACE = 32
_ALNUM = np.zeros(256, dtype=bool)
_ALNUM[list(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[list(b"0123456789")] = True
_UPPER = np.zeros(256, dtype=bool)
_UPPER[list(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")] = True


class _Lines:
    """Where each line of a file starts and ends (without its line break)."""

    def __init__(self, data: bytes):
        self.data = data
        self.buffer = np.frombuffer(data, dtype=np.uint8)
        breaks = np.flatnonzero(self.buffer == 10)
        self.line_breaks = len(breaks)
        self.starts = np.concatenate([[0], breaks + 1]).astype(np.int64)
        self.ends = np.concatenate([breaks, [len(data)]]).astype(np.int64)
        if len(self.starts) and self.starts[-1] == len(data):  # a final line break adds no line
            self.starts, self.ends = self.starts[:-1], self.ends[:-1]
        carriage = (self.ends > self.starts) & (self.buffer[np.maximum(self.ends - 1, 0)] == 13)
        self.ends = self.ends - carriage

    def __len__(self) -> int:
        return len(self.starts)

    def split(self) -> list[bytes]:
        """The lines as bytes objects (cached)."""
        if not hasattr(self, "_split"):
            lines = self.data.split(b"\n")[: len(self.starts)]
            if b"\r" in self.data:
                lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
            self._split = lines
        return self._split

    def __getitem__(self, index: int) -> bytes:
        return self.data[self.starts[index]:self.ends[index]]

    def last_nonblank(self) -> int:
        index = len(self) - 1
        while index > 0 and not self[index].strip():
            index -= 1
        return index


class _Records:
    """Lines ``first`` to ``last`` (0-based, inclusive) as an (n, width) byte matrix.

    Blank lines are skipped; lines that are not ASCII or too short to hold the
    required fields are reported here and left out of the matrix.
    """

    def __init__(self, lines: _Lines, first: int, last: int, fields: list[tuple[str, int, int]], required_end: int, problems: Problems):
        index = np.arange(first, last + 1, dtype=np.int64)
        lengths = lines.ends[first:last + 1] - lines.starts[first:last + 1]
        keep = lengths > 0
        if not lines.data.isascii():
            high = np.flatnonzero(lines.buffer >= 128)
            bad_lines = np.unique(np.searchsorted(lines.starts, high, side="right") - 1)
            for line in bad_lines[(bad_lines >= first) & (bad_lines <= last)]:
                self._report_non_ascii(int(line) + 1, lines[int(line)], fields, problems)
                keep[line - first] = False
        if np.count_nonzero(lines.buffer < 32) > lines.line_breaks + lines.data.count(b"\r"):
            for row in np.flatnonzero(keep):  # rare: only files with control characters
                text = lines[int(index[row])]
                bad = next((i for i, byte in enumerate(text) if byte < 32), None)
                if bad is not None:
                    field = next((name for name, start, end in fields if start <= bad < end), fields[-1][0])
                    problems.add(int(index[row]) + 1, field, f"control character {text[bad]:#04x} at column {bad + 1}")
                    keep[row] = False
        for row in np.flatnonzero(keep & (lengths < required_end)):
            length = int(lengths[row])
            if not lines[int(index[row])].strip():
                continue  # a line of blanks
            field = next((name for name, start, end in fields if length < end), fields[-1][0])
            problems.add(int(index[row]) + 1, field, f"record truncated: {length} character(s), at least {required_end} expected")
        keep &= lengths >= required_end
        self.count = int(keep.sum()) + self._dropped_records(lines, first, last, keep)
        # numpy copies the lines into a fixed-width array in C; short lines are NUL padded.
        if keep.all():
            texts = lines.split()[first:last + 1]
        else:
            split = lines.split()
            texts = [split[i] for i in index[keep]]
        width = int(lengths[keep].max()) if keep.any() else required_end
        matrix = np.array(texts, dtype=f"S{width}").view(np.uint8).reshape(len(texts), width)
        index = index[keep]
        # Lines of spaces only: a record starts with a code, so look closer only at rows that do not.
        blank = np.zeros(len(matrix), dtype=bool)
        suspects = np.flatnonzero(matrix[:, 0] <= SPACE) if len(matrix) else np.zeros(0, dtype=np.int64)
        blank[suspects] = ~np.any(matrix[suspects] > SPACE, axis=1)
        if blank.any():
            matrix, index = matrix[~blank], index[~blank]
            self.count -= int(blank.sum())
        self.matrix = matrix
        self.line_numbers = index + 1

    @staticmethod
    def _dropped_records(lines: _Lines, first: int, last: int, keep: np.ndarray) -> int:
        """Lines left out as bad (not blank ones): they still count as records."""
        return sum(1 for row in np.flatnonzero(~keep) if lines[first + int(row)].strip())

    @staticmethod
    def _report_non_ascii(line_number: int, line: bytes, fields, problems: Problems) -> None:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.add(line_number, "line", f"not UTF-8 text (byte {error.start + 1})")
            return
        column = next(i for i, ch in enumerate(text) if not ch.isascii())
        field = next((name for name, start, end in fields if start <= column < end), fields[-1][0])
        problems.add(line_number, field, f"non-ASCII character {text[column]!r} at column {column + 1}")

    def __len__(self) -> int:
        return len(self.matrix)

    def block(self, start: int, end: int | None = None) -> np.ndarray:
        """Columns [start, end) of every record, the NUL padding of short lines as blanks."""
        end = self.matrix.shape[1] if end is None else min(end, self.matrix.shape[1])
        if end <= start:
            return np.full((len(self.matrix), 1), SPACE, dtype=np.uint8)
        return np.maximum(self.matrix[:, start:end], SPACE)  # no other byte below 32 is left

    def report(self, problems: Problems, rows: np.ndarray, field: str, why) -> None:
        problems.add_rows(((int(i), self.line_numbers[i]) for i in rows), field, why)

    def text(self, row: int, start: int, end: int) -> str:
        return bytes(np.maximum(self.matrix[row, start:end], SPACE)).decode("ascii").strip()


def _strings(block: np.ndarray, blank_to_nul: bool = False) -> np.ndarray:
    """Each row of a byte block as one fixed-width bytes value."""
    block = np.ascontiguousarray(block)
    if blank_to_nul:
        block = np.where(block == SPACE, 0, block).astype(np.uint8)
    return block.view(f"S{block.shape[1]}").ravel()


def _categories(values: np.ndarray, convert=lambda raw: raw.decode("ascii").strip()) -> Column:
    """A category column from fixed-width ASCII byte values.

    Distinct values are found on integer keys (7 bits a character), which
    numpy sorts many times faster than byte strings; one or two characters
    are counted directly. A column of mostly distinct values stays fixed-width.
    """
    width = values.dtype.itemsize
    if width <= 2:
        keys = values.view(f"u{width}").astype(np.int64)
        present = np.bincount(keys, minlength=1) > 0
        first_keys = np.flatnonzero(present)
        codes = (np.cumsum(present) - 1)[keys]
        unique = first_keys.astype(f"u{width}").view(values.dtype)
    else:
        if width <= 9:
            raw = values.view(np.uint8).reshape(len(values), width)
            keys = np.zeros(len(values), dtype=np.uint64)
            for position in range(width):
                keys |= raw[:, position].astype(np.uint64) << np.uint64(7 * position)
        else:
            keys = values
        _, first, codes = np.unique(keys, return_index=True, return_inverse=True)
        unique = values[first]
    if len(unique) > max(65535, len(values) // 4):
        return Column(fixed=np.ascontiguousarray(values))
    return Column(codes=codes.astype(code_dtype(len(unique))).reshape(-1), values=[convert(bytes(v)) for v in unique])


def _check_plates(records: _Records, start: int, end: int, problems: Problems) -> np.ndarray:
    plates = records.block(start, end)
    blank = plates == SPACE
    allowed = _ALNUM[plates] | blank
    records.report(problems, np.flatnonzero(blank.all(axis=1)), "plate", "empty")
    bad = np.flatnonzero(~allowed.all(axis=1))
    records.report(problems, bad, "plate", lambda i: f"character {chr(plates[i][~allowed[i]][0])!r} not allowed (letters and digits only)")
    gap = blank[:, :-1] & ~blank[:, 1:]
    records.report(problems, np.flatnonzero(gap.any(axis=1) & ~blank.all(axis=1)), "plate",
                   "blanks inside or before the plate (it must be left-aligned, without spaces)")
    if end - start > MAX_PLATE_LENGTH:
        too_long = np.flatnonzero(~blank[:, MAX_PLATE_LENGTH:].all(axis=1))
        records.report(problems, too_long, "plate", f"more than {MAX_PLATE_LENGTH} characters")
    return _strings(plates[:, :MAX_PLATE_LENGTH], blank_to_nul=True).astype(f"S{MAX_PLATE_LENGTH}")


def _check_states(records: _Records, start: int, problems: Problems, field: str = "state") -> Column:
    states = _categories(_strings(records.block(start, start + 2)))
    bad_codes = [i for i, s in enumerate(states.values) if s not in STATE_CODES]
    if bad_codes:
        rows = np.flatnonzero(np.isin(states.codes, bad_codes))
        records.report(problems, rows, field, lambda i: f"{states[i]!r} is not a state or province code" if states[i] else "blank")
    return states


def _check_dates(records: _Records, start: int, end: int, layout: str, field: str, problems: Problems) -> Column:
    """A date column, each distinct value checked once; kept as ISO text."""
    invalid = set()

    def convert(raw: bytes) -> str:
        text = raw.decode("ascii").strip()
        try:
            return datetime.strptime(text, layout).date().isoformat()
        except ValueError:
            invalid.add(text)
            return ""

    column = _categories(_strings(records.block(start, end)), convert)
    bad_codes = [i for i, raw in enumerate(column.values) if raw == ""]
    if bad_codes:
        rows = np.flatnonzero(np.isin(column.codes, bad_codes))
        records.report(problems, rows, field, lambda i: f"{records.text(i, start, end)!r} is not a valid date ({_HUMAN_LAYOUT[layout]})")
    return column


_HUMAN_LAYOUT = {"%Y%m%d": "YYYYMMDD", "%m/%d/%Y": "MM/DD/YYYY"}


def _check_optional_digits(records: _Records, start: int, end: int, field: str, problems: Problems) -> None:
    block = records.block(start, end)
    ok = _DIGIT[block].all(axis=1) | (block == SPACE).all(axis=1)
    records.report(problems, np.flatnonzero(~ok), field, lambda i: f"{records.text(i, start, end)!r}: expected {end - start} digits or blanks")


MAX_COUNT_DIGITS = 12  # a record count in a header or footer; more is no real extract


def _declared_count(digits: bytes, line: int, field: str, problems: Problems) -> int | None:
    """The record count a header or footer declares, or None (reported) when it has too many digits.

    Python refuses to convert more than 4,300 digits at all, and no extract
    holds a trillion records, so a long number is a problem with its place.
    """
    if len(digits) > MAX_COUNT_DIGITS:
        problems.add(line, field, f"record count has {len(digits)} digits, at most {MAX_COUNT_DIGITS}")
        return None
    return int(digits)


NCIC_FIELDS = [
    ("list type", 0, 1), ("agency and record number", 1, 19), ("entry date", 19, 27), ("plate", 27, 37),
    ("plate state", 37, 39), ("plate expiry year", 39, 43), ("plate type", 43, 45), ("vehicle year", 45, 49),
    ("make", 49, 53), ("model", 53, 56), ("style", 56, 58), ("colour", 58, 66),
]
_NCIC_HEADER = re.compile(rb"^NCIC\b.*?\b(\d{8})\s+(\d{4})\b.*?RECORDS=(\d+)\s*$")


def parse_ncic(source, *, name: str = "ncic", priority: int = 2, match_mode: str = "lenient", covert: bool = False,
               max_age_s: float | None = 24 * 3600.0, version: int | None = None, clock=time.time,
               filename: str | None = None, one_char_tolerance: bool = False) -> HotList:
    """An NCIC-style fixed-width hot file extract.

    Line 1: ``NCIC HOT FILE EXTRACT YYYYMMDD HHMM RECORDS=N``. Records by
    0-based column: 0 list type code, 1:10 ORI (entered by), 10:19 record
    number (kept as the case number), 19:27 entry date YYYYMMDD, 27:37 plate,
    37:39 state, 39:43 plate expiry year, 43:45 plate type, 45:49 vehicle
    year, 49:53 make, 53:56 model, 56:58 style, 58: colour. Fields after the
    state may be blank. The version is the header's stamp (YYYYMMDDHHMM00).
    """
    data, filename = read_input(source, filename)
    problems = Problems(filename)
    lines = _Lines(data)
    header = _NCIC_HEADER.match(lines[0]) if len(lines) else None
    if header is None:
        problems.add(1, "header", "expected 'NCIC ... YYYYMMDD HHMM RECORDS=N'")
        problems.raise_if_any()
    stamp = header.group(1) + header.group(2)
    try:
        datetime.strptime(stamp.decode(), "%Y%m%d%H%M")
    except ValueError:
        problems.add(1, "header", f"extract time {stamp.decode()!r} is not a valid date and time")
    records = _Records(lines, 1, len(lines) - 1, NCIC_FIELDS, 39, problems)
    declared = _declared_count(header.group(3), 1, "header", problems)
    if declared is not None and records.count != declared:
        problems.add(1, "header", f"RECORDS={declared} but the file holds {records.count} record line(s)")

    types = records.block(0, 1)[:, 0]
    known = np.zeros(256, dtype=bool)
    known[[ord(code) for code in LIST_TYPES]] = True
    records.report(problems, np.flatnonzero(~known[types]), "list type",
                   lambda i: f"unknown code {chr(types[i])!r} (known: {''.join(LIST_TYPES)})")
    record_ids = records.block(1, 19)
    bad_ids = ~(_ALNUM[record_ids] | (record_ids == SPACE)).all(axis=1) | (record_ids == SPACE).all(axis=1)
    records.report(problems, np.flatnonzero(bad_ids), "agency and record number",
                   lambda i: f"{records.text(i, 1, 19)!r}: expected letters and digits")
    entered_on = _check_dates(records, 19, 27, "%Y%m%d", "entry date", problems)
    plates = _check_plates(records, 27, 37, problems)
    states = _check_states(records, 37, problems, "plate state")
    _check_optional_digits(records, 39, 43, "plate expiry year", problems)
    _check_optional_digits(records, 45, 49, "vehicle year", problems)
    problems.raise_if_any()

    type_column = _categories(_strings(types[:, None]))
    vehicle = [records.block(45, 49), records.block(49, 53), records.block(53, 56), records.block(56, 58), records.block(58, 66)]
    spaces = np.full((len(records), 1), SPACE, dtype=np.uint8)
    vehicle_block = np.hstack([part for block in vehicle for part in (block, spaces)][:-1])
    columns = {
        "state": states,
        "list_type": type_column,
        "reason": Column(codes=type_column.codes, values=[LIST_TYPES[t] for t in type_column.values]),
        "vehicle": Column(fixed=_strings(vehicle_block)),
        "entered_by": _categories(_strings(records.block(1, 10))),
        "case_number": Column(fixed=_strings(records.block(10, 19))),
        "synopsis": Column.constant("", len(records)),
        "expires": Column.constant("", len(records)),
        "entered_on": entered_on,
    }
    return HotList(
        name=name, source="ncic", entries=EntryTable(plates, columns),
        version=version if version is not None else int(stamp) * 100, received_at=clock(),
        priority=priority, match_mode=match_mode, max_age_s=max_age_s, covert=covert,
        one_char_tolerance=one_char_tolerance, extra={"header": lines[0].decode("ascii", "replace")},
    )


CLEW_FIELDS = [("plate", 0, 8), ("state", 8, 10), ("county code", 10, 12), ("date of loss", 12, 22)]
_CLEW_HEADER = re.compile(rb"^CLEW\b.*?(\d{2}/\d{2}/\d{4})\s*$")
_CLEW_FOOTER = re.compile(rb"^TOTAL RECORDS:\s*(\d+)\s*$")


def parse_clew(source, *, name: str = "clew", priority: int = 2, match_mode: str = "lenient", covert: bool = False,
               max_age_s: float | None = 24 * 3600.0, version: int | None = None, clock=time.time,
               filename: str | None = None, one_char_tolerance: bool = False) -> HotList:
    """The California CLEW stolen vehicle plate extract.

    A header line ending in the extract date MM/DD/YYYY; records 0:8 plate,
    8:10 state, 10:12 county code (may be blank), 12:22 date of loss
    MM/DD/YYYY; a footer ``TOTAL RECORDS: N`` that must agree with the count.
    Every record is a stolen vehicle (list type V).
    """
    data, filename = read_input(source, filename)
    problems = Problems(filename)
    lines = _Lines(data)
    header = _CLEW_HEADER.match(lines[0]) if len(lines) else None
    extract_day = None
    if header is None:
        problems.add(1, "header", "expected 'CLEW ... MM/DD/YYYY'")
    else:
        try:
            extract_day = datetime.strptime(header.group(1).decode(), "%m/%d/%Y").date()
        except ValueError:
            problems.add(1, "header", f"extract date {header.group(1).decode()!r} is not a valid date")
    last = lines.last_nonblank()
    footer = _CLEW_FOOTER.match(lines[last]) if last > 0 else None
    if footer is None:
        problems.add(last + 1, "footer", "expected a last line 'TOTAL RECORDS: N'")
        problems.raise_if_any()
    records = _Records(lines, 1, last - 1, CLEW_FIELDS, 22, problems)
    declared = _declared_count(footer.group(1), last + 1, "footer", problems)
    if declared is not None and records.count != declared:
        problems.add(last + 1, "footer", f"TOTAL RECORDS: {declared} but the file holds {records.count} record(s)")
    plates = _check_plates(records, 0, 8, problems)
    states = _check_states(records, 8, problems)
    _check_optional_digits(records, 10, 12, "county code", problems)
    lost_on = _check_dates(records, 12, 22, "%m/%d/%Y", "date of loss", problems)
    trailing = records.block(22)
    records.report(problems, np.flatnonzero(~(trailing == SPACE).all(axis=1)), "line", "unexpected text after the date of loss")
    problems.raise_if_any()

    count = len(records)
    columns = {
        "state": states,
        "list_type": Column.constant("V", count),
        "reason": Column.constant(LIST_TYPES["V"], count),
        "vehicle": Column.constant("", count),
        "entered_by": Column.constant("CLEW", count),
        "case_number": Column.constant("", count),
        "synopsis": Column.constant("", count),
        "expires": Column.constant("", count),
        "entered_on": lost_on,
    }
    if version is None:
        version = int((extract_day or date.fromtimestamp(clock())).strftime("%Y%m%d")) * 1_000_000
    return HotList(
        name=name, source="clew", entries=EntryTable(plates, columns), version=version, received_at=clock(),
        priority=priority, match_mode=match_mode, max_age_s=max_age_s, covert=covert,
        one_char_tolerance=one_char_tolerance, extra={"header": lines[0].decode("ascii", "replace")},
    )


__all__ = ["parse_ncic", "parse_clew"]
