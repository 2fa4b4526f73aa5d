"""`alpr-edge selftest` as a technician reads it over SSH: columns that line up in 80 columns, whatever the text."""

from __future__ import annotations

import json
import unicodedata

import pytest

from alpr_edge.ops.selftest import CheckResult, table
from tests.conftest import run_cli
from tests.ops.test_selftest import device, write_profile  # noqa: F401 - the fixture, reused

LONG_PATH = "/var/lib/alpr-edge/evidence/" + "/".join(["a-rather-long-folder-name"] * 5) + "/frames.sqlite"
RESULTS = [
    CheckResult("camera", "pass", "14.8 fps (the profile's 15) from replay"),
    CheckResult("key_protection", "warn", "the data key is wrapped by nothing: anyone holding the SD card reads the store; "
                                          "set keys.protection in the config, or record the accepted risk"),
    CheckResult("a_check_name_far_longer_than_the_column", "fail", f"check crashed: OSError: cannot open {LONG_PATH}"),
    CheckResult("gps", "pass", "fix: 9 satellites at 37°52′N 122°16′W, Straße café, 東京都港区芝公園四丁目二番八号の駐車場で受信した位置"),
    CheckResult("clock", "fail", ""),
]


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes (wide East Asian characters two, combining marks none)."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fits(line: str, width: int) -> bool:
    """Within the terminal, or one word that is wider than any line (a path) standing alone, whole."""
    return columns(line) <= width or len(line.split()) == 1


def detail_column(lines: list[str]) -> set[int]:
    """Where each line's detail starts: after mark and name on a first line, after the indent on the others."""
    starts = set()
    for line in lines:
        after = 6 + len(line[6:].split(" ")[0]) if line[:4] in ("PASS", "WARN", "FAIL") else 0
        if line[after:].strip():  # (a long name stands alone: its detail starts on the next line)
            starts.add(len(line) - len(line[after:].lstrip(" ")))
    return starts


@pytest.mark.parametrize("width", [80, 60])
def test_columns_line_up_and_nothing_passes_the_terminals_edge(width):
    lines = table(RESULTS, width=width)
    assert all(fits(line, width) for line in lines), "\n".join(lines)
    assert len(detail_column(lines)) == 1, "\n".join(lines)  # every detail, first line or wrapped, in one column
    assert [line[:4] for line in lines if not line.startswith(" ")] == ["PASS", "WARN", "FAIL", "PASS", "FAIL"]


def test_every_word_is_kept_in_order_and_long_names_in_full():
    lines = table(RESULTS, width=80)
    text = "\n".join(lines)
    assert "FAIL  a_check_name_far_longer_than_the_column\n" in text  # whole, its detail on the lines below
    blocks = "\n".join(lines).replace("\nPASS", "\0PASS").replace("\nWARN", "\0WARN").replace("\nFAIL", "\0FAIL").split("\0")
    for block, result in zip(blocks, RESULTS, strict=True):
        body = block[6:].replace(result.name, "", 1)
        # wrapped at spaces only: the words all there, in order
        assert body.split() == unicodedata.normalize("NFC", result.detail).split()
    assert any(line.strip() == LONG_PATH for line in lines)  # the path whole, to copy


def test_a_newline_or_escape_in_a_message_cannot_break_the_table():
    lines = table([CheckResult("camera", "fail", "device said:\n\x1b[2Jcleared\tscreen"), CheckResult("gps", "pass", "ok")])
    assert lines == ["FAIL  camera  device said: \\x1b[2Jcleared screen", "PASS  gps     ok"]


def test_the_cli_lines_up_in_an_80_column_session_and_json_stays_whole(device, tmp_path):  # noqa: F811
    config, _ = device
    frames = tmp_path / ("caméra-" + "x" * 70) / "frames"
    config_path = tmp_path / "config.toml"
    config_path.write_text(f'[device]\nprofile = "{write_profile(tmp_path, frames=str(frames))}"\ndata_dir = "{config.data_dir}"\n')
    args = ("selftest", "--config", str(config_path), "--camera-seconds", "0.5", "--gps-wait", "1")
    shown = run_cli(*args, env={"COLUMNS": "80"})
    assert shown.returncode == 1, shown.stderr
    lines = shown.stdout.split("\n\n")[0].splitlines()
    assert all(fits(line, 80) for line in lines), shown.stdout
    assert str(frames) in shown.stdout  # the path whole, to copy
    assert len(detail_column(lines)) == 1, shown.stdout
    assert any(line.startswith("FAIL  camera") for line in lines)
    whole = json.loads(run_cli(*args, "--json", env={"COLUMNS": "80"}).stdout)
    camera = next(c for c in whole["checks"] if c["name"] == "camera")
    assert camera["status"] == "fail" and str(frames) in camera["detail"]  # one line, unwrapped, as before
