"""Retention classes, the on-device window, holds, and crypto-shredding with a moved clock."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.store.store_fakes import make_read

from alpr_edge.config import StoreSection
from alpr_edge.store import HoldError, KeyShredded, Store, add_hold, list_holds, release_hold

DAY1 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def ids(store):
    return {r[0] for r in store.db.execute("SELECT id FROM reads")}


def test_each_class_has_its_own_limit(open_store, clock):
    store = open_store()
    plain, hit = make_read("PLAIN1", DAY1), make_read("HIT001", DAY1)
    store.add_reads([plain, hit])
    store.mark_hit(hit.read_id)
    clock.advance(days=29, hours=23)
    assert store.purge().reads_purged == 0
    clock.advance(hours=2)  # 30 days and an hour
    report = store.purge()
    assert (report.expired_no_hit, report.expired_hit) == (1, 0)
    assert ids(store) == {hit.read_id}
    clock.advance(days=335)
    report = store.purge()
    assert report.expired_hit == 1 and ids(store) == set()


def test_configured_limits_are_used(open_store, clock):
    store = open_store(settings=StoreSection(retention_days=2, hit_retention_days=5))
    read = make_read("SHORT1", DAY1)
    store.add_read(read)
    clock.advance(days=2, minutes=1)
    assert store.purge().expired_no_hit == 1


def test_uploaded_reads_leave_after_the_on_device_window(open_store, clock):
    store = open_store(uplink_enabled=True)
    sent, unsent, hit = make_read("SENT01", DAY1), make_read("UNSENT", DAY1), make_read("HIT002", DAY1)
    store.add_reads([sent, unsent, hit])
    store.mark_hit(hit.read_id)
    store.mark_uploaded([sent.read_id, hit.read_id])
    clock.advance(hours=23)
    assert store.purge().uploaded_window == 0
    clock.advance(hours=2)
    report = store.purge()
    assert report.uploaded_window == 1
    assert ids(store) == {unsent.read_id, hit.read_id}  # never before upload; hits follow their own class
    clock.advance(days=30)
    report = store.purge()
    assert report.expired_no_hit == 1 and report.expired_not_uploaded == 1  # past the limit: purged anyway, counted
    assert ids(store) == {hit.read_id}


def test_zero_hours_on_device_purges_at_once(open_store, clock):
    store = open_store(settings=StoreSection(on_device_hours=0), uplink_enabled=True)
    read = make_read("GONE01", DAY1)
    store.add_read(read)
    store.mark_uploaded([read.read_id])
    assert store.purge().uploaded_window == 1


def test_without_uplink_only_the_classes_apply(open_store, clock):
    store = open_store()  # uplink disabled
    read = make_read("LOCAL1", DAY1)
    store.add_read(read)
    store.mark_uploaded([read.read_id])
    clock.advance(days=10)
    assert store.purge().reads_purged == 0


def test_a_hold_keeps_a_read_until_released(open_store, clock):
    store = open_store()
    held, other = make_read("HELD01", DAY1), make_read("OTHER1", DAY1)
    store.add_reads([held, other])
    with pytest.raises(HoldError):
        add_hold(store, held.read_id, case_number=" ", reason="x", user="sue", role="supervisor")
    with pytest.raises(HoldError, match="no stored read"):
        add_hold(store, "nope", case_number="24-9", reason="evidence", user="sue", role="supervisor")
    hold_id = add_hold(store, held.read_id, case_number="24-9", reason="hit and run evidence", user="sue", role="supervisor")
    clock.advance(days=400)
    report = store.purge()
    assert report.held_kept == 1 and ids(store) == {held.read_id}
    assert store.get_read(held.read_id).crop_jpeg == held.crop_jpeg  # images kept too, still decryptable
    assert [h["id"] for h in list_holds(store)] == [hold_id]
    release_hold(store, hold_id, user="sue", role="supervisor")
    assert list_holds(store) == [] and len(list_holds(store, include_released=True)) == 1
    assert store.purge().expired_no_hit == 1 and ids(store) == set()
    actions = [r[0] for r in store.db.execute("SELECT action FROM audit ORDER BY seq")]
    assert actions.count("hold.add") == 2 and "hold.release" in actions


def test_images_of_reads_without_hit_can_be_dropped(open_store, clock):
    store = open_store(settings=StoreSection(keep_no_hit_images=False))
    plain, hit = make_read("NOIMG1", DAY1), make_read("HIT003", DAY1)
    store.add_reads([plain, hit])
    store.mark_hit(hit.read_id)
    assert store.purge().images_dropped == 0  # too young: hit matching may not have run yet
    clock.advance(hours=2)
    assert store.purge().images_dropped == 1
    assert store.get_read(plain.read_id).crop_jpeg == b""
    assert store.get_read(hit.read_id).crop_jpeg == hit.crop_jpeg


def test_images_of_reads_without_hit_follow_their_own_limit(open_store, clock):
    store = open_store(settings=StoreSection(image_retention_days=7))
    plain, hit = make_read("IMG007", DAY1), make_read("HIT007", DAY1)
    store.add_reads([plain, hit])
    store.mark_hit(hit.read_id)
    clock.advance(days=6, hours=23)
    assert store.purge().images_dropped == 0
    clock.advance(hours=2)
    report = store.purge()
    assert report.images_dropped == 1 and report.reads_purged == 0  # the read stays to its own limit
    assert store.get_read(plain.read_id).crop_jpeg == b""
    assert store.get_read(hit.read_id).crop_jpeg == hit.crop_jpeg


def _copy_db(tmp_path, name):
    """A copy of the database as a thief would take it: the file, its WAL, nothing from keys/."""
    copy = tmp_path / name
    copy.mkdir()
    for suffix in ("", "-wal", "-shm"):
        src = tmp_path / "data" / f"alpr.db{suffix}"
        if src.exists():
            shutil.copy(src, copy / f"alpr.db{suffix}")
    return copy / "alpr.db"


def _sealed_rows(db_path):
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT id, payload, crop FROM reads ORDER BY id").fetchall()
    conn.close()
    return rows


def test_shredding_makes_a_copy_taken_before_the_purge_undecryptable(open_store, clock, tmp_path):
    store = open_store()
    day1 = [make_read(f"DAYONE{i}", DAY1) for i in range(3)]
    day1_hit = make_read("KEEPME1", DAY1)
    day2 = [make_read(f"DAYTWO{i}", datetime(2026, 11, 2, 9, tzinfo=UTC)) for i in range(2)]
    store.add_reads([*day1, day1_hit, *day2])
    store.mark_hit(day1_hit.read_id)
    backup = _copy_db(tmp_path, "backup")
    stolen = _sealed_rows(backup)
    assert len(stolen) == 6
    # Before the purge the copy opens with the device's keys: the test can fail.
    assert store.unseal(day1[0].read_id, None, next(p for i, p, _ in stolen if i == day1[0].read_id))

    clock.advance(days=32)  # day 1 no-hit reads expire; day 2 reads too (30 days + a bit)
    report = store.purge()
    assert report.expired_no_hit == 5
    assert "2026-11-02" in report.days_shredded  # nothing of day 2 left: key destroyed
    assert "2026-11-01" in report.days_rekeyed  # the hit survives under a fresh key, old key destroyed
    for read_id, payload, crop in stolen:
        with pytest.raises(KeyShredded):
            store.unseal(read_id, None, payload)
        with pytest.raises(KeyShredded):
            store.unseal(read_id, None, crop)
    # The survivor is readable in the live store, and still found by exact search.
    assert store.get_read(day1_hit.read_id).text == "KEEPME1"
    found = store.search("KEEPME1", user="a", role="admin", purpose="stolen-wanted-or-suspect-vehicle", detail="stolen vehicle report", case_number="24-7")
    assert [r["id"] for r in found] == [day1_hit.read_id]
    # The keys file holds no key for day 2 any more, and one (new) key for day 1.
    uses = list(store.keys.key_ids().values())
    assert "day:2026-11-02" not in uses and uses.count("day:2026-11-01") == 1


def test_open_days_are_not_shredded_yet(open_store, clock):
    store = open_store(settings=StoreSection(on_device_hours=0), uplink_enabled=True)
    read = make_read("TODAY1", clock.now)
    store.add_read(read)
    store.mark_uploaded([read.read_id])
    report = store.purge()
    assert report.uploaded_window == 1 and report.days_shredded == []  # late reads of today may still come
    later = make_read("TODAY2", clock.now)
    store.add_read(later)  # the day's key is still there
    clock.advance(days=2)
    report = store.purge()
    assert report.days_rekeyed == ["2026-11-01"]  # TODAY2 survives (not uploaded), re-keyed


def test_audit_retention_keeps_the_chain_verifiable(open_store, clock):
    store = open_store(settings=replace(StoreSection(), audit_retention_days=10, audit_sign_every=3))
    for _ in range(7):
        store.audit("u", "admin", "login")
    clock.advance(days=11)
    store.audit("u", "admin", "login")
    report = store.purge()
    assert report.audit_records == 7
    ok, bad, message = store.verify_audit()
    assert ok, message
    assert store.db.execute("SELECT min(seq) FROM audit").fetchone()[0] == 8


def test_key_rotation_keeps_old_data_readable(open_store, tmp_path):
    from alpr_edge.store import KeysExist, create_keys

    store = open_store()
    read = make_read("ROTATE1", DAY1)
    store.add_read(read)
    store.close()
    old_kek = (tmp_path / "data" / "keys" / "kek").read_bytes()
    with pytest.raises(KeysExist):
        create_keys(tmp_path / "data")
    assert create_keys(tmp_path / "data", rotate=True)["rotated"]
    assert (tmp_path / "data" / "keys" / "kek").read_bytes() != old_kek
    again = open_store()
    assert again.get_read(read.read_id).text == "ROTATE1"


def test_missing_keys_are_named(tmp_path):
    from alpr_edge.store import KeysMissing

    with pytest.raises(KeysMissing, match=r"keys/kek: run alpr-edge provision"):
        Store.open(tmp_path / "fresh", StoreSection())


def test_key_files_are_private(open_store, tmp_path):
    open_store().add_read(make_read("PRIV01"))
    keys = tmp_path / "data" / "keys"
    assert keys.stat().st_mode & 0o777 == 0o700
    for name in ("kek", "datakeys", "device.key"):
        assert (keys / name).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "data" / "alpr.db").stat().st_mode & 0o077 == 0


def test_rotation_by_another_process_is_picked_up(open_store, tmp_path):
    from alpr_edge.store import create_keys

    store = open_store()
    first = make_read("BEFORE1", DAY1)
    store.add_read(first)
    create_keys(tmp_path / "data", rotate=True)  # as `provision --rotate` would, while the store is open
    later = make_read("AFTER01", datetime(2026, 11, 3, tzinfo=UTC))  # a new day: needs a new key written
    store.add_read(later)
    assert store.get_read(first.read_id).text == "BEFORE1"
    with Store.open(tmp_path / "data", StoreSection()) as fresh:
        assert fresh.get_read(later.read_id).text == "AFTER01"
