"""Benchmark historical hits: a 2,000,000-entry list replacing another, against 30 days of reads.

The store holds ``--days`` days of ``--per-day`` reads, without images (the
check never reads them, and 300,000 full-size reads would not fit this box's
disk). List A (``--entries`` random plates) is in force; list B, A with
``--churn`` of its entries replaced (``--planted`` of the new ones are plates
that were read), replaces it. Measured from ``engine.replace(B)`` to the end
of the background check: the diff, the keyed-index look-up, the alerts. Then
the worst case: list C, every entry new (a first load), which takes the
decrypt-the-window plan. Meanwhile a reader thread keeps matching reads
against the engine and storing one read every 100 ms, and the slowest of
each is reported: the check must not stop reading.

    PYTHONPATH=. nice -n 19 python scripts/bench_historical.py [--entries 2000000] [--days 30] [--per-day 10000]

Target (issue 23): matched in under a minute. ``cpu_s`` is the process's CPU time over the
same span (check and reader together): on a shared, loaded box it says what wall time would be on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "store"))

from store_fakes import make_read  # noqa: E402

from alpr_edge.alerts import AlertDesk  # noqa: E402
from alpr_edge.config import StoreSection  # noqa: E402
from alpr_edge.hotlist import FileListStorage, HotList, HotListEngine  # noqa: E402
from alpr_edge.hotlist.historical import HistoricalHits  # noqa: E402
from alpr_edge.hotlist.model import Column, EntryTable  # noqa: E402
from alpr_edge.store import Store  # noqa: E402

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ALPHABET = np.frombuffer(b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789", dtype=np.uint8)


def random_plates(rng, count: int) -> np.ndarray:
    return np.unique(ALPHABET[rng.integers(0, len(ALPHABET), (count, 7))].copy().view("S7").ravel()).astype("S10")


def a_list(name: str, version: int, plates: np.ndarray) -> HotList:
    n = len(plates)
    columns = {name: Column.constant("", n) for name in ("state", "vehicle", "entered_by", "synopsis", "expires", "entered_on")}
    columns.update(list_type=Column.constant("STOLEN", n), reason=Column.constant("Stolen vehicle", n),
                   case_number=Column.constant("26-1", n))
    return HotList(name=name, source="ncic", entries=EntryTable(plates, columns), version=version,
                   received_at=NOW.timestamp(), max_age_s=None)


def fill_store(store: Store, rng, days: int, per_day: int) -> list[str]:
    plates = [p.decode() for p in random_plates(rng, days * per_day)]
    start = NOW - timedelta(days=days)
    step = timedelta(days=days) / len(plates)
    store.db.conn.execute("PRAGMA synchronous = OFF")  # filling only: the check is what is measured
    for first in range(0, len(plates), 5000):
        store.add_reads([make_read(plate, start + step * (first + i), crop=b"", overview=b"")
                         for i, plate in enumerate(plates[first:first + 5000])])
    store.db.conn.execute("PRAGMA synchronous = FULL")
    return plates


class Reader(threading.Thread):
    """Keeps reading while the check runs: a match per read, a read stored every 100 ms."""

    def __init__(self, engine, store, rng):
        super().__init__(daemon=True)
        self.engine, self.store = engine, store
        self.plates = [p.decode() for p in random_plates(rng, 2000)]
        self.stop = threading.Event()
        self.worst_match_s = self.worst_store_s = 0.0
        self.matches = 0

    def run(self) -> None:
        last_store = 0.0
        while not self.stop.is_set():
            plate = self.plates[self.matches % len(self.plates)]
            t = time.perf_counter()
            self.engine.match(plate, "CA")
            self.worst_match_s = max(self.worst_match_s, time.perf_counter() - t)
            self.matches += 1
            if t - last_store > 0.1:
                last_store = t
                read = make_read(plate, NOW - timedelta(seconds=1), crop=b"\xff\xd8x", overview=b"\xff\xd8y")
                t = time.perf_counter()
                self.store.add_read(read)
                self.worst_store_s = max(self.worst_store_s, time.perf_counter() - t)
            time.sleep(0.001)


def timed_replace(engine, hits, hotlist, reader_of) -> dict:
    reader = reader_of()
    reader.start()
    t, cpu = time.perf_counter(), time.process_time()
    engine.replace(hotlist)
    replaced = time.perf_counter() - t
    hits.wait()
    total, cpu = time.perf_counter() - t, time.process_time() - cpu
    reader.stop.set()
    reader.join()
    report = hits.reports[-1]
    return {"new_entries": report.new_entries, "plan": report.plan, "reads_in_window": report.reads_in_window,
            "hits": len(report.hits), "replace_s": round(replaced, 2), "replace_to_checked_s": round(total, 2),
            "cpu_s": round(cpu, 2),
            "reader_matches": reader.matches, "reader_worst_match_ms": round(reader.worst_match_s * 1000, 1),
            "reader_worst_store_ms": round(reader.worst_store_s * 1000, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=10_000)
    parser.add_argument("--churn", type=float, default=0.02, help="share of list B's entries not in list A")
    parser.add_argument("--planted", type=int, default=50, help="new entries of B that were read")
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    logging.getLogger("alpr_edge").setLevel(logging.ERROR)  # each planted hit logs an alert
    rng = np.random.default_rng(23)
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)  # a fresh machine has no such folder yet
    root = Path(tempfile.mkdtemp(dir=args.dir))
    try:
        clock = lambda: NOW  # noqa: E731
        store = Store.open(root / "data", StoreSection(retention_days=args.days + 1), dev_keys=True, clock=clock)
        t = time.perf_counter()
        read_plates = fill_store(store, rng, args.days, args.per_day)
        print(json.dumps({"stored_reads": len(read_plates), "store_fill_s": round(time.perf_counter() - t, 1),
                          "load_average": os.getloadavg()[0]}), flush=True)
        desk = AlertDesk(store, clock=lambda: NOW.timestamp())
        hits = HistoricalHits(store, desk.raise_for, window_hours=24 * args.days, clock=lambda: NOW.timestamp(), background=True)
        engine = HotListEngine(FileListStorage(root / "hotlists"), clock=lambda: NOW.timestamp(), audit=store.audit,
                               on_new_version=hits)
        hits.would_alert = engine.would_alert
        list_a = random_plates(rng, args.entries)
        result = timed_replace(engine, hits, a_list("ncic", 1, list_a), lambda: Reader(engine, store, rng))
        print(json.dumps({"case": f"{len(list_a):,} list A, first load: every entry new", **result,
                          "load_average": os.getloadavg()[0]}), flush=True)
        changed = int(len(list_a) * args.churn)
        fresh = random_plates(rng, changed)[: changed - args.planted]
        planted = np.array([p.encode() for p in rng.choice(read_plates, args.planted, replace=False)], dtype="S10")
        list_b = np.concatenate([list_a[changed:], fresh, planted])
        result = timed_replace(engine, hits, a_list("ncic", 2, list_b), lambda: Reader(engine, store, rng))
        print(json.dumps({"case": f"{len(list_b):,} list B replacing A, {args.churn:.0%} new", **result,
                          "load_average": os.getloadavg()[0]}), flush=True)
        hits.close()
        store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
