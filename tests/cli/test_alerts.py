"""`alpr-edge alerts` as a new user types it: the bare command lists, options go before or after the action,
and a historical alert says when and where its past read was made."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

from alpr_edge import cli
from alpr_edge.accounts import Accounts
from alpr_edge.config import StoreSection
from alpr_edge.store import Store
from tests.store.store_fakes import make_read


def test_alerts_alone_lists_and_a_historical_alert_shows_its_past_read(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["alpr_edge.cli.hotlist", "alpr_edge.cli.alerts"])
    now = datetime.now(UTC)
    data = tmp_path / "data"
    with Store.open(data, StoreSection(), dev_keys=True) as store:
        store.add_reads([read := make_read("7ABC123", now - timedelta(hours=1), position=(37.8044, -122.2712))])
        Accounts(store, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)).add("ofc1", "officer", "pin-4711")

    def run(*argv):
        monkeypatch.setattr("sys.stdin", io.StringIO("pin-4711\n"))
        status = cli.main(list(argv), clock=now.timestamp)
        out, err = capsys.readouterr()
        assert status == 0, err
        return out

    run("hotlist", "add", "7ABC123", "--state", "CA", "--reason", "Stolen vehicle", "--case", "26-9", "--synopsis", "grey sedan",
        "--expires", (now + timedelta(days=10)).date().isoformat(), "--user", "ofc1", "--password-stdin", "--data-dir", str(data))
    login = ["--user", "ofc1", "--password-stdin"]
    # `alerts --data-dir D` stopped at "invalid choice: 'D'"; `alerts --data-dir D ls` read /var/lib/alpr-edge.
    listings = [run("alerts", "--data-dir", str(data), *login), run("alerts", "--data-dir", str(data), "ls", *login),
                run("alerts", "ls", "--data-dir", str(data), *login)]
    assert listings[0] == listings[1] == listings[2]
    header, row, past = listings[0].splitlines()
    assert " historical raised " in row and row.split()[-1] == "26-9"
    when = (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert past == f"    NOT A LIVE SIGHTING: read {when} UTC at 37.80440,-122.27120 ({read.read_id})"
    assert "7ABC123" not in listings[0]
