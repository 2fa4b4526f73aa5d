"""Crash campaign: SIGKILL the sim daemon N times with the uplink on, then check that nothing was lost.

    PYTHONPATH=. nice -n 19 python scripts/crash_campaign.py --kills 200 [--seed 1] [--min-s 0.5] [--max-s 8]

A real Mosquitto on a loopback port (persistence on) and an agency-side
subscriber with a persistent QoS 1 session record every read the device
publishes. The daemon (`alpr-edge run --profile sim --broker mqtt://...`)
is started on one data folder and killed with SIGKILL, N times: most kills
come a random time after it logged daemon_started (recognition, storing and
uploading are running), the others a random time into its start. Then
`alpr-edge uplink flush` sends what is left, and the campaign checks:

- SQLite's integrity check of the store, and the audit chain;
- every read the daemon logged (it logs a read after its commit) is in the
  store and decrypts;
- the read ids the broker delivered equal the read ids stored (duplicates,
  from re-sends after a kill, are counted: receivers deduplicate).

Prints one JSON line (the summary); exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mosquitto import Mosquitto  # noqa: E402  (the one broker launcher, shared with the tests)

READ_LOG = re.compile(r"\bread\b.*?\bread_id=([0-9a-f-]{36})")


def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def start_broker(folder: Path) -> Mosquitto:
    """Mosquitto on 127.0.0.1 (plain MQTT, loopback only), persistent sessions kept on disk."""
    broker = Mosquitto(folder, persistence=True, log_types=())
    broker.start()
    return broker


class Receiver:
    """The agency side: a persistent session subscribed to every device's reads and hits."""

    def __init__(self, port: int):
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        self.lock = threading.Lock()
        self.ids: set[str] = set()
        self.messages = 0
        self.malformed = 0
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="campaign-receiver", protocol=mqtt.MQTTv5)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe([("alpr/+/+/reads", 1), ("alpr/+/+/hits", 1)])
        self.client.on_message = self._on_message
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", port, 30, clean_start=False, properties=properties)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        try:
            read_id = json.loads(message.payload)["read_id"]
        except (ValueError, KeyError, TypeError):
            with self.lock:
                self.malformed += 1
            return
        with self.lock:
            self.messages += 1
            self.ids.add(read_id)

    def snapshot(self) -> tuple[int, set[str]]:
        with self.lock:
            return self.messages, set(self.ids)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def run_device(data_dir: Path, broker: Mosquitto, log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "alpr_edge", "run", "--profile", "sim", "--data-dir", str(data_dir), "--no-ui",
             "--broker", broker.url],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=log,
        )


def logged_read_ids(logs: Path) -> set[str]:
    ids: set[str] = set()
    for path in sorted(logs.glob("run-*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if (match := READ_LOG.search(line)) and " read " in f" {line} ":
                ids.add(match.group(1))
    return ids


def check_store(data_dir: Path, logged: set[str]) -> dict:
    from alpr_edge.config import StoreSection
    from alpr_edge.store import Store

    with sqlite3.connect(data_dir / "alpr.db") as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    store = Store.open(data_dir, StoreSection(), dev_keys=True, uplink_enabled=True)
    try:
        stored = {row[0] for row in store.db.execute("SELECT id FROM reads").fetchall()}
        undecryptable = 0
        for read_id in stored:
            try:
                read = store.get_read(read_id)
                if read is None or not read.text:
                    undecryptable += 1
            except Exception:  # a read that does not decrypt is what this campaign looks for
                undecryptable += 1
        audit_ok = bool(store.verify_audit()[0])
        backlog = store.upload_backlog()
    finally:
        store.close()
    return {"integrity_check": integrity, "audit_chain_ok": audit_ok, "stored": stored,
            "missing_from_store": len(logged - stored), "undecryptable": undecryptable, "backlog": backlog}


def campaign(args, work: Path) -> dict:
    rng = random.Random(args.seed)
    data_dir, logs = work / "data", work / "logs"
    logs.mkdir()
    broker = start_broker(work)
    receiver = Receiver(broker.port)
    started = time.monotonic()
    exited_early = killed_running = kills_done = 0
    try:
        for index in range(args.kills):
            if args.stop_after_s is not None and time.monotonic() - started > args.stop_after_s:
                break
            kills_done = index + 1
            log_path = logs / f"run-{index:04d}.log"
            device = run_device(data_dir, broker, log_path)
            during_startup = rng.random() < args.startup_share
            delay = rng.uniform(0.0, 5.0) if during_startup else rng.uniform(args.min_s, args.max_s)
            if not during_startup:
                # The clock starts once the daemon runs: on a loaded machine a start takes many seconds.
                wait_for(lambda device=device, log_path=log_path: device.poll() is not None
                         or b"daemon_started" in log_path.read_bytes(), timeout=120, interval=0.1)
            try:
                device.wait(delay)
                exited_early += 1  # it stopped by itself: a failed start, counted and reported
            except subprocess.TimeoutExpired:
                device.send_signal(signal.SIGKILL)
                device.wait(30)
                killed_running += not during_startup
        flush = subprocess.run(
            [sys.executable, "-m", "alpr_edge", "uplink", "flush", "--data-dir", str(data_dir), "--broker", broker.url,
             "--timeout", "300"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
            check=False)  # its exit status is one of the checks
        logged = logged_read_ids(logs)
        store = check_store(data_dir, logged)
        # The broker delivers what it acknowledged; give the subscriber a moment to catch up.
        wait_for(lambda: store["stored"] <= receiver.snapshot()[1], timeout=30)
        messages, received = receiver.snapshot()
    finally:
        receiver.close()
        broker.stop()
    stored = store.pop("stored")
    summary = {
        "kills": kills_done - exited_early, "kills_asked": args.kills, "killed_running": killed_running,
        "exited_early": exited_early, "seed": args.seed, "flush_exit": flush.returncode,
        "reads_logged": len(logged), "reads_stored": len(stored), "reads_received": len(received),
        "messages_received": messages, "duplicates_received": messages - len(received),
        "malformed_received": receiver.malformed,
        "missing_at_broker": len(stored - received), "unknown_at_broker": len(received - stored), **store,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    summary["ok"] = (
        summary["integrity_check"] == "ok" and summary["audit_chain_ok"] and summary["missing_from_store"] == 0
        and summary["undecryptable"] == 0 and summary["missing_at_broker"] == 0 and summary["unknown_at_broker"] == 0
        and summary["backlog"] == 0 and summary["flush_exit"] == 0 and summary["reads_logged"] > 0
        and summary["malformed_received"] == 0
    )
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200, help="how many times the daemon is SIGKILLed (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill times (default 1)")
    parser.add_argument("--min-s", type=float, default=0.5, help="shortest time running before the kill (default 0.5 s)")
    parser.add_argument("--max-s", type=float, default=8.0, help="longest time running before the kill (default 8 s)")
    parser.add_argument("--startup-share", type=float, default=0.15,
                        help="share of kills at a random time in the first 5 s of a start instead (default 0.15)")
    parser.add_argument("--stop-after-s", type=float, metavar="S",
                        help="start no new run after S seconds, check and report the kills done (default: no limit)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=False)
        summary = campaign(args, args.keep)
    else:
        # The data folder holds reads (sim plates, encrypted) and the dev keys: removed afterwards.
        with tempfile.TemporaryDirectory(prefix="alpr-crash-campaign-") as folder:
            summary = campaign(args, Path(folder))
    print(json.dumps(summary, separators=(",", ":"), allow_nan=False))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
