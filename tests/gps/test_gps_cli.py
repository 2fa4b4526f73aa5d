"""`alpr-edge gps` as a user runs it: a real process reading a real pseudo-terminal."""

import importlib.util
import json
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from tests.gps.gps_samples import WHEN, epoch, no_fix_epoch

ROOT = Path(__file__).resolve().parents[2]


def alpr_edge(*args):
    """The command line for `python -m alpr_edge ARGS`.

    Until every module in COMMAND_MODULES exists (stages land one by one),
    run the same CLI with only the modules present.
    """
    if all(importlib.util.find_spec(m) for m in _command_modules()):
        return [sys.executable, "-m", "alpr_edge", *args]
    bootstrap = ("import importlib.util, sys, alpr_edge.cli as c; "
                 "c.COMMAND_MODULES[:] = [m for m in c.COMMAND_MODULES if importlib.util.find_spec(m)]; "
                 "sys.argv[0] = 'alpr-edge'; raise SystemExit(c.main())")
    return [sys.executable, "-c", bootstrap, *args]


def _command_modules():
    import alpr_edge.cli

    return alpr_edge.cli.COMMAND_MODULES


def run_while_feeding(device, args, epochs, timeout=15):
    """Run the command while a receiver sends ``epochs`` (a list of epochs) over and over at 10 Hz."""
    process = subprocess.Popen(alpr_edge(*args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    done = threading.Event()

    def feed():
        i = 0
        while not done.is_set():
            device.write(epochs[i % len(epochs)])
            i += 1
            time.sleep(0.1)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        done.set()
        feeder.join()
    return process.returncode, out, err


def test_json_lines_one_per_fix_then_stops(device):
    epochs = [epoch(WHEN, 37.8719, -122.2683, kmh=36.0, course=265.3), no_fix_epoch(WHEN + timedelta(seconds=1))]
    status, out, err = run_while_feeding(device, ["gps", "--device", str(device.path), "--count", "2", "--json"], epochs)

    assert status == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 2
    keys = ["time", "lat", "lon", "alt_m", "speed_kmh", "heading_deg", "fix_quality", "satellites", "hdop"]
    assert all(list(line) == keys for line in lines)
    with_fix = next(line for line in lines if line["fix_quality"])
    without = next(line for line in lines if not line["fix_quality"])
    assert with_fix["time"] == "2026-06-12T17:02:30Z"
    assert abs(with_fix["lat"] - 37.8719) < 1e-6 and abs(with_fix["lon"] + 122.2683) < 1e-6
    assert abs(with_fix["speed_kmh"] - 36.0) < 0.01 and with_fix["heading_deg"] == 265.3
    assert without["lat"] is None and without["lon"] is None and without["time"] == "2026-06-12T17:02:31Z"


def test_plain_output_is_one_readable_line_per_fix(device):
    status, out, err = run_while_feeding(device, ["gps", "--device", str(device.path), "--count", "1"], [epoch(WHEN)])
    assert status == 0, err
    assert out.count("\n") == 1
    assert out.startswith("2026-06-12T17:02:30Z  37.869400,-122.268000  55.2 m") and "quality 1" in out


def test_a_missing_device_is_a_clear_error_with_status_2(tmp_path):
    missing = tmp_path / "ttyUSB9"
    result = subprocess.run(alpr_edge("gps", "--device", str(missing), "--count", "1"), cwd=ROOT,
                            capture_output=True, text=True, timeout=15, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert f"{missing} does not exist" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_device_that_is_not_a_serial_port_is_refused_with_status_2():
    result = subprocess.run(alpr_edge("gps", "--device", "/dev/null", "--count", "1"), cwd=ROOT,
                            capture_output=True, text=True, timeout=15, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "cannot open /dev/null" in result.stderr and "Traceback" not in result.stderr
