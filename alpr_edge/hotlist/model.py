"""What a hot list is: an immutable, versioned set of entries with its policy.

Lists from the state run to millions of records, so entries are not held as
one Python object each: `EntryTable` keeps them column by column in numpy
arrays (fixed-width bytes or small category tables) and builds a
`HotListEntry` only when one is asked for (a hit, a listing).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from alpr_edge.plates import normalise_plate as normalise_plate  # the one rule, re-exported for the hot lists

# NCIC list type codes (the extract's first column) and what they mean.
LIST_TYPES = {
    "V": "Stolen vehicle",
    "P": "Stolen plate",
    "F": "Felony vehicle",
    "W": "Wanted person",
    "M": "Missing person",
    "A": "Amber alert",
    "C": "Supervised release",
    "H": "Protection order",
    "K": "Protective interest",
    "L": "Violent person",
    "R": "Stolen Canadian vehicle",
    "T": "Gang or terrorist member",
    "X": "Sex offender",
}

# Priority 1 is the most urgent. An entry of one of these types alerts at
# least this urgently whatever its list's priority: an Amber alert in a
# routine stolen-vehicle extract must still override everything else.
TYPE_PRIORITY = {"A": 1, "M": 1, "F": 1, "L": 1, "W": 2, "T": 2, "V": 2, "P": 2, "R": 2}
PRIORITIES = range(1, 6)
DEFAULT_PRIORITY = 3

MAX_PLATE_LENGTH = 10  # the NCIC plate field; also what a packed key holds
MIN_KNOWN_CHARACTERS = 4  # a partial plate must pin down at least this many
_PATTERN = re.compile(r"[A-Z0-9?*]+")
_LIST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class HotListError(Exception):
    """An import or change refused; ``problems`` name file, line and field each."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def plate_pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` (already normalised) cannot be a hot plate, or None."""
    if not pattern:
        return "empty"
    if not pattern.isascii():
        bad = next(ch for ch in pattern if not ch.isascii())
        return f"non-ASCII character {bad!r}"
    if not _PATTERN.fullmatch(pattern):
        bad = next(ch for ch in pattern if not _PATTERN.fullmatch(ch))
        return f"character {bad!r} not allowed (letters, digits, '?' and '*' only)"
    if len(pattern) > MAX_PLATE_LENGTH:
        return f"{len(pattern)} characters, at most {MAX_PLATE_LENGTH}"
    known = sum(ch not in "?*" for ch in pattern)
    if known != len(pattern) and known < MIN_KNOWN_CHARACTERS:
        return f"a partial plate needs at least {MIN_KNOWN_CHARACTERS} known characters, got {known}"
    return None


# Versions are extract stamps (YYYYMMDDHHMMSS, what every importer derives)
# or small counters. The bound is the last stamp of year 9999: a larger
# version (2**70 was once accepted) could never be followed by a newer one
# from any source, so the list it names could never be replaced. It is also
# below 2**53, so every version survives a round trip through any JSON
# reader (JavaScript's included) and fits SQLite's 64-bit integers.
MAX_VERSION = 99991231235959


def version_problem(version) -> str | None:
    """Why ``version`` cannot number a list version, or None."""
    if not isinstance(version, int) or isinstance(version, bool):
        return f"version: expected a whole number, got {str(version)[:40]!r}"
    if not 1 <= version <= MAX_VERSION:
        return (f"version: expected 1 to {MAX_VERSION} (a YYYYMMDDHHMMSS stamp or a counter), "
                f"got {str(version)[:40]}{'...' if len(str(version)) > 40 else ''}")
    return None


def list_name_problem(name: str) -> str | None:
    if not _LIST_NAME.fullmatch(name or ""):
        return f"list name {name!r}: expected 1 to 64 letters, digits, '-' or '_'"
    return None


@dataclass(frozen=True, slots=True)
class HotListEntry:
    """One hot plate: a plate or partial plate (``?`` one character, ``*`` any run)."""

    plate: str
    state: str | None
    list_type: str  # NCIC code (V, P, ...) or the agency's own (BOLO, ...)
    reason: str
    vehicle: str = ""
    entered_by: str = ""
    case_number: str = ""
    synopsis: str = ""
    expires: date | None = None
    entered_on: date | None = None

    @property
    def is_partial(self) -> bool:
        return "?" in self.plate or "*" in self.plate

    @property
    def type_priority(self) -> int | None:
        return TYPE_PRIORITY.get(self.list_type)


ENTRY_TEXT_FIELDS = ("state", "list_type", "reason", "vehicle", "entered_by", "case_number", "synopsis", "expires", "entered_on")


class Column:
    """One text field of every entry, stored compactly.

    Either ``codes`` into a small table of ``values`` (states, list types,
    agencies: few distinct values) or a fixed-width byte array (record
    numbers: all distinct). Trailing blanks are not significant.
    """

    __slots__ = ("codes", "values", "fixed")

    def __init__(self, codes: np.ndarray | None = None, values: Sequence[str] = (), fixed: np.ndarray | None = None):
        self.codes = codes
        self.values = tuple(values)
        self.fixed = fixed

    @classmethod
    def from_strings(cls, items: Sequence[str]) -> Column:
        table: dict[str, int] = {}
        codes = [table.setdefault(item, len(table)) for item in items]
        if len(table) <= max(256, len(items) // 4):
            return cls(codes=np.asarray(codes, dtype=code_dtype(len(table))), values=list(table))
        return cls(fixed=np.array([item.encode() for item in items], dtype=bytes))

    @classmethod
    def constant(cls, value: str, count: int) -> Column:
        return cls(codes=np.zeros(count, dtype=np.uint8), values=[value])

    def __len__(self) -> int:
        return len(self.codes if self.codes is not None else self.fixed)

    def __getitem__(self, row: int) -> str:
        if self.codes is not None:
            return self.values[int(self.codes[row])]
        return self.fixed[row].decode("utf-8", "replace").strip()

    def take(self, rows: np.ndarray) -> Column:
        if self.codes is not None:
            return Column(codes=self.codes[rows], values=self.values)
        return Column(fixed=self.fixed[rows])

    @property
    def nbytes(self) -> int:
        array = self.codes if self.codes is not None else self.fixed
        return int(array.nbytes) + sum(len(v) + 50 for v in self.values)


def code_dtype(distinct: int) -> type:
    """The narrowest unsigned integer that numbers ``distinct`` values (a state column: one byte an entry)."""
    return np.uint8 if distinct <= 256 else np.uint16 if distinct <= 65536 else np.uint32


@functools.lru_cache(maxsize=4096)  # few distinct dates; parsed once each
def _to_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


class EntryTable(Sequence[HotListEntry]):
    """The entries of one list, column by column; immutable."""

    def __init__(self, plates: np.ndarray, columns: dict[str, Column]):
        missing = set(ENTRY_TEXT_FIELDS) - set(columns)
        if missing:
            raise ValueError(f"entry table lacks columns {sorted(missing)}")
        for name, column in columns.items():
            if len(column) != len(plates):
                raise ValueError(f"column {name}: {len(column)} rows, expected {len(plates)}")
        self.plates = plates  # dtype S10: normalised ASCII patterns
        self.columns = dict(columns)

    @classmethod
    def from_entries(cls, entries: Iterable[HotListEntry]) -> EntryTable:
        entries = list(entries)
        plates = np.array([e.plate.encode("ascii") for e in entries], dtype=f"S{MAX_PLATE_LENGTH}")
        columns = {}
        for name in ENTRY_TEXT_FIELDS:
            items = [getattr(e, name) for e in entries]
            columns[name] = Column.from_strings(["" if v is None else str(v) for v in items])
        return cls(plates, columns)

    def __len__(self) -> int:
        return len(self.plates)

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        c = self.columns
        return HotListEntry(
            plate=self.plates[row].decode("ascii"),
            state=c["state"][row] or None,
            list_type=c["list_type"][row],
            reason=c["reason"][row],
            vehicle=c["vehicle"][row],
            entered_by=c["entered_by"][row],
            case_number=c["case_number"][row],
            synopsis=c["synopsis"][row],
            expires=_to_date(c["expires"][row]),
            entered_on=_to_date(c["entered_on"][row]),
        )

    def __iter__(self) -> Iterator[HotListEntry]:
        return (self[i] for i in range(len(self)))

    def take(self, rows: np.ndarray) -> EntryTable:
        """A table of the given rows only (used to remove entries)."""
        return EntryTable(self.plates[rows], {k: v.take(rows) for k, v in self.columns.items()})

    @property
    def nbytes(self) -> int:
        return int(self.plates.nbytes) + sum(c.nbytes for c in self.columns.values())


@dataclass(frozen=True)
class ActiveHours:
    """Local clock minutes [start, end) during which a list alerts; may wrap midnight."""

    start_minute: int
    end_minute: int

    @classmethod
    def parse(cls, text: str) -> ActiveHours:
        """'22:00-06:00' -> ActiveHours(1320, 360)."""
        try:
            start, end = (part.strip() for part in text.split("-"))
            (sh, sm), (eh, em) = (map(int, start.split(":")), map(int, end.split(":")))
            if not (0 <= sh < 24 and 0 <= eh <= 24 and 0 <= sm < 60 and 0 <= em < 60):
                raise ValueError
        except ValueError:
            raise ValueError(f"active hours {text!r}: expected HH:MM-HH:MM") from None
        return cls(sh * 60 + sm, eh * 60 + em)

    def contains(self, minute_of_day: int) -> bool:
        if self.start_minute <= self.end_minute:
            return self.start_minute <= minute_of_day < self.end_minute
        return minute_of_day >= self.start_minute or minute_of_day < self.end_minute


@dataclass(frozen=True)
class Area:
    """A latitude/longitude box (WGS84 degrees) where a list alerts."""

    south: float
    west: float
    north: float
    east: float

    def contains(self, latitude: float, longitude: float) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east


@dataclass(frozen=True)
class HotList:
    """One version of one named list, as received. Never modified: replaced."""

    name: str
    source: str  # "ncic", "clew", "csv", "manual", or where it came from
    entries: EntryTable
    version: int
    received_at: float  # Unix seconds
    priority: int = DEFAULT_PRIORITY  # 1 most urgent .. 5
    match_mode: str = "lenient"  # "exact" or "lenient"
    max_age_s: float | None = 24 * 3600.0  # None: never stale (manual lists; entries expire)
    covert: bool = False  # hits recorded and uploaded, no in-car alert
    one_char_tolerance: bool = False  # lenient lists: also one missing or extra character
    active_hours: ActiveHours | None = None
    area: Area | None = None
    extra: dict = field(default_factory=dict)  # e.g. the extract's own header
    # When the source made the list (Unix seconds), where its format says (an NCIC or CLEW
    # header): an old extract imported today is old, and its age counts from here.
    extracted_at: float | None = None
    # Entries the importer left out, each as 'file:line: field: why' (already
    # expired, for example). Said to whoever imported it; not stored.
    skipped: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        problems = []
        if (problem := list_name_problem(self.name)) is not None:
            problems.append(problem)
        if (problem := version_problem(self.version)) is not None:
            problems.append(problem)
        if self.priority not in PRIORITIES:
            problems.append(f"priority: expected 1 (most urgent) to 5, got {self.priority}")
        if self.match_mode not in ("exact", "lenient"):
            problems.append(f"match_mode: expected 'exact' or 'lenient', got {self.match_mode!r}")
        if self.max_age_s is not None and self.max_age_s <= 0:
            problems.append(f"max_age_s: expected a positive number, got {self.max_age_s}")
        if problems:
            raise HotListError([f"list {self.name!r}: {p}" for p in problems])

    def __len__(self) -> int:
        return len(self.entries)

    def age_s(self, now: float) -> float:
        """From the earlier of the extract's own date and the import (SB 34: an officer must know a list is stale)."""
        since = self.received_at if self.extracted_at is None else min(self.received_at, self.extracted_at)
        return max(0.0, now - since)

    def is_stale(self, now: float) -> bool:
        return self.max_age_s is not None and self.age_s(now) > self.max_age_s
