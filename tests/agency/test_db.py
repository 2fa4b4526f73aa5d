"""One contract for both read databases: schema migrated once, a read committed once."""

from __future__ import annotations

import threading

import pytest

from alpr_edge.agency.db import COLUMNS, DatabaseError, open_database
from alpr_edge.ids import uuid7


def row(read_id: str, device: str = "car-1", **overrides) -> dict:
    values = {c: None for c in COLUMNS}
    values.update(read_id=read_id, agency="test-agency", device=device, has_hit=0, sealed=1,
                  captured_at="2026-11-22T20:00:00Z", plate="ABC1234", message='{"read_id": "%s"}' % read_id,
                  crop_jpeg=b"\xff\xd8crop", received_at=1.0, committed_at=2.0, worker="w1")
    values.update(overrides)
    return values


def test_schema_is_created_once_and_migrating_again_is_a_no_op(database_url):
    db = open_database(database_url)
    assert db.migrate() == 1
    assert db.migrate() == 0
    assert db.counts() == {"reads": 0, "distinct_read_ids": 0, "rejected": 0}
    db.close()


def test_a_read_sent_twice_is_committed_once_and_reported_as_known(database_url):
    db = open_database(database_url)
    db.migrate()
    first, second = uuid7(), uuid7()
    assert db.commit([row(first)]).new == [first]
    result = db.commit([row(second), row(first, plate="CHANGED")])
    assert result.new == [second] and result.known == [first]
    assert db.counts()["reads"] == 2
    assert db.scalar(f"SELECT plate FROM reads WHERE read_id = {db.placeholder}", (first,)) == "ABC1234"
    assert bytes(db.scalar(f"SELECT crop_jpeg FROM reads WHERE read_id = {db.placeholder}", (first,))) == b"\xff\xd8crop"
    db.close()


def test_two_workers_committing_the_same_ids_at_once_store_each_once(database_url):
    """A resend can reach a second worker while the first still holds the original."""
    setup = open_database(database_url)
    setup.migrate()
    ids = [uuid7() for _ in range(200)]
    results, errors = [], []

    def worker(order):
        db = open_database(database_url)
        try:
            for start in range(0, len(order), 20):
                results.append(db.commit([row(i) for i in order[start:start + 20]]))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=worker, args=(ids,)), threading.Thread(target=worker, args=(ids[::-1],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    new = [i for result in results for i in result.new]
    known = [i for result in results for i in result.known]
    assert sorted(new) == sorted(ids) and sorted(known) == sorted(ids)
    assert setup.counts()["reads"] == 200 and setup.counts()["distinct_read_ids"] == 200
    setup.close()


def test_rejections_are_recorded_with_their_reason(database_url):
    db = open_database(database_url)
    db.migrate()
    db.reject("alpr/test-agency/car-1/reads", "not JSON", None, "w1")
    assert db.counts()["rejected"] == 1
    assert db.scalar("SELECT reason FROM rejected") == "not JSON"
    db.close()


def test_a_failed_batch_commits_nothing(database_url):
    db = open_database(database_url)
    db.migrate()
    good = uuid7()
    with pytest.raises(Exception):  # noqa: B017 - the database's own error type, whichever backend runs
        db.commit([row(good), row(uuid7(), agency=None)])  # NOT NULL agency: the batch fails
    assert db.counts()["reads"] == 0
    db.close()


def test_an_unknown_url_says_what_is_expected():
    with pytest.raises(DatabaseError, match="expected sqlite:///PATH or postgresql://"):
        open_database("mysql://user:secret@db/reads")


def test_an_unreachable_postgresql_is_a_clear_error(tmp_path):
    pytest.importorskip("psycopg")
    with pytest.raises(DatabaseError, match="cannot connect to PostgreSQL"):
        open_database(f"postgresql:///x?host={tmp_path}&connect_timeout=2")
