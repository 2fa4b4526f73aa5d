"""`alpr-edge reads show READ_ID`: one read opened by its id, for a purpose and a case, audited like a search.

End to end through the command line on a real store, on a clock the test
passes in (``cli.main(argv, clock=...)``): each command runs 30 s after the
last, so each login gets the next second-factor code and nothing depends on
today's date.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from tests.store.store_fakes import make_read

from alpr_edge import cli
from alpr_edge.alerts import AlertDesk
from alpr_edge.config import StoreSection
from alpr_edge.hotlist import HotListEngine, MemoryListStorage
from alpr_edge.store import Store, add_hold, release_hold
from alpr_edge.store.audit import records
from alpr_edge.store.corrections import correct_read

START = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)  # any day will do: the commands run on this clock
GROUNDS = ["--purpose", "stolen-wanted-or-suspect-vehicle", "--detail", "stolen vehicle report", "--case", "24-1"]


class Device:
    """A data dir, the clock its commands run on, and the second-factor codes of its users at that clock."""

    def __init__(self, monkeypatch, capsys, data):
        self.monkeypatch, self.capsys, self.data = monkeypatch, capsys, data
        self.now = START.timestamp()
        self.totp: dict[str, pyotp.TOTP] = {}

    def run(self, *argv, stdin=""):
        self.now += 30  # the next TOTP step: a code is accepted once
        self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        status = cli.main([*argv, "--data-dir", str(self.data)], clock=lambda: self.now)
        out, err = self.capsys.readouterr()
        return status, out, err

    def code(self, user: str) -> str:
        return self.totp[user].at(self.now + 30)  # the code of the next command's moment

    def add_user(self, name: str, role: str, *by_root: str) -> None:
        stdin = f"{name}-pass\n" + ("root-pass\n" if by_root else "")
        status, out, err = self.run("users", "add", name, "--role", role, "--password-stdin", *by_root, stdin=stdin)
        assert status == 0, err
        uri = out.strip().splitlines()[-1]
        if uri.startswith("otpauth://"):
            self.totp[name] = pyotp.TOTP(parse_qs(urlparse(uri).query)["secret"][0])

    def store(self) -> Store:
        return Store.open(self.data, StoreSection(), dev_keys=True, clock=lambda: datetime.fromtimestamp(self.now, UTC))

    def show(self, read_id: str, *extra: str, user: str = "sue", grounds=GROUNDS):
        login = ["--user", user] + (["--totp", self.code(user)] if user in self.totp else [])
        return self.run("reads", "show", read_id, *grounds, *extra, *login, "--password-stdin", stdin=f"{user}-pass\n")


@pytest.fixture
def device(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["alpr_edge.cli.reads", "alpr_edge.cli.users"])
    monkeypatch.delenv("ALPR_EDGE_PROFILES", raising=False)
    device = Device(monkeypatch, capsys, tmp_path / "data")
    device.add_user("root", "admin")
    device.add_user("sue", "supervisor", "--as", "root", "--totp", device.code("root"))
    device.add_user("tech", "technician", "--as", "root", "--totp", device.code("root"))
    return device


@pytest.fixture
def read(device):
    """A stored read of 7ABC123, corrected to 7ABC128, with a hold (another released) and an alert verified."""
    read = make_read("7ABC123", START - timedelta(hours=2))
    stored = device.now
    with device.store() as store:
        store.add_reads([read, make_read("8XYZ999", START - timedelta(hours=1))])
        correct_read(store, read.read_id, text="7ABC128", reason="8 read as 3, checked on scene", user="sue", role="supervisor")
        add_hold(store, read.read_id, case_number="24-0", reason="first look", user="sue", role="supervisor")
        release_hold(store, read.read_id, user="sue", role="supervisor", reason="case closed without charges")
        hold_id = add_hold(store, read.read_id, case_number="24-1", reason="robbery evidence", user="sue", role="supervisor")
        now = lambda: device.now  # noqa: E731
        engine = HotListEngine(MemoryListStorage(), clock=now, audit=store.audit)
        engine.add_manual("7ABC128", "CA", "Stolen vehicle", "sue", "24-1", "grey sedan", START.date() + timedelta(days=5))
        desk = AlertDesk(store, clock=now)
        [alert] = desk.raise_for(read.read_id, engine.match("7ABC128", "CA"))
        desk.step(alert.alert_id, "verified", "ofc", "officer")
    return {"id": read.read_id, "hold": hold_id, "alert": alert.alert_id, "stored": iso(stored)}


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def last_audit(device) -> dict:
    with device.store() as store:
        return records(store)[-1]


def test_show_prints_the_whole_record_and_is_audited_like_a_search(device, read):
    status, out, err = device.show(read["id"])
    assert status == 0, err
    lines = out.splitlines()
    assert lines[:7] == [
        f"read      {read['id']}",
        f"captured  {iso(START.timestamp() - 7200)} (clock: gps, offset 0.0 s); stored {read['stored']}",
        "position  37.77000,-122.42000",
        "camera    front, 5 frame(s)",
        "plate     7ABC128 CA  confidence 0.93, state confidence 0.00  format ok: yes",
        "images    plate kept, overview kept",
        "hit       yes; uploaded not yet",
    ]
    assert lines[7] == "read as   7ABC123 CA (the camera's reading; corrected since)"
    assert lines[8].startswith("corrected ") and lines[8].endswith(" by sue (supervisor): 7ABC123 CA -> 7ABC128 CA: 8 read as 3, checked on scene")
    holds = [line for line in lines if line.startswith("hold ")]
    assert len(holds) == 2 and "case 24-0" in holds[0] and "released" in holds[0]
    assert holds[1].startswith(f"hold      {read['hold']} case 24-1 by sue ") and holds[1].endswith(", active: robbery evidence")
    alert = [line for line in lines if line.startswith("alert ")]
    assert alert == [f"alert     {read['alert']} manual (BOLO): Stolen vehicle, case 24-1; verified, raised {read['stored']}"]
    assert [line.split()[2:5] for line in lines if line.startswith("  step")] == [["-", "->", "raised"], ["raised", "->", "verified"]]
    assert lines[-1] == "2 hold(s), 1 alert(s)"
    record = last_audit(device)
    assert (record["user"], record["role"], record["action"], record["outcome"]) == ("sue", "supervisor", "reads.show", "ok")
    assert record["data"] == {"read_id": read["id"], "results": 1}
    assert (record["purpose"], record["case_number"]) == ("stolen-wanted-or-suspect-vehicle: stolen vehicle report", "24-1")
    assert record["at"].startswith(datetime.fromtimestamp(device.now, UTC).isoformat()[:19])  # when: the command's clock


def test_show_json_for_machines(device, read):
    status, out, err = device.show(read["id"], "--json")
    assert status == 0, err
    record = json.loads(out)
    assert (record["id"], record["text"], record["state"], record["clock_source"]) == (read["id"], "7ABC128", "CA", "gps")
    assert record["corrections"][0]["from"] == {"text": "7ABC123", "state": "CA"}
    assert [h["id"] for h in record["holds"] if not h["released_at"]] == [read["hold"]]
    assert [a["alert_id"] for a in record["alerts"]] == [read["alert"]] and "suppress_key" not in record["alerts"][0]
    assert record["images"] == {"plate": True, "overview": True} and "crop_jpeg" not in record


def test_show_asks_the_searches_purpose_and_case_rule_and_audits_the_refusal(device, read):
    grounds = ["--purpose", "investigation", *GROUNDS[2:]]
    status, out, err = device.show(read["id"], grounds=grounds)
    assert (status, out) == (1, "")
    assert "look-up refused: 'investigation' is not one of this agency's authorised purposes" in err
    record = last_audit(device)
    assert (record["action"], record["data"]) == ("reads.show", {"read_id": read["id"]})
    assert record["outcome"].startswith("refused: 'investigation' is not") and record["case_number"] == "24-1"
    status, _, err = device.show(read["id"], grounds=[*GROUNDS[:5], " "])
    assert status == 1 and "a case number is required" in err


def test_a_role_that_may_not_search_may_not_show_and_is_audited(device, read):
    status, out, err = device.show(read["id"], user="tech")
    assert (status, out) == (1, "") and "role technician may not search stored reads" in err
    record = last_audit(device)
    assert (record["user"], record["action"], record["data"]) == ("tech", "reads.show", {"read_id": read["id"]})
    assert record["outcome"] == "refused: role technician may not search stored reads"


def test_an_unknown_or_purged_id_is_one_line_naming_it_and_audited(device, read):
    unknown = "0190a0a0-0000-7000-8000-000000000000"
    status, out, err = device.show(unknown)
    assert (status, out, err) == (1, "", f"alpr-edge reads: no stored read {unknown} (purged, or never stored)\n")
    record = last_audit(device)
    assert (record["action"], record["data"], record["case_number"]) == ("reads.show", {"read_id": unknown, "results": 0}, "24-1")
    assert record["outcome"] == f"not found: no stored read {unknown} (purged, or never stored)"
    old = make_read("5OLD555", START - timedelta(days=60))
    with device.store() as store:
        store.add_reads([old])
        store.purge(START)
    status, out, err = device.show(old.read_id)
    assert (status, out, err) == (1, "", f"alpr-edge reads: no stored read {old.read_id} (purged, or never stored)\n")
    assert last_audit(device)["outcome"].startswith("not found: ")


def test_a_show_counts_as_a_search_in_the_yearly_figures(device, read):
    device.show(read["id"])
    with device.store() as store:
        counts = dict(store.db.execute("SELECT name, value FROM daily_counts WHERE name LIKE 'searches%'").fetchall())
    assert counts == {"searches": 1, "searches.purpose:stolen-wanted-or-suspect-vehicle": 1}
