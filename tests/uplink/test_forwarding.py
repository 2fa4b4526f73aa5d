"""Store-and-forward against a real Mosquitto with TLS client certificates."""

from __future__ import annotations

import base64
import json
import socket

import pytest

from alpr_edge.uplink import Uplink, UplinkConfigError

from .conftest import AGENCY, DEVICE, settings_for, wait_for


def make_uplink(broker, store, tls, tmp_path, **overrides) -> Uplink:
    return Uplink(
        settings_for(broker, **overrides), agency=AGENCY, device_id=DEVICE, store=store, tls=tls,
        hotlist_sink=None, hotlist_public_key=None, seal_public_key=None, state_dir=tmp_path / "state",
    )


@pytest.fixture
def uplinks():
    started = []
    yield started
    for uplink in started:
        uplink.stop(timeout=0.5)


def test_reads_are_marked_uploaded_only_after_the_broker_acknowledges(broker, receiver, outbox, pki, tmp_path, uplinks):
    store = outbox
    uplink = make_uplink(broker, store, pki.device, tmp_path)
    uplinks.append(uplink)
    uplink.start()
    assert wait_for(lambda: uplink.status()["state"] == "connected")
    broker.freeze()  # the broker receives nothing and acknowledges nothing
    ids = store.add(5)
    uplink.wake()
    assert wait_for(lambda: uplink.status()["published"] == 5)
    wait_for(lambda: False, timeout=0.5)
    status = uplink.status()
    assert status["in_flight"] == 5 and status["acknowledged"] == 0
    assert store.uploaded == set() and store.upload_backlog() == 5
    broker.thaw()
    assert wait_for(lambda: store.uploaded == set(ids))
    assert wait_for(lambda: len(receiver.reads()) == 5)
    messages = receiver.reads()
    assert [m["read_id"] for m in messages] == ids
    first = messages[0]
    assert first["schema"] == "alpr-edge/read/1" and first["agency"] == AGENCY and first["device"] == DEVICE
    assert base64.b64decode(first["crop_jpeg_b64"]) == store.image(ids[0], "crop_jpeg")
    assert uplink.status()["acknowledged"] == 5 and uplink.status()["backlog"] == 0


def test_online_is_retained_and_a_graceful_stop_publishes_offline(broker, receiver, store, pki, tmp_path):
    uplink = make_uplink(broker, store, pki.device, tmp_path)
    uplink.start()
    assert wait_for(lambda: [m["state"] for m in receiver.json_on("/health")] == ["online"])
    uplink.stop()
    assert wait_for(lambda: [m["state"] for m in receiver.json_on("/health")] == ["online", "offline"])
    assert uplink.status()["state"] == "offline"


def test_the_last_will_says_offline_when_the_link_dies(broker, receiver, store, pki, tmp_path, uplinks):
    uplink = make_uplink(broker, store, pki.device, tmp_path, keepalive_s=5)
    uplinks.append(uplink)
    uplink.start()
    assert wait_for(lambda: uplink.status()["state"] == "connected")
    # The link dies under the client (no DISCONNECT): the broker publishes the will.
    uplink._client.socket().shutdown(socket.SHUT_RDWR)
    assert wait_for(lambda: any(m.get("reason") == "connection lost" for m in receiver.json_on("/health")), timeout=10)
    # ... and the uplink comes back by itself, saying so.
    assert wait_for(lambda: uplink.status()["state"] == "connected" and uplink.status()["reconnects"] >= 1)
    assert wait_for(lambda: receiver.json_on("/health")[-1]["state"] == "online")


def test_after_a_broker_outage_every_read_arrives_hits_first(broker, receiver, outbox, pki, tmp_path, uplinks):
    store = outbox
    uplink = make_uplink(broker, store, pki.device, tmp_path, in_flight=8)
    uplinks.append(uplink)
    uplink.start()
    assert wait_for(lambda: uplink.status()["state"] == "connected")
    broker.stop()
    assert wait_for(lambda: uplink.status()["state"] in ("offline", "connecting"))
    reads = store.add(40)
    hits = store.add(3, hit=True)
    uplink.wake()
    wait_for(lambda: False, timeout=1.0)  # a few reconnect attempts fail meanwhile
    assert uplink.status()["reconnects"] >= 1 and store.upload_backlog() == 43
    broker.start()
    assert wait_for(lambda: store.upload_backlog() == 0, timeout=15)
    assert wait_for(lambda: len({m["read_id"] for m in receiver.reads()}) == 43, timeout=10)
    arrived = [m["read_id"] for m in receiver.reads()]
    assert arrived[:3] == hits, "hits go before the backlog of ordinary reads"
    first_seen = list(dict.fromkeys(arrived))
    assert first_seen[3:] == reads, "the backlog drains oldest first"
    assert all(m["has_hit"] for m in receiver.reads()[:3])


def test_a_live_hit_overtakes_a_backlog(broker, receiver, store, pki, tmp_path, uplinks):
    backlog = store.add(300, crop=2000, overview=20000)
    uplink = make_uplink(broker, store, pki.device, tmp_path, in_flight=16)
    uplinks.append(uplink)
    uplink.start()
    assert wait_for(lambda: len(receiver.reads()) >= 20)
    [hit] = store.add(1, hit=True)
    # Counted once the hit is stored: what arrived by now went before the hit
    # could be sent, however slowly this machine ran the lines above.
    arrived_before = len({m["read_id"] for m in receiver.reads()})
    uplink.wake()
    assert wait_for(lambda: store.upload_backlog() == 0, timeout=20)
    assert wait_for(lambda: len(receiver.reads()) >= 301)
    arrived = list(dict.fromkeys(m["read_id"] for m in receiver.reads()))
    # It may wait for what was already in flight or fetched (a window of 16,
    # the outbox batches it fetched), never for the rest of the backlog.
    assert arrived_before < 250, "the backlog drained before the hit could be added: inconclusive"
    assert arrived.index(hit) <= arrived_before + 128, f"the hit waited behind {arrived.index(hit)} reads"
    assert set(arrived) == set(backlog) | {hit}


def test_a_restarted_uplink_resends_what_was_never_acknowledged(broker, receiver, outbox, pki, tmp_path):
    store = outbox
    ids = store.add(10)
    broker.freeze()
    first = make_uplink(broker, store, pki.device, tmp_path)
    first.start()
    broker.thaw()
    assert wait_for(lambda: first.status()["state"] == "connected")
    broker.freeze()
    more = store.add(10)
    first.wake()
    wait_for(lambda: first.status()["published"] >= 20, timeout=5)
    first.stop(timeout=0.3)  # gives up waiting for acknowledgements
    assert store.upload_backlog() > 0
    broker.thaw()
    second = make_uplink(broker, store, pki.device, tmp_path)
    second.start()
    try:
        assert wait_for(lambda: store.upload_backlog() == 0, timeout=10)
    finally:
        second.stop()
    assert wait_for(lambda: {m["read_id"] for m in receiver.reads()} == set(ids + more))


def test_a_client_certificate_from_another_ca_is_refused(broker, receiver, store, pki, tmp_path, uplinks):
    store.add(3)
    uplink = make_uplink(broker, store, pki.rogue_device, tmp_path)
    uplinks.append(uplink)
    uplink.start()
    assert wait_for(lambda: uplink.status()["reconnects"] >= 2)
    status = uplink.status()
    assert status["state"] != "connected" and status["last_error"]
    assert status["published"] == 0 and store.upload_backlog() == 3
    assert receiver.reads() == []


def test_plaintext_needs_explicit_permission(store, tmp_path):
    from alpr_edge.config import UplinkSection

    with pytest.raises(UplinkConfigError, match="allow_plaintext"):
        Uplink(UplinkSection(broker="mqtt://127.0.0.1:1883"), agency=AGENCY, device_id=DEVICE, store=store,
               tls=None, hotlist_sink=None, hotlist_public_key=None, seal_public_key=None, state_dir=tmp_path)


def test_no_broker_means_disabled(store, tmp_path):
    from alpr_edge.config import UplinkSection

    uplink = Uplink(UplinkSection(), agency=AGENCY, device_id=DEVICE, store=store, tls=None, hotlist_sink=None,
                    hotlist_public_key=None, seal_public_key=None, state_dir=tmp_path)
    uplink.start()
    store.add(2)
    assert uplink.status()["state"] == "disabled" and uplink.status()["backlog"] == 2
    uplink.stop()


def test_ping_and_status_commands_are_answered_on_health(broker, receiver, store, pki, tmp_path, uplinks):
    uplink = make_uplink(broker, store, pki.device, tmp_path)
    uplinks.append(uplink)
    uplink.start()
    assert wait_for(lambda: uplink.status()["downlink_subscribed"])
    commands = f"alpr/{AGENCY}/{DEVICE}/commands"
    receiver.publish(commands, json.dumps({"schema": "alpr-edge/command/1", "id": "c1", "command": "status"}).encode())
    receiver.publish(commands, b"not json")
    assert wait_for(lambda: len([m for m in receiver.json_on("/health") if "command_id" in m]) == 2, timeout=20), \
        receiver.json_on("/health")
    replies = {m["command_id"]: m for m in receiver.json_on("/health") if "command_id" in m}
    assert replies["c1"]["ok"] and replies["c1"]["status"]["state"] == "connected"
    assert replies[None]["ok"] is False and replies[None]["error"]
