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


def test_a_commands_warnings_are_whole_log_lines_without_plates(tmp_path):
    """`hotlist add` raising a historical alert once printed a bare `alert_raised` on stderr (Python's
    last-resort handler): a line without its alert id, list or time, which told the technician nothing."""
    from datetime import UTC, datetime, timedelta

    from argon2 import PasswordHasher

    from alpr_edge.accounts import Accounts
    from alpr_edge.config import StoreSection
    from alpr_edge.store import Store
    from tests.store.store_fakes import make_read

    data = tmp_path / "data"
    now = datetime.now(UTC)
    with Store.open(data, StoreSection(), dev_keys=True) as store:
        store.add_reads([make_read("7ABC123", now - timedelta(hours=1), position=(37.8044, -122.2712))])
        Accounts(store, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)).add("ofc1", "officer", "pin-4711")
    expires = (now + timedelta(days=10)).date().isoformat()
    result = run_cli("hotlist", "add", "7ABC123", "--state", "CA", "--reason", "Stolen vehicle", "--case", "26-9",
                     "--synopsis", "grey sedan", "--expires", expires, "--user", "ofc1", "--password-stdin",
                     "--data-dir", str(data), input="pin-4711\n")
    assert result.returncode == 0 and "HISTORICAL alert" in result.stdout, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert any(" warning alpr_edge.alerts.book alert_raised alert_id=" in line for line in lines), result.stderr
    assert "alert_raised" not in lines and "7ABC123" not in result.stderr
