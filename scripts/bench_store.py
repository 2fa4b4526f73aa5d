"""Benchmark the encrypted store: reads stored per second and size on disk.

Each read carries two JPEG-sized random payloads (JPEG data does not
compress, so random bytes are a fair stand-in): an 8 kB plate crop and a
60 kB overview. Measures one read per transaction (an fsync each, the
worst case) and batches (what the daemon's storage worker does with a
backlog), then database size per 10,000 reads, and search costs.

    PYTHONPATH=. python scripts/bench_store.py [--reads 10000] [--batch 32] [--dir /tmp/x]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "store"))

from store_fakes import make_read  # noqa: E402

from alpr_edge.config import StoreSection  # noqa: E402
from alpr_edge.store import Store  # noqa: E402


def _reads(n: int, start: datetime, crop: int, overview: int):
    crop_bytes, overview_bytes = os.urandom(crop), os.urandom(overview)
    return [make_read(f"{i % 1000:03d}ABC{i % 7}", start + timedelta(seconds=i), crop=crop_bytes, overview=overview_bytes) for i in range(n)]


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=1_000, help="reads stored one per transaction")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--crop-bytes", type=int, default=8_000)
    parser.add_argument("--overview-bytes", type=int, default=60_000)
    parser.add_argument("--dir", type=Path, help="where to put the test data dir (default a temporary folder)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(dir=args.dir))
    try:
        data = root / "data"
        store = Store.open(data, StoreSection(), dev_keys=True)
        start = datetime(2026, 11, 1, tzinfo=UTC)
        single = _reads(args.single, start - timedelta(days=1), args.crop_bytes, args.overview_bytes)
        t = time.perf_counter()
        for read in single:
            store.add_read(read)
        single_rate = len(single) / (time.perf_counter() - t)
        store.close()

        shutil.rmtree(data)
        store = Store.open(data, StoreSection(), dev_keys=True)
        reads = _reads(args.reads, start, args.crop_bytes, args.overview_bytes)
        t = time.perf_counter()
        for i in range(0, len(reads), args.batch):
            store.add_reads(reads[i : i + args.batch])
        elapsed = time.perf_counter() - t
        batch_rate = len(reads) / elapsed
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db_bytes = (data / "alpr.db").stat().st_size
        user = dict(user="bench", role="admin", purpose="critical-infrastructure", detail="benchmark of the store", case_number="bench-1")
        t = time.perf_counter()
        exact = store.search("123ABC4", **user)
        exact_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        partial = store.search("12?AB*", partial=True, **user)
        partial_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        store.pending_uploads(100)
        pending_ms = (time.perf_counter() - t) * 1000
        store.close()
        per_read = db_bytes / len(reads)
        print(f"payload per read: crop {args.crop_bytes} B + overview {args.overview_bytes} B")
        print(f"single reads (one fsync each): {single_rate:7.0f} reads/s over {len(single)}")
        print(f"batches of {args.batch:<3}              : {batch_rate:7.0f} reads/s over {len(reads)} ({elapsed:.1f} s)")
        print(f"database size             : {db_bytes / 1e6:.1f} MB for {len(reads)} reads = {per_read / 1e3:.1f} kB/read"
              f" = {per_read * 10_000 / 1e6:.0f} MB per 10,000 reads (images {(args.crop_bytes + args.overview_bytes) / 1e3:.0f} kB)")
        print(f"exact search (HMAC index) : {exact_ms:.1f} ms, {len(exact)} found")
        print(f"partial search (decrypt)  : {partial_ms:.0f} ms over {len(reads)} reads = {partial_ms * 1000 / len(reads):.1f} us/read, {len(partial)} found")
        print(f"pending_uploads(100)      : {pending_ms:.1f} ms")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
