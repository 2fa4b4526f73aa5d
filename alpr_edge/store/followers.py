"""Rows that live only as long as their reads: they follow the reads' retention (and holds).

A component whose rows name reads (the alert book: an alert names the read
that raised it and the last one that matched again) declares them in its
migrations with `declare`; after each purge, `purge_followers` deletes the
rows none of whose reads is still stored, and their child rows (an alert's
steps). So an alert goes when its hit reads go, and stays while a hold keeps
them. The store knows the declaration, not what an alert is.
"""

from __future__ import annotations

import json
import re

from sqlite_utils import Database

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def declare(db: Database, table: str, key_column: str, read_columns: tuple[str, ...],
            children: tuple[tuple[str, str], ...] = ()) -> None:
    """``table``'s rows (keyed by ``key_column``) follow the reads named in ``read_columns``."""
    for name in (table, key_column, *read_columns, *(n for child in children for n in child)):
        if not _NAME.match(name):
            raise ValueError(f"read follower: {name!r} is not a plain column or table name")
    db.execute("CREATE TABLE IF NOT EXISTS read_followers (tbl TEXT PRIMARY KEY, key_column TEXT NOT NULL,"
               " read_columns TEXT NOT NULL, children TEXT NOT NULL)")
    db.execute("INSERT OR REPLACE INTO read_followers VALUES (?, ?, ?, ?)",
               [table, key_column, json.dumps(list(read_columns), allow_nan=False), json.dumps([list(c) for c in children], allow_nan=False)])


def purge_followers(db: Database) -> dict[str, int]:
    """Delete follower rows whose reads are all gone (inside the caller's transaction); counts per table."""
    if "read_followers" not in db.table_names():
        return {}
    removed: dict[str, int] = {}
    for table, key_column, read_columns, children in db.execute("SELECT * FROM read_followers").fetchall():
        if table not in db.table_names():
            continue
        gone = " AND ".join(f"NOT EXISTS (SELECT 1 FROM reads WHERE reads.id = [{table}].[{column}])"
                            for column in json.loads(read_columns))
        orphans = f"SELECT [{key_column}] FROM [{table}] WHERE {gone}"
        for child_table, child_column in json.loads(children):
            db.execute(f"DELETE FROM [{child_table}] WHERE [{child_column}] IN ({orphans})")
        removed[table] = db.execute(f"DELETE FROM [{table}] WHERE {gone}").rowcount
    return removed
