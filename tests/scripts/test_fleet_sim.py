"""scripts/fleet_sim.py, small: real devices, broker, ingest workers and every fault; nothing lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("mosquitto") is None, reason="mosquitto is not installed"),
]


def test_a_small_fleet_loses_nothing_through_broker_restart_and_kills():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "fleet_sim.py"), "--devices", "8", "--reads-per-device", "30",
         "--workers", "2", "--hosts", "2", "--crash-devices", "2", "--produce-s", "4", "--receipt-timeout-s", "4",
         "--timeout", "150", "--json"],
        capture_output=True, text=True, timeout=240, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, result
    assert result["finished"] and result["reads_stored"] == 240
    assert result["lost"] == 0 and result["released_not_committed"] == 0 and result["duplicates_committed"] == 0
    assert result["reads_committed"] == 240 and result["receipts"] == 240
    assert [f["fault"] for f in result["faults"]] == ["broker_restart", "worker_kill", "devices_kill"]
    assert not Path(result["work_dir"]).exists()
