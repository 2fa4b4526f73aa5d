"""`alpr-edge hotlist ...` and `alpr-edge alerts ls`, run in-process with exact output."""

from __future__ import annotations

import json

import pytest

import alpr_edge.cli as cli
from tests.hotlist.conftest import SAMPLES, Clock

DAY = 24 * 3600.0


@pytest.fixture
def clock():
    return Clock()  # the day the samples were extracted: no test here depends on today's date


@pytest.fixture
def run(tmp_path, monkeypatch, capsys, clock):
    # Only this stage's commands: the others are not needed to test these.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["alpr_edge.cli.hotlist", "alpr_edge.cli.alerts"])

    def run(*args):
        status = cli.main([*args, "--data-dir", str(tmp_path / "data")], clock=clock)
        out, err = capsys.readouterr()
        return status, out, err

    return run


def test_import_list_match_and_refusal(run, tmp_path):
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
    run("hotlist", "import", str(SAMPLES / "agency-bolo.csv"), "--format", "csv", "--name", "bolo")
    assert run("hotlist", "match", "7ABL330")[1].startswith("bolo\twildcard")
    clock.advance(10 * DAY)  # 2026-12-02: past the entry's 2026-12-01
    assert run("hotlist", "match", "7ABL330")[1] == "no match\n"


def test_manual_plates_and_list_removal(run):
    args = ["--state", "CA", "--reason", "Armed robbery suspect vehicle", "--entered-by", "Ofc #5120",
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
    status, out, err = run("hotlist", "import", str(tmp_path / "none.txt"), "--format", "clew", "--name", "x")
    assert status == 2 and err == f"alpr-edge hotlist: {tmp_path / 'none.txt'}: no such file\n"


def test_alerts_ls_and_step_need_a_login_and_record_who(run, tmp_path, clock, monkeypatch):
    import io

    from alpr_edge.accounts import Accounts
    from alpr_edge.alerts import AlertDesk
    from alpr_edge.config import StoreSection
    from alpr_edge.hotlist import HotListEngine, MemoryListStorage, parse_clew, parse_ncic
    from alpr_edge.store import Store

    engine = HotListEngine(MemoryListStorage(), clock=clock)
    engine.replace(parse_ncic(SAMPLES / "ncic-extract.txt", clock=clock))
    engine.replace(parse_clew(SAMPLES / "ca-clew-stolen.txt", clock=clock, name="covert", covert=True))
    store = Store.open(tmp_path / "data", StoreSection(), dev_keys=True)
    Accounts(store).add("ofc1", "officer", "pin-4711")
    Accounts(store).add("tech1", "technician", "pin-0815")
    desk = AlertDesk(store, clock=clock)
    [alert] = desk.raise_for("r1", engine.match("9ZZA114"))
    [covert] = desk.raise_for("r2", engine.match("3JRT448"))
    assert covert.covert
    store.close()

    def as_user(name, pin, *args):
        monkeypatch.setattr("sys.stdin", io.StringIO(pin + "\n"))
        return run(*args, "--user", name, "--password-stdin")

    status, out, err = as_user("tech1", "pin-0815", "alerts", "ls")
    assert status == 1 and "role technician may not alerts.verify" in err
    status, out, err = as_user("ofc1", "wrong", "alerts", "ls")
    assert status == 1 and "login refused" in err
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "ls")
    assert status == 0 and out.splitlines()[1] == f"{alert.alert_id}  2026-11-22 12:00:00  P1   ncic         exact     raised        000000009"
    assert covert.alert_id not in out and "covert" not in out  # an officer never learns of a covert alert
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "ls", "--all")
    assert status == 0 and covert.alert_id not in out
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "step", covert.alert_id, "verified")
    assert status == 1 and "no alert" in err
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "step", alert.alert_id, "confirmed")
    assert status == 1 and "an alert that is raised cannot become confirmed" in err
    status, out, err = as_user("ofc1", "pin-4711", "alerts", "step", alert.alert_id, "verified")
    assert (status, out) == (0, f"{alert.alert_id}: verified\n")
    store = Store.open(tmp_path / "data", StoreSection(), dev_keys=True)
    [step] = AlertDesk(store).history(alert.alert_id, "admin")[-1:]
    store.close()
    assert (step.user, step.role) == ("ofc1", "officer")