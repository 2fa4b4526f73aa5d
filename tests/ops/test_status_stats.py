"""status and stats: figures from the daemon and the store, never a plate."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta

from alpr_edge.config import Config, DeviceSection
from alpr_edge.ops.stats import transparency_counts
from alpr_edge.ops.status import collect_status, read_daemon_status, temperatures
from tests.conftest import run_cli

PLATE = "7ABC123"


def status_document(age_s: float = 1.0, pid: int | None = None) -> dict:
    updated = datetime.now(UTC) - timedelta(seconds=age_s)
    return {
        "updated_at": updated.isoformat().replace("+00:00", "Z"), "pid": pid or os.getpid(), "uptime_s": 3600.0,
        "profile": "sim", "version": "0.1.0", "frames_in": 54000, "frames_processed": 51000, "frames_dropped": 3000,
        "fps_in": 15.0, "fps_processed": 14.2, "reads": 812, "alerts": 3,
        "camera": {"camera": "sim-front", "connected": True},
        "gps": {"source": "gps", "has_fix": True, "satellites": 9},
        "clock": {"time_source": "ntp", "clock_ok": True, "offset_s": 0.02},
        "uplink": {"connected": False, "backlog": 120},
        "hotlists": [{"name": "ncic-stolen", "entries": 120000, "age_s": 7200, "stale": False}],
        # A careless future field must still never reach the output:
        "recent_reads": [{"plate": PLATE, "text": PLATE}],
    }


def write_status(data_dir, document) -> None:
    (data_dir / "run").mkdir(parents=True, exist_ok=True)
    (data_dir / "run" / "status.json").write_text(json.dumps(document))


def config_file(tmp_path, data_dir):
    path = tmp_path / "config.toml"
    path.write_text(f'[device]\ndata_dir = "{data_dir}"\n')
    return path


def test_status_reports_the_running_daemon_without_plates(tmp_path):
    data_dir = tmp_path / "data"
    write_status(data_dir, status_document())
    result = run_cli("status", "--json", "--config", str(config_file(tmp_path, data_dir)))
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["running"] is True and status["daemon"]["fps_in"] == 15.0
    assert status["daemon"]["uplink"]["backlog"] == 120 and status["daemon"]["hotlists"][0]["age_s"] == 7200
    assert status["disk"]["data_bytes"] > 0 and status["software_version"]
    assert PLATE not in result.stdout
    text = run_cli("status", "--config", str(config_file(tmp_path, data_dir)))
    assert text.returncode == 0 and "frames        in 54000 (15.0 fps)" in text.stdout
    assert PLATE not in text.stdout


def test_status_counts_reads_and_hits_today(tmp_path):
    data_dir = tmp_path / "data"
    make_database(data_dir)  # 6 reads now (2 with a hit), 4 forty days ago
    write_status(data_dir, status_document())
    result = run_cli("status", "--json", "--config", str(config_file(tmp_path, data_dir)))
    today = json.loads(result.stdout)["today"]
    assert (today["reads"], today["hits"]) == (6, 2)
    assert PLATE not in result.stdout


def test_status_says_when_the_daemon_is_not_running(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    result = run_cli("status", "--config", str(config_file(tmp_path, data_dir)))
    assert result.returncode == 1 and "NOT RUNNING: it has not run with this data folder (no " in result.stdout
    # A status file a minute old from a process that is gone:
    write_status(data_dir, status_document(age_s=90, pid=2**22 + 12345))
    stale = read_daemon_status(data_dir / "run" / "status.json")
    assert stale["running"] is False and "status is 90 s old; the process is gone" in stale["reason"]
    # ... and from a process that is alive but stopped reporting:
    write_status(data_dir, status_document(age_s=90))
    assert "alive but not reporting" in read_daemon_status(data_dir / "run" / "status.json")["reason"]
    # ... and the last word of a daemon that stopped cleanly:
    write_status(data_dir, {**status_document(), "running": False, "stop_reason": "ignition off"})
    assert read_daemon_status(data_dir / "run" / "status.json")["reason"] == "stopped (ignition off)"


def test_temperature_where_the_board_reports_it(tmp_path):
    zone = tmp_path / "thermal_zone0"
    zone.mkdir()
    (zone / "temp").write_text("61234\n")
    (zone / "type").write_text("cpu-thermal\n")
    assert temperatures(tmp_path) == {"thermal_zone0:cpu-thermal": 61.2}
    status = collect_status(Config(device=DeviceSection(data_dir=tmp_path)), tmp_path, thermal_root=tmp_path)
    assert status["temperature_c"] == {"thermal_zone0:cpu-thermal": 61.2}
    assert temperatures(tmp_path / "none") == {}


def make_database(data_dir) -> None:
    """A database with the store's reads table and an alerts stage table (clear columns only count)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / "alpr.db")
    conn.execute("CREATE TABLE reads (id TEXT PRIMARY KEY, day TEXT, captured_at REAL, has_hit INTEGER, plate_hmac TEXT, payload BLOB)")
    conn.execute("CREATE TABLE alerts (id TEXT PRIMARY KEY, raised_at REAL, list_name TEXT, verification TEXT, disposition TEXT, plate_text BLOB)")
    conn.execute("CREATE TABLE audit (seq INTEGER PRIMARY KEY, at TEXT, user TEXT, action TEXT, details BLOB)")
    old = (datetime.now(UTC) - timedelta(days=40)).timestamp()
    new = datetime.now(UTC).timestamp()
    for index in range(10):
        conn.execute("INSERT INTO reads VALUES (?, '2026-11-22', ?, ?, ?, ?)",
                     (f"r{index}", old if index < 4 else new, int(index % 3 == 0), PLATE, PLATE.encode()))
    for index, (verification, disposition, at) in enumerate([
        ("verified", "confirmed", new), ("misread", None, new), ("verified", "no-action", new), ("verified", "confirmed", old),
    ]):
        conn.execute("INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?)", (f"a{index}", at, "ncic-stolen" if index % 2 == 0 else "local-bolo", verification, disposition, PLATE.encode()))
    conn.execute("INSERT INTO audit VALUES (1, ?, 'sgt.lee', 'reads.search', ?)", (datetime.now(UTC).isoformat(), PLATE.encode()))
    conn.commit()
    conn.close()


def test_stats_counts_reads_hits_alert_outcomes_and_dispositions(tmp_path):
    data_dir = tmp_path / "data"
    make_database(data_dir)
    counts = transparency_counts(data_dir)
    assert counts["reads"] == 10 and counts["reads_with_hit"] == 4
    assert counts["alerts"] == 4
    assert counts["hits_by_list"] == {"ncic-stolen": 2, "local-bolo": 2}
    assert counts["verification"] == {"verified": 3, "misread": 1}
    assert counts["dispositions"] == {"confirmed": 2, "none": 1, "no-action": 1}
    assert counts["audit_by_action"] == {"reads.search": 1}
    recent = transparency_counts(data_dir, since=datetime.now(UTC) - timedelta(days=7))
    assert recent["reads"] == 6 and recent["alerts"] == 3 and recent["dispositions"] == {"confirmed": 1, "none": 1, "no-action": 1}


def technician(data_dir, settings) -> None:
    """The account `stats` runs as (a login is needed: every look is audited)."""
    from alpr_edge.accounts import Accounts
    from alpr_edge.store import Store

    with Store.open(data_dir, settings, dev_keys=True) as store:
        Accounts(store).add("tech", "technician", "tech-pass")


def stats(config, *args):
    return run_cli("stats", "--config", str(config), *args, "--user", "tech", "--password-stdin", input="tech-pass\n")


def test_stats_cli_has_no_plate_text_needs_a_login_and_is_audited(tmp_path):
    from alpr_edge.config import load_config
    from alpr_edge.store import Store, audit
    from tests.store.store_fakes import make_read

    data_dir = tmp_path / "data"
    config = config_file(tmp_path, data_dir)
    settings = load_config(config).store
    technician(data_dir, settings)
    with Store.open(data_dir, settings, dev_keys=True) as store:
        store.add_reads([make_read(PLATE, datetime.now(UTC) - timedelta(minutes=m)) for m in range(10)])
    for args in (["--json"], [], ["--since", "2026-01-01"]):
        result = stats(config, *args)
        assert result.returncode == 0, result.stderr
        assert PLATE not in result.stdout and PLATE not in result.stderr
    assert json.loads(stats(config, "--json").stdout)["reads"] == 10
    backwards = stats(config, "--since", "2026-12-01", "--until", "2026-11-01")  # once: every count 0, exit 0
    assert backwards.returncode == 2 and "--until 2026-11-01 is not after --since 2026-12-01" in backwards.stderr
    bad = stats(config, "--since", "last tuesday")
    assert bad.returncode == 2 and "expected a date like 2026-01-31" in bad.stderr
    anonymous = run_cli("stats", "--config", str(config))
    assert anonymous.returncode == 1 and "stats.view needs a login" in anonymous.stderr
    with Store.open(data_dir, settings, dev_keys=True) as store:
        looks = [(r["user"], r["outcome"][:7]) for r in audit.records(store) if r["action"] == "stats.view"]
    assert looks == [("tech", "ok")] * 4 + [("(no login)", "refused")]


def test_stats_and_status_on_a_real_store(tmp_path):
    """The store's own schema, filled through its API: counts match, no plate anywhere."""
    store_module = __import__("pytest").importorskip("alpr_edge.store")
    from tests.store.store_fakes import make_read

    data_dir = tmp_path / "data"
    config = config_file(tmp_path, data_dir)
    from alpr_edge.config import load_config

    settings = load_config(config).store
    now = datetime.now(UTC)
    technician(data_dir, settings)
    with store_module.Store.open(data_dir, settings, dev_keys=True) as store:
        reads = [make_read(PLATE, now - timedelta(minutes=m)) for m in (1, 2, 3)] + [make_read("5XYZ999", now - timedelta(days=3))]
        store.add_reads(reads)
        store.mark_hit(reads[0].read_id)
        store.audit("sgt.lee", "supervisor", "reads.search", data={"plate": PLATE}, purpose="investigation", case_number="C-1")
    result = stats(config, "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["reads"] == 4 and counts["reads_with_hit"] == 1 and counts["audit_by_action"]["reads.search"] == 1
    since = stats(config, "--json", "--since", (now - timedelta(days=1)).date().isoformat())
    assert json.loads(since.stdout)["reads"] == 3
    status = run_cli("status", "--json", "--config", str(config))
    assert json.loads(status.stdout)["today"]["hits"] == 1 or now.astimezone().hour == 0
    for output in (result.stdout, since.stdout, status.stdout):
        assert PLATE not in output and "5XYZ999" not in output


def test_stats_counts_alert_outcomes_from_the_alert_stages_own_tables(tmp_path):
    """Alerts made with the alerts stage's schema: every state an alert went through is counted once."""
    store_module = __import__("pytest").importorskip("alpr_edge.store")
    alerts_module = __import__("pytest").importorskip("alpr_edge.alerts")
    data_dir = tmp_path / "data"
    config = config_file(tmp_path, data_dir)
    from alpr_edge.config import load_config

    settings = load_config(config)
    now = datetime.now(UTC).timestamp()
    technician(data_dir, settings.store)
    with store_module.Store.open(data_dir, settings.store, dev_keys=True) as store:
        alerts_module.AlertDesk(store, settings=settings.alerts)  # creates its tables (the "alerts" migrations)
        # Every column filled with a neutral value of its type, then the ones that matter here.
        blank = {name: (0 if kind in ("INTEGER", "REAL") else "") for _, name, kind, *_ in store.db.execute("PRAGMA table_info(alerts)").fetchall()}
        paths = {"a1": ["raised", "verified", "confirmed", "disposed"], "a2": ["raised", "misread"], "a3": ["raised", "verified", "not_confirmed"]}
        for alert_id, states in paths.items():
            row = {**blank, "alert_id": alert_id, "list_name": "local-bolo" if alert_id == "a2" else "ncic-stolen",
                   "state": states[-1], "disposition": "arrest" if alert_id == "a1" else None, "created_at": now, "vehicle": PLATE}
            store.db["alerts"].insert(row)
            previous = None
            for step, state in enumerate(states):
                store.db["alert_steps"].insert({"step_id": f"{alert_id}-{step}", "alert_id": alert_id, "from_state": previous,
                                                "to_state": state, "user": "ofc.day", "role": "officer", "at": now, "note": None, "disposition": None})
                previous = state
    result = stats(config, "--json")
    counts = json.loads(result.stdout)
    assert counts["alerts"] == 3 and counts["hits_by_list"] == {"ncic-stolen": 2, "local-bolo": 1}
    reaching = counts["alerts_reaching"]
    assert (reaching["verified"], reaching["misread"], reaching["confirmed"], reaching["raised"]) == (2, 1, 1, 3)
    assert counts["dispositions"] == {"arrest": 1, "none": 2}
    assert PLATE not in result.stdout


def test_status_warns_when_the_uplink_says_receipts_stopped(tmp_path):
    config = Config(device=DeviceSection(data_dir=tmp_path))
    write_status(tmp_path, status_document())
    assert collect_status(config, tmp_path, thermal_root=tmp_path)["uplink_receipts_stalled"] is False
    stalled = status_document()
    stalled["uplink"] = {"connected": True, "backlog": 120, "awaiting_receipt": 120, "receipts_stalled": True}
    write_status(tmp_path, stalled)
    assert collect_status(config, tmp_path, thermal_root=tmp_path)["uplink_receipts_stalled"] is True


def test_stats_for_a_month_leaves_out_the_days_after_it(tmp_path):
    """`--until` bounds every figure: a month's report once took in the reads, alerts and audit after it."""
    from alpr_edge.config import load_config
    from alpr_edge.store import Store
    from tests.store.store_fakes import make_read

    data_dir = tmp_path / "data"
    config = config_file(tmp_path, data_dir)
    settings = load_config(config).store
    now = datetime.now(UTC)
    technician(data_dir, settings)  # audited now, after the period
    with Store.open(data_dir, settings, dev_keys=True) as store:
        store.add_reads([make_read(PLATE, now - timedelta(days=d)) for d in (40, 20, 21)] + [make_read("5XYZ999", now - timedelta(minutes=5))])
    since, until = (now - timedelta(days=45)).date().isoformat(), (now - timedelta(days=10)).date().isoformat()
    result = stats(config, "--json", "--since", since, "--until", until)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["reads"] == 3 and counts["daily_counts"]["totals"]["reads"] == 3
    assert counts["until"].startswith(until) and "stats.view" not in counts["audit_by_action"]
    text = stats(config, "--since", since, "--until", until)
    assert f"until                            {until}T00:00:00+00:00" in text.stdout, text.stdout
