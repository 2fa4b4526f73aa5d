"""Signed hot lists: the checks on their own, then arriving through a real broker."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from alpr_edge.uplink import (
    HotlistRejected,
    Uplink,
    VersionLedger,
    sign_hotlist,
    verify_hotlist,
)
from alpr_edge.uplink.hotlists import HotlistReceiver

from .conftest import AGENCY, DEVICE, settings_for, wait_for

KEY = Ed25519PrivateKey.generate()
BODY = b"plate,state,list,reason\nABC1234,CA,stolen,stolen vehicle\n"


def signed(version: int, *, name: str = "stolen", body: bytes = BODY, key=KEY, fmt: str = "csv") -> bytes:
    return sign_hotlist(key, list_name=name, version=version, fmt=fmt, body=body, issued_at="2026-11-22T19:00:00Z")


def tamper(envelope: bytes, **changes) -> bytes:
    outer = json.loads(envelope)
    document = json.loads(base64.b64decode(outer["document"]))
    document.update(changes)
    outer["document"] = base64.b64encode(json.dumps(document).encode()).decode()
    return json.dumps(outer).encode()


class Sink:
    def __init__(self):
        self.calls = []

    def __call__(self, name, version, fmt, body, issued_at):
        if body.startswith(b"BROKEN"):
            raise ValueError("line 1: not a CSV header")
        self.calls.append((name, version, fmt, body, issued_at))


@pytest.fixture
def receiver_of_lists(tmp_path):
    sink = Sink()
    audits = []
    receiver = HotlistReceiver(KEY.public_key(), VersionLedger(tmp_path / "versions.json"), sink,
                               audit=lambda *a, **k: audits.append((a, k)))
    return receiver, sink, audits


def test_a_signed_list_round_trips():
    document = verify_hotlist(signed(3), KEY.public_key(), "stolen")
    assert (document.list, document.version, document.format, document.body) == ("stolen", 3, "csv", BODY)


@pytest.mark.parametrize("payload, reason", [
    (tamper(signed(5), body_b64=base64.b64encode(b"ZZZ999,CA,stolen,x\n").decode()), "bad signature"),
    (tamper(signed(5), version=6), "bad signature"),
    (json.dumps({"schema": "alpr-edge/signed-hotlist/1", "document": "e30="}).encode(), "unsigned"),
    (signed(5, key=Ed25519PrivateKey.generate()), "bad signature"),
    (b"\x00\x01 not json", "malformed envelope"),
    (json.dumps({"schema": "something/else"}).encode(), "malformed envelope"),
    (signed(5, name="wanted"), "arrived on the topic of list 'stolen'"),
])
def test_bad_documents_are_refused_with_a_reason(payload, reason):
    with pytest.raises(HotlistRejected, match=reason):
        verify_hotlist(payload, KEY.public_key(), "stolen")


def test_an_unprovisioned_device_refuses_every_list():
    with pytest.raises(HotlistRejected, match="no hot list signing key"):
        verify_hotlist(signed(1), None, "stolen")


def test_only_newer_versions_replace_the_list_in_force_and_survive_a_restart(receiver_of_lists, tmp_path):
    receiver, sink, audits = receiver_of_lists
    assert receiver.handle("stolen", signed(2))
    assert not receiver.handle("stolen", signed(1))
    assert "not newer" in receiver.last_rejection
    assert not receiver.handle("stolen", signed(2, body=b"other,CA\n"))  # same version, other content
    assert not receiver.handle("stolen", signed(3, body=b"BROKEN"))  # the engine refuses it
    assert "engine refused" in receiver.last_rejection
    assert [c[1] for c in sink.calls] == [2]
    assert receiver.ledger.version("stolen") == 2
    restarted = VersionLedger(tmp_path / "versions.json")
    assert restarted.version("stolen") == 2
    assert [a[0][2] for a in audits] == ["hotlist_accepted"] + ["hotlist_rejected"] * 3


def test_the_same_document_delivered_again_is_quietly_ignored(receiver_of_lists):
    receiver, sink, _ = receiver_of_lists
    envelope = signed(4)
    assert receiver.handle("stolen", envelope)
    assert not receiver.handle("stolen", envelope)
    assert receiver.rejected == 0 and len(sink.calls) == 1


def test_a_damaged_ledger_is_set_aside(tmp_path):
    path = tmp_path / "versions.json"
    path.write_text("{half a file")
    assert VersionLedger(path).versions() == {}
    assert (tmp_path / "versions.json.damaged").exists()


def test_lists_arrive_through_the_broker_and_bad_ones_leave_the_old_in_force(broker, receiver, store, pki, tmp_path):
    sink = Sink()
    topic = f"alpr/{AGENCY}/hotlists/stolen"
    receiver.publish(topic, signed(7), retain=True)  # published while the device is away
    uplink = Uplink(settings_for(broker), agency=AGENCY, device_id=DEVICE, store=store, tls=pki.device,
                    hotlist_sink=sink, hotlist_public_key=KEY.public_key(), seal_public_key=None,
                    state_dir=tmp_path / "state")
    uplink.start()
    try:
        assert wait_for(lambda: [c[1] for c in sink.calls] == [7])
        for index, bad in enumerate([tamper(signed(8), body_b64="QUJD"), signed(6),
                                     json.dumps({"schema": "alpr-edge/signed-hotlist/1", "document": "e30="}).encode()]):
            receiver.publish(topic, bad)
            assert wait_for(lambda expected=index + 1: uplink.status()["hotlists_rejected"] == expected)
        status = uplink.status()
        assert status["hotlists"] == {"stolen": 7} and len(sink.calls) == 1
        assert "unsigned" in status["last_hotlist_rejection"]
        receiver.publish(topic, signed(9), retain=True)
        assert wait_for(lambda: uplink.status()["hotlists"] == {"stolen": 9})
    finally:
        uplink.stop()
    assert [a[2] for a in store.audits].count("hotlist_accepted") == 2


def test_the_engine_sink_parses_with_the_lists_format_and_installs_it():
    from alpr_edge.uplink import hotlist_engine_sink

    class Engine:
        def __init__(self):
            self.installed = []

        def replace(self, hotlist, actor, role):
            self.installed.append((hotlist, actor))

    def parse_csv(body, *, name, version, filename):
        if not body.startswith(b"plate"):
            raise ValueError(f"{filename}:1: header: expected plate,state,...")
        return (name, version, body.count(b"\n") - 1)

    engine = Engine()
    sink = hotlist_engine_sink(engine, {"csv": parse_csv})
    sink("stolen", 3, "csv", BODY, "2026-11-22T19:00:00Z")
    assert engine.installed == [(("stolen", 3, 1), "uplink")]
    with pytest.raises(ValueError, match="header"):
        sink("stolen", 4, "csv", b"garbage\n", "2026-11-22T19:00:00Z")


def test_a_list_sent_while_the_device_was_away_arrives_through_its_persistent_session(broker, receiver, store, pki, tmp_path):
    def make(sink):
        return Uplink(settings_for(broker), agency=AGENCY, device_id=DEVICE, store=store, tls=pki.device,
                      hotlist_sink=sink, hotlist_public_key=KEY.public_key(), seal_public_key=None,
                      state_dir=tmp_path / "state")

    first = make(Sink())
    first.start()
    assert wait_for(lambda: first.status()["downlink_subscribed"])
    first.stop()
    receiver.publish(f"alpr/{AGENCY}/hotlists/wanted", signed(5, name="wanted"))  # not retained
    sink = Sink()
    second = make(sink)
    second.start()
    try:
        assert wait_for(lambda: [(c[0], c[1]) for c in sink.calls] == [("wanted", 5)])
    finally:
        second.stop()


def test_lists_reach_the_real_hot_list_engine_and_a_bad_file_leaves_the_old_one_in_force(broker, receiver, store, pki, tmp_path):
    from alpr_edge.hotlist import HotListEngine, MemoryListStorage
    from alpr_edge.uplink import hotlist_engine_sink

    header = b"plate,state,list,reason,vehicle,entered_by,case_number,synopsis,expires\n"
    good = header + b"8FJK21,CA,BOLO,Robbery suspect vehicle,Silver sedan,Sgt #4411,26-004518,Armed robbery; fled north,2099-12-06\n"
    newer = good + b"7TRL330,CA,BOLO,Hit and run suspect vehicle,Dark pickup,Ofc #5120,26-004602,Hit and run with injury,2099-12-01\n"
    bad = header + b"8FJK21,CA,BOLO,investigation,,,,,2099-13-45\n"
    engine = HotListEngine(MemoryListStorage(), audit=lambda *a, **k: None)
    uplink = Uplink(settings_for(broker), agency=AGENCY, device_id=DEVICE, store=store, tls=pki.device,
                    hotlist_sink=hotlist_engine_sink(engine), hotlist_public_key=KEY.public_key(), seal_public_key=None,
                    state_dir=tmp_path / "state")
    topic = f"alpr/{AGENCY}/hotlists/bolo"
    uplink.start()
    try:
        receiver.publish(topic, signed(1, name="bolo", body=good), retain=True)  # as agencies publish lists
        assert wait_for(lambda: uplink.status()["hotlists"] == {"bolo": 1})
        assert engine.match("8FJK21", "CA", ())
        receiver.publish(topic, signed(2, name="bolo", body=bad))
        assert wait_for(lambda: uplink.status()["hotlists_rejected"] == 1)
        assert "engine refused" in uplink.status()["last_hotlist_rejection"]
        receiver.publish(topic, signed(3, name="bolo", body=newer))
        assert wait_for(lambda: uplink.status()["hotlists"] == {"bolo": 3})
    finally:
        uplink.stop()
    assert [s.version for s in engine.lists()] == [3]
    assert engine.match("7TRL330", "CA", ())
