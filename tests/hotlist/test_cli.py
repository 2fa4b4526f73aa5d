"""`alpr-edge hotlist ...` and `alpr-edge alerts ls`, run in-process with exact output.

Every hot-list command needs a login: the accounts are made with the library
(an admin, a supervisor, an officer), and the admin logs in once with
`alpr-edge login`, as an analyst would.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from argon2 import PasswordHasher

import alpr_edge.cli as cli
from tests.hotlist.conftest import SAMPLES, Clock

DAY = 24 * 3600.0
PASSWORDS = {"ada": "ada-admin-pass", "sam": "sam-sergeant-pass", "ofc1": "pin-4711"}


@pytest.fixture
def clock():
    return Clock()  # the day the samples were extracted: no test here depends on today's date


def open_store(tmp_path, clock):
    from alpr_edge.config import StoreSection
    from alpr_edge.store import Store

    return Store.open(tmp_path / "data", StoreSection(), dev_keys=True, clock=lambda: datetime.fromtimestamp(clock(), UTC))


@pytest.fixture
def secrets(tmp_path, clock):
    """The device's accounts (made with the library, cheap Argon2): name -> TOTP secret or None."""
    from alpr_edge.accounts import Accounts

    with open_store(tmp_path, clock) as store:
        accounts = Accounts(store, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        made = {name: accounts.add(name, role, PASSWORDS[name], badge=badge)
                for name, role, badge in (("ada", "admin", None), ("sam", "supervisor", "1207"), ("ofc1", "officer", "5120"))}
    return {name: parse_qs(urlparse(uri).query)["secret"][0] if uri else None for name, uri in made.items()}


@pytest.fixture
def run(tmp_path, monkeypatch, capsys, clock, secrets):
    # Only this stage's commands (and login): the others are not needed to test these.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["alpr_edge.cli.hotlist", "alpr_edge.cli.alerts", "alpr_edge.cli.login"])

    def run(*args, stdin=""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        status = cli.main([*args, "--data-dir", str(tmp_path / "data")], clock=clock)
        out, err = capsys.readouterr()
        return status, out, err

    def login(name="ada"):
        """`alpr-edge login` (password and second factor once) for this Unix user."""
        code = pyotp.TOTP(secrets[name]).at(clock()) if secrets[name] else None
        status, out, err = run("login", "--user", name, "--password-stdin", *(["--totp", code] if code else []),
                               stdin=PASSWORDS[name] + "\n")
        assert status == 0 and out.startswith(f"logged in as {name}"), err

    def as_user(name, *args):
        """One command as ``name``, giving the password on stdin (no session needed)."""
        return run(*args, "--user", name, "--password-stdin", stdin=PASSWORDS[name] + "\n")

    run.login, run.as_user = login, as_user
    return run


def test_import_list_match_and_refusal(run, tmp_path):
    run.login()
    status, out, err = run("hotlist", "import", str(SAMPLES / "ncic-extract.txt"), "--format", "ncic", "--name", "ncic")
    assert (status, out, err) == (0, "imported 14 entries into 'ncic' (version 20261122040000, ncic, priority 2)\n", "")
    stored = (tmp_path / "data" / "hotlists" / "ncic.hotlist").read_bytes()

    status, out, err = run("hotlist", "import", str(SAMPLES / "ncic-extract-bad.txt"), "--format", "ncic", "--list", "ncic")
    bad = SAMPLES / "ncic-extract-bad.txt"
    assert status == 1 and out == ""
    assert err.splitlines()[0] == f"alpr-edge hotlist: import of {bad} (the list in force stays) refused:"
    assert f"  {bad}:7: plate: non-ASCII character 'Ä' at column 29" in err.splitlines()
    assert len(err.splitlines()) == 9
    assert (tmp_path / "data" / "hotlists" / "ncic.hotlist").read_bytes() == stored

    status, out, err = run("hotlist", "import", str(SAMPLES / "agency-bolo.csv"), "--format", "csv", "--name", "bolo",
                           "--priority", "1", "--covert", "--max-age-hours", "12")
    assert status == 0 and "into 'bolo'" in out and "priority 1, covert" in out

    status, out, err = run("hotlist", "ls")
    lines = out.splitlines()
    assert status == 0 and lines[0].split() == ["NAME", "SOURCE", "VERSION", "ENTRIES", "AGE", "PRI", "STATUS"]
    assert lines[1].split()[:4] == ["bolo", "csv", lines[1].split()[2], "3"] and lines[1].endswith("ok covert")
    assert lines[2].split()[:4] == ["ncic", "ncic", "20261122040000", "14"]

    status, out, err = run("hotlist", "match", "7XKMZ19", "--state", "CA", "--json")
    (match,) = json.loads(out)
    assert (match["list"], match["kind"], match["plate"], match["case_number"]) == ("ncic", "lenient", "7XKM219", "000001231")
    status, out, err = run("hotlist", "match", "1ABC234", "--candidate", "7ABL330:0.3")
    assert out == "bolo\twildcard\tP1\t7??L330\tCA\tBOLO\tHit and run suspect vehicle\tcase 26-004602 covert via candidate 7ABL330\n"
    status, out, err = run("hotlist", "match", "1ABC234")
    assert out == "no match\n"


def test_an_expired_csv_entry_is_skipped_and_named_while_the_rest_loads(run, clock, tmp_path):
    clock.advance(12 * DAY)  # 2026-12-04: the sample's 7??L330 expired on 2026-12-01
    run.login()
    sample = SAMPLES / "agency-bolo.csv"
    status, out, err = run("hotlist", "import", str(sample), "--format", "csv", "--name", "bolo")
    assert status == 0 and out.startswith("imported 2 entries into 'bolo'") and "1 expired skipped" in out
    notice = f"{sample}:3: expires: 2026-12-01 skipped, already past"
    assert err == notice + "\n"
    assert run("hotlist", "match", "7ABL330")[1] == "no match\n"
    assert run("hotlist", "match", "6WQP418")[1].startswith("bolo\texact")

    from alpr_edge.config import load_config
    from alpr_edge.store import Store
    from alpr_edge.store.audit import records

    config = load_config(None, data_dir=tmp_path / "data")
    with Store.open(config.data_dir, config.store, dev_keys=True) as store:
        (row,) = [r for r in records(store) if r["action"] == "hotlist_replace"]
    assert row["data"]["skipped"] == 1 and row["data"]["skipped_lines"] == [notice]


def test_an_entry_that_expires_while_loaded_stops_matching(run, clock):
    run.login()
    run("hotlist", "import", str(SAMPLES / "agency-bolo.csv"), "--format", "csv", "--name", "bolo")
    assert run("hotlist", "match", "7ABL330")[1].startswith("bolo\twildcard")
    clock.advance(10 * DAY)  # 2026-12-02: past the entry's 2026-12-01 (and the session's 15 minutes)
    run.login()
    assert run("hotlist", "match", "7ABL330")[1] == "no match\n"


def test_manual_plates_and_list_removal(run):
    run.login()
    args = ["--state", "CA", "--reason", "Armed robbery suspect vehicle",
            "--case", "26-004700", "--synopsis", "Bank robbery; partial plate from witness"]
    status, out, err = run("hotlist", "add", "4KDM2?1", *args, "--expires", "2099-01-01")
    assert status == 1 and "manual entry: expires: 2099-01-01 is more than 90 days ahead" in err
    status, out, err = run("hotlist", "add-plate", "4KDM2?1", *args, "--expires", "2026-12-31")
    assert (status, out) == (0, "added 4KDM2?1 (CA) until 2026-12-31, case 26-004700\n")
    status, out, err = run("hotlist", "match", "4KDM2B1")
    assert out.startswith("manual\twildcard\tP2\t4KDM2?1")
    status, out, err = run("hotlist", "remove", "4KDM2?1")
    assert (status, out) == (0, "removed 1 entry\n")
    status, out, err = run("hotlist", "remove", "4KDM2?1")
    assert status == 1 and "plate: not on 'manual'" in err
    status, out, err = run("hotlist", "rm", "manual")
    assert (status, out) == (0, "deleted list 'manual'\n")
    status, out, err = run("hotlist", "ls")
    assert status == 1 and "problem: no hot list loaded: reads are not being checked" in err


def test_import_of_a_missing_file(run, tmp_path):
    run.login()
    status, out, err = run("hotlist", "import", str(tmp_path / "none.txt"), "--format", "clew", "--name", "x")
    assert status == 2 and err == f"alpr-edge hotlist: {tmp_path / 'none.txt'}: no such file\n"


def test_alerts_ls_and_step_need_a_login_and_record_who(run, tmp_path, clock):
    from alpr_edge.accounts import Accounts
    from alpr_edge.alerts import AlertDesk
    from alpr_edge.config import StoreSection
    from alpr_edge.hotlist import HotListEngine, MemoryListStorage, parse_clew, parse_ncic
    from alpr_edge.store import Store

    engine = HotListEngine(MemoryListStorage(), clock=clock)
    engine.replace(parse_ncic(SAMPLES / "ncic-extract.txt", clock=clock))
    engine.replace(parse_clew(SAMPLES / "ca-clew-stolen.txt", clock=clock, name="covert", covert=True))
    store = Store.open(tmp_path / "data", StoreSection(), dev_keys=True)
    Accounts(store).add("tech1", "technician", "pin-0815")  # ofc1 (officer, pin-4711) is the fixture's
    desk = AlertDesk(store, clock=clock)
    [alert] = desk.raise_for("r1", engine.match("9ZZA114"))
    [covert] = desk.raise_for("r2", engine.match("3JRT448"))
    assert covert.covert
    store.close()

    def as_user(name, pin, *args):
        return run(*args, "--user", name, "--password-stdin", stdin=pin + "\n")

    status, out, err = as_user("tech1", "pin-0815", "alerts", "ls")
    assert status == 1 and "role technician may not alerts.verify" in err
    status, out, err = as_user("ofc1", "wrong", "alerts", "ls")
    assert status == 1 and "login refused" in err
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "ls")
    assert status == 0 and out.splitlines()[1] == f"{alert.alert_id}  2026-11-22 12:00:00  P1   ncic         exact      raised        000000009"
    assert covert.alert_id not in out and "covert" not in out  # an officer never learns of a covert alert
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "ls", "--all")
    assert status == 0 and covert.alert_id not in out
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "step", covert.alert_id, "verified")
    assert status == 1 and "no alert" in err
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "step", alert.alert_id, "confirmed")
    assert status == 1 and "an alert that is raised cannot become confirmed" in err
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "step", alert.alert_id, "verified")
    assert (status, out) == (0, f"{alert.alert_id}: verified\n")
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "step", alert.alert_id, "not_confirmed", "--reason", "misread")
    assert status == 1 and "reason 'misread' does not go with the not_confirmed step" in err
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "step", alert.alert_id, "not_confirmed", "--reason", "not_on_file")
    assert (status, out) == (0, f"{alert.alert_id}: not_confirmed\n")
    store = Store.open(tmp_path / "data", StoreSection(), dev_keys=True)
    verified, closed = AlertDesk(store).history(alert.alert_id, "admin")[-2:]
    store.close()
    assert (verified.user, verified.role, verified.to_state) == ("ofc1", "officer", "verified")
    assert (closed.to_state, closed.reason) == ("not_confirmed", "not_on_file")


def audit_rows(tmp_path, clock):
    from alpr_edge.store.audit import records

    with open_store(tmp_path, clock) as store:
        return records(store)


def test_every_hot_list_command_needs_a_login_and_says_how(run, tmp_path, clock):
    add = ["hotlist", "add", "4KDM2?1", "--state", "CA", "--reason", "Armed robbery suspect vehicle", "--case", "26-004700",
           "--synopsis", "Bank robbery; partial plate from witness", "--expires", "2026-12-31"]
    for argv in (add, ["hotlist", "ls"], ["hotlist", "match", "7ABL330"], ["hotlist", "rm", "manual"],
                 ["hotlist", "import", str(SAMPLES / "agency-bolo.csv"), "--format", "csv", "--name", "bolo"]):
        status, out, err = run(*argv)
        assert status == 1 and out == "", argv
        assert "needs a login: log in first: `alpr-edge login --user NAME`" in err, err
    refused = [r for r in audit_rows(tmp_path, clock) if r["outcome"].startswith("refused")]
    assert [r["action"] for r in refused] == ["hotplate.add", "hotlist.browse", "hotlist.browse", "hotlist.manage", "hotlist.manage"]
    assert refused[0]["data"] == {"plate": "4KDM2?1"} and refused[0]["case_number"] == "26-004700"
    with pytest.raises(SystemExit):  # free text no longer names anyone: the option is gone
        run("hotlist", "add", *add[2:], "--entered-by", "Ofc #5120")


def test_roles_decide_and_the_login_is_who_entered_the_plate(run, tmp_path, clock):
    status, out, err = run.as_user("ofc1", "hotlist", "import", str(SAMPLES / "agency-bolo.csv"), "--format", "csv", "--name", "bolo")
    assert status == 1 and "role officer may not hotlist.manage" in err
    status, out, err = run.as_user("ofc1", "hotlist", "add", "4KDM2?1", "--state", "CA", "--reason", "Armed robbery suspect vehicle",
                                   "--case", "26-004700", "--synopsis", "Bank robbery; partial plate", "--expires", "2026-12-31")
    assert (status, out) == (0, "added 4KDM2?1 (CA) until 2026-12-31, case 26-004700\n"), err
    status, out, err = run.as_user("ofc1", "hotlist", "match", "4KDM2B1", "--json")
    assert json.loads(out)[0]["entered_by"] == "ofc1"  # the login (its badge number is in the audit row)
    status, out, err = run.as_user("ofc1", "hotlist", "remove", "4KDM2?1")
    assert status == 1 and "role officer may not hotplate.remove" in err
    run.login("sam")  # a supervisor: password and second factor, once
    assert run("hotlist", "remove", "4KDM2?1")[:2] == (0, "removed 1 entry\n")
    rows = audit_rows(tmp_path, clock)
    (added,) = [r for r in rows if r["action"] == "hotlist_plate_add"]
    (removed,) = [r for r in rows if r["action"] == "hotlist_plate_delete"]
    assert (added["user"], added["role"], added["badge"]) == ("ofc1", "officer", "5120")
    assert (removed["user"], removed["role"]) == ("sam", "supervisor")


def test_an_officer_never_sees_a_covert_list_or_entry(run, tmp_path, clock):
    run.login("ada")
    run("hotlist", "import", str(SAMPLES / "agency-bolo.csv"), "--format", "csv", "--name", "bolo", "--covert")
    run("hotlist", "import", str(SAMPLES / "ncic-extract.txt"), "--format", "ncic", "--name", "ncic")
    status, out, err = run.as_user("ofc1", "hotlist", "match", "7ABL330", "--json")
    assert (status, json.loads(out)) == (0, [])
    assert run.as_user("ofc1", "hotlist", "match", "7ABL330")[1] == "no match\n"
    status, out, err = run.as_user("ofc1", "hotlist", "ls", "--json")
    assert [s["name"] for s in json.loads(out)["lists"]] == ["ncic"] and "bolo" not in out + err
    run.login("sam")
    status, out, err = run("hotlist", "match", "7ABL330", "--json")
    assert [m["list"] for m in json.loads(out)] == ["bolo"]  # supervisors see covert lists
    assert "bolo" in run("hotlist", "ls")[1]
    browsed = [(r["user"], r["action"]) for r in audit_rows(tmp_path, clock) if r["action"] in ("hotlist.match", "hotlist.browse")]
    assert browsed == [("ofc1", "hotlist.match"), ("ofc1", "hotlist.match"), ("ofc1", "hotlist.browse"),
                       ("sam", "hotlist.match"), ("sam", "hotlist.browse")]


def test_login_gives_one_short_session_and_logout_ends_it(run, tmp_path, clock):
    import os
    import stat

    run.login("ada")
    (session,) = (tmp_path / "data" / "sessions").iterdir()
    assert stat.S_IMODE(session.stat().st_mode) == 0o600 and session.name == f"cli-{os.getuid()}.json"
    assert run("hotlist", "ls")[0] == 1  # no list loaded yet, but the command ran: no password asked
    clock.advance(14 * 60)
    assert "imported" in run("hotlist", "import", str(SAMPLES / "agency-bolo.csv"), "--format", "csv", "--name", "bolo")[1]
    clock.advance(61)
    status, out, err = run("hotlist", "ls")
    assert status == 1 and "the session has expired: run alpr-edge login again" in err
    run.login("ada")
    assert run("logout")[1] == "logged out ada\n"
    status, out, err = run("hotlist", "ls")
    assert status == 1 and "needs a login" in err
    uses = [(r["user"], r["action"]) for r in audit_rows(tmp_path, clock) if r["action"].startswith(("login", "logout"))]
    assert uses == [("ada", "login"), ("ada", "login.session_start"), ("ada", "login.session"), ("ada", "login.session"),
                    ("ada", "login"), ("ada", "login.session_start"), ("ada", "logout")]


def test_alerts_ls_is_audited_with_what_each_user_was_shown(run, tmp_path, clock):
    from alpr_edge.alerts import AlertDesk
    from alpr_edge.hotlist import HotListEngine, MemoryListStorage, parse_csv, parse_ncic

    engine = HotListEngine(MemoryListStorage(), clock=clock)
    engine.replace(parse_ncic(SAMPLES / "ncic-extract.txt", clock=clock))
    engine.replace(parse_csv(SAMPLES / "agency-bolo.csv", clock=clock, name="bolo", covert=True))
    with open_store(tmp_path, clock) as store:
        desk = AlertDesk(store, clock=clock)
        [open_alert] = desk.raise_for("r1", engine.match("9ZZA114"))
        [covert] = desk.raise_for("r2", engine.match("7ABL330"))
    assert covert.covert and not open_alert.covert
    status, out, err = run.as_user("ofc1", "alerts", "ls", "--json")
    assert status == 0 and [a["alert_id"] for a in json.loads(out)] == [open_alert.alert_id]
    run.login("sam")
    status, out, err = run("alerts", "ls", "--json", "--all")
    assert sorted(a["alert_id"] for a in json.loads(out)) == sorted([open_alert.alert_id, covert.alert_id])
    looks = [(r["user"], r["data"]) for r in audit_rows(tmp_path, clock) if r["action"] == "alerts.browse"]
    assert looks == [("ofc1", {"all": False, "alerts": [open_alert.alert_id]}),
                     ("sam", {"all": True, "alerts": [a["alert_id"] for a in json.loads(out)]})]


def test_import_shows_progress_on_a_terminal_and_keeps_stdout_the_summary(run, monkeypatch):
    """On a pseudo-terminal the import draws its bars on stderr; stdout still holds only the summary
    (without a terminal not one byte is added: the exact-output test above)."""
    from alpr_edge import progress
    from tests.test_progress import terminal

    run.login()
    monkeypatch.setattr(progress, "MIN_INTERVAL_S", 0.0)
    stream, drain = terminal()
    monkeypatch.setattr("sys.stderr", stream)
    try:
        status, out, _ = run("hotlist", "import", str(SAMPLES / "ncic-extract.txt"), "--format", "ncic", "--name", "ncic")
        shown = drain()
    finally:
        stream.close()
    assert (status, out) == (0, "imported 14 entries into 'ncic' (version 20261122040000, ncic, priority 2)\n")
    assert re.search(r"reading ncic-extract.txt: 100%.*913/913", shown), shown  # a bar in the file's bytes
    assert re.search(r"import ncic: +50%.*1/2.*index and store", shown), shown
