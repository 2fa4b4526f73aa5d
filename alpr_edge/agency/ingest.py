"""The agency's ingest worker: reads in from the broker, committed, receipted.

Any number of workers share the load through one MQTT 5 shared subscription
(``$share/GROUP/PREFIX/AGENCY/+/reads`` and ``.../hits``): the broker hands
each message to one member of the group. Per batch (up to ``batch_max``
reads or ``batch_wait_s``):

    open (sealed reads) and check each message        -> a row, or a rejection
    commit the rows in one transaction, id as primary key (a resend is stored once)
    PUBACK each message to the broker (manual acks: only after the commit)
    publish one signed receipt per device with every id it now has (new or known)

The order is the guarantee: a receipt is sent only for what is committed, and
a crash before the commit leaves the messages unacknowledged in the worker's
persistent session, so the broker delivers them again. Should a receipt get
lost, the device sends the read again after its timeout and gets a new one.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from alpr_edge.agency.db import ReadDatabase
from alpr_edge.logs import RateLimited, log
from alpr_edge.uplink.client import Endpoint, backoff_delay
from alpr_edge.uplink.payloads import READ_SCHEMA
from alpr_edge.uplink.receipts import sign_receipt
from alpr_edge.uplink.sealing import SEALED_SCHEMA, SealError, open_sealed

logger = logging.getLogger(__name__)

READ_KINDS = ("reads", "hits")
MAX_ID_LENGTH = 64
CONNECT_TIMEOUT_S = 10.0


class Rejected(Exception):
    """A message the ingest will not commit; the message says why (no plate text)."""


@dataclass(frozen=True)
class IngestSettings:
    prefix: str
    agency: str
    worker: str
    share_group: str = "ingest"
    batch_max: int = 200
    batch_wait_s: float = 0.1
    session_expiry_s: int = 86400
    keepalive_s: int = 30
    require_sealed: bool = False
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 10.0

    def filters(self) -> list[str]:
        return [f"$share/{self.share_group}/{self.prefix}/{self.agency}/+/{kind}" for kind in READ_KINDS]

    def receipts_topic(self, device: str) -> str:
        return f"{self.prefix}/{self.agency}/{device}/receipts"


def _topic_device(topic: str, settings: IngestSettings) -> str:
    head = f"{settings.prefix}/{settings.agency}/"
    rest = topic[len(head):].split("/") if topic.startswith(head) else []
    if len(rest) != 2 or rest[1] not in READ_KINDS or not rest[0]:
        raise Rejected("topic is not PREFIX/AGENCY/DEVICE/reads|hits")
    return rest[0]


def _image(value, name: str) -> bytes | None:
    if value in (None, ""):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (TypeError, ValueError, binascii.Error):
        raise Rejected(f"{name}: not base64") from None


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def read_row(topic: str, payload: bytes, settings: IngestSettings, seal_key, received_at: float) -> dict[str, Any]:
    """One message as a database row (``agency.db.COLUMNS``), or Rejected."""
    device = _topic_device(topic, settings)
    try:
        message = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Rejected("not JSON") from None
    if not isinstance(message, dict):
        raise Rejected("not a JSON object")
    sealed = message.get("schema") == SEALED_SCHEMA
    if sealed:
        if seal_key is None:
            raise Rejected("sealed read, but this ingest has no seal_private_key")
        try:
            message = open_sealed(seal_key, message)
        except (SealError, ValueError) as error:
            raise Rejected(f"sealed read: {error}") from None
    elif settings.require_sealed:
        raise Rejected("unsealed read refused (agency.require_sealed)")
    if message.get("schema") != READ_SCHEMA:
        raise Rejected(f"schema: expected {READ_SCHEMA!r} or {SEALED_SCHEMA!r}")
    read_id = message.get("read_id")
    if not isinstance(read_id, str) or not 0 < len(read_id) <= MAX_ID_LENGTH:
        raise Rejected("read_id: expected an id string")
    # The broker's ACLs let a device publish only under its own topic; the
    # message must agree with the topic, so a device cannot file reads as another.
    if message.get("agency") != settings.agency or message.get("device") != device:
        raise Rejected(f"read {read_id}: agency/device in the message differ from the topic")
    crop = _image(message.pop("crop_jpeg_b64", None), "crop_jpeg_b64")
    overview = _image(message.pop("overview_jpeg_b64", None), "overview_jpeg_b64")
    position = message.get("position") if isinstance(message.get("position"), dict) else {}
    return {
        "read_id": read_id, "agency": settings.agency, "device": device, "has_hit": int(bool(message.get("has_hit"))),
        "sealed": int(sealed), "captured_at": message.get("captured_at") if isinstance(message.get("captured_at"), str) else None,
        "plate": message.get("text") if isinstance(message.get("text"), str) else None,
        "state": message.get("state") if isinstance(message.get("state"), str) else None,
        "latitude": _number(position.get("lat")), "longitude": _number(position.get("lon")),
        "confidence": _number(message.get("confidence")),
        "message": json.dumps(message, separators=(",", ":"), allow_nan=False), "crop_jpeg": crop, "overview_jpeg": overview,
        "received_at": received_at, "committed_at": 0.0, "worker": settings.worker,
    }


@dataclass
class _Pending:
    mid: int
    qos: int
    topic: str
    payload: bytes
    received_at: float


@dataclass
class IngestCounts:
    received: int = 0
    committed: int = 0
    duplicates: int = 0  # already committed: a resend, receipted again
    rejected: int = 0
    receipts: int = 0
    batches: int = 0
    reconnects: int = 0
    last_error: str | None = None


class IngestWorker:
    """One worker; ``run()`` until ``stop()`` (the CLI calls run() on its main thread)."""

    def __init__(self, settings: IngestSettings, endpoint: Endpoint, database: ReadDatabase, *, signing_key,
                 seal_key=None, tls_context=None, rng: random.Random | None = None):
        self.settings = settings
        self.endpoint = endpoint
        self.db = database
        self.signing_key = signing_key
        self.seal_key = seal_key
        self._tls = tls_context
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._errors = RateLimited(logger, 60.0)
        self.counts = IngestCounts()
        self.connected = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            client = self._new_client()
            try:
                if self._connect(client):
                    attempt = 0
                    self._session(client)
            except Exception as error:  # network or database: log, back off, connect again
                self.counts.last_error = f"{type(error).__name__}: {error}"
                self._errors(logging.WARNING, "ingest_connection_failed", worker=self.settings.worker, error=str(error))
            finally:
                self.connected.clear()
                try:
                    client.disconnect()
                    client.loop(0.01)
                except Exception:
                    pass
            if self._stop.is_set():
                break
            self.counts.reconnects += 1
            self._stop.wait(backoff_delay(attempt, self.settings.reconnect_min_s, self.settings.reconnect_max_s, self._rng))
            attempt += 1

    # -- connection ------------------------------------------------------------

    def _new_client(self) -> mqtt.Client:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"alpr-edge-ingest-{self.settings.worker}",
                             protocol=mqtt.MQTTv5, reconnect_on_failure=False, manual_ack=True)
        if self._tls is not None:
            client.tls_set_context(self._tls)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def _connect(self, client: mqtt.Client) -> bool:
        self._batch: list[_Pending] = []
        self._connack: bool | None = None
        self._subscribed = False
        self._lost = False
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.settings.session_expiry_s
        # Unacknowledged reads the broker may hand this worker at once: enough to
        # fill two batches (acks wait for the commit), bounded so one worker
        # does not hoard the load while its database is slow.
        properties.ReceiveMaximum = min(65535, 2 * self.settings.batch_max)
        client.connect(self.endpoint.host, self.endpoint.port, self.settings.keepalive_s, clean_start=False,
                       properties=properties)
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while self._connack is None and not self._lost and time.monotonic() < deadline and not self._stop.is_set():
            client.loop(0.1)
        if not self._connack:
            return False
        client.subscribe([(topic, 1) for topic in self.settings.filters()])
        return True

    def _session(self, client: mqtt.Client) -> None:
        log(logger, logging.INFO, "ingest_connected", worker=self.settings.worker, broker=self.endpoint.url())
        while not self._lost and not self._stop.is_set():
            if client.loop(0.02) != mqtt.MQTT_ERR_SUCCESS:
                break
            if self._batch and (len(self._batch) >= self.settings.batch_max
                                or time.time() - self._batch[0].received_at >= self.settings.batch_wait_s):
                self._flush(client)
        if self._stop.is_set() and not self._lost:
            self._flush(client)  # graceful stop: what arrived is committed and acknowledged
            deadline = time.monotonic() + 2.0
            while client.want_write() and time.monotonic() < deadline:
                client.loop(0.02)

    # -- a batch ---------------------------------------------------------------

    def _flush(self, client: mqtt.Client) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        rows, rejected = [], []
        for item in batch:
            try:
                rows.append(read_row(item.topic, item.payload, self.settings, self.seal_key, item.received_at))
            except Rejected as error:
                rejected.append((item, str(error)))
        committed_at = time.time()
        for row in rows:
            row["committed_at"] = committed_at
        # A database error propagates: nothing is acknowledged, the session ends,
        # and the broker delivers the batch again on the next connection.
        result = self.db.commit(rows)
        for item, reason in rejected:
            self._reject(item, reason)
        for item in batch:
            client.ack(item.mid, item.qos)
        self._receipt(client, rows)
        counts = self.counts
        counts.batches += 1
        counts.committed += len(result.new)
        counts.duplicates += len(result.known)
        counts.rejected += len(rejected)

    def _reject(self, item: _Pending, reason: str) -> None:
        # Acknowledged all the same: a message that cannot be opened will not open on redelivery.
        read_id = None
        try:
            read_id = str(json.loads(item.payload).get("read_id"))[:MAX_ID_LENGTH]
        except Exception:
            pass
        self.db.reject(item.topic, reason, read_id, self.settings.worker)
        self._errors(logging.WARNING, "ingest_rejected", worker=self.settings.worker, topic=item.topic, reason=reason)

    def _receipt(self, client: mqtt.Client, rows: list[dict]) -> None:
        by_device: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            by_device[row["device"]].append(row["read_id"])
        for device, ids in by_device.items():
            body = sign_receipt(self.signing_key, agency=self.settings.agency, device=device, read_ids=ids)
            client.publish(self.settings.receipts_topic(device), body, qos=1)
            self.counts.receipts += 1

    # -- paho callbacks ----------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        self._connack = not reason_code.is_failure
        if reason_code.is_failure:
            self.counts.last_error = f"broker refused the connection: {reason_code}"

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._lost = True

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            self.counts.last_error = f"broker refused the shared subscription: {', '.join(refused)}"
            self._lost = True
        else:
            self._subscribed = True
            self.connected.set()

    def _on_message(self, client, userdata, message) -> None:
        self.counts.received += 1
        self._batch.append(_Pending(message.mid, message.qos, message.topic, message.payload, time.time()))
