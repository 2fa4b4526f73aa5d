"""The configuration in force, written to the audit trail once per change.

At each start the daemon calls ``record_config``: it hashes the effective
settings and compares the hash with the one of the last ``config.applied``
record. A change (of retention or of anything else) is audited at that start
with the new and previous hash and, setting by setting, what changed in
retention; an unchanged configuration writes nothing. The previous record is
read from the audit trail itself, so the comparison is as tamper-evident as
the chain (once that record ages out of the trail, the next start records the
configuration again, as "first").
"""

from __future__ import annotations

import json

from alpr_edge.config import Config, config_fingerprint

ACTION = "config.applied"


def last_applied(store) -> dict | None:
    """The data of the newest ``config.applied`` record, or None."""
    with store.lock:
        row = store.db.execute(
            "SELECT id, details FROM audit WHERE action = ? ORDER BY seq DESC LIMIT 1", [ACTION]
        ).fetchone()
    if row is None or row[1] is None:
        return None
    return json.loads(store.unseal(row[0], None, row[1])).get("data")


def record_config(store, config: Config, *, user: str = "system") -> dict | None:
    """Audit the configuration if it differs from the last one audited; returns what was recorded, or None."""
    fingerprint = config_fingerprint(config)
    previous = last_applied(store)
    if previous is not None and previous.get("hash") == fingerprint:
        return None
    retention = config.store.retention()
    old_retention = (previous or {}).get("retention") or {}
    data = {
        "hash": fingerprint,
        "previous_hash": previous.get("hash") if previous else None,
        "source": config.source,
        "profile": config.device.profile,
        "retention": retention,
        "retention_changed": {
            key: {"from": old_retention.get(key), "to": value}
            for key, value in retention.items()
            if previous is not None and old_retention.get(key) != value
        },
    }
    store.audit(user, "system", ACTION, data=data, outcome="first" if previous is None else "changed")
    return data
