"""The agency CSV layout, and the rules every hand-entered hot plate follows.

Columns (header required, in any order): plate, state, list, reason,
vehicle, entered_by, case_number, synopsis, expires (YYYY-MM-DD). A plate may
hold ``?`` for one unknown character and ``*`` for any run. Every entry names
who entered it, a case number and a synopsis, and expires. There is
deliberately no column for a name, address or date of birth, and text that
looks like one is refused (`alpr_edge.hotlist.pii`).
"""

from __future__ import annotations

import csv
import io
import time
from datetime import date

from alpr_edge.hotlist.model import EntryTable, HotList, HotListEntry, normalise_plate, plate_pattern_problem
from alpr_edge.hotlist.pii import personal_data_problems, reason_problem
from alpr_edge.hotlist.sources import STATE_CODES, Problems, clock_version, read_input

CSV_COLUMNS = ("plate", "state", "list", "reason", "vehicle", "entered_by", "case_number", "synopsis", "expires")
REQUIRED = ("plate", "list", "reason", "entered_by", "case_number", "synopsis", "expires")
# Columns that would carry personal data: refused by name, with the reason.
FORBIDDEN_COLUMNS = {"name", "first_name", "last_name", "owner", "address", "dob", "date_of_birth", "ssn", "dl", "licence", "license", "phone"}
MAX_TEXT = 200


def entry_problems(fields: dict[str, str], today: date, max_days: int | None = None,
                   past_ok: bool = False) -> list[tuple[str, str]]:
    """(field, why) for each rule a hand-entered hot plate breaks.

    Shared by the CSV importer and manual entry, so both refuse the same things.
    ``past_ok``: an expiry already past is not a problem (the importer skips
    such entries instead, see `is_past`).
    """
    problems = []
    for name in REQUIRED:
        if not (fields.get(name) or "").strip():
            problems.append((name, "missing (required)"))
    plate = normalise_plate(fields.get("plate") or "")
    if plate and (why := plate_pattern_problem(plate)):
        problems.append(("plate", why))
    state = (fields.get("state") or "").strip().upper()
    if state and state not in STATE_CODES:
        problems.append(("state", f"{state!r} is not a state or province code"))
    reason = (fields.get("reason") or "").strip()
    if reason and (why := reason_problem(reason)):
        problems.append(("reason", why))
    synopsis = (fields.get("synopsis") or "").strip()
    if synopsis and (why := reason_problem(synopsis)):
        problems.append(("synopsis", why.replace("a reason", "a synopsis")))
    for name in ("reason", "vehicle", "synopsis", "entered_by", "case_number"):
        text = fields.get(name) or ""
        if len(text) > MAX_TEXT:
            problems.append((name, f"{len(text)} characters, at most {MAX_TEXT}"))
        for why in personal_data_problems(text):
            problems.append((name, f"{why}: personal data is not allowed in hot lists"))
    expires = (fields.get("expires") or "").strip()
    if expires:
        try:
            day = date.fromisoformat(expires)
        except ValueError:
            problems.append(("expires", f"{expires!r} is not a valid date (YYYY-MM-DD)"))
        else:
            if day < today and not past_ok:
                problems.append(("expires", f"{expires} is already past"))
            elif max_days is not None and (day - today).days > max_days:
                problems.append(("expires", f"{expires} is more than {max_days} days ahead"))
    return problems


def is_past(fields: dict[str, str], today: date) -> bool:
    """Whether a valid entry's expiry date is before ``today``."""
    return date.fromisoformat(fields["expires"].strip()) < today


def entry_from_fields(fields: dict[str, str]) -> HotListEntry:
    return HotListEntry(
        plate=normalise_plate(fields["plate"]),
        state=(fields.get("state") or "").strip().upper() or None,
        list_type=fields["list"].strip(),
        reason=fields["reason"].strip(),
        vehicle=(fields.get("vehicle") or "").strip(),
        entered_by=fields["entered_by"].strip(),
        case_number=fields["case_number"].strip(),
        synopsis=fields["synopsis"].strip(),
        expires=date.fromisoformat(fields["expires"].strip()),
    )


def _rows(reader, problems: Problems):
    """The reader's rows; a line the csv module cannot read (a field over its
    128 KiB limit, an unclosed quote) ends the file as a problem with its line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problems.add(reader.line_num, "line", f"not CSV: {error}")
            return
        yield row


def parse_csv(source, *, name: str = "agency", priority: int = 3, match_mode: str = "lenient", covert: bool = False,
              max_age_s: float | None = None, version: int | None = None, clock=time.time,
              filename: str | None = None, one_char_tolerance: bool = False) -> HotList:
    """Agency-entered hot plates in the documented CSV layout (see module doc)."""
    data, filename = read_input(source, filename)
    problems = Problems(filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.add(line, "file", f"not UTF-8 text (byte {error.start + 1})")
        problems.raise_if_any()
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = _rows(reader, problems)
    header = [column.strip().lower() for column in next(rows, [])]
    for column in header:
        if column in FORBIDDEN_COLUMNS:
            problems.add(1, column, "personal data column is not allowed in hot lists")
        elif column not in CSV_COLUMNS:
            problems.add(1, column, f"unknown column (expected: {', '.join(CSV_COLUMNS)})")
    for column in CSV_COLUMNS:
        if column not in header:
            problems.add(1, column, "column missing from the header")
    if len(set(header)) != len(header):
        problems.add(1, "header", "a column appears twice")
    problems.raise_if_any()

    today = date.fromtimestamp(clock())
    entries = []
    skipped: list[str] = []
    line = 1
    for row in rows:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.add(line, "line", f"{len(row)} fields, expected {len(header)}")
            continue
        fields = dict(zip(header, row))
        found = entry_problems(fields, today, past_ok=True)
        for field, why in found:
            problems.add(line, field, why)
        if found:
            continue
        if is_past(fields, today):
            # An agency list always holds a few entries that lapsed since it
            # was extracted: leave them out and say so, load the rest.
            skipped.append(f"{filename}:{line}: expires: {fields['expires'].strip()} skipped, already past")
        else:
            entries.append(entry_from_fields(fields))
    problems.raise_if_any()
    return HotList(
        name=name, source="csv", entries=EntryTable.from_entries(entries),
        version=version if version is not None else clock_version(clock()), received_at=clock(),
        priority=priority, match_mode=match_mode, max_age_s=max_age_s, covert=covert,
        one_char_tolerance=one_char_tolerance, skipped=tuple(skipped),
    )
