"""Shared pieces of the importers: reading the input, versions, problem lists."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from alpr_edge.hotlist.model import HotListError

MAX_PROBLEMS_LISTED = 500  # a wholly wrong file must not print two million lines

# US states, DC and territories, Canadian provinces, and the NCIC codes for
# US government (US) and Mexico (MX).
STATE_CODES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
    "NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI US MX "
    "AB BC MB NB NL NT NS NU ON PE QC SK YT".split()
)


def read_input(source, filename: str | None) -> tuple[bytes, str]:
    """The bytes of ``source`` (a path, or the text itself) and a name for messages.

    A ``str`` holding a line break, or ``bytes``, is the content; any other
    ``str`` or ``Path`` is a file to read.
    """
    if isinstance(source, bytes):
        return source, filename or "<bytes>"
    if isinstance(source, str) and "\n" in source:
        return source.encode("utf-8"), filename or "<text>"
    path = Path(source)
    try:
        return path.read_bytes(), filename or str(path)
    except OSError as error:
        raise HotListError([f"{filename or path}: cannot read: {error.strerror or error}"]) from None


def split_lines(data: bytes) -> list[bytes]:
    """Lines without their terminators; a final line break adds no empty line."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def clock_version(now: float) -> int:
    """A version from a time: YYYYMMDDHHMMSS (UTC), comparable with extract stamps."""
    return int(time.strftime("%Y%m%d%H%M%S", time.gmtime(now)))


class Problems:
    """Collects 'file:line: field: why' messages, then raises them all at once."""

    def __init__(self, filename: str):
        self.filename = filename
        self._items: list[tuple[int, str]] = []

    def add(self, line: int, field: str, why: str) -> None:
        self._items.append((line, f"{self.filename}:{line}: {field}: {why}"))

    def add_rows(self, line_numbers, field: str, why: str | Callable[[int], str]) -> None:
        """The same problem on many lines (``why`` may depend on the row index)."""
        for index, line in line_numbers:
            self.add(int(line), field, why(index) if callable(why) else why)

    def __bool__(self) -> bool:
        return bool(self._items)

    def raise_if_any(self) -> None:
        if not self._items:
            return
        ordered = [message for _, message in sorted(self._items, key=lambda item: item[0])]
        if len(ordered) > MAX_PROBLEMS_LISTED:
            more = len(ordered) - MAX_PROBLEMS_LISTED
            ordered = ordered[:MAX_PROBLEMS_LISTED] + [f"{self.filename}: ... and {more} more problem(s)"]
        raise HotListError(ordered)
