"""`alpr-edge run` as a technician meets it: a taken touchscreen port heads the summary and `status`;
a device without accounts says how to create the first one."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import ROOT, run_cli

FRAMES = ROOT / "firmware_profiles" / "sim-data" / "frames"


def test_a_taken_touchscreen_port_heads_the_summary_and_status_and_the_first_account_is_explained(tmp_path):
    data_dir = tmp_path / "data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("run", "--profile", "sim", "--data-dir", str(data_dir), "--source", str(FRAMES),
                         "--max-frames", "5", "--ui-port", str(port), timeout=180)
        assert result.returncode == 0, result.stderr[-2000:]
        status = run_cli("status", "--data-dir", str(data_dir))
    lines = result.stdout.splitlines()
    first = lines.index(next(line for line in lines if line.startswith("touchscreen")))
    assert lines[first] == f"touchscreen       NOT SERVING: touchscreen UI: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert "ss -ltnp" in lines[first + 1] and lines[first + 3].startswith("profile")  # it opens the summary
    assert lines[first - 1].startswith("It prints a one-time TOTP")  # right after the account hint, before any figure
    # For this run's own data folder, without sudo (root would own files the run, as this user, must write).
    assert f"    alpr-edge users add NAME --role admin --data-dir {data_dir}" in lines
    assert f"touchscreen   NOT SERVING: touchscreen UI: cannot listen on 127.0.0.1:{port}" in status.stdout.splitlines()[3]


def test_a_served_touchscreen_is_named_last_and_no_hint_once_an_account_exists(tmp_path):
    data_dir = tmp_path / "data"
    added = run_cli("users", "add", "chief", "--role", "admin", "--password-stdin", "--data-dir", str(data_dir),
                    input="correct-horse-42\n")
    assert added.returncode == 0, added.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli("run", "--profile", "sim", "--data-dir", str(data_dir), "--source", str(FRAMES),
                     "--max-frames", "5", "--ui-port", str(port), timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "users add" not in result.stdout
    assert result.stdout.splitlines()[-1] == f"touchscreen       serving http://127.0.0.1:{port}/"


def test_the_first_account_command_names_the_folder_and_config_the_run_used():
    from alpr_edge.cli.run import first_account_command
    from alpr_edge.config import Config, DeviceSection

    assert first_account_command(Config()) == "sudo alpr-edge users add NAME --role admin"  # the installed device
    assert first_account_command(Config(), "/etc/alpr-edge/site.toml") == \
        "sudo alpr-edge users add NAME --role admin --config /etc/alpr-edge/site.toml"
    sim = Config(device=DeviceSection(data_dir=Path("data/my sim")))
    assert first_account_command(sim) == "alpr-edge users add NAME --role admin --data-dir 'data/my sim'"
