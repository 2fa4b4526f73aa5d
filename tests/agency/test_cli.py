"""`alpr-edge agency migrate|stats|ingest`: the schema step by step, and errors that say what is missing."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_migrate_applies_each_step_once_and_stats_count(tmp_path):
    first = run_cli("agency", "migrate", "--data-dir", str(tmp_path))
    assert first.returncode == 0 and first.stdout.strip() == "sqlite schema up to date (1 step(s) applied)"
    again = run_cli("agency", "migrate", "--data-dir", str(tmp_path))
    assert again.stdout.strip() == "sqlite schema up to date (0 step(s) applied)"
    stats = run_cli("agency", "stats", "--data-dir", str(tmp_path), "--json")
    assert json.loads(stats.stdout) == {"reads": 0, "distinct_read_ids": 0, "rejected": 0}
    assert (tmp_path / "agency" / "ingest.db").exists()


def test_ingest_without_a_broker_or_a_signing_key_says_which(tmp_path):
    result = run_cli("agency", "ingest", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "no broker: set agency.broker or pass --broker" in result.stderr
    result = run_cli("agency", "ingest", "--data-dir", str(tmp_path), "--broker", "mqtt://127.0.0.1:1")
    assert result.returncode == 2 and "agency.signing_key" in result.stderr


def test_a_database_url_of_another_kind_is_refused_without_echoing_its_password(tmp_path):
    result = run_cli("agency", "stats", "--data-dir", str(tmp_path), "--database", "mysql://user:secret@db/reads")
    assert result.returncode == 2 and "expected sqlite:///PATH or postgresql://" in result.stderr
    assert "secret" not in result.stderr
