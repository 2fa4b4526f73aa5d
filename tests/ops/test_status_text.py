"""`alpr-edge status` as a person reads it: dates, words, what to do when the daemon is down; JSON with --json."""

from __future__ import annotations

import contextlib
import io
import json
import time
from datetime import UTC, datetime

import pytest

from alpr_edge.cli import main

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC).timestamp()


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")  # dates are shown in the device's zone; the tests pin it
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def status(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["status", *args], clock=lambda: NOW)
    return code, out.getvalue(), err.getvalue()


def write_status(data_dir, document) -> None:
    (data_dir / "run").mkdir(parents=True, exist_ok=True)
    (data_dir / "run" / "status.json").write_text(json.dumps(document))


def document(**changes) -> dict:
    base = {
        "updated_at": datetime.fromtimestamp(NOW - 3, UTC).isoformat(), "pid": 4242, "uptime_s": 5400.0, "running": True,
        "profile": "usb-v4l2", "frames_in": 900, "frames_processed": 880, "frames_dropped": 20, "fps_in": 15.0,
        "fps_processed": 14.7, "reads": 12, "alerts": 1,
        "gps": {"source": "gps", "device": None, "has_fix": False, "satellites": None, "age_s": None},
        "hotlists": [{"name": "ncic-stolen", "entries": 120000, "received_at": NOW - 7200, "age_s": 7200.0,
                      "max_age_s": None, "stale": False, "alerting": True, "why_not_alerting": None}],
        "ui": {"serving": True, "error": None, "url": "http://127.0.0.1:8080/"},
    }
    return {**base, **changes}


def test_a_stopped_daemon_is_said_plainly_with_how_to_start_it_and_where_its_log_is(tmp_path):
    code, out, err = status("--data-dir", str(tmp_path / "data"))
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("daemon        NOT RUNNING: it has not run with this data folder")
    assert "sudo systemctl start alpr-edge" in lines[1] and "journalctl -u alpr-edge" in lines[2]
    assert "free space unknown" in out
    assert "None" not in out


def test_times_are_dates_and_unknowns_are_words(tmp_path):
    data_dir = tmp_path / "data"
    write_status(data_dir, document())
    code, out, _ = status("--data-dir", str(data_dir))
    assert code == 0, out
    assert out.splitlines()[0] == "daemon        running"
    assert "last status   2026-12-07 09:29:57 UTC (3 s ago); up 90 min, profile usb-v4l2, process 4242" in out
    assert "hot list      ncic-stolen: 120000 entries, received 2026-12-07 07:30:00 UTC (2 h 00 min ago)" in out
    assert "touchscreen   serving http://127.0.0.1:8080/" in out
    assert "None" not in out and "1796" not in out  # no raw epoch seconds either
    one = document(hotlists=[{"name": "sim-demo", "entries": 1, "received_at": NOW - 60}])
    write_status(data_dir, one)
    assert "hot list      sim-demo: 1 entry, received" in status("--data-dir", str(data_dir))[1]  # was "1 entries"


def test_the_last_purge_is_said_in_words(tmp_path):
    data_dir = tmp_path / "data"
    write_status(data_dir, document())
    (data_dir / "run" / "last-purge.json").write_text(json.dumps({
        "at": datetime.fromtimestamp(NOW - 600, UTC).isoformat(), "by": "system", "trigger": "timer",
        "removed": {"as_of": "2026-12-07", "expired_no_hit": 41, "expired_hit": 0, "audit_records": 3, "days_shredded": []}}))
    _, out, _ = status("--data-dir", str(data_dir))
    assert "last purge    2026-12-07 09:20:00 UTC (10 min ago) (timer, by system): expired no hit 41, audit records 3" in out


def test_a_taken_touchscreen_port_stands_out(tmp_path):
    data_dir = tmp_path / "data"
    error = "touchscreen UI: cannot listen on 127.0.0.1:8080: Address already in use"
    write_status(data_dir, document(ui={"serving": False, "error": error, "url": None}))
    code, out, _ = status("--data-dir", str(data_dir))
    lines = out.splitlines()
    assert lines[1] == f"touchscreen   NOT SERVING: {error}"  # right under the daemon's state, not in the crowd
    assert "ui.port" in lines[2] + lines[3] and "sudo systemctl restart alpr-edge" in lines[3]


def test_a_hung_daemon_is_to_be_restarted(tmp_path):
    import os

    data_dir = tmp_path / "data"
    write_status(data_dir, document(updated_at=datetime.fromtimestamp(NOW - 120, UTC).isoformat(), pid=os.getpid()))
    code, out, _ = status("--data-dir", str(data_dir))
    assert code == 1 and "alive but not reporting" in out.splitlines()[0]
    assert "sudo systemctl restart alpr-edge" in out and "(the figures below are from its last status)" in out


def test_json_on_request(tmp_path):
    data_dir = tmp_path / "data"
    write_status(data_dir, document())
    code, out, _ = status("--json", "--data-dir", str(data_dir))
    parsed = json.loads(out)
    assert code == 0 and parsed["running"] is True and parsed["daemon"]["ui"]["serving"] is True
    assert parsed["daemon"]["hotlists"][0]["received_at"] == NOW - 7200  # machines get the numbers
