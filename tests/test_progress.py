"""Progress bars: drawn on a real pseudo-terminal, not one byte anywhere else."""

from __future__ import annotations

import fcntl
import io
import os
import re
import select
import struct
import termios

from alpr_edge import progress


def terminal():
    """(writable text stream on a pty's slave side, function returning what reached the master side)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 rows, 100 columns
    stream = os.fdopen(slave, "w", buffering=1, encoding="utf-8")

    def drain() -> str:
        stream.flush()
        chunks = []
        while select.select([master], [], [], 0.2)[0]:
            chunks.append(os.read(master, 65536))
        return b"".join(chunks).decode("utf-8", "replace")

    return stream, drain


def test_nothing_is_written_when_not_on_a_terminal(tmp_path):
    quiet = io.StringIO()
    assert list(progress.track(range(1000), "exporting", total=1000, stream=quiet)) == list(range(1000))
    with progress.steps(["a", "b"], "update", stream=quiet) as step:
        step("a")
        step("b")
    with progress.counting("exporting", "read", stream=quiet) as report:
        report(1, None)
        report(2, 2)
    path = tmp_path / "list.csv"
    path.write_text("".join(f"PLATE{i},CA\n" for i in range(5000)))
    with progress.reading(path, "hot list", stream=quiet) as handle:
        lines = io.TextIOWrapper(handle, encoding="utf-8").read().splitlines()
    assert len(lines) == 5000 and lines[-1] == "PLATE4999,CA"
    assert quiet.getvalue() == ""
    assert not progress.on_terminal(quiet)


def test_a_terminal_gets_a_bar_with_counts(monkeypatch):
    monkeypatch.setattr(progress, "MIN_INTERVAL_S", 0.0)  # draw every step, whatever the machine's speed
    stream, drain = terminal()
    try:
        assert progress.on_terminal(stream)
        assert sum(progress.track(range(25), "exporting", total=25, unit="read", stream=stream)) == sum(range(25))
        shown = drain()
    finally:
        stream.close()
    assert "exporting" in shown and "100%" in shown and "25.0/25.0" in shown


def test_a_counting_bar_follows_what_the_library_reports(monkeypatch):
    monkeypatch.setattr(progress, "MIN_INTERVAL_S", 0.0)
    stream, drain = terminal()
    try:
        with progress.counting("exporting", "read", stream=stream) as report:
            report(3, None)  # the total not known yet: a count
            first = drain()
            report(40, 80)
            shown = drain()
    finally:
        stream.close()
    assert re.search(r"exporting: 3read", first), first
    assert re.search(r"exporting: +50%.*40/80", shown), shown


def test_reading_a_file_counts_its_bytes_on_a_terminal(tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "MIN_INTERVAL_S", 0.0)
    path = tmp_path / "list.csv"
    path.write_bytes(b"ABC123,CA\n" * 20_000)  # 200 kB, read in a few dozen blocks
    stream, drain = terminal()
    try:
        with progress.reading(path, "hot list", stream=stream) as handle:
            count = sum(1 for _ in io.TextIOWrapper(handle, encoding="utf-8"))
        shown = drain()
    finally:
        stream.close()
    assert count == 20_000
    assert "/200k" in shown and re.search(r"hot list: +[1-9]\d%", shown), shown  # the bar moved with the bytes read


def test_steps_show_the_step_under_way():
    stream, drain = terminal()
    try:
        with progress.steps(["verify", "install", "restart"], "update", stream=stream) as step:
            step("verify")
            step("install")
            shown = drain()
            step("restart")
    finally:
        stream.close()
    assert "update" in shown and "1/3" in shown and "install" in shown
