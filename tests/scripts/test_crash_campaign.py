"""The crash campaign runs (two kills here; BENCHMARKS.md has a run of 200) and its checks hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_campaign_loses_nothing(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "crash_campaign.py"), "--kills", "2", "--min-s", "3", "--max-s", "5", "--startup-share", "0",
         "--keep", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0 and summary["ok"], (summary, result.stderr[-2000:])
    assert summary["kills"] == summary["kills_asked"] == summary["killed_running"] == 2 and summary["exited_early"] == 0
    assert summary["reads_stored"] == summary["reads_received"] >= summary["reads_logged"] > 0
