"""MQTT 5 first, 3.1.1 when the broker refuses 5 (a stand-in broker that only speaks 3.1.1)."""

from __future__ import annotations

import socket
import threading

from alpr_edge.config import UplinkSection
from alpr_edge.uplink import Uplink

from .conftest import AGENCY, DEVICE, FakeStore, wait_for


class OldBroker:
    """Accepts MQTT 3.1.1 CONNECTs, refuses protocol level 5 the way a 3.1.1 broker does (CONNACK rc 1)."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.levels: list[int] = []
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(conn)
            conn.recv(1)  # CONNECT
            length, shift = 0, 0
            while True:  # the remaining length, a variable-length integer
                byte = conn.recv(1)[0]
                length |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            body = b""
            while len(body) < length:
                body += conn.recv(length - len(body))
            level = body[6]  # after the 2-byte length and "MQTT"
            self.levels.append(level)
            if level == 5:
                conn.sendall(b"\x20\x02\x00\x01")
                conn.close()
            else:
                conn.sendall(b"\x20\x02\x00\x00")

    def close(self) -> None:
        self.server.close()
        for conn in self.connections:
            conn.close()


def test_falls_back_to_3_1_1_when_the_broker_refuses_5(tmp_path):
    old = OldBroker()
    settings = UplinkSection(broker=f"mqtt://127.0.0.1:{old.port}", allow_plaintext=True,
                             reconnect_min_s=0.05, reconnect_max_s=0.1)
    uplink = Uplink(settings, agency=AGENCY, device_id=DEVICE, store=FakeStore(), tls=None, hotlist_sink=None,
                    hotlist_public_key=None, seal_public_key=None, state_dir=tmp_path)
    uplink.start()
    try:
        assert wait_for(lambda: uplink.status()["state"] == "connected", timeout=10)
        assert old.levels[:2] == [5, 4]
        assert uplink.status()["protocol"] == "3.1.1"
    finally:
        uplink.stop(timeout=0.2)
        old.close()


def test_store_and_forward_works_over_3_1_1_too(broker, receiver, pki, tmp_path):
    import paho.mqtt.client as mqtt

    from .conftest import settings_for

    store = FakeStore()
    ids = store.add(5) + store.add(1, hit=True)
    uplink = Uplink(settings_for(broker), agency=AGENCY, device_id=DEVICE, store=store, tls=pki.device,
                    hotlist_sink=None, hotlist_public_key=None, seal_public_key=None, state_dir=tmp_path)
    uplink.protocol = mqtt.MQTTv311  # as after a fallback
    uplink.start()
    try:
        assert wait_for(lambda: store.upload_backlog() == 0)
        assert uplink.status()["protocol"] == "3.1.1"
    finally:
        uplink.stop()
    assert wait_for(lambda: {m["read_id"] for m in receiver.reads()} == set(ids))
    assert [m["state"] for m in receiver.json_on("/health")][-1] == "offline"
