#!/usr/bin/env python3
"""Backlog drain rate of the uplink to a local Mosquitto, and where the time goes.

Starts its own Mosquitto on a free loopback port (TLS with client certificates
generated here, or --plain), fills an outbox with N reads carrying random
(incompressible, like JPEG) images of realistic size, starts the Uplink and
times until every read is acknowledged and marked uploaded.

    PYTHONPATH=. .venv/bin/python scripts/bench_uplink.py --reads 5000
    PYTHONPATH=. .venv/bin/python scripts/bench_uplink.py --store real   # the encrypted Store, if present
    PYTHONPATH=. .venv/bin/python scripts/bench_uplink.py --subscriber   # an agency receiver on the same box

Reports reads/s, MB/s, the CPU seconds of the uplink process and of the broker,
and the time spent inside store calls, payload encoding and paho.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alpr_edge.config import UplinkSection
from alpr_edge.ids import uuid7
from alpr_edge.uplink import TlsFiles, Uplink, payloads


def make_pki(folder: Path) -> tuple[Path, Path, Path, TlsFiles]:
    now = datetime.datetime.now(datetime.UTC)

    def cert(cn, key, issuer_name, issuer_key, ca=False, san=None):
        builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                   .issuer_name(issuer_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def save(name, certificate, key):
        (folder / f"{name}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        (folder / f"{name}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                               serialization.NoEncryption()))
        return folder / f"{name}.pem", folder / f"{name}.key"

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench-ca")])
    ca_cert = cert("bench-ca", ca_key, ca_name, ca_key, ca=True)
    ca_path, _ = save("ca", ca_cert, ca_key)
    server_key, device_key, receiver_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    server = save("server", cert("localhost", server_key, ca_name, ca_key,
                                 san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), server_key)
    device = save("device", cert("bench-device", device_key, ca_name, ca_key), device_key)
    receiver = save("receiver", cert("bench-receiver", receiver_key, ca_name, ca_key), receiver_key)
    return ca_path, *server, TlsFiles(ca_path, *device), TlsFiles(ca_path, *receiver)


def start_broker(folder: Path, plain: bool):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lines = ["user root", f"listener {port} 127.0.0.1", "persistence false", "log_type error"]
    device = receiver = None
    if plain:
        lines.append("allow_anonymous true")
    else:
        ca, server_cert, server_key, device, receiver = make_pki(folder)
        lines += [f"cafile {ca}", f"certfile {server_cert}", f"keyfile {server_key}", "require_certificate true",
                  "use_identity_as_username true"]
    (folder / "mosquitto.conf").write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(folder / "mosquitto.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.02)
    return process, port, device, receiver


class TimedStore:
    """Wraps an outbox and adds up the seconds spent in each call."""

    def __init__(self, inner):
        self.inner = inner
        self.seconds = {"pending_uploads": 0.0, "mark_uploaded": 0.0}
        self.calls = {"pending_uploads": 0, "mark_uploaded": 0}

    def _timed(self, name, *args):
        start = time.perf_counter()
        try:
            return getattr(self.inner, name)(*args)
        finally:
            self.seconds[name] += time.perf_counter() - start
            self.calls[name] += 1

    def pending_uploads(self, limit):
        return self._timed("pending_uploads", limit)

    def mark_uploaded(self, ids):
        return self._timed("mark_uploaded", ids)

    def upload_backlog(self):
        return self.inner.upload_backlog()

    def audit(self, *args, **kwargs):
        return None


class MemoryOutbox:
    def __init__(self, rows: list[dict]):
        self.rows = {r["read_id"]: r for r in rows}
        self.order = [r["read_id"] for r in rows]
        self.done: set[str] = set()
        self.lock = threading.Lock()

    def pending_uploads(self, limit):
        with self.lock:
            out = []
            for read_id in self.order:
                if read_id not in self.done:
                    out.append(self.rows[read_id])
                    if len(out) == limit:
                        break
            return out

    def mark_uploaded(self, ids):
        with self.lock:
            self.done.update(ids)
            self.order = [i for i in self.order if i not in self.done] if len(self.done) % 1024 < len(ids) else self.order

    def upload_backlog(self):
        with self.lock:
            return len(self.rows) - len(self.done)


def make_rows(count: int, crop: int, overview: int) -> list[dict]:
    crop_bytes, overview_bytes = os.urandom(crop), os.urandom(overview)  # shared: memory, not realism, matters here
    return [{
        "read_id": uuid7(), "has_hit": index % 100 == 0, "captured_at": "2026-11-22T20:00:00Z",
        "clock": {"source": "gps", "offset_s": 0.05}, "position": {"lat": 37.8716, "lon": -122.2727, "speed_kmh": 42.0},
        "text": "7ABC123", "confidence": 0.94, "candidates": [{"text": "7ABC123", "confidence": 0.94}],
        "state": "CA", "camera": "front", "crop_jpeg": crop_bytes, "overview_jpeg": overview_bytes,
    } for index in range(count)]


def real_store(folder: Path, rows: list[dict]):
    from alpr_edge.config import StoreSection
    from alpr_edge.store import Store
    from alpr_edge.vision.types import Candidate, Read

    store = Store.open(folder / "data", StoreSection(), dev_keys=True, uplink_enabled=True)
    reads = [Read(read_id=r["read_id"], text=r["text"], confidence=r["confidence"], candidates=(Candidate("7ABC123", 0.94),),
                  camera="front", capture_monotonic_s=1.0, capture_wall_time=time.time(), first_seen_monotonic_s=0.5,
                  frames=3, box=(10, 20, 120, 40), crop_jpeg=r["crop_jpeg"], overview_jpeg=r["overview_jpeg"], state="CA")
             for r in rows]
    for start in range(0, len(reads), 500):
        store.add_reads(reads[start:start + 500])
    return store


def schedstat(tid: int) -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable but waiting for one) of one thread."""
    on_cpu, waiting, _ = Path(f"/proc/self/task/{tid}/schedstat").read_text().split()
    return int(on_cpu) / 1e9, int(waiting) / 1e9


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=5000)
    parser.add_argument("--crop-kb", type=float, default=8)
    parser.add_argument("--overview-kb", type=float, default=60)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--plain", action="store_true", help="mqtt:// without TLS")
    parser.add_argument("--store", choices=["memory", "real"], default="memory")
    parser.add_argument("--subscriber", action="store_true", help="also run an agency receiver on this machine")
    parser.add_argument("--seal", action="store_true", help="seal reads to an X25519 key")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        broker, port, device_tls, receiver_tls = start_broker(folder, args.plain)
        try:
            rows = make_rows(args.reads, int(args.crop_kb * 1024), int(args.overview_kb * 1024))
            inner = real_store(folder, rows) if args.store == "real" else MemoryOutbox(rows)
            store = TimedStore(inner)
            got = [0]
            if args.subscriber:
                import paho.mqtt.client as mqtt

                sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-receiver")
                if not args.plain:
                    sub.tls_set(str(receiver_tls.ca), str(receiver_tls.cert), str(receiver_tls.key))
                sub.on_message = lambda c, u, m: got.__setitem__(0, got[0] + 1)
                sub.connect("127.0.0.1", port)
                sub.subscribe("alpr/#", qos=1)
                sub.loop_start()
                time.sleep(0.5)
            seal_key = None
            if args.seal:
                from cryptography.hazmat.primitives.asymmetric.x25519 import (
                    X25519PrivateKey,
                )

                seal_key = X25519PrivateKey.generate().public_key()
            scheme = "mqtt" if args.plain else "mqtts"
            settings = UplinkSection(broker=f"{scheme}://127.0.0.1:{port}", allow_plaintext=args.plain,
                                     in_flight=args.in_flight)
            uplink = Uplink(settings, agency="bench", device_id="bench-device", store=store,
                            tls=None if args.plain else device_tls, hotlist_sink=None, hotlist_public_key=None,
                            seal_public_key=seal_key, state_dir=folder / "state", subscribe_downlink=False)
            message_bytes = len(payloads.encode_read(rows[0], "bench", "bench-device"))
            encode_start = time.perf_counter()
            for row in rows[:200]:
                payloads.encode_read(row, "bench", "bench-device")
            encode_s = (time.perf_counter() - encode_start) / 200 * args.reads

            cpu_before = resource.getrusage(resource.RUSAGE_SELF)
            broker_before = cpu_seconds(broker.pid)
            start = time.perf_counter()
            uplink.start()
            tids = {t.name: t.native_id for t in threading.enumerate() if t.name in ("uplink", "uplink-marker")}
            sched_before = {name: schedstat(tid) for name, tid in tids.items()}
            while inner.upload_backlog() > 0:
                time.sleep(0.01)
            elapsed = time.perf_counter() - start
            sched = {name: tuple(a - b for a, b in zip(schedstat(tid), sched_before[name])) for name, tid in tids.items()}
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
            broker_cpu = cpu_seconds(broker.pid) - broker_before
            status = uplink.status()
            uplink.stop()
            if args.subscriber:
                deadline = time.time() + 30
                while got[0] < args.reads and time.time() < deadline:
                    time.sleep(0.05)
        finally:
            broker.terminate()
            broker.wait()
        own_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        rate = args.reads / elapsed
        print(f"transport        {'mqtt (plain)' if args.plain else 'mqtts (TLS 1.3, client cert)'}, "
              f"store {args.store}, in-flight {args.in_flight}, sealed {bool(args.seal)}")
        print(f"reads            {args.reads} x {message_bytes / 1024:.1f} kB messages "
              f"({args.crop_kb:g} kB crop + {args.overview_kb:g} kB overview, base64 in JSON)")
        print(f"drain            {elapsed:.2f} s  ->  {rate:,.0f} reads/s, {rate * message_bytes / 1e6:.1f} MB/s")
        print(f"acknowledged     {status['acknowledged']} (published {status['published']}; reconnects {status['reconnects']})")
        print(f"uplink process   {own_cpu:.2f} CPU s ({own_cpu / elapsed * 100:.0f}% of one core)")
        print(f"  store calls    pending_uploads {store.seconds['pending_uploads']:.2f} s in {store.calls['pending_uploads']} calls, "
              f"mark_uploaded {store.seconds['mark_uploaded']:.2f} s in {store.calls['mark_uploaded']} calls")
        for name, (on_cpu, waiting) in sched.items():
            print(f"  {name + ' thread':14} on CPU {on_cpu:.2f} s, waiting for a CPU {waiting:.2f} s, "
                  f"blocked (network, locks, fsync) {max(0.0, elapsed - on_cpu - waiting):.2f} s")
        print(f"  encode (est.)  {encode_s:.2f} s (payload dict + base64 + JSON)")
        print(f"broker           {broker_cpu:.2f} CPU s ({broker_cpu / elapsed * 100:.0f}% of one core)")
        if args.subscriber:
            print(f"subscriber got   {got[0]} messages")
        if args.store == "real":
            inner.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
