"""The audit trail leaves the device: every record once acknowledged, verifiable at the agency."""

from __future__ import annotations

import base64
import json

from alpr_edge.store.audit import record_hash
from alpr_edge.store.keys import load_device_public_key
from alpr_edge.uplink import Uplink

from .conftest import AGENCY, DEVICE, RealOutbox, settings_for, wait_for


def make_uplink(broker, store, pki, tmp_path) -> Uplink:
    return Uplink(settings_for(broker), agency=AGENCY, device_id=DEVICE, store=store, tls=pki.device,
                  hotlist_sink=None, hotlist_public_key=None, seal_public_key=None, state_dir=tmp_path / "state")


def verify_chain(records: list[dict], data_dir) -> int:
    """What an agency receiver does: recompute each hash, follow prev_hash, check signatures."""
    public = load_device_public_key(data_dir)
    signed = 0
    for previous, record in zip([None, *records], records):
        stored = {**record, "details": base64.b64decode(record["details_sealed_b64"]) if record["details_sealed_b64"] else None}
        assert record_hash(stored) == record["hash"], f"record {record['seq']} altered"
        if previous is not None:
            assert record["prev_hash"] == previous["hash"], f"chain broken before {record['seq']}"
        if record["signature_b64"]:
            public.verify(base64.b64decode(record["signature_b64"]),
                          f"alpr-edge audit record {record['seq']} {record['hash']}".encode())
            signed += 1
    return signed


def test_audit_records_are_shipped_once_and_verify_at_the_agency(broker, receiver, pki, tmp_path):
    outbox = RealOutbox(tmp_path / "data")
    try:
        for index in range(30):
            outbox.audit("officer1", "officer", "search", data={"plate": f"ABC{index}"}, purpose="investigation",
                         case_number=f"C-{index}")
        first = make_uplink(broker, outbox, pki, tmp_path)
        first.start()
        assert wait_for(lambda: len(receiver.json_on("/audit")) >= 30)
        assert wait_for(lambda: first.status()["audit_shipped_seq"] >= 30)
        first.stop()
        records = sorted({r["seq"]: r for r in receiver.json_on("/audit") if r["schema"] == "alpr-edge/audit/1"}.values(),
                         key=lambda r: r["seq"])
        assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
        assert b"ABC1" not in json.dumps(records).encode(), "details stay sealed"
        verify_chain(records, tmp_path / "data")

        outbox.audit("admin", "admin", "export", data={"rows": 3}, outcome="ok")
        second = make_uplink(broker, outbox, pki, tmp_path)
        second.start()
        try:
            assert wait_for(lambda: receiver.json_on("/audit")[-1]["action"] == "export")
        finally:
            second.stop()
        shipped = [m["seq"] for m in receiver.json_on("/audit") if m["schema"] == "alpr-edge/audit/1"]
        assert len(shipped) == len(set(shipped)) == 31, "acknowledged records are not sent again"
        outbox.store.close()  # signs the head, record 31, shipped unsigned
        outbox.store = RealOutbox(tmp_path / "data").store
        third = make_uplink(broker, outbox, pki, tmp_path)
        third.start()
        try:
            assert wait_for(lambda: any(m["seq"] == 31 for m in receiver.json_on("/audit")
                                        if m["schema"] == "alpr-edge/audit-signature/1"))
        finally:
            third.stop()
        head = [m for m in receiver.json_on("/audit") if m["schema"] == "alpr-edge/audit-signature/1" and m["seq"] == 31][0]
        [export] = [m for m in receiver.json_on("/audit") if m["schema"] == "alpr-edge/audit/1" and m["seq"] == 31]
        assert head["hash"] == export["hash"] and export["prev_hash"] == records[-1]["hash"]
        load_device_public_key(tmp_path / "data").verify(
            base64.b64decode(head["signature_b64"]), f"alpr-edge audit record 31 {head['hash']}".encode())
    finally:
        outbox.close()


def test_a_store_without_an_audit_table_ships_nothing(store, tmp_path):
    from alpr_edge.uplink.audit_forward import AuditForwarder

    forwarder = AuditForwarder(store, tmp_path, AGENCY, DEVICE)
    assert not forwarder.enabled and forwarder.next_messages() == []


def test_the_cursor_waits_for_the_oldest_unacknowledged_record(tmp_path):
    from alpr_edge.uplink.audit_forward import AuditForwarder

    class Store:
        db = None

    forwarder = AuditForwarder(Store(), tmp_path, AGENCY, DEVICE)
    forwarder._sent = {3, 4, 6}  # 5 was purged before it could be sent
    forwarder.acknowledged(("record", 4))
    assert forwarder.cursor == 0
    forwarder.acknowledged(("record", 3))
    assert forwarder.cursor == 4
    forwarder.acknowledged(("record", 6))
    assert forwarder.cursor == 6
    assert AuditForwarder(Store(), tmp_path, AGENCY, DEVICE).cursor == 6
