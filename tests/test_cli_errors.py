"""Every command errs with a sentence, never a traceback: a data folder that cannot be made, a closed pipe,
an update on a device that cannot audit it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT, run_cli

COMMANDS = [
    ["run", "--no-ui"],
    ["hotlist", "list"],
    ["hotlist", "match", "7ABC123"],
    ["uplink", "status"],
    ["update", "--from", "release.whl"],
    ["selftest"],
    ["status"],
]
REPORTING = (["selftest"], ["status"])  # these report it as a failed finding (exit 1, on stdout) instead of an error


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_data_folder_that_cannot_be_made_is_named_without_a_traceback(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli(*command, "--data-dir", str(blocker / "data"), timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    if command in REPORTING:
        assert result.returncode == 1 and str(blocker) in result.stdout, result.stdout + result.stderr
    else:
        assert result.returncode == 2 and str(blocker) in result.stderr, result.stderr


def test_a_reader_that_goes_away_is_no_error():
    shown = subprocess.run(f"'{sys.executable}' -m alpr_edge config show | head -1", shell=True, capture_output=True,
                           text=True, timeout=60, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert shown.stdout.startswith("# settings in force") and shown.stderr == ""


def test_an_update_on_a_device_that_cannot_audit_it_is_refused_before_anything(tmp_path):
    artifact = tmp_path / "alpr_edge-0.2.0-py3-none-any.whl"
    artifact.write_bytes(b"PK stand-in")
    result = run_cli("update", "--from", str(artifact), "--data-dir", str(tmp_path / "never-provisioned"),
                     "--root", str(tmp_path / "root"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cannot record the update in the audit trail: no data folder" in result.stderr
    assert not (tmp_path / "root").exists() and not (tmp_path / "never-provisioned").exists()
