"""The outbox reader: batches, no row handed out twice while active, new hits jump the buffer."""

from __future__ import annotations

from alpr_edge.uplink.outbox import OutboxReader

from .conftest import FakeStore


class CountingStore(FakeStore):
    def __init__(self):
        super().__init__()
        self.queries: list[int] = []

    def pending_uploads(self, limit):
        self.queries.append(limit)
        return super().pending_uploads(limit)


def test_drains_oldest_first_without_repeating_active_rows():
    store = CountingStore()
    ids = store.add(50)
    reader = OutboxReader(store, batch=20)
    active: set[str] = set()
    sent = []
    for _ in range(20):
        rows = reader.take(8, woken=False, active=active)
        sent += [r["read_id"] for r in rows]
        active |= {r["read_id"] for r in rows}
        store.mark_uploaded(sent[:-8])  # everything but the last window is acknowledged
        active = set(sent[-8:])
    assert sent == ids
    assert len(store.queries) <= 5, store.queries  # batches, not a query per window


def test_a_new_hit_jumps_ahead_of_the_buffered_backlog():
    store = CountingStore()
    backlog = store.add(100)
    reader = OutboxReader(store, batch=64)
    first = reader.take(8, woken=True, active=set())
    assert [r["read_id"] for r in first] == backlog[:8]
    [hit] = store.add(1, hit=True)
    queries_before = len(store.queries)
    rows = reader.take(8, woken=True, active={r["read_id"] for r in first})
    assert rows[0]["read_id"] == hit and [r["read_id"] for r in rows[1:]] == backlog[8:15]
    assert store.queries[queries_before:] == [1], "only the head of the queue was read"
    rows = reader.take(8, woken=True, active={hit})
    assert hit not in {r["read_id"] for r in rows}


def test_a_failing_store_is_retried_later():
    class Broken(FakeStore):
        def pending_uploads(self, limit):
            raise RuntimeError("database is locked")

    reader = OutboxReader(Broken(), batch=10)
    assert reader.take(5, woken=True, active=set()) == []
    assert "database is locked" in reader.last_error
