"""A real Mosquitto with TLS and client certificates, a fake outbox, and an agency-side receiver."""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alpr_edge.config import UplinkSection
from alpr_edge.ids import uuid7
from alpr_edge.uplink import TlsFiles
from tests.mosquitto import Mosquitto

AGENCY = "test-agency"
DEVICE = "car-7"

# Test certificates are valid from long before "now": with the suite's clock moved ahead
# (ALPR_EDGE_TEST_DAYS_AHEAD), OpenSSL still checks them against the real clock.
VALID_BEFORE = datetime.timedelta(days=800)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


# -- a small PKI ---------------------------------------------------------------

def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(path: Path, key) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


class Authority:
    def __init__(self, folder: Path, name: str):
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (
            x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - VALID_BEFORE).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.path = folder / f"{name}.pem"
        self.path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, cn: str, *, server: bool = False) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(self.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - VALID_BEFORE).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        )
        if server:
            import ipaddress

            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        cert = builder.sign(self.key, hashes.SHA256())
        stem = f"{self.path.stem}--{cn}"
        cert_path, key_path = self.folder / f"{stem}.pem", self.folder / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key_path, key)
        return cert_path, key_path


@dataclass
class Pki:
    ca: Authority
    server: tuple[Path, Path]
    device: TlsFiles
    receiver: TlsFiles
    rogue_device: TlsFiles


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca = Authority(folder, "agency-ca")
    rogue = Authority(folder, "rogue-ca")
    device = ca.issue(DEVICE)
    receiver = ca.issue("agency-receiver")
    rogue_cert, rogue_key = rogue.issue(DEVICE)
    return Pki(
        ca=ca, server=ca.issue("localhost", server=True),
        device=TlsFiles(ca.path, *device), receiver=TlsFiles(ca.path, *receiver),
        rogue_device=TlsFiles(ca.path, rogue_cert, rogue_key),
    )


# -- the broker (tests/mosquitto.py) -------------------------------------------

@pytest.fixture
def broker(tmp_path, pki):
    folder = tmp_path / "broker"
    folder.mkdir()
    server = Mosquitto(folder, ca=pki.ca.path, cert=pki.server[0], key=pki.server[1], persistence=True)
    server.start()
    yield server
    server.stop()


# -- the agency side -----------------------------------------------------------

class Receiver:
    """An agency-side subscriber with a persistent session: records every message in arrival order."""

    def __init__(self, broker: Mosquitto, tls: TlsFiles, topic: str = "alpr/#"):
        self.messages: list[tuple[str, bytes, bool]] = []
        self.lock = threading.Lock()
        self.topic = topic
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="agency-receiver", protocol=mqtt.MQTTv5)
        self.client.tls_set(ca_certs=str(tls.ca), certfile=str(tls.cert), keyfile=str(tls.key))
        self.client.reconnect_delay_set(0.05, 0.3)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", broker.port, 5, clean_start=False, properties=properties)
        self.client.loop_start()
        assert self.subscribed.wait(10), "receiver did not subscribe"

    def _on_message(self, client, userdata, message) -> None:
        with self.lock:
            self.messages.append((message.topic, message.payload, bool(message.retain)))

    def json_on(self, suffix: str) -> list[dict]:
        with self.lock:
            return [json.loads(p) for t, p, _ in self.messages if t.endswith(suffix)]

    def reads(self) -> list[dict]:
        """Read messages (reads and hits topics) in arrival order."""
        with self.lock:
            return [json.loads(p) for t, p, _ in self.messages if t.endswith(("/reads", "/hits"))]

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def receiver(broker, pki):
    client = Receiver(broker, pki.receiver)
    yield client
    client.close()


# -- the outbox ----------------------------------------------------------------

class FakeStore:
    """An in-memory outbox with the store's upload contract; remembers every call."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows: dict[str, dict] = {}
        self.uploaded: set[str] = set()
        self.acked: dict[str, float] = {}  # read_id -> when the broker acknowledged it (receipts on)
        self.mark_calls: list[list[str]] = []
        self.audits: list[tuple] = []

    def add(self, count: int, *, hit: bool = False, crop: int = 200, overview: int = 1000) -> list[str]:
        ids = []
        for index in range(count):
            read_id = uuid7()
            row = {
                "read_id": read_id, "has_hit": hit, "captured_at": "2026-11-22T20:00:00Z",
                "clock": {"source": "gps", "offset_s": 0.1}, "position": {"lat": 37.87, "lon": -122.27},
                "text": f"{'HIT' if hit else 'ABC'}{index:04d}", "confidence": 0.93,
                "candidates": [{"text": "ABC1234", "confidence": 0.9}], "state": "CA", "camera": "front",
                "crop_jpeg": b"\xff\xd8" + os.urandom(crop), "overview_jpeg": b"\xff\xd8" + os.urandom(overview),
            }
            with self.lock:
                self.rows[read_id] = row
            ids.append(read_id)
        return ids

    def image(self, read_id: str, kind: str) -> bytes:
        return self.rows[read_id][kind]

    def pending_uploads(self, limit: int, resend_after_s: float | None = None) -> list[dict]:
        cutoff = None if resend_after_s is None else time.time() - resend_after_s
        with self.lock:
            pending = [r for i, r in self.rows.items() if i not in self.uploaded
                       and (cutoff is None or self.acked.get(i, cutoff - 1) < cutoff)]
        pending.sort(key=lambda r: (not r["has_hit"], r["read_id"]))
        return [dict(r) for r in pending[:limit]]

    def mark_uploaded(self, read_ids) -> int:
        with self.lock:
            self.mark_calls.append(list(read_ids))
            before = len(self.uploaded)
            self.uploaded.update(read_ids)
            return len(self.uploaded) - before

    def mark_acknowledged(self, read_ids) -> int:
        now = time.time()
        with self.lock:
            fresh = [i for i in read_ids if i not in self.uploaded]
            self.acked.update((i, now) for i in fresh)
            return len(fresh)

    def upload_backlog(self) -> int:
        with self.lock:
            return len(self.rows) - len(self.uploaded)

    def receipt_backlog(self) -> int:
        with self.lock:
            return len(set(self.acked) - self.uploaded)

    def audit(self, user, role, action, *, data=None, purpose=None, case_number=None, outcome="ok") -> int:
        self.audits.append((user, role, action, data, outcome))
        return len(self.audits)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


def settings_for(broker: Mosquitto, **overrides) -> UplinkSection:
    values = dict(broker=broker.url, reconnect_min_s=0.1, reconnect_max_s=0.4, keepalive_s=5)
    values.update(overrides)
    return UplinkSection(**values)


class RealOutbox:
    """The encrypted Store (alpr_edge.store) with the FakeStore's test helpers around it."""

    def __init__(self, data_dir: Path):
        from alpr_edge.config import StoreSection
        from alpr_edge.store import Store

        self.data_dir = data_dir
        self.store = Store.open(data_dir, StoreSection(), dev_keys=True, uplink_enabled=True)

    def add(self, count: int, *, hit: bool = False, crop: int = 200, overview: int = 1000) -> list[str]:
        reads = [make_read(f"{'HIT' if hit else 'ABC'}{index:04d}", crop, overview) for index in range(count)]
        self.store.add_reads(reads)
        for read in reads if hit else ():
            self.store.mark_hit(read.read_id)
        return [read.read_id for read in reads]

    @property
    def uploaded(self) -> set[str]:
        rows = self.store.db.execute("SELECT id FROM reads WHERE uploaded_at IS NOT NULL").fetchall()
        return {row[0] for row in rows}

    def image(self, read_id: str, kind: str) -> bytes:
        return getattr(self.store.get_read(read_id), kind)

    def __getattr__(self, name):  # pending_uploads, mark_uploaded, upload_backlog, audit, close
        return getattr(self.store, name)


def make_read(text: str, crop: int, overview: int):
    from alpr_edge.vision.types import Candidate, Read

    return Read(
        read_id=uuid7(), text=text, confidence=0.93, candidates=(Candidate(text, 0.93),), camera="front",
        capture_monotonic_s=100.0, capture_wall_time=time.time(), first_seen_monotonic_s=99.5, frames=4,
        box=(10, 20, 120, 40), crop_jpeg=b"\xff\xd8" + os.urandom(crop), overview_jpeg=b"\xff\xd8" + os.urandom(overview),
        state="CA",
    )


@pytest.fixture(params=["fake", "real"])
def outbox(request, tmp_path):
    """Each test using it runs against the in-memory fake and the real encrypted store."""
    if request.param == "fake":
        yield FakeStore()
        return
    real = RealOutbox(tmp_path / "data")
    yield real
    real.close()
