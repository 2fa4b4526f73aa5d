"""The start-of-shift self-test: small checks, each passing, warning or failing with a reason.

Each check is a function ``check(ctx) -> CheckResult`` (or a list of them);
they look at the hardware and the system only through ``Probes``, so tests
swap one seam at a time (a missing camera, an absent GPS device, a clock an
hour off, a nearly full disk, a stale hot list) and run the rest for real.

When the daemon is running (its status file is fresh), the camera and GPS
receiver are in its hands: opening them a second time would disturb it (a
serial port read by two processes splits the sentences between them), so
those checks read the daemon's own figures instead.
"""

from __future__ import annotations

import os
import traceback
import unicodedata
from pathlib import Path

from alpr_edge.ops import checks_hardware as hw
from alpr_edge.ops import checks_system as sysc
from alpr_edge.ops.checks_base import (  # noqa: F401 - the self-test's names, as before the split
    CheckResult, Context, Probes, Status, failed, passed, warned,
)
from alpr_edge.ops.layout import Layout


def run_selftest(config, profile, probes: Probes | None = None, layout: Layout | None = None) -> list[CheckResult]:
    """Run every check in order; a check that crashes fails with its error, the rest still run."""
    from alpr_edge.ops.status import read_daemon_status

    probes = probes or Probes()
    layout = layout or Layout(config_path=Path(config.source), data_dir=config.data_dir)
    ctx = Context(config, profile, layout, probes)
    ctx.daemon_status = read_daemon_status(layout.status_file, now=probes.now()).get("daemon")
    checks = [
        ("camera", hw.check_camera), ("ir_colour", hw.check_ir_colour), ("exposure", hw.check_exposure),
        ("gps", hw.check_gps_and_clock), ("storage", sysc.check_storage), ("database", sysc.check_database),
        ("keys", sysc.check_keys), ("key_protection", sysc.check_key_protection), ("hotlists", sysc.check_hotlists), ("broker", sysc.check_broker),
        ("models", sysc.check_models), ("watchdog", sysc.check_watchdog), ("kiosk", sysc.check_kiosk),
    ]
    results: list[CheckResult] = []
    for name, check in checks:
        try:
            outcome = check(ctx)
        except PermissionError as error:
            outcome = failed(name, f"permission denied on {error.filename or error}: run it with sudo (the data is the service user's)")
        except Exception as error:  # noqa: BLE001 - a broken check is a failed check, not a crashed self-test
            last = traceback.extract_tb(error.__traceback__)[-1]
            outcome = failed(name, f"check crashed: {type(error).__name__}: {error} ({Path(last.filename).name}:{last.lineno})")
        results.extend(outcome if isinstance(outcome, list) else [outcome])
    return results


def report(results: list[CheckResult]) -> dict:
    return {"ok": all(r.status != "fail" for r in results), "checks": [r.to_dict() for r in results]}


MARKS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}
NAME_COLUMN = 16  # a longer check name takes its own line; its detail starts on the next


def table(results: list[CheckResult], width: int = 80) -> list[str]:
    """The results as lines for a terminal ``width`` columns wide (an 80-column SSH session by default):
    mark, name and detail in columns, a long detail wrapped at its words under its own column."""
    names = [_printable(r.name) for r in results]
    column = min(max((_width(n) for n in names), default=0), NAME_COLUMN)
    indent = " " * (6 + column + 2)  # mark, two spaces, name column, two spaces
    room = max(width - len(indent), 20)  # a very narrow terminal still gets readable pieces
    lines: list[str] = []
    for result, name in zip(results, names, strict=True):
        head = f"{MARKS[result.status]}  {name}"
        detail = _wrap(_printable(result.detail), room)
        if _width(name) > column:  # too long for the column: the detail goes under it, where every detail starts
            lines.append(_cut(head, max(width, len(indent) + room)))
            lines += [indent + part for part in detail]
            continue
        head += " " * (column - _width(name) + 2)
        lines += [(head if i == 0 else indent) + part for i, part in enumerate(detail or [""])]
    return [line.rstrip() for line in lines]


def _printable(text: str) -> str:
    """One line of text: whitespace runs (a newline in an error) become one space, control characters are shown escaped."""
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _char_width(c: str) -> int:
    if unicodedata.combining(c):
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1  # CJK and the like take two columns


def _width(text: str) -> int:
    return sum(_char_width(c) for c in text)


def _cut(text: str, room: int) -> str:
    """``text`` if it fits in ``room`` columns, else as much as fits and an ellipsis."""
    if _width(text) <= room:
        return text
    kept, used = "", 0
    for c in text:
        if used + _char_width(c) > room - 1:
            break
        kept, used = kept + c, used + _char_width(c)
    return kept + "…"


def _wrap(text: str, room: int) -> list[str]:
    """Lines of at most ``room`` columns, broken between words. A word wider than a line (a long
    path) stands whole on a line of its own, past the edge: a technician copies paths from here."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and _width(line) + 1 + _width(word) > room:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return [part for part in lines if part]


def env_under_systemd(environ=os.environ) -> bool:
    return bool(environ.get("INVOCATION_ID") or environ.get("NOTIFY_SOCKET"))
