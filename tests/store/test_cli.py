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

MODULES = ["alpr_edge.cli.reads", "alpr_edge.cli.hold", "alpr_edge.cli.purge", "alpr_edge.cli.audit", "alpr_edge.cli.users"]


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


SEARCH = ["reads", "search", "--plate", "7ABC123", "--purpose", "stolen vehicle report", "--case", "24-1", "--password-stdin"]


def test_search_with_account_purpose_and_case(run, device):
    status, out, err = run(*SEARCH, "--user", "sue", "--totp", device["sue"].next(), "--json", stdin="sue-pass\n")
    assert status == 0, err
    assert [r["text"] for r in json.loads(out)] == ["7ABC123"]
    status, out, err = run(*SEARCH[:5], "investigation", *SEARCH[6:], "--user", "sue", "--totp", device["sue"].next(), stdin="sue-pass\n")
    assert status == 1 and "search refused: purpose 'investigation' is too vague" in err


def test_technician_and_bad_credentials_are_refused(run, device):
    status, _, err = run(*SEARCH, "--user", "tech", stdin="tech-pass\n")
    assert status == 1 and "role technician may not reads.search" in err
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


def test_audit_verify_and_export(run, device):
    status, out, _ = run("audit", "verify")
    assert status == 0 and "audit trail intact" in out
    status, out, err = run("audit", "export", "--format", "json", "--user", "root", "--totp", device["root"].next(), "--password-stdin",
                           stdin="root-pass\n")
    assert status == 0, err
    records = json.loads(out)
    assert [r["action"] for r in records][:3] == ["users.add", "login", "users.add"]
    conn = sqlite3.connect(run.data / "alpr.db")
    conn.execute("UPDATE audit SET user = 'mallory' WHERE seq = 2")
    conn.commit()
    conn.close()
    status, _, err = run("audit", "verify")
    assert status == 1 and "broken at record 2" in err and "altered" in err


def test_user_management_needs_an_admin(run, device):
    status, _, err = run("users", "add", "eve", "--role", "admin", "--password-stdin", stdin="eve-pass1\n")
    assert status == 2 and "--as ADMIN is required" in err
    status, _, err = run("users", "add", "eve", "--role", "admin", "--as", "tech", "--password-stdin", stdin="eve-pass1\ntech-pass\n")
    assert status == 1 and "may not users.manage" in err
    status, out, err = run("users", "list", "--user", "sue", "--totp", device["sue"].next(), "--password-stdin", stdin="sue-pass\n")
    assert status == 0 and "tech" in out and "technician" in out, err


def test_first_account_must_be_an_admin(run):
    status, _, err = run("users", "add", "olly", "--role", "officer", "--password-stdin", stdin="olly-pass\n")
    assert status == 2 and "first account of a device must be an admin" in err
