#!/usr/bin/env python3
"""A fleet of devices against one real Mosquitto and K ingest workers, with faults.

    nice -n 19 .venv/bin/python scripts/fleet_sim.py --devices 200 --reads-per-device 500 --workers 2 --json

Each device is the real uplink client (alpr_edge.uplink.Uplink) over its own
encrypted store (alpr_edge.store.Store, SQLite with fsync, in a temporary
folder), with end-to-end sealing and receipts on. Devices run in a few host
processes (``--hosts``); each stores its reads over ``--produce-s`` seconds,
as cars on patrol would. The agency side is K processes of the real
``alpr-edge agency ingest`` on one MQTT 5 shared subscription, committing to
one SQLite database (or ``--database postgresql://...``).

Faults, each triggered when that share of the reads is committed:
    20%  the broker is stopped and started again (persistence on)
    40%  ingest worker 1 is killed (SIGKILL) and restarted 2 s later
    60%  the host process of ``--crash-devices`` devices is killed (SIGKILL),
         restarted 2 s later (a car losing power mid-write)

When every device has stored its reads and holds none unreceipted, the sim
compares each device's store with the agency's database. The last line of
output is one JSON object (see ``report``): ``lost`` counts reads stored on a
device and absent from the agency's database; ``released_not_committed``
counts reads a device let go (receipted) that the agency does not have: both
must be 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import string
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mosquitto import Mosquitto  # noqa: E402  (the one broker launcher, shared with the tests)

AGENCY = "sim-agency"
FAULTS = ((0.2, "broker_restart"), (0.4, "worker_kill"), (0.6, "devices_kill"))


# -- the broker ----------------------------------------------------------------

class Broker(Mosquitto):
    """Plain MQTT for anonymous clients, sessions persisted across the restart fault."""

    def __init__(self, folder: Path):
        # Queued messages per offline session (a killed worker's share, receipts
        # for a car that is off): above the default 1000, still bounded.
        super().__init__(folder, persistence=True, extra=["max_queued_messages 200000"],
                         log_types=("error", "warning", "subscribe"))

    def subscribed(self, client_id: str) -> bool:
        """The broker logged a subscription from this client (log_type subscribe)."""
        return f" {client_id} " in self.log()


# -- keys and the agency side --------------------------------------------------

def make_keys(folder: Path) -> dict[str, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    paths = {}
    for name, key in (("signing", Ed25519PrivateKey.generate()), ("seal", X25519PrivateKey.generate())):
        paths[f"{name}_key"] = folder / f"{name}.key"
        paths[f"{name}_pub"] = folder / f"{name}.pub"
        paths[f"{name}_key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
        paths[f"{name}_pub"].write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                       serialization.PublicFormat.SubjectPublicKeyInfo))
    return paths


class Workers:
    """K `alpr-edge agency ingest` processes; each keeps its name (and broker session) across a restart."""

    def __init__(self, folder: Path, broker: Broker, keys: dict, database: str, count: int):
        self.folder = folder
        self.config = folder / "agency.toml"
        self.config.write_text(
            f'[device]\nagency = "{AGENCY}"\ndata_dir = "{folder / "agency-data"}"\n\n'
            f'[agency]\nbroker = "{broker.url}"\nallow_plaintext = true\ndatabase_url = "{database}"\n'
            f'signing_key = "{keys["signing_key"]}"\nseal_private_key = "{keys["seal_key"]}"\nrequire_sealed = true\n'
            "batch_max = 400\nbatch_wait_s = 0.1\n\n[logging]\nlevel = \"warning\"\n"
        )
        self.processes: dict[str, subprocess.Popen] = {}
        self.summaries: list[dict] = []
        self.names = [f"w{i + 1}" for i in range(count)]

    def start(self, name: str) -> None:
        log = open(self.folder / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "alpr_edge", "agency", "ingest", "--config", str(self.config), "--worker", name],
            stdout=log, stderr=log, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)

    def kill(self, name: str) -> None:
        self.processes[name].kill()
        self.processes[name].wait(10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for name, process in self.processes.items():
            process.wait(30)
            lines = (self.folder / f"{name}.log").read_text(errors="replace").strip().splitlines()
            for line in reversed(lines):
                if line.startswith('{"worker"'):
                    self.summaries.append(json.loads(line))
                    break


# -- device hosts ----------------------------------------------------------------

class Host:
    """A process running several devices (``--_host``), restarted with the same spec after a kill."""

    def __init__(self, folder: Path, index: int, spec: dict):
        self.folder = folder
        self.index = index
        self.spec_path = folder / f"host-{index}.json"
        self.status_path = folder / f"host-{index}.status.json"
        self.spec_path.write_text(json.dumps(spec))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.folder / f"host-{self.index}.log", "ab")
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--_host", str(self.spec_path)],
                                        stdout=log, stderr=log, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)

    def status(self) -> dict | None:
        try:
            return json.loads(self.status_path.read_text())
        except (OSError, ValueError):
            return None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self.status_path.unlink(missing_ok=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)


def plate(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(7))


def run_host(spec_path: str) -> None:
    """The device-host process: real stores, real uplinks, reads produced over time."""
    import logging
    import threading

    from alpr_edge.config import StoreSection, UplinkSection
    from alpr_edge.ids import uuid7
    from alpr_edge.store import Store
    from alpr_edge.uplink import Uplink, load_ed25519_public, load_x25519_public
    from alpr_edge.vision.types import Candidate, Read

    logging.basicConfig(level=logging.WARNING)
    spec = json.loads(Path(spec_path).read_text())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    settings = UplinkSection(broker=spec["broker"], allow_plaintext=True, in_flight=32, keepalive_s=30,
                             reconnect_min_s=0.5, reconnect_max_s=5.0, receipt_timeout_s=spec["receipt_timeout_s"])
    signing = load_ed25519_public(Path(spec["signing_pub"]).read_bytes())
    seal = load_x25519_public(Path(spec["seal_pub"]).read_bytes())
    rng = random.Random(spec_path)
    devices = []
    for name in spec["devices"]:
        folder = Path(spec["root"]) / name
        store = Store.open(folder, StoreSection(), dev_keys=True, uplink_enabled=True)
        uplink = Uplink(settings, agency=AGENCY, device_id=name, store=store, tls=None, hotlist_sink=None,
                        hotlist_public_key=signing, seal_public_key=seal, state_dir=folder / "uplink")
        stored = store.db.execute("SELECT count(*) FROM reads").fetchone()[0]  # after a crash: carry on
        devices.append({"name": name, "store": store, "uplink": uplink, "stored": stored})
        uplink.start()
    start, total, produce_s = spec["start"], spec["reads"], spec["produce_s"]
    last_status = 0.0
    while not stop.is_set():
        share = 1.0 if produce_s <= 0 else min(1.0, (time.time() - start) / produce_s)
        for device in devices:
            want = int(total * share) - device["stored"]
            if want > 0:
                now = time.time()
                reads = []
                for _ in range(want):
                    text = plate(rng)
                    reads.append(Read(
                        read_id=uuid7(), text=text, confidence=0.9, candidates=(Candidate(text, 0.9),), camera="front",
                        capture_monotonic_s=time.monotonic(), capture_wall_time=now, first_seen_monotonic_s=time.monotonic(),
                        frames=3, box=(0, 0, 120, 40), crop_jpeg=b"\xff\xd8" + os.urandom(spec["image_bytes"]), state="CA"))
                device["store"].add_reads(reads)
                device["stored"] += want
                device["uplink"].wake()
        if time.monotonic() - last_status > 1.0:
            last_status = time.monotonic()
            write_host_status(spec, devices)
        stop.wait(0.25)
    stoppers = [threading.Thread(target=d["uplink"].stop, kwargs={"timeout": 1.0}) for d in devices]
    for stopper in stoppers:  # together: one by one, 60 devices take a minute
        stopper.start()
    for stopper in stoppers:
        stopper.join()
    write_host_status(spec, devices)
    for device in devices:
        device["store"].close()


def write_host_status(spec: dict, devices: list[dict]) -> None:
    out = {"updated": time.time(), "devices": {}}
    for device in devices:
        status = device["uplink"].status()
        out["devices"][device["name"]] = {
            "stored": device["stored"], "backlog": status["backlog"], "awaiting_receipt": status["awaiting_receipt"],
            "published": status["published"], "acknowledged": status["acknowledged"], "receipted": status["receipted"],
            "receipts_rejected": status["receipts_rejected"], "state": status["state"],
        }
    path = Path(spec["status"])
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(out))
    tmp.replace(path)


# -- the run -----------------------------------------------------------------------

def committed_count(database: str) -> int:
    if not database.startswith("sqlite:///"):
        import psycopg

        with psycopg.connect(database) as conn:
            return conn.execute("SELECT count(*) FROM reads").fetchone()[0]
    path = database[len("sqlite:///"):]
    if not Path(path).exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM reads").fetchone()[0]
    except sqlite3.Error:
        return 0


def agency_rows(database: str) -> list[tuple]:
    sql = "SELECT read_id, captured_at, committed_at FROM reads"
    if database.startswith("sqlite:///"):
        with sqlite3.connect(database[len("sqlite:///"):]) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(database) as conn:
        return conn.execute(sql).fetchall()


def device_rows(root: Path, names: list[str]) -> list[tuple]:
    rows = []
    for name in names:
        with sqlite3.connect(root / name / "alpr.db") as conn:
            rows += conn.execute("SELECT id, uploaded_at FROM reads").fetchall()
    return rows


def cpu_seconds(process: subprocess.Popen | None) -> float:
    """User + system CPU of a running child (Linux /proc); 0 when gone. A restarted one counts from its restart."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, IndexError, ValueError):
        return 0.0


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def simulate(args) -> dict:
    root = Path(tempfile.mkdtemp(prefix="fleet-sim-"))
    database = args.database or f"sqlite:///{root / 'agency.db'}"
    broker = Broker(root / "broker")
    broker.start()
    keys = make_keys(root)
    workers = Workers(root, broker, keys, database, args.workers)
    for name in workers.names:
        workers.start(name)
    # Devices start once the shared subscription exists: before it, the broker
    # would PUBACK reads and drop them (no subscriber), and the sim would
    # measure the receipt timeout instead of the fleet.
    deadline = time.monotonic() + 60
    while not all(broker.subscribed(f"alpr-edge-ingest-{n}") for n in workers.names) and time.monotonic() < deadline:
        time.sleep(0.2)
    names = [f"car-{i:05d}" for i in range(args.devices)]
    crash = names[:args.crash_devices] if args.faults else []
    rest = names[len(crash):]
    groups = ([crash] if crash else []) + [rest[i::args.hosts] for i in range(args.hosts) if rest[i::args.hosts]]
    start = time.time() + 3.0  # every host producing on the same clock
    hosts = []
    for index, group in enumerate(groups):
        spec = {"broker": broker.url, "devices": group, "root": str(root / "devices"), "reads": args.reads_per_device,
                "produce_s": args.produce_s, "start": start, "image_bytes": args.image_bytes,
                "receipt_timeout_s": args.receipt_timeout_s, "signing_pub": str(keys["signing_pub"]),
                "seal_pub": str(keys["seal_pub"]), "status": str(root / f"host-{index}.status.json")}
        hosts.append(Host(root, index, spec))
    for host in hosts:
        host.start()
    total = args.devices * args.reads_per_device
    faults, done_faults = list(FAULTS) if args.faults else [], []
    began, finished = time.monotonic(), False
    while time.monotonic() - began < args.timeout:
        time.sleep(0.5)
        committed = committed_count(database)
        if faults and committed >= faults[0][0] * total:
            _, fault = faults.pop(0)
            done_faults.append({"fault": fault, "at_committed": committed, "at_s": round(time.monotonic() - began, 1)})
            if fault == "broker_restart":
                broker.stop()
                time.sleep(1.0)
                broker.start()
            elif fault == "worker_kill":
                workers.kill(workers.names[0])
                time.sleep(2.0)
                workers.start(workers.names[0])
            elif fault == "devices_kill" and crash:
                hosts[0].kill()
                time.sleep(2.0)
                hosts[0].start()
        states = [host.status() for host in hosts]
        if all(states) and not faults:
            devices = [d for s in states for d in s["devices"].values()]
            if len(devices) == args.devices and all(d["stored"] == args.reads_per_device and d["backlog"] == 0
                                                    for d in devices):
                finished = True
                break
    elapsed = time.monotonic() - began
    host_status = [host.status() or {} for host in hosts]
    # Where the CPU went: the limit on a shared 2-core machine is whoever needs most of it.
    cpu = {"broker": cpu_seconds(broker.process),
           "ingest_workers": sum(cpu_seconds(p) for p in workers.processes.values()),
           "device_hosts": sum(cpu_seconds(h.process) for h in hosts)}
    host_status.append({"cpu_s": {k: round(v, 1) for k, v in cpu.items()}})
    for host in hosts:
        host.stop()
    workers.stop_all()
    broker.stop()
    return report(args, root, database, names, host_status, workers.summaries, done_faults, finished, elapsed)


def report(args, root, database, names, host_status, summaries, faults, finished, elapsed) -> dict:
    stored = device_rows(root / "devices", names)
    agency = agency_rows(database)
    committed_ids = {row[0] for row in agency}
    stored_ids = {row[0] for row in stored}
    released = {row[0] for row in stored if row[1] is not None}
    latencies, commit_times = [], []
    for _read_id, captured_at, committed_at in agency:
        commit_times.append(committed_at)
        if captured_at:
            latencies.append((committed_at - datetime.fromisoformat(captured_at).timestamp()) * 1000)
    span = (max(commit_times) - min(commit_times)) if len(commit_times) > 1 else None
    devices = [d for s in host_status for d in (s.get("devices") or {}).values()]
    return {
        "devices": args.devices, "reads_per_device": args.reads_per_device, "workers": args.workers,
        "finished": finished, "elapsed_s": round(elapsed, 1),
        "reads_stored": len(stored), "reads_committed": len(committed_ids),
        "lost": len(stored_ids - committed_ids),
        "released_not_committed": len(released - committed_ids),
        "still_on_devices": len(stored_ids) - len(released),
        "duplicates_committed": len(agency) - len(committed_ids),
        "duplicates_received": sum(s.get("duplicates", 0) for s in summaries),
        "receipts": len(released),
        "receipt_messages": sum(s.get("receipts", 0) for s in summaries),
        "published": sum(d.get("published", 0) for d in devices),
        "rejected": sum(s.get("rejected", 0) for s in summaries),
        "drain_reads_per_s": round(len(commit_times) / span, 1) if span else None,
        "offered_reads_per_s": round(args.devices * args.reads_per_device / args.produce_s, 1) if args.produce_s > 0 else None,
        "e2e_p50_ms": round(percentile(latencies, 0.5) or 0, 1), "e2e_p95_ms": round(percentile(latencies, 0.95) or 0, 1),
        "cpu_s": next((s["cpu_s"] for s in host_status if "cpu_s" in s), None),
        "faults": faults, "database": database.split("://")[0], "work_dir": str(root),
    }


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--_host":
        run_host(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--reads-per-device", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hosts", type=int, default=4, help="processes the devices are spread over")
    parser.add_argument("--produce-s", type=float, default=60.0, help="each device stores its reads over this long (0: all at once)")
    parser.add_argument("--image-bytes", type=int, default=2000, help="plate crop size per read")
    parser.add_argument("--receipt-timeout-s", type=float, default=20.0)
    parser.add_argument("--crash-devices", type=int, default=3, help="devices in the host that is killed")
    parser.add_argument("--no-faults", dest="faults", action="store_false")
    parser.add_argument("--database", help="postgresql://... (default: SQLite in the work folder)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()
    result = simulate(args)
    if not args.keep:
        import shutil

        shutil.rmtree(result["work_dir"], ignore_errors=True)
    if not args.json:
        for key, value in result.items():
            print(f"{key:24} {value}")
    print(json.dumps(result))
    return 0 if result["finished"] and result["lost"] == 0 and result["duplicates_committed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
