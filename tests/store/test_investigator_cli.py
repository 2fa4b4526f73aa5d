"""The investigator's commands as a new user would run them: evidence packages, corrections."""

from __future__ import annotations

import io

from datetime import UTC, datetime, timedelta

import pytest
from tests.store.store_fakes import make_read
from tests.store.test_cli import MODULES, Codes

from alpr_edge import cli
from alpr_edge.config import StoreSection
from alpr_edge.store import Store

EXPORT = ["reads", "export", "--plate", "7ABC123", "--purpose", "stolen-wanted-or-suspect-vehicle",
          "--detail", "stolen vehicle report", "--case", "24-1", "--format", "package",
          "--password-stdin", "--user", "sue"]


@pytest.fixture
def run(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli, "COMMAND_MODULES", [*MODULES, "alpr_edge.cli.evidence"])
    monkeypatch.delenv("ALPR_EDGE_PROFILES", raising=False)
    config = tmp_path / "config.toml"
    config.write_text('[evidence]\npermitted_recipients = ["Oakland Police Department"]\n')

    def _run(*argv, stdin=""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        status = cli.main([*argv, "--config", str(config), "--data-dir", str(tmp_path / "data")])
        out, err = capsys.readouterr()
        return status, out, err

    _run.data = tmp_path / "data"
    return _run


@pytest.fixture
def sue(run):
    status, out, _ = run("users", "add", "root", "--role", "admin", "--password-stdin", stdin="root-pass\n")
    root = Codes(out.strip().splitlines()[-1])
    status, out, err = run("users", "add", "sue", "--role", "supervisor", "--as", "root", "--totp", root.next(), "--password-stdin",
                           stdin="sue-pass\nroot-pass\n")
    assert status == 0, err
    with Store.open(run.data, StoreSection(), dev_keys=True) as store:
        store.add_reads([make_read("7ABC123", datetime.now(UTC) - timedelta(hours=2))])
    return Codes(out.strip().splitlines()[-1])


def test_export_verify_change_one_byte_verify_fails(run, sue, tmp_path):
    folder = tmp_path / "case-24-1"
    status, out, err = run(*EXPORT, "--totp", sue.next(), "--recipient", "Oakland Police Department / Det. Ortiz",
                           "--output", str(folder), stdin="sue-pass\n")
    assert status == 0 and out == f"1 read(s) for case 24-1 to Oakland Police Department / Det. Ortiz: {folder}\n", err
    status, out, _ = run("evidence", "verify", str(folder))
    assert status == 0 and "intact; every file matches the manifest, signed by device key" in out
    status, out, _ = run("evidence", "verify", str(folder), "--public-key", str(run.data / "keys" / "device.pub"))
    assert status == 0
    case = folder / "case.json"
    data = case.read_bytes()
    case.write_bytes(data.replace(b"24-1", b"24-2", 1))
    status, out, _ = run("evidence", "verify", str(folder))
    assert status == 1 and out.splitlines() == [f"{folder}: case.json: changed (SHA-256 differs from the manifest)",
                                                f"{folder}: NOT INTACT (1 problem(s))"]


def test_a_package_export_shows_its_progress_on_a_terminal(run, sue, tmp_path, monkeypatch):
    import re

    from alpr_edge import progress
    from tests.test_progress import terminal

    monkeypatch.setattr(progress, "MIN_INTERVAL_S", 0.0)
    stream, drain = terminal()
    monkeypatch.setattr("sys.stderr", stream)
    try:
        status, out, _ = run(*EXPORT, "--totp", sue.next(), "--recipient", "Oakland Police Department / Det. Ortiz",
                             "--output", str(tmp_path / "case"), stdin="sue-pass\n")
        shown = drain()
    finally:
        stream.close()
    assert status == 0 and out.startswith("1 read(s) for case 24-1")  # stdout as without a terminal
    assert re.search(r"searching: 100%.*1/1", shown) and re.search(r"writing: 100%.*1/1", shown), shown


def test_a_recipient_outside_the_list_is_refused_and_audited(run, sue, tmp_path):
    status, _, err = run(*EXPORT, "--totp", sue.next(), "--recipient", "FBI / SA Doe", "--output", str(tmp_path / "x"),
                         stdin="sue-pass\n")
    assert status == 1 and "export refused: recipient agency 'FBI' is not a permitted recipient" in err
    assert not (tmp_path / "x").exists()
    with Store.open(run.data, StoreSection(), dev_keys=True) as store:
        from alpr_edge.store.audit import records

        last = records(store)[-1]
    assert (last["user"], last["action"], last["data"]["recipient"]) == ("sue", "evidence.export", "FBI / SA Doe")
    assert last["outcome"].startswith("refused: recipient agency 'FBI'")


def test_package_needs_recipient_and_output(run, sue):
    status, _, err = run(*EXPORT, "--totp", sue.next(), stdin="sue-pass\n")
    assert status == 2 and "--format package needs --recipient" in err
    status, out, err = run("evidence", "verify", "/nonexistent/pkg")
    assert status == 2 and "no such folder" in err


def test_correct_a_read_then_search_shows_both(run, sue):
    with Store.open(run.data, StoreSection(), dev_keys=True) as store:
        read_id = store.iter_reads()[0]["id"]
    status, out, err = run("reads", "correct", read_id, "--text", "7ABC128", "--reason", "8 read as 3, checked on scene",
                           "--user", "sue", "--totp", sue.next(), "--password-stdin", stdin="sue-pass\n")
    assert status == 0 and out.startswith(f"{read_id}: 7ABC123 CA corrected to 7ABC128 CA (correction "), err
    assert out.endswith("; the original is kept)\n")
    status, out, err = run("reads", "search", "--plate", "7ABC128", "--purpose", "stolen-wanted-or-suspect-vehicle", "--detail", "stolen vehicle report", "--case", "24-1",
                           "--password-stdin", "--user", "sue", "--totp", sue.next(), stdin="sue-pass\n")
    assert status == 0, err
    assert out.splitlines()[1] == "    corrected from 7ABC123 CA: 8 read as 3, checked on scene" and "1 read(s)" in out
    status, _, err = run("reads", "correct", read_id, "--text", "7ABC129", "--reason", "ok", "--user", "sue",
                         "--totp", sue.next(), "--password-stdin", stdin="sue-pass\n")
    assert status == 1 and "correction refused: a reason is required" in err
