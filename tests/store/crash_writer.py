"""Writer for the crash test: stores reads forever, printing each id once stored."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.store.store_fakes import make_read  # noqa: E402

from alpr_edge.config import StoreSection  # noqa: E402
from alpr_edge.store import Store  # noqa: E402


def main(data_dir: str, batch: int) -> None:
    store = Store.open(Path(data_dir), StoreSection(), dev_keys=False)
    crop, overview = os.urandom(8_000), os.urandom(60_000)
    n = 0
    while True:
        reads = [make_read(f"CR{n + i:06d}", datetime.now(UTC), crop=crop, overview=overview) for i in range(batch)]
        if batch == 1:
            store.add_read(reads[0])
        else:
            store.add_reads(reads)
        n += batch
        # Only now are they acknowledged as stored.
        sys.stdout.write("".join(f"{r.read_id}\n" for r in reads))
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
