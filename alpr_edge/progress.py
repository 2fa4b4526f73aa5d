"""Progress on long work (hot list imports, purge, export, install, update): a bar on a terminal, nothing elsewhere.

One small helper over tqdm, so every long job shows progress the same way.
The bar goes to stderr, and only when that is a terminal: under systemd, in
a pipe, in a log file or in a test there is not one byte of it, so scripts
and the journal see exactly what they saw before.

For callers::

    from alpr_edge import progress

    for row in progress.track(rows, "exporting", total=count, unit="read"):
        ...
    with progress.reading(path, "hot list") as handle:  # a bar in bytes of the file
        for line in io.TextIOWrapper(handle, encoding="utf-8"):
            ...
    with progress.steps(["verify", "install", "restart"], "update") as step:
        step("verify"); ...
    with progress.counting("exporting", "read") as report:  # library code calls report(done, total)
        text = store.export(..., progress=report)

Library code (store, hot lists) never draws: it takes a ``Report`` callback
and the command line hands it one of these bars.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")
Report = Callable[[int, "int | None"], None]  # (done so far, total or None while unknown)
MIN_INTERVAL_S = 0.2  # redraw at most this often: a terminal on a serial console is slow


def on_terminal(stream: IO[str] | None = None) -> bool:
    """Whether ``stream`` (default stderr) is a terminal a person watches."""
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def bar(total: float | None = None, desc: str = "", unit: str = "it", *, stream: IO[str] | None = None,
        unit_scale: bool = False) -> Any:
    """A tqdm bar (``.update(n)``, ``.close()``, a context manager); disabled unless on a terminal."""
    from tqdm import tqdm

    stream = sys.stderr if stream is None else stream
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=unit_scale, file=stream,
                disable=not on_terminal(stream), leave=False, dynamic_ncols=True, mininterval=MIN_INTERVAL_S)


def track(items: Iterable[T], desc: str, *, total: float | None = None, unit: str = "it",
          stream: IO[str] | None = None) -> Iterator[T]:
    """``items``, one at a time, counted on a bar."""
    with bar(total, desc, unit, stream=stream, unit_scale=True) as meter:
        for item in items:
            yield item
            meter.update(1)


@contextlib.contextmanager
def reading(path: Path, desc: str, *, stream: IO[str] | None = None) -> Iterator[IO[bytes]]:
    """``path`` opened for binary reading; each read moves a bar measured in bytes of the file.

    Counting bytes rather than lines needs no first pass over a file of millions of lines.
    """
    size = Path(path).stat().st_size
    with open(path, "rb") as handle, bar(size, desc, "B", stream=stream, unit_scale=True) as meter:
        yield _CountingReader(handle, meter.update)


class _CountingReader:
    """A binary file whose reads report how many bytes they returned."""

    def __init__(self, handle: IO[bytes], advance: Callable[[int], object]):
        self._handle = handle
        self._advance = advance

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._advance(len(data))
        return data

    def read1(self, size: int = -1) -> bytes:  # what io.TextIOWrapper calls
        data = self._handle.read1(size)
        self._advance(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._handle.readline(size)
        self._advance(len(data))
        return data

    def readinto(self, buffer) -> int:
        count = self._handle.readinto(buffer)
        self._advance(count or 0)
        return count

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def __getattr__(self, name: str):  # readable(), seekable(), closed, name... as the file says
        return getattr(self._handle, name)


@contextlib.contextmanager
def counting(desc: str, unit: str = "it", *, stream: IO[str] | None = None) -> Iterator[Report]:
    """A bar moved by the yielded callback, which library code calls with (done, total); counts in whole units."""
    with bar(None, desc, unit, stream=stream) as meter:

        def report(done: int, total: int | None = None) -> None:
            if total is not None and meter.total != total:
                meter.total = total
                meter.refresh()
            meter.update(done - meter.n)

        yield report


@contextlib.contextmanager
def steps(names: list[str], desc: str, *, stream: IO[str] | None = None) -> Iterator[Callable[[str], None]]:
    """A bar over named steps: call the yielded function with each step's name as it begins."""
    with bar(len(names), desc, "step", stream=stream) as meter:

        def begin(name: str) -> None:
            meter.n = names.index(name)  # the steps before this one are done
            meter.set_postfix_str(name)

        yield begin
        meter.n = len(names)
        meter.refresh()
