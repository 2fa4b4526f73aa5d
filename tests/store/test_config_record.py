"""A change of configuration is written to the audit trail at the next start, once per change."""

from __future__ import annotations

from dataclasses import replace

from alpr_edge.config import Config, config_fingerprint, load_config
from alpr_edge.store import audit as audit_trail
from alpr_edge.store.config_record import record_config


def applied(store) -> list[dict]:
    return [r for r in audit_trail.records(store) if r["action"] == "config.applied"]


def test_the_first_start_records_the_configuration(open_store):
    store = open_store()
    config = Config()
    recorded = record_config(store, config)
    rows = applied(store)
    assert len(rows) == 1 and rows[0]["outcome"] == "first" and rows[0]["user"] == "system"
    assert rows[0]["data"] == recorded
    assert recorded["hash"] == config_fingerprint(config) and recorded["previous_hash"] is None
    assert recorded["retention"] == {"retention_days": 30, "hit_retention_days": 365, "image_retention_days": None,
                                     "audit_retention_days": 1095}


def test_an_unchanged_configuration_is_audited_once(open_store, tmp_path):
    store = open_store()
    first = tmp_path / "a.toml"
    first.write_text("[store]\nretention_days = 30\n")
    second = tmp_path / "b.toml"
    second.write_text("# the same settings, laid out differently\n[store]\nretention_days  =  30   # days\n")
    assert record_config(store, load_config(first)) is not None
    assert record_config(store, load_config(first)) is None
    assert record_config(store, load_config(second)) is None  # same settings, another file: no change
    assert len(applied(store)) == 1


def test_a_change_of_retention_is_recorded_with_what_changed(open_store):
    store = open_store()
    before = Config()
    record_config(store, before)
    after = replace(before, store=replace(before.store, retention_days=14, audit_retention_days=730))
    recorded = record_config(store, after)
    assert recorded["previous_hash"] == config_fingerprint(before) and recorded["hash"] == config_fingerprint(after)
    assert recorded["retention_changed"] == {"retention_days": {"from": 30, "to": 14},
                                             "audit_retention_days": {"from": 1095, "to": 730}}
    assert [r["outcome"] for r in applied(store)] == ["first", "changed"]
    assert record_config(store, after) is None


def test_any_other_change_is_recorded_too(open_store):
    store = open_store()
    record_config(store, Config())
    changed = replace(Config(), ui=replace(Config().ui, port=8443))
    recorded = record_config(store, changed)
    assert recorded is not None and recorded["retention_changed"] == {}
    assert len(applied(store)) == 2
