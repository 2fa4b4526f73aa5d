"""MQTT downlink payloads, unsigned and signed: Downlink.handle never raises, nothing unsigned or
malformed is put in force, and the refusals written to the audit trail stay bounded."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from alpr_edge.uplink import VersionLedger
from alpr_edge.uplink.downlink import Downlink, Quarantine
from alpr_edge.uplink.hotlists import ENVELOPE_SCHEMA, SIGNING_CONTEXT, HotlistReceiver
from alpr_edge.uplink.payloads import Topics

from .conftest import FUZZ

KEY = Ed25519PrivateKey.generate()
TOPICS = Topics("alpr", "agency", "car-7")
LIST_TOPIC = TOPICS.hotlist("stolen")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
NESTING = st.sampled_from([b"[", b"{", b'{"a":']).flatmap(lambda c: st.integers(900, 60_000).map(lambda n: c * n))


def _json_bytes(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _document() -> st.SearchStrategy[bytes]:
    fields = st.fixed_dictionaries({}, optional={
        "schema": st.sampled_from(["alpr-edge/hotlist/1", "x"]), "list": st.sampled_from(["stolen", "other", "", 5]),
        "version": st.one_of(st.integers(-5, 2**80), st.floats(), st.text(max_size=5)),
        "format": st.sampled_from(["csv", "ncic", "clew", "xml", None]),
        "issued_at": st.sampled_from(["2026-11-22T19:00:00Z", "yesterday", 3]),
        "body_b64": st.one_of(st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode()), st.text(max_size=10)),
    })
    return st.one_of(fields.map(_json_bytes), JSON_VALUES.map(_json_bytes), NESTING, st.binary(max_size=200))


def _signed(document: bytes, extra: dict) -> bytes:
    envelope = {"schema": ENVELOPE_SCHEMA, "document": base64.b64encode(document).decode(),
                "signature": base64.b64encode(KEY.sign(SIGNING_CONTEXT + document)).decode(), **extra}
    return json.dumps(envelope).encode()


class Engine:
    def __init__(self):
        self.installed = []

    def __call__(self, name, version, fmt, body, issued_at):
        if not body.startswith(b"plate"):
            raise ValueError("list.txt:1: header: expected plate,...")
        self.installed.append((name, version))


def _downlink(tmp_path_factory):
    audits = []
    engine = Engine()
    quarantine = Quarantine(None, lambda *a, **k: audits.append(a[2]))
    ledger = VersionLedger(tmp_path_factory.mktemp("ledger") / "versions.json")
    receiver = HotlistReceiver(KEY.public_key(), ledger, engine, quarantine=quarantine)
    return Downlink(TOPICS, receiver, dict, quarantine), engine, audits


UNSIGNED = st.one_of(st.binary(max_size=500), NESTING, JSON_VALUES.map(_json_bytes),
                     st.dictionaries(st.sampled_from(["schema", "document", "signature", "id", "command"]),
                                     st.one_of(st.text(max_size=30), JSON_VALUES), max_size=4).map(_json_bytes))


@settings(FUZZ, max_examples=200)
@given(st.sampled_from([LIST_TOPIC, TOPICS.commands]), UNSIGNED)
def test_unsigned_payloads_never_raise_and_never_install_a_list(tmp_path_factory, topic, payload):
    downlink, engine, audits = _downlink(tmp_path_factory)
    for _ in range(2):  # delivered again, as a retained message is
        reply = downlink.handle(topic, payload)
        if reply is not None:
            assert isinstance(json.loads(reply), dict)
    assert engine.installed == [] and downlink.failed == 0
    assert len(audits) <= 1


@settings(FUZZ, max_examples=200)
@given(_document(), st.dictionaries(st.sampled_from(["extra", "x"]), st.text(max_size=5), max_size=1))
def test_signed_documents_never_raise_and_install_only_what_is_valid(tmp_path_factory, document, extra):
    downlink, engine, _ = _downlink(tmp_path_factory)
    assert downlink.handle(LIST_TOPIC, _signed(document, extra)) is None
    assert downlink.failed == 0
    for name, version in engine.installed:
        assert name == "stolen" and isinstance(version, int) and 1 <= version <= 99991231235959
