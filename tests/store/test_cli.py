"""The store's commands end to end: accounts, search, holds, purge, audit verify/export."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from tests.store.store_fakes import make_read

from alpr_edge import cli
from alpr_edge.config import StoreSection
from alpr_edge.store import Store

MODULES = ["alpr_edge.cli.reads", "alpr_edge.cli.hold", "alpr_edge.cli.purge", "alpr_edge.cli.audit", "alpr_edge.cli.users",
           "alpr_edge.cli.login"]


class Codes:
    """Successive TOTP codes (each step usable once), within the ±1 step the server accepts."""

    def __init__(self, uri: str):
        self.totp = pyotp.TOTP(parse_qs(urlparse(uri).query)["secret"][0])
        self.last = None

    def next(self) -> str:
        while True:
            now = int(time.time()) // 30
            step = now - 1 if self.last is None else max(self.last + 1, now - 1)
            if step <= now + 1:
                self.last = step
                return self.totp.at(step * 30)
            time.sleep(1)


@pytest.fixture
def run(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli, "COMMAND_MODULES", MODULES)
    monkeypatch.delenv("ALPR_EDGE_PROFILES", raising=False)
    data = tmp_path / "data"

    def _run(*argv, stdin=""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        status = cli.main([*argv, "--data-dir", str(data)] if argv[0] != "--help" else list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    _run.data = data
    return _run


@pytest.fixture
def device(run):
    """A device with an admin, a supervisor, a technician and a few reads."""
    status, out, _ = run("users", "add", "root", "--role", "admin", "--password-stdin", stdin="root-pass\n")
    assert status == 0, out
    root = Codes(out.strip().splitlines()[-1])
    status, out, err = run("users", "add", "sue", "--role", "supervisor", "--as", "root", "--totp", root.next(), "--password-stdin",
                           stdin="sue-pass\nroot-pass\n")
    assert status == 0, err
    sue = Codes(out.strip().splitlines()[-1])
    status, out, err = run("users", "add", "tech", "--role", "technician", "--as", "root", "--totp", root.next(), "--password-stdin",
                           stdin="tech-pass\nroot-pass\n")
    assert status == 0 and "second factor" not in out, err
    store = Store.open(run.data, StoreSection(), dev_keys=True)
    recent = datetime.now(UTC) - timedelta(hours=2)
    reads = [make_read("7ABC123", recent), make_read("8XYZ999", recent + timedelta(minutes=1))]
    store.add_reads(reads)
    store.close()
    return {"root": root, "sue": sue, "reads": reads}


SEARCH = ["reads", "search", "--plate", "7ABC123", "--purpose", "stolen-wanted-or-suspect-vehicle", "--detail", "stolen vehicle report",
          "--case", "24-1", "--password-stdin"]


def test_search_with_account_purpose_and_case(run, device):
    status, out, err = run(*SEARCH, "--user", "sue", "--totp", device["sue"].next(), "--json", stdin="sue-pass\n")
    assert status == 0, err
    assert [r["text"] for r in json.loads(out)] == ["7ABC123"]
    status, out, err = run(*SEARCH[:5], "investigation", *SEARCH[6:], "--user", "sue", "--totp", device["sue"].next(), stdin="sue-pass\n")
    assert status == 1 and "search refused: 'investigation' is not one of this agency's authorised purposes" in err


def test_technician_and_bad_credentials_are_refused(run, device):
    status, _, err = run(*SEARCH, "--user", "tech", stdin="tech-pass\n")
    assert status == 1 and "role technician may not search stored reads" in err
    status, _, err = run(*SEARCH, "--user", "sue", "--totp", "000000", stdin="sue-pass\n")
    assert status == 1 and "login refused: wrong or expired second-factor code" in err
    status, _, err = run(*SEARCH, "--user", "sue", stdin="sue-pass\n")
    assert status == 1 and "needs a second factor" in err


def test_holds_and_purge(run, device):
    read_id = device["reads"][0].read_id
    status, out, err = run("hold", "add", read_id, "--case", "24-1", "--reason", "evidence", "--user", "sue",
                           "--totp", device["sue"].next(), "--password-stdin", stdin="sue-pass\n")
    assert status == 0 and f"on read {read_id}" in out, err
    status, out, err = run("purge", "--as-of", "2099-06-01", "--user", "tech", "--password-stdin", stdin="tech-pass\n")
    assert status == 1 and "only an admin may purge ahead of time" in err
    status, out, err = run("purge", "--user", "tech", "--password-stdin", stdin="tech-pass\n")
    assert status == 0 and "reads_purged           0" in out, err  # both reads are two hours old
    status, out, err = run("purge", "--as-of", "2099-06-01", "--user", "root", "--totp", device["root"].next(), "--password-stdin",
                           stdin="root-pass\n")
    assert status == 0, err
    assert "expired_no_hit         1" in out and "held_kept              1" in out
    status, out, err = run("hold", "list", "--user", "sue", "--totp", device["sue"].next(), "--password-stdin", stdin="sue-pass\n")
    assert status == 0 and read_id in out and "7ABC123" not in out, err


def test_a_hold_is_released_only_with_a_reason_and_the_reason_is_audited(run, device, capsys):
    read_id = device["reads"][0].read_id
    status, _, err = run("hold", "add", read_id, "--case", "24-1", "--reason", "evidence", "--user", "sue",
                         "--totp", device["sue"].next(), "--password-stdin", stdin="sue-pass\n")
    assert status == 0, err
    with pytest.raises(SystemExit) as refused:  # argparse's usage error: exit 2, the option named
        run("hold", "release", read_id, "--user", "sue", "--password-stdin", stdin="sue-pass\n")
    assert refused.value.code == 2 and "required: --reason" in capsys.readouterr().err
    status, _, err = run("hold", "release", read_id, "--reason", "  ", "--user", "sue", "--password-stdin", stdin="sue-pass\n")
    assert status == 1 and "--reason must say why" in err
    status, out, err = run("hold", "release", read_id, "--reason", "case 24-1 closed by the DA", "--user", "sue",
                           "--totp", device["sue"].next(), "--password-stdin", stdin="sue-pass\n")
    assert status == 0 and "released 1 hold(s)" in out, err
    status, out, err = run("audit", "export", "--format", "json", "--user", "root", "--totp", device["root"].next(),
                           "--password-stdin", stdin="root-pass\n")
    assert status == 0, err
    released = [r for r in json.loads(out) if r["action"] == "hold.release"]
    assert [r["data"]["reason"] for r in released] == ["case 24-1 closed by the DA"]


def test_audit_verify_and_export(run, device):
    status, out, _ = run("audit", "verify")
    assert status == 0 and "audit trail intact" in out
    status, out, err = run("audit", "export", "--format", "json", "--user", "root", "--totp", device["root"].next(), "--password-stdin",
                           stdin="root-pass\n")
    assert status == 0, err
    records = json.loads(out)
    assert [r["action"] for r in records][:3] == ["users.add", "login", "users.add"]
    # As the README has it, `alpr-edge audit export` alone: CSV (it once stopped at "--format is required").
    status, out, err = run("audit", "export", "--user", "root", "--totp", device["root"].next(), "--password-stdin", stdin="root-pass\n")
    assert status == 0 and out.startswith("seq,id,at,user,") and ",audit.export," in out, err
    conn = sqlite3.connect(run.data / "alpr.db")
    conn.execute("UPDATE audit SET user = 'mallory' WHERE seq = 2")
    conn.commit()
    conn.close()
    status, _, err = run("audit", "verify")
    assert status == 1 and "broken at record 2" in err and "altered" in err


def test_user_management_needs_an_admin(run, device):
    status, _, err = run("users", "add", "eve", "--role", "admin", "--password-stdin", stdin="eve-pass1\n")
    assert status == 1 and "a login is needed to manage user accounts: log in first" in err
    status, _, err = run("users", "add", "eve", "--role", "admin", "--as", "tech", "--password-stdin", stdin="eve-pass1\ntech-pass\n")
    assert status == 1 and "may not manage user accounts" in err
    status, out, err = run("users", "list", "--user", "sue", "--totp", device["sue"].next(), "--password-stdin", stdin="sue-pass\n")
    assert status == 0 and "tech" in out and "technician" in out, err


def test_first_account_must_be_an_admin(run):
    status, _, err = run("users", "add", "olly", "--role", "officer", "--password-stdin", stdin="olly-pass\n")
    assert status == 2 and "first account of a device must be an admin" in err


def audit_records():
    from alpr_edge.store.audit import records

    def read(data):
        with Store.open(data, StoreSection(), dev_keys=True) as store:
            return records(store)

    return read


def test_a_search_for_immigration_enforcement_is_refused_citing_the_law_and_audited(run, device):
    status, out, err = run(*SEARCH[:7], "immigration enforcement", *SEARCH[8:], "--user", "sue", "--totp", device["sue"].next(),
                           stdin="sue-pass\n")
    assert status == 1 and out == ""
    assert "search refused: civil immigration enforcement is not a permitted use" in err
    assert "California Civil Code 1798.90.55(b)" in err and "SB 54" in err
    row = audit_records()(run.data)[-1]
    assert (row["user"], row["action"], row["case_number"]) == ("sue", "reads.search", "24-1")
    assert row["outcome"].startswith("refused: search refused: civil immigration enforcement")
    assert row["data"]["plate"] == "7ABC123" and row["purpose"] == "stolen-wanted-or-suspect-vehicle: immigration enforcement"


def test_a_refused_login_keeps_the_plate_purpose_and_case_sealed_in_the_audit(run, device):
    status, _, err = run(*SEARCH, "--user", "tech", stdin="tech-pass\n")
    assert status == 1 and "role technician may not search stored reads" in err
    status, _, err = run(*SEARCH)
    assert status == 1 and "a login is needed to search stored reads" in err
    rows = audit_records()(run.data)[-2:]
    for row, user in zip(rows, ("tech", "(no login)")):
        assert (row["user"], row["action"], row["case_number"]) == (user, "reads.search", "24-1")
        assert row["data"]["plate"] == "7ABC123" and row["purpose"] == "stolen-wanted-or-suspect-vehicle: stolen vehicle report"
    raw = sqlite3.connect(run.data / "alpr.db").execute("SELECT details FROM audit ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert b"7ABC123" not in raw  # sealed


def test_users_add_without_a_terminal_says_how_to_pass_the_password(run):
    status, out, err = run("users", "add", "root", "--role", "admin")
    assert status == 2 and "pass it as the first line of stdin with --password-stdin" in err and "Traceback" not in err


def test_delete_enable_training_and_identity_from_the_command_line(run, device):
    status, out, err = run("login", "--user", "root", "--totp", device["root"].next(), "--password-stdin", stdin="root-pass\n")
    assert status == 0, err  # one second factor for the whole session, not one per command
    status, out, err = run("users", "add", "olly", "--role", "officer", "--agency", "CA0010000", "--badge", "5120", "--second-factor",
                           "--password-stdin", stdin="olly-pass\n")
    assert status == 0 and "otpauth://" in out, err
    status, out, err = run("users", "training", "olly", "2999-01-01")
    assert status == 1 and "in the future" in err
    status, out, err = run("users", "enable", "olly")
    assert status == 0 and "alpr-edge users training olly DATE" in out
    status, out, err = run("users", "list")
    (olly,) = [line for line in out.splitlines() if line.startswith("olly")]
    assert "CA0010000 #5120" in olly and "needs-training" in olly
    status, out, err = run("users", "delete", "olly")
    assert (status, out) == (0, "user olly: delete done\n"), err
    assert run("logout")[1] == "logged out root\n"
    (deleted,) = [r for r in audit_records()(run.data) if r["action"] == "users.delete"]
    assert deleted["data"]["name"] == "olly" and deleted["user"] == "root"


def test_purge_and_exports_show_progress_on_a_terminal_only(run, device, monkeypatch):
    """On a pseudo-terminal the long commands draw a bar on stderr and stdout stays the report or the data;
    without one, stderr gets not one byte."""
    import re

    from alpr_edge import progress
    from tests.test_progress import terminal

    export = ["reads", "export", *SEARCH[2:], "--format", "csv", "--user", "sue"]
    status, quiet_csv, err = run(*export, "--totp", device["sue"].next(), stdin="sue-pass\n")
    assert (status, err) == (0, "") and "7ABC123" in quiet_csv
    monkeypatch.setattr(progress, "MIN_INTERVAL_S", 0.0)
    stream, drain = terminal()
    monkeypatch.setattr("sys.stderr", stream)
    try:
        status, out, _ = run(*export, "--totp", device["sue"].next(), stdin="sue-pass\n")
        assert (status, out) == (0, quiet_csv)
        assert re.search(r"exporting: 100%.*1/1", drain())  # one read of the plate to unseal
        status, out, _ = run("audit", "export", "--format", "json", "--user", "root", "--totp", device["root"].next(),
                             "--password-stdin", stdin="root-pass\n")
        count = len(json.loads(out))
        assert status == 0 and re.search(rf"exporting: 100%.*{count}/{count}", drain())
        status, out, _ = run("purge", "--user", "tech", "--password-stdin", stdin="tech-pass\n")
        assert status == 0 and out.startswith("as_of") and "reads_purged           0" in out
        assert re.search(r"purge: +75%.*3/4.*day keys", drain())
    finally:
        stream.close()
