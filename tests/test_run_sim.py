"""`alpr-edge run` end to end on the sim profile: real models, replay, NMEA pty, encrypted store."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyotp
import pytest

from tests.conftest import ROOT, cli_env, run_cli

SIM_FRAMES = ROOT / "firmware_profiles" / "sim-data" / "frames"


def last_json_line(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def stored_texts(data_dir: Path) -> list[str]:
    from alpr_edge.config import StoreSection
    from alpr_edge.store import Store

    store = Store.open(data_dir, StoreSection(), dev_keys=True)
    try:
        return [store.get_read(row["id"], images=False).text for row in store.iter_reads()]
    finally:
        store.close()


@pytest.fixture(scope="module")
def sim_run(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("sim")
    config = data_dir.parent / f"{data_dir.name}.toml"
    config.write_text('[device]\nprofile = "sim"\n[logging]\nplates_in_logs = true\n')
    result = run_cli(
        "run", "--config", str(config), "--data-dir", str(data_dir), "--max-frames", "300",
        "--fps", "30", "--json-summary", "--no-ui", timeout=240,
    )
    return data_dir, result


def test_sim_run_exits_0_and_its_summary_counts_reads(sim_run):
    data_dir, result = sim_run
    assert result.returncode == 0, result.stderr[-3000:]
    summary = last_json_line(result.stdout)
    assert summary["frames_in"] == 300
    assert summary["frames_processed"] + summary["frames_dropped"] + summary["frames_discarded_at_stop"] == 300
    assert summary["reads"] >= 1
    assert summary["reads_stored"] == summary["reads"]
    assert {"frames_dropped", "alerts"} <= summary.keys()


def test_sim_reads_carry_positions_from_the_replayed_drive(sim_run):
    data_dir, result = sim_run
    summary = last_json_line(result.stdout)
    assert summary["gps"]["has_fix"] is True
    assert any(line.startswith("gps ") and "fix" in line for line in result.stdout.splitlines())
    from alpr_edge.config import StoreSection
    from alpr_edge.store import Store

    store = Store.open(data_dir, StoreSection(), dev_keys=True)
    try:
        reads = [store.get_read(row["id"], images=False) for row in store.iter_reads()]
    finally:
        store.close()
    positioned = [r for r in reads if r.position and r.position.get("lat") is not None]
    assert positioned, reads[:2]
    # The shipped drive is in Berkeley, California.
    assert all(37.8 < r.position["lat"] < 37.9 and -122.32 < r.position["lon"] < -122.22 for r in positioned)


def test_sim_reads_appear_in_the_log_in_simulation(sim_run):
    data_dir, result = sim_run
    texts = stored_texts(data_dir)
    assert any(f"plate={text}" in result.stderr for text in texts)


def test_no_plate_text_in_any_file_of_the_data_dir(sim_run):
    data_dir, _ = sim_run
    texts = {t for t in stored_texts(data_dir) if len(t) >= 4}
    assert texts
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for text in texts:
                assert text.encode() not in content, f"{text} found in {path}"


def test_reads_search_with_a_proper_purpose_finds_a_sim_read(sim_run):
    data_dir, _ = sim_run
    text = stored_texts(data_dir)[0]
    created = run_cli(
        "users", "add", "sgt-lee", "--role", "admin", "--data-dir", str(data_dir), "--password-stdin",
        input="correct horse battery\n",
    )
    assert created.returncode == 0, created.stderr
    uri = next(line for line in created.stdout.splitlines() if line.startswith("otpauth://"))
    code = pyotp.parse_uri(uri).now()
    found = run_cli(
        "reads", "search", "--plate", text, "--user", "sgt-lee", "--purpose", "stolen-wanted-or-suspect-vehicle", "--detail", "stolen vehicle recovery",
        "--case", "26-004518", "--password-stdin", "--totp", code, "--json", "--data-dir", str(data_dir),
        input="correct horse battery\n",
    )
    assert found.returncode == 0, found.stderr
    assert text in {r["text"] for r in json.loads(found.stdout)}


def test_sigterm_stops_the_daemon_cleanly_within_5_seconds(tmp_path):
    env = cli_env()  # the tests' clock, as run_cli's commands
    process = subprocess.Popen(
        [sys.executable, "-m", "alpr_edge", "run", "--profile", "sim", "--data-dir", str(tmp_path), "--no-ui", "--json-summary"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )
    status = tmp_path / "run" / "status.json"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (status.exists() and json.loads(status.read_text())["frames_processed"] > 5):
        time.sleep(0.2)
    assert process.poll() is None, process.stderr.read()[-2000:]
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=10)
    assert time.monotonic() - started < 5.0
    assert process.returncode == 0, stderr[-2000:]
    summary = last_json_line(stdout)
    assert summary["stop_reason"] == "SIGTERM"
    assert summary["frames_processed"] > 5


def test_source_replays_a_folder_instead_of_the_camera(tmp_path):
    frames = sorted(SIM_FRAMES.glob("*.jpg"))[:40]
    folder = tmp_path / "clip"
    folder.mkdir()
    for frame in frames:
        (folder / frame.name).write_bytes(frame.read_bytes())
    result = run_cli(
        "run", "--profile", "sim", "--data-dir", str(tmp_path / "d"), "--source", str(folder),
        "--fps", "20", "--json-summary", "--no-ui", timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = last_json_line(result.stdout)
    assert summary["frames_in"] == len(frames)
    assert summary["stop_reason"] in ("finished", "")
    assert summary["reads"] >= 1


def test_missing_source_is_a_clear_error(tmp_path):
    result = run_cli("run", "--profile", "sim", "--data-dir", str(tmp_path), "--source", str(tmp_path / "none"))
    assert result.returncode == 2
    assert "--source" in result.stderr and "no such file or folder" in result.stderr


def test_absent_camera_names_the_profile_and_device(tmp_path):
    result = run_cli("run", "--profile", "usb-v4l2", "--data-dir", str(tmp_path), "--no-ui", timeout=60)
    assert result.returncode == 2
    # Whichever piece of its hardware is checked first: the ignition GPIO, the camera or the GPS.
    assert "cannot start with profile 'usb-v4l2'" in result.stderr
    assert any(device in result.stderr for device in ("GPIO 17", "/dev/video0", "/dev/gps0"))


def config_records(data_dir: Path) -> list[dict]:
    from alpr_edge.config import StoreSection
    from alpr_edge.store import Store
    from alpr_edge.store import audit as audit_trail

    with Store.open(data_dir, StoreSection(), dev_keys=True) as store:
        return [r for r in audit_trail.records(store) if r["action"] == "config.applied"]


def test_a_run_purges_at_start_and_status_shows_it(sim_run):
    data_dir, result = sim_run
    assert result.returncode == 0, result.stderr[-3000:]
    status = json.loads(run_cli("status", "--json", "--data-dir", str(data_dir)).stdout)
    assert status["last_purge"]["trigger"] in ("start", "timer")
    assert status["last_purge"]["removed"]["reads_purged"] == 0  # everything is minutes old


def test_a_changed_configuration_is_audited_at_the_next_start(tmp_path):
    data_dir = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text('[device]\nprofile = "sim"\n[store]\nretention_days = 30\n')
    args = ("run", "--config", str(config), "--data-dir", str(data_dir), "--max-frames", "3", "--no-ui")
    for _ in range(2):
        assert run_cli(*args, timeout=240).returncode == 0
    config.write_text('[device]\nprofile = "sim"\n[store]\nretention_days = 7\n')
    assert run_cli(*args, timeout=240).returncode == 0
    rows = config_records(data_dir)
    assert [r["outcome"] for r in rows] == ["first", "changed"]  # the unchanged second start wrote nothing
    assert rows[1]["data"]["retention_changed"] == {"retention_days": {"from": 30, "to": 7}}
    assert rows[1]["data"]["previous_hash"] == rows[0]["data"]["hash"]


def test_stored_plate_images_are_cut_at_full_resolution_with_a_margin(sim_run):
    """Issue 22: the stored plate image was the recogniser's 192x48 input (4:1, the characters only); now the
    plate with its state name and stickers, cut from the 1280x720 frame: half the box height above and below,
    a quarter of its width each side, about 1.5:1 for a 2:1 plate box. Which frames the run keeps depends on
    load, so the size is not pinned."""
    import cv2
    import numpy as np

    from alpr_edge.config import StoreSection
    from alpr_edge.store import Store

    data_dir, _ = sim_run
    store = Store.open(data_dir, StoreSection(), dev_keys=True)
    try:
        reads = [store.get_read(row["id"], images=True) for row in store.iter_reads()]
    finally:
        store.close()
    assert reads
    for read in reads:
        crop = cv2.imdecode(np.frombuffer(read.crop_jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
        overview = cv2.imdecode(np.frombuffer(read.overview_jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
        assert overview.shape[:2] == (720, 1280)
        height, width = crop.shape[:2]
        assert height > 48 and 1.0 < width / height < 2.5, (read.text, crop.shape)
