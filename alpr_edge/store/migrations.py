"""Versioned schema migrations, per component, recorded in a `migrations` table.

Each component (the store itself, accounts, alerts, hot lists) owns an ordered
list of steps; step N is applied once, inside a transaction together with its
row in `migrations`, so a crash never leaves a half-applied step recorded.
Steps are only ever appended, never edited, once released.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlite_utils import Database

Step = Callable[[Database], None]


def apply_migrations(db: Database, component: str, steps: list[Step]) -> int:
    """Apply the steps of ``component`` not yet applied; returns how many ran."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations (component TEXT NOT NULL, version INTEGER NOT NULL,"
        " applied_at TEXT NOT NULL, PRIMARY KEY (component, version))"
    )
    ran = 0
    for version, step in enumerate(steps, start=1):
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            done = db.execute(
                "SELECT 1 FROM migrations WHERE component = ? AND version = ?", [component, version]
            ).fetchone()
            if not done:
                step(db)
                db.execute(
                    "INSERT INTO migrations (component, version, applied_at) VALUES (?, ?, ?)",
                    [component, version, datetime.now(UTC).isoformat()],
                )
                ran += 1
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")
    return ran


def _v1_reads_holds_audit(db: Database) -> None:
    # Identifying data (plate, candidates, state, position, images) only in
    # the sealed blobs; the clear columns are what retention, upload order
    # and audit verification need.
    db.create_table(
        "reads",
        {
            "id": str, "day": str, "captured_at": float, "stored_at": float, "clock_source": str,
            "camera": str, "confidence": float, "frames": int, "has_hit": int, "uploaded_at": float,
            "plate_hmac": str, "payload": bytes, "crop": bytes, "overview": bytes,
        },
        pk="id",
        not_null=["day", "captured_at", "payload"],
        defaults={"has_hit": 0},
    )
    db.execute("CREATE INDEX reads_day ON reads (day)")
    db.execute("CREATE INDEX reads_plate ON reads (plate_hmac)")
    db.execute("CREATE INDEX reads_captured ON reads (captured_at)")
    db.execute("CREATE INDEX reads_pending ON reads (has_hit DESC, id) WHERE uploaded_at IS NULL")
    db.create_table(
        "holds",
        {
            "id": str, "read_id": str, "case_number": str, "reason": str, "created_by": str,
            "created_at": str, "released_at": str, "released_by": str,
        },
        pk="id",
        not_null=["read_id", "case_number", "reason", "created_by", "created_at"],
    )
    db.execute("CREATE INDEX holds_read ON holds (read_id) WHERE released_at IS NULL")
    # Days whose rows were deleted (or images dropped) since their key was
    # made: the next purge re-keys or destroys that day's key.
    db.create_table("shred_pending", {"day": str, "since": float}, pk="day")
    db.create_table(
        "audit",
        {
            "seq": int, "id": str, "at": str, "user": str, "role": str, "action": str,
            "details": bytes, "case_number": str, "outcome": str, "prev_hash": str, "hash": str,
        },
        pk="seq",
        not_null=["id", "at", "user", "action", "outcome", "prev_hash", "hash"],
    )
    db.create_table(
        "audit_signatures",
        {"seq": int, "hash": str, "signature": bytes, "signed_at": str},
        pk="seq",
    )
    # The last record removed by audit retention, so the chain verifies from it.
    db.create_table("audit_anchor", {"id": int, "seq": int, "hash": str, "purged_at": str, "signature": bytes}, pk="id")


def _v2_acknowledged_at(db: Database) -> None:
    # End-to-end receipts (uplink/receipts.py): the broker's PUBACK sets
    # acked_at, the agency's receipt sets uploaded_at. A read acknowledged
    # but not receipted is sent again once acked_at is old enough. The
    # index covers the outbox query so it never reads the rows' images.
    db.execute("ALTER TABLE reads ADD COLUMN acked_at REAL")
    db.execute("CREATE INDEX reads_outbox ON reads (has_hit DESC, id, acked_at) WHERE uploaded_at IS NULL")


def _v3_daily_counts_and_corrections(db: Database) -> None:
    # Counts that outlive the data (alpr_edge/store/counts.py): never purged.
    db.execute("CREATE TABLE daily_counts (day TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,"
               " PRIMARY KEY (day, name))")
    # Reads and hits are counted by the database itself, whichever path stores them.
    db.execute("CREATE TRIGGER daily_counts_reads AFTER INSERT ON reads BEGIN"
               " INSERT INTO daily_counts (day, name, value) VALUES (NEW.day, 'reads', 1)"
               " ON CONFLICT (day, name) DO UPDATE SET value = value + 1; END")
    db.execute("CREATE TRIGGER daily_counts_hits AFTER UPDATE OF has_hit ON reads"
               " WHEN NEW.has_hit = 1 AND OLD.has_hit = 0 BEGIN"
               " INSERT INTO daily_counts (day, name, value) VALUES (NEW.day, 'hits', 1)"
               " ON CONFLICT (day, name) DO UPDATE SET value = value + 1; END")
    # Corrections waiting to go upstream (alpr_edge/store/corrections.py): ids only, the
    # correction itself lives in the read's sealed payload and dies with it.
    db.execute("CREATE TABLE correction_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, read_id TEXT NOT NULL,"
               " correction_id TEXT NOT NULL, queued_at REAL NOT NULL)")
    db.execute("CREATE TRIGGER correction_outbox_purged AFTER DELETE ON reads BEGIN"
               " DELETE FROM correction_outbox WHERE read_id = OLD.id; END")


def _v4_audit_identity(db: Database) -> None:
    # Who acted, beyond the login name: the user's agency and badge number at the time (issue 20).
    db.table("audit").add_column("agency", str)
    db.table("audit").add_column("badge", str)


def _v5_recorded_plate_index(db: Database) -> None:
    # A corrected read stays findable by the text the camera read (investigators hold either):
    # its keyed hash under the read's day key, set by a correction, NULL for reads never corrected.
    db.execute("ALTER TABLE reads ADD COLUMN recorded_hmac TEXT")
    db.execute("CREATE INDEX reads_recorded_plate ON reads (recorded_hmac) WHERE recorded_hmac IS NOT NULL")


STORE_STEPS: list[Step] = [_v1_reads_holds_audit, _v2_acknowledged_at, _v3_daily_counts_and_corrections, _v4_audit_identity,
                           _v5_recorded_plate_index]
