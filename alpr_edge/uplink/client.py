"""The uplink: a store-and-forward MQTT client on its own thread.

The "uplink" thread owns the paho client; the flow is:

    connect (MQTT 5, falling back to 3.1.1 when the broker refuses 5)
      -> retained "online" on health, subscribe to hot lists and commands
      -> loop: keep up to `in_flight` reads published and unacknowledged, taking
         the next ones from the outbox reader (hits first, then oldest first;
         outbox.py), publish QoS 1, hand each PUBACK to the marker
    on loss: forget the window (those rows are still pending in the store),
             wait a jittered, doubling delay, connect again and re-send them.

The "uplink-marker" thread (marking.py) marks acknowledged reads in group
commits, so fsyncs do not stall publishing. With receipts on (the default
once an agency key is pinned), a PUBACK only marks a read acknowledged: it
stays pending until the agency's ingest has committed it and says so in a
signed receipt (receipts.py); a read whose receipt is ``receipt_timeout_s``
late is sent again. With receipts off, the PUBACK marks it uploaded. Anything
not marked stays pending, so a crash, a dropped link or a restart re-sends it
(receivers deduplicate by read_id). A hit stored now goes out right after
the reads already in flight, never behind the backlog.
"""
from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from alpr_edge.logs import RateLimited, log
from alpr_edge.uplink import payloads
from alpr_edge.uplink.audit_forward import AuditForwarder
from alpr_edge.uplink.downlink import QUARANTINE_NAME, Downlink, Quarantine, refusal_digest
from alpr_edge.uplink.hotlists import (
    LEDGER_NAME,
    MAX_MESSAGE_BYTES,
    HotlistReceiver,
    HotlistSink,
    VersionLedger,
)
from alpr_edge.uplink.marking import Marker
from alpr_edge.uplink.outbox import OutboxReader
from alpr_edge.uplink.receipts import ReceiptRejected, verify_receipt
from alpr_edge.uplink.reconnect import PROBE_EVERY_S, ReconnectWait, tcp_probe
from alpr_edge.uplink.sealing import seal_row

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
IDLE_POLL_S = 5.0  # look at the store now and then even if nobody calls wake()
LOOP_TIMEOUT_S = 0.02  # bounds how long a wake() waits for the network thread
# Asked of the broker (MQTT 5): it drops larger messages instead of sending them.
MAX_PACKET_BYTES = MAX_MESSAGE_BYTES + 64 * 1024
REFUSED_PROTOCOL = {1, 132}  # CONNACK "unacceptable protocol version" (3.1.1) / "unsupported protocol version" (5)


class OutboxStore(Protocol):
    """What the uplink needs from the store (alpr_edge.store.Store provides it)."""

    def pending_uploads(self, limit: int, resend_after_s: float | None = None) -> list[dict]: ...
    def mark_acknowledged(self, read_ids: list[str]) -> Any: ...
    def mark_uploaded(self, read_ids: list[str]) -> Any: ...
    def upload_backlog(self) -> int: ...
    def receipt_backlog(self) -> int: ...
    def audit(self, user: str, role: str | None, action: str, *, data=None, purpose=None, case_number=None, outcome="ok") -> Any: ...


class UplinkConfigError(ValueError):
    """The uplink settings cannot work (bad broker URL, plaintext not allowed, TLS files missing)."""


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    tls: bool

    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker(url: str, allow_plaintext: bool) -> Endpoint:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise UplinkConfigError(f"broker: expected mqtts://host[:port], got {url!r}")
    if parts.scheme == "mqtt" and not allow_plaintext:
        raise UplinkConfigError(f"broker: plain mqtt:// ({url}) needs allow_plaintext; use mqtts://")
    tls = parts.scheme == "mqtts"
    return Endpoint(parts.hostname, parts.port or (8883 if tls else 1883), tls)


def backoff_delay(attempt: int, min_s: float, max_s: float, rng: random.Random) -> float:
    """Doubling delay with "equal jitter": between half and all of min(max, min * 2^attempt).

    The jitter spreads a fleet's reconnections after a broker outage; the floor
    keeps one device from hammering a broker that refuses it.
    """
    ceiling = min(max_s, min_s * (2 ** min(attempt, 30)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def tls_context(files: TlsFiles) -> ssl.SSLContext:
    for name in ("ca", "cert", "key"):
        path = Path(getattr(files, name))
        if not path.is_file():
            raise UplinkConfigError(f"TLS {name} file {path} not found")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(files.ca))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(files.cert), str(files.key))
    return context


class Uplink:
    """Store-and-forward uplink; ``start()``, ``wake()`` on new rows, ``status()``, ``stop()``."""

    def __init__(self, settings, *, agency: str, device_id: str, store: OutboxStore, tls: TlsFiles | None,
                 hotlist_sink: HotlistSink | None, hotlist_public_key, seal_public_key, state_dir: Path,
                 subscribe_downlink: bool = True, rng: random.Random | None = None,
                 probe=None, probe_every_s: float = PROBE_EVERY_S):
        self.settings = settings
        self.agency = agency
        self.device_id = device_id
        self.store = store
        self.topics = payloads.Topics(settings.topic_prefix, agency, device_id)
        self.client_id = f"alpr-edge-{agency}-{device_id}"
        self.endpoint = parse_broker(settings.broker, settings.allow_plaintext) if settings.broker else None
        if self.endpoint and self.endpoint.tls and tls is None:
            raise UplinkConfigError("broker: mqtts:// needs the CA, client certificate and key")
        self._tls = tls_context(tls) if (self.endpoint and self.endpoint.tls) else None
        self._seal_key = seal_public_key
        # Receipts are signed with the agency key pinned for hot lists: without it none could be trusted.
        self._receipt_key = hotlist_public_key if settings.require_receipts else None
        self.subscribe_downlink = subscribe_downlink  # False for `uplink flush`: send only
        state_dir = Path(state_dir)
        self.quarantine = Quarantine(state_dir / QUARANTINE_NAME, getattr(store, "audit", None))
        self.hotlists = HotlistReceiver(hotlist_public_key, VersionLedger(state_dir / LEDGER_NAME), hotlist_sink,
                                        audit=getattr(store, "audit", None), quarantine=self.quarantine)
        self.downlink = Downlink(self.topics, self.hotlists, self.status, self.quarantine)
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        if probe is None and self.endpoint is not None:
            probe = tcp_probe(self.endpoint.host, self.endpoint.port)
        self._reconnect_wait = ReconnectWait(probe or (lambda: False), sleep=self._stop.wait, probe_every_s=probe_every_s)
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop_timeout = 1.5
        self._lock = threading.Lock()  # guards the counters read by status()
        self._errors = RateLimited(logger, 60.0)
        self.protocol = mqtt.MQTTv5
        self._state = "disabled" if self.endpoint is None else "offline"
        self._counts = {"published": 0, "acknowledged": 0, "receipted": 0, "receipts_rejected": 0,
                        "reconnects": 0, "refused_by_broker": 0}
        self._last_error: str | None = None
        self._last_puback: float | None = None
        self._last_receipt: float | None = None
        self._last_receipt_rejection: str | None = None
        self._started_at = time.time()
        self._connected_since: float | None = None
        self._audit = AuditForwarder(store, state_dir, agency, device_id, seal_public_key=seal_public_key)
        self._reset_session()

    def _reset_session(self) -> None:
        self._in_flight: dict[int, str] = {}  # mid -> read_id
        self._refused: set[str] = set()  # the broker said no; retried on the next connection
        self._control_mids: set[int] = set()  # health and replies, not reads
        self._audit_mids: dict[int, tuple[str, int]] = {}  # mid -> ("record" | "signature", seq)
        self._audit_more = True
        self._audit.reset()
        self._connack: Any = None
        self._lost = False
        self._subscribed = False

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        if self.endpoint is None:
            log(logger, logging.INFO, "uplink_disabled", reason="no broker configured")
            return
        if self._thread is not None:
            return
        on_error = lambda error: self._set(error=f"store: {error}")  # noqa: E731
        receipts = self.receipts_required
        self._marker = Marker(self.store.mark_acknowledged if receipts else self.store.mark_uploaded, self._marked, on_error)
        self._receipt_marker = Marker(self.store.mark_uploaded, self._receipted, on_error)
        self._outbox = OutboxReader(self.store, batch=min(256, max(64, 4 * self.settings.in_flight)),
                                    resend_after_s=self.settings.receipt_timeout_s if receipts else None)
        self._thread = threading.Thread(target=self._run, name="uplink", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.5) -> None:
        """Publish "offline", wait up to ``timeout`` for acknowledgements and their commit, disconnect.

        An Uplink runs once: build a new one to start again.
        """
        self._stop_timeout = timeout
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            # Bounded: the daemon must finish SIGTERM within 5 s; the thread is a daemon thread.
            self._thread.join(timeout + 0.5)
            self._thread = None
            self._marker.close(0.5)
            self._receipt_marker.close(0.5)

    def wake(self) -> None:
        """New rows are in the store: send them now rather than at the next poll."""
        self._wake.set()

    def flush(self, timeout: float) -> bool:
        """Wait until every pending row is acknowledged; False if ``timeout`` passes first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.wake()
            if not self._in_flight and self.store.upload_backlog() == 0:
                return True
            time.sleep(0.05)
        return False

    @property
    def receipts_required(self) -> bool:
        return self._receipt_key is not None

    def _receipts_stalled(self, awaiting: int | None) -> bool:
        """PUBACKs keep coming but receipts stopped: the agency's ingest is down or cannot commit."""
        if not self.receipts_required or not awaiting or self._last_puback is None:
            return False
        return self._last_puback - (self._last_receipt or self._started_at) > self.settings.receipt_timeout_s

    def status(self) -> dict:
        awaiting = None
        try:
            backlog = self.store.upload_backlog()
            if self.receipts_required:
                awaiting = self.store.receipt_backlog()
        except Exception as error:  # status must answer even when the store is unwell
            backlog = None
            self._last_error = f"store: {error}"
        with self._lock:
            return {
                "state": self._state,
                "broker": self.endpoint.url() if self.endpoint else None,
                "protocol": "5" if self.protocol == mqtt.MQTTv5 else "3.1.1",
                "sealed": self._seal_key is not None,
                "backlog": backlog,
                "in_flight": len(self._in_flight),
                "downlink_subscribed": self._subscribed,
                **self._counts,
                "last_error": self._last_error,
                "last_puback_at": _iso(self._last_puback),
                "receipts": "required" if self.receipts_required else (
                    "off" if not self.settings.require_receipts else "off (no agency key pinned)"),
                "awaiting_receipt": awaiting,
                "last_receipt_at": _iso(self._last_receipt),
                "receipts_stalled": self._receipts_stalled(awaiting),
                "last_receipt_rejection": self._last_receipt_rejection,
                "connected_since": _iso(self._connected_since),
                "hotlists": self.hotlists.ledger.versions(),
                "hotlists_accepted": self.hotlists.accepted,
                "hotlists_rejected": self.hotlists.rejected,
                "last_hotlist_rejection": self.hotlists.last_rejection,
                "downlink_failed": self.downlink.failed,
                "downlink_repeats": self.quarantine.repeats,
                "downlink_suppressed": self.quarantine.suppressed_total,
                "audit_shipped_seq": self._audit.cursor if self._audit.enabled else None,
            }

    # -- the connection loop -------------------------------------------------

    def _set(self, state: str | None = None, error: str | None = None, **increments) -> None:
        with self._lock:
            if state is not None:
                self._state = state
            if error is not None:
                self._last_error = error
            for key, value in increments.items():
                self._counts[key] += value

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self._set("connecting")
            client = self._client = self._new_client()
            try:
                if self._connect(client):
                    attempt = 0
                    self._session(client)
            except Exception as error:  # network, TLS or a bug: log, back off, try again
                self._set(error=f"{type(error).__name__}: {error}")
                self._errors(logging.WARNING, "uplink_connection_failed", broker=self.endpoint.url(), error=str(error))
            finally:
                self._close(client)
            self._set("offline")
            if self._stop.is_set():
                break
            delay = backoff_delay(attempt, self.settings.reconnect_min_s, self.settings.reconnect_max_s, self._rng)
            attempt += 1
            self._set(reconnects=1)
            if self._reconnect_wait.wait(delay) == "network_back":
                log(logger, logging.INFO, "uplink_network_back", broker=self.endpoint.url())
                attempt = 0

    def _new_client(self) -> mqtt.Client:
        v5 = self.protocol == mqtt.MQTTv5
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=self.protocol,
            clean_session=None if v5 else False, reconnect_on_failure=False,
        )
        if self._tls is not None:
            client.tls_set_context(self._tls)
        client.will_set(self.topics.health, payloads.health_payload(self.agency, self.device_id, "offline", reason="connection lost"),
                        qos=1, retain=True)
        client.max_inflight_messages_set(self.settings.in_flight + 8)
        client.max_queued_messages_set(0)
        client.connect_timeout = 3.0
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def _connect(self, client: mqtt.Client) -> bool:
        self._reset_session()
        if self.protocol == mqtt.MQTTv5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self.settings.session_expiry_s
            properties.MaximumPacketSize = MAX_PACKET_BYTES
            client.connect(self.endpoint.host, self.endpoint.port, self.settings.keepalive_s,
                           clean_start=False, properties=properties)
        else:
            client.connect(self.endpoint.host, self.endpoint.port, self.settings.keepalive_s)
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        try:
            while self._connack is None and not self._lost and time.monotonic() < deadline and not self._stop.is_set():
                client.loop(0.1)
        except ValueError as error:  # a 3.1.1 CONNACK that paho cannot read as MQTT 5
            self._connack = ("refused", 1)
            self._set(error=f"connect: {error}")
        if self._connack is None:
            self._set(error=self._last_error or "connect: closed before CONNACK")
            return False
        if self._connack[0] != "ok":
            code = self._connack[1]
            if code in REFUSED_PROTOCOL and self.protocol == mqtt.MQTTv5:
                self._fall_back()
            self._errors(logging.WARNING, "uplink_refused", broker=self.endpoint.url(), reason=str(self._connack[2:] or code))
            return False
        return True

    def _fall_back(self) -> None:
        log(logger, logging.WARNING, "uplink_protocol_fallback", broker=self.endpoint.url(), protocol="3.1.1")
        self.protocol = mqtt.MQTTv311

    def _session(self, client: mqtt.Client) -> None:
        with self._lock:
            self._state = "connected"
            self._connected_since = time.time()
            self._last_error = None
        log(logger, logging.INFO, "uplink_connected", broker=self.endpoint.url(),
            protocol="5" if self.protocol == mqtt.MQTTv5 else "3.1.1")
        self._publish_control(client, self.topics.health, payloads.health_payload(self.agency, self.device_id, "online"), retain=True)
        subscriptions = [(self.topics.receipts, 1)] if self.receipts_required else []
        if self.subscribe_downlink:
            subscriptions += [(self.topics.hotlists_filter, 1), (self.topics.commands, 1)]
        if subscriptions:
            client.subscribe(subscriptions)
        self._wake.set()
        last_poll = 0.0
        self._outbox.reset()
        while not self._lost:
            if self._stop.is_set():
                self._goodbye(client)
                return
            free = self.settings.in_flight - len(self._in_flight)
            now = time.monotonic()
            woken = self._wake.is_set() or now - last_poll > IDLE_POLL_S
            if free > 0:
                if woken:
                    self._wake.clear()
                    last_poll = now
                active = (set(self._in_flight.values()) | self._refused | self._marker.pending()
                          | self._receipt_marker.pending())
                for row in self._outbox.take(free, woken=woken, active=active):
                    self._publish_read(client, row)
                if self._outbox.last_error:
                    self._set(error=self._outbox.last_error)
                    self._outbox.last_error = None
                if woken or (self._audit_more and not self._audit_mids):
                    self._publish_audit(client)
                if woken:
                    self.quarantine.flush()
            result = client.loop(LOOP_TIMEOUT_S)
            if result != mqtt.MQTT_ERR_SUCCESS:
                self._set(error=f"connection: {mqtt.error_string(result)}")
                break
        log(logger, logging.WARNING, "uplink_disconnected", broker=self.endpoint.url(), error=self._last_error,
            unacknowledged=len(self._in_flight))

    def _publish_read(self, client: mqtt.Client, row: dict) -> None:
        if self._seal_key is not None:
            body = seal_row(self._seal_key, row, self.agency, self.device_id)
        else:
            body = payloads.encode_read(row, self.agency, self.device_id)
        topic = self.topics.hits if row.get("has_hit") else self.topics.reads
        info = client.publish(topic, body, qos=1)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            self._in_flight[info.mid] = payloads.read_id_of(row)
            self._set(published=1)
        else:
            self._set(error=f"publish: {mqtt.error_string(info.rc)}")

    def _publish_audit(self, client: mqtt.Client) -> None:
        messages = self._audit.next_messages()
        self._audit_more = len(messages) >= self._audit.window
        for key, body in messages:
            info = client.publish(self.topics.audit, body, qos=1)
            self._audit_mids[info.mid] = key

    def _publish_control(self, client: mqtt.Client, topic: str, body: bytes, retain: bool = False) -> int:
        info = client.publish(topic, body, qos=1, retain=retain)
        self._control_mids.add(info.mid)
        return info.mid

    def _marked(self, count: int, result=None) -> None:
        with self._lock:
            self._counts["acknowledged"] += count
            self._last_puback = time.time()

    def _receipted(self, count: int, changed=None) -> None:
        with self._lock:
            # Rows the receipt released (a receipt repeated for a resend releases none).
            self._counts["receipted"] += changed if isinstance(changed, int) and changed >= 0 else count
            self._last_receipt = time.time()

    def _goodbye(self, client: mqtt.Client) -> None:
        """Graceful stop: a last chance for in-flight acks, then "offline" and DISCONNECT (no will)."""
        deadline = time.monotonic() + self._stop_timeout
        offline = self._publish_control(client, self.topics.health,
                                        payloads.health_payload(self.agency, self.device_id, "offline", reason="stopped"), retain=True)
        while (self._in_flight or offline in self._control_mids) and time.monotonic() < deadline and not self._lost:
            client.loop(LOOP_TIMEOUT_S)
        self._marker.drain(max(0.1, deadline - time.monotonic()))
        self._receipt_marker.drain(max(0.1, deadline - time.monotonic()))
        self.quarantine.flush(force=True)  # the refusals counted but not yet summarised
        client.disconnect()
        log(logger, logging.INFO, "uplink_stopped", unacknowledged=len(self._in_flight))

    def _close(self, client: mqtt.Client) -> None:
        try:
            client.disconnect()
            client.loop(0.01)
        except Exception:
            pass
        sock = client.socket()
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
        with self._lock:
            self._connected_since = None
            self._in_flight = {}

    # -- paho callbacks (run inside client.loop, on the uplink thread) --------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._connack = ("refused", reason_code.value, str(reason_code))
            self._set(error=f"broker refused the connection: {reason_code}")
        else:
            self._connack = ("ok", 0)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._lost = True
        if reason_code is not None and getattr(reason_code, "is_failure", False):
            self._set(error=f"disconnected: {reason_code}")

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        if mid in self._control_mids:
            self._control_mids.discard(mid)
            return
        if mid in self._audit_mids:
            key = self._audit_mids.pop(mid)
            if not getattr(reason_code, "is_failure", False):  # refused: stays unsent until the next connection
                self._audit.acknowledged(key)
            return
        read_id = self._in_flight.pop(mid, None)
        if read_id is None:
            return
        if getattr(reason_code, "is_failure", False):
            # Not accepted (e.g. not authorised for this topic): keep it pending, try again next connection.
            self._refused.add(read_id)
            self._set(error=f"broker refused read {read_id}: {reason_code}", refused_by_broker=1)
            return
        self._marker.add(read_id)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            self._set(error=f"broker refused the downlink subscriptions: {', '.join(refused)}")
        else:
            self._subscribed = True

    def _on_message(self, client, userdata, message) -> None:
        if message.topic == self.topics.receipts and self.receipts_required:
            self._on_receipt(message.topic, message.payload)  # never raises either
            return
        # Returns normally whatever the payload (Downlink.handle never raises),
        # so paho acknowledges the message: nothing is redelivered forever.
        reply = self.downlink.handle(message.topic, message.payload)
        if reply is not None:
            self._publish_control(client, self.topics.health, reply)

    def _on_receipt(self, topic: str, payload: bytes) -> None:
        """A receipt releases its reads; anything else is refused and audited (rate-limited), never raised."""
        try:
            receipt = verify_receipt(payload, self._receipt_key, agency=self.agency, device=self.device_id)
        except Exception as error:  # ReceiptRejected, or a bug: the message must not come back forever
            reason = str(error) if isinstance(error, ReceiptRejected) else f"{type(error).__name__}: {str(error)[:200]}"
            with self._lock:
                self._counts["receipts_rejected"] += 1
                self._last_receipt_rejection = reason
            # A forged or misrouted receipt is a security event: audited once per distinct message.
            self.quarantine.refuse("uplink_receipt_rejected", {"reason": reason}, refusal_digest(topic, payload, reason))
            return
        for read_id in receipt.read_ids:
            self._receipt_marker.add(read_id)


def _iso(moment: float | None) -> str | None:
    return None if moment is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
