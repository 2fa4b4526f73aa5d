"""Kill -9 a writer repeatedly mid-write: no corruption, no acknowledged read lost."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from alpr_edge.config import StoreSection
from alpr_edge.store import Store, create_keys
from tests.conftest import cli_env

WRITER = Path(__file__).with_name("crash_writer.py")


def _run_and_kill(data_dir: Path, batch: int, rng: random.Random) -> list[str]:
    env = cli_env()  # the tests' clock: the store this process opens after the kill is on it
    proc = subprocess.Popen([sys.executable, str(WRITER), str(data_dir), str(batch)], stdout=subprocess.PIPE, env=env)
    acknowledged = [proc.stdout.readline().decode()]  # wait until it is writing
    time.sleep(rng.uniform(0.02, 0.4))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rest = proc.stdout.read().decode()
    # A line cut by the kill was never fully acknowledged: keep complete lines only.
    lines = "".join(acknowledged + [rest]).split("\n")[:-1]
    return [line for line in lines if len(line) == 36]


def test_kill_minus_nine_loses_nothing_acknowledged(tmp_path):
    data_dir = tmp_path / "data"
    create_keys(data_dir)
    rng = random.Random(6)
    acknowledged: list[str] = []
    for round_ in range(8):
        acknowledged += _run_and_kill(data_dir, batch=1 if round_ % 2 else 8, rng=rng)
    assert len(acknowledged) > 50
    conn = sqlite3.connect(data_dir / "alpr.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    store = Store.open(data_dir, StoreSection())
    stored = {r[0] for r in store.db.execute("SELECT id FROM reads")}
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged reads lost"
    # Every acknowledged read decrypts in full.
    for read_id in rng.sample(acknowledged, 20):
        assert len(store.get_read(read_id).overview_jpeg) == 60_000
    store.close()
