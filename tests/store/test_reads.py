"""Storing reads: round trip, outbox order, atomic batches, nothing identifying in clear."""

from __future__ import annotations

import sqlite3
import string
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.store.store_fakes import all_bytes, make_read

from alpr_edge.ids import uuid7
from alpr_edge.vision.types import Candidate, Read


def test_pending_uploads_are_hits_first_then_oldest(open_store, clock):
    store = open_store()
    reads = [make_read(f"AAA{i:03d}", datetime(2026, 11, 1, 12, i, tzinfo=UTC)) for i in range(5)]
    store.add_reads(reads)
    store.mark_hit(reads[3].read_id)
    pending = store.pending_uploads(10)
    assert [p["id"] for p in pending] == [reads[3].read_id, reads[0].read_id, reads[1].read_id, reads[2].read_id, reads[4].read_id]
    assert pending[0]["has_hit"] is True
    assert store.upload_backlog() == 5
    assert store.mark_uploaded([reads[3].read_id, reads[0].read_id]) == 2
    assert store.upload_backlog() == 3
    assert [p["id"] for p in store.pending_uploads(2)] == [reads[1].read_id, reads[2].read_id]


def test_batch_is_all_or_nothing(open_store):
    store = open_store()
    good = make_read("GOOD123")
    store.add_read(good)
    with pytest.raises(sqlite3.IntegrityError):
        store.add_reads([make_read("NEW0001"), good])  # duplicate id fails the batch
    assert store.upload_backlog() == 1


def test_no_identifying_data_in_the_files(open_store, tmp_path):
    store = open_store()
    plates = [f"Q{i:02d}XYZ{i % 7}" for i in range(50)]
    store.add_reads([make_read(p, crop=b"CROPMARK-" + p.encode(), overview=b"OVERVIEWMARK", position=(48.858370, 2.294481)) for p in plates])
    store.audit("alice", "admin", "reads.search", data={"plate": plates[0]}, purpose=f"looking for {plates[1]}", case_number="24-1")
    blob = all_bytes(tmp_path / "data")  # database, WAL, shm, keys; before close: the WAL holds the rows
    assert (tmp_path / "data" / "alpr.db-wal").exists()
    for plate in plates:
        assert plate.encode() not in blob
    for marker in (b"CROPMARK", b"OVERVIEWMARK", b"48.85837", b"2.294481"):
        assert marker not in blob
    store.close()
    blob = all_bytes(tmp_path / "data")
    assert not any(p.encode() in blob for p in plates)
    # And the data is there, readable with the keys.
    again = open_store()
    assert {p["text"] for p in again.pending_uploads(100)} == set(plates)


def test_rows_are_bound_to_their_id(open_store):
    store = open_store()
    a, b = make_read("AAA111"), make_read("BBB222")
    store.add_reads([a, b])
    # Swap the sealed payloads between rows: authentication must fail, not return the other plate.
    with store.write() as db:
        pa = db.execute("SELECT payload FROM reads WHERE id = ?", [a.read_id]).fetchone()[0]
        db.execute("UPDATE reads SET payload = ? WHERE id = ?", [pa, b.read_id])
    with pytest.raises(ValueError, match="authentication"):
        store.get_read(b.read_id)


plates = st.text(alphabet=string.ascii_uppercase + string.digits + " -", min_size=1, max_size=10)


@st.composite
def reads(draw):
    when = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)))
    position = draw(st.one_of(st.none(), st.tuples(st.floats(-90, 90), st.floats(-180, 180))))
    read = make_read(
        draw(plates), when,
        crop=draw(st.binary(max_size=300)), overview=draw(st.binary(max_size=300)),
        position=position,
        candidates=draw(st.lists(st.tuples(plates, st.floats(0, 1)), min_size=1, max_size=4)),
        state=draw(st.one_of(st.none(), st.sampled_from(["CA", "NY", "TX"]))),
    )
    return read


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(read=reads())
def test_round_trip(open_store, read):
    store = open_store()
    store.add_read(read)
    got = store.get_read(read.read_id)
    store.mark_uploaded([read.read_id])
    assert got.text == read.text
    assert got.candidates == tuple((c.text, c.confidence) for c in read.candidates)
    assert got.crop_jpeg == read.crop_jpeg and got.overview_jpeg == read.overview_jpeg
    assert got.position == (read.position.to_dict() if read.position else None)
    assert got.timestamp == read.timestamp.to_dict()
    assert got.state == read.state and got.camera == read.camera and got.frames == read.frames
    assert datetime.fromisoformat(got.captured_at) == read.timestamp.utc
    assert got.clock_source == "gps"


def test_read_without_gps_uses_the_system_clock(open_store):
    store = open_store()
    read = Read(read_id=uuid7(), text="NOGPS1", confidence=0.8, candidates=(Candidate("NOGPS1", 0.8),), camera="c",
                capture_monotonic_s=1.0, capture_wall_time=1_700_000_000.5, first_seen_monotonic_s=0.5, frames=2, box=(0, 0, 1, 1))
    store.add_read(read)
    got = store.get_read(read.read_id)
    assert got.clock_source == "system" and got.position is None and got.crop_jpeg == b""
    assert got.captured_at == "2023-11-14T22:13:20.500000Z"
