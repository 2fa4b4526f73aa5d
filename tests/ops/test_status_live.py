"""`alpr-edge status` against the real daemon's status file (stand-in camera and recognizer, as in the daemon tests)."""

from __future__ import annotations

import json
import threading
import time

from alpr_edge.config import Config, DeviceSection
from alpr_edge.daemon import Components, Daemon
from alpr_edge.profiles import load_profile
from tests.conftest import run_cli
from tests.fakes import EndlessSource, ReadPerObservation, SlowRecognizer


def test_status_reads_the_running_daemon_and_then_its_stop(tmp_path):
    data_dir = tmp_path / "data"
    config = Config(device=DeviceSection(data_dir=data_dir))
    parts = Components(source=EndlessSource(fps=30), recognizer=SlowRecognizer(), aggregator=ReadPerObservation())
    daemon = Daemon(config, load_profile("sim"), parts)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    config_path = tmp_path / "config.toml"
    config_path.write_text(f'[device]\ndata_dir = "{data_dir}"\n')
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (data_dir / "run/status.json").exists():
            time.sleep(0.1)
        time.sleep(2.5)  # a second status, with rates measured over some time
        result = run_cli("status", "--json", "--config", str(config_path))
        assert result.returncode == 0, result.stdout + result.stderr
        status = json.loads(result.stdout)
        assert status["running"] is True and status["daemon"]["frames_in"] > 0 and status["daemon"]["fps_in"] > 5
        assert status["daemon"]["reads"] > 0
        assert "ABC1234" not in result.stdout  # the stand-in recognizer's plate
    finally:
        daemon.stop("test over")
        thread.join(10)
    after = run_cli("status", "--config", str(config_path))
    assert after.returncode == 1 and "daemon        NOT RUNNING: stopped (test over)" in after.stdout, after.stdout
    assert "sudo systemctl start alpr-edge" in after.stdout and "journalctl -u alpr-edge" in after.stdout
    assert "ABC1234" not in after.stdout
