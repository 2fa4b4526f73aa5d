"""End-to-end receipts: a read leaves the device only once the agency's ingest has committed it."""

from __future__ import annotations

import base64
import datetime
import json
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from alpr_edge.agency import IngestSettings, IngestWorker, open_database
from alpr_edge.uplink import Uplink, parse_broker, sign_hotlist
from alpr_edge.uplink.client import tls_context
from alpr_edge.uplink.receipts import ReceiptRejected, sign_receipt, verify_receipt

from tests.agency.conftest import postgres, postgres_url  # noqa: F401  (fixtures: a real PostgreSQL)

from .conftest import AGENCY, DEVICE, FakeStore, RealOutbox, settings_for, wait_for

AGENCY_SIGNING = Ed25519PrivateKey.generate()
AGENCY_SEAL = X25519PrivateKey.generate()


# -- the receipt format --------------------------------------------------------

def test_a_signed_receipt_verifies_for_its_device():
    body = sign_receipt(AGENCY_SIGNING, agency=AGENCY, device=DEVICE, read_ids=["a", "b"])
    receipt = verify_receipt(body, AGENCY_SIGNING.public_key(), agency=AGENCY, device=DEVICE)
    assert receipt.read_ids == ("a", "b")


@pytest.mark.parametrize("make, reason", [
    (lambda: sign_receipt(Ed25519PrivateKey.generate(), agency=AGENCY, device=DEVICE, read_ids=["a"]), "bad signature"),
    (lambda: sign_receipt(AGENCY_SIGNING, agency=AGENCY, device="another-car", read_ids=["a"]), "not this device"),
    (lambda: b"not json", "not JSON"),
    (lambda: b"[" * 100_000, "not JSON"),  # nesting that would blow the parser's recursion
    (lambda: b" " * (600 * 1024), "oversized"),
    # A hot list envelope carries a valid agency signature, but under the hot lists' context.
    (lambda: sign_hotlist(AGENCY_SIGNING, list_name="x", version=1, fmt="csv", body=b"").replace(
        b"signed-hotlist", b"signed-receipt"), "bad signature"),
])
def test_a_receipt_that_must_not_release_reads_is_refused_with_a_reason(make, reason):
    with pytest.raises(ReceiptRejected, match=reason):
        verify_receipt(make(), AGENCY_SIGNING.public_key(), agency=AGENCY, device=DEVICE)


def test_a_tampered_id_list_is_refused():
    envelope = json.loads(sign_receipt(AGENCY_SIGNING, agency=AGENCY, device=DEVICE, read_ids=["a"]))
    document = json.loads(base64.b64decode(envelope["document"]))
    document["read_ids"].append("b")
    envelope["document"] = base64.b64encode(json.dumps(document).encode()).decode()
    with pytest.raises(ReceiptRejected, match="bad signature"):
        verify_receipt(json.dumps(envelope).encode(), AGENCY_SIGNING.public_key(), agency=AGENCY, device=DEVICE)


# -- device and ingest through a real broker -----------------------------------

class Ingest:
    """An IngestWorker on its own thread, against the test broker, committing to SQLite."""

    def __init__(self, broker, pki, database_url: str, worker: str = "w1"):
        settings = IngestSettings(prefix="alpr", agency=AGENCY, worker=worker, batch_wait_s=0.05,
                                  reconnect_min_s=0.1, reconnect_max_s=0.5)
        self.worker = IngestWorker(settings, parse_broker(broker.url, False), open_database(database_url),
                                   signing_key=AGENCY_SIGNING, seal_key=AGENCY_SEAL, tls_context=tls_context(pki.receiver))
        self.worker.db.migrate()
        self.thread = threading.Thread(target=self.worker.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        assert self.worker.connected.wait(10), "ingest did not subscribe"
        return self.worker

    def __exit__(self, *exc):
        self.worker.stop()
        self.thread.join(10)
        self.worker.db.close()


def device(broker, store, pki, tmp_path, *, sealed=True, **settings):
    settings.setdefault("receipt_timeout_s", 1.0)
    return Uplink(settings_for(broker, **settings), agency=AGENCY, device_id=DEVICE, store=store, tls=pki.device,
                  hotlist_sink=None, hotlist_public_key=AGENCY_SIGNING.public_key(),
                  seal_public_key=AGENCY_SEAL.public_key() if sealed else None, state_dir=tmp_path / "uplink")


@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "plain"])
def test_pubacked_reads_stay_until_the_ingest_commits_them(broker, pki, tmp_path, sealed):
    """The broker PUBACKs with no subscriber (and drops the messages): nothing leaves the car
    until the ingest runs, commits and receipts; then, and only then, the reads leave."""
    store = RealOutbox(tmp_path / "data")
    ids = store.add(20) + store.add(2, hit=True)
    first_crop = store.image(ids[0], "crop_jpeg")
    uplink = device(broker, store, pki, tmp_path, sealed=sealed, receipt_timeout_s=2.0)
    uplink.start()
    try:
        assert wait_for(lambda: uplink.status()["acknowledged"] >= 22)
        assert wait_for(lambda: store.receipt_backlog() == 22)
        status = uplink.status()
        assert status["receipts"] == "required" and status["awaiting_receipt"] == 22 and status["receipted"] == 0
        assert store.upload_backlog() == 22 and store.uploaded == set()
        # Past the on-device window a purge still keeps them: the agency does not have them.
        later = store.store.now() + datetime.timedelta(days=2)
        assert store.purge(later).uploaded_window == 0
        assert store.store.db.execute("SELECT count(*) FROM reads").fetchone()[0] == 22

        database = f"sqlite:///{tmp_path / 'agency.db'}"
        with Ingest(broker, pki, database) as ingest:
            # The broker dropped the first copies; the receipt timeout sends them again.
            assert wait_for(lambda: store.upload_backlog() == 0, 20), ingest.counts
            assert ingest.counts.committed == 22
        status = uplink.status()
        assert status["receipted"] == 22 and status["awaiting_receipt"] == 0 and not status["receipts_stalled"]
    finally:
        uplink.stop()
    # Receipted: now they leave (the 20 without a hit; hits stay for their own retention).
    assert store.purge(later).uploaded_window == 20
    db = open_database(database)
    assert {r[0] for r in db.conn.execute("SELECT read_id FROM reads")} == set(ids)
    assert db.scalar("SELECT count(*) FROM reads WHERE sealed = ?", (int(sealed),)) == 22
    crop = db.scalar("SELECT crop_jpeg FROM reads WHERE read_id = ?", (ids[0],))
    assert crop == first_crop
    db.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_resend_is_committed_once_and_receipted_again(broker, pki, tmp_path, backend, request):
    store = FakeStore()
    ids = store.add(10)
    database = f"sqlite:///{tmp_path / 'agency.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    with Ingest(broker, pki, database) as ingest:
        uplink = device(broker, store, pki, tmp_path)
        uplink.start()
        try:
            assert wait_for(lambda: store.upload_backlog() == 0)
        finally:
            uplink.stop()
        # The device lost its receipts (say, a crash before it committed them) and sends all again.
        store.uploaded.clear()
        store.acked.clear()
        again = device(broker, store, pki, tmp_path)
        again.start()
        try:
            assert wait_for(lambda: store.upload_backlog() == 0)
        finally:
            again.stop()
        assert ingest.counts.committed == 10 and ingest.counts.duplicates == 10
        assert ingest.db.counts()["reads"] == 10
    assert set(store.uploaded) == set(ids)


def test_a_forged_receipt_releases_nothing(broker, receiver, pki, tmp_path):
    store = FakeStore()
    ids = store.add(5)
    uplink = device(broker, store, pki, tmp_path, receipt_timeout_s=60.0)
    uplink.start()
    try:
        assert wait_for(lambda: store.receipt_backlog() == 5)
        forged = sign_receipt(Ed25519PrivateKey.generate(), agency=AGENCY, device=DEVICE, read_ids=ids)
        receiver.publish(f"alpr/{AGENCY}/{DEVICE}/receipts", forged)
        assert wait_for(lambda: uplink.status()["receipts_rejected"] == 1)
        assert store.upload_backlog() == 5
        assert "bad signature" in uplink.status()["last_receipt_rejection"]
        # Another car's genuine receipt does not release this car's reads either.
        other = sign_receipt(AGENCY_SIGNING, agency=AGENCY, device="car-8", read_ids=ids)
        receiver.publish(f"alpr/{AGENCY}/{DEVICE}/receipts", other)
        assert wait_for(lambda: uplink.status()["receipts_rejected"] == 2)
        assert store.upload_backlog() == 5
        assert [a[2] for a in store.audits].count("uplink_receipt_rejected") == 2  # each refusal audited once
        genuine = sign_receipt(AGENCY_SIGNING, agency=AGENCY, device=DEVICE, read_ids=ids[:2])
        receiver.publish(f"alpr/{AGENCY}/{DEVICE}/receipts", genuine)
        assert wait_for(lambda: store.upload_backlog() == 3)
        assert store.uploaded == set(ids[:2])
    finally:
        uplink.stop()


def test_status_warns_when_pubacks_come_but_receipts_do_not(broker, pki, tmp_path):
    store = FakeStore()
    store.add(3)
    uplink = device(broker, store, pki, tmp_path, receipt_timeout_s=1.0)
    uplink.start()
    try:
        assert wait_for(lambda: store.receipt_backlog() == 3)
        assert not uplink.status()["receipts_stalled"]
        # No ingest: every second the reads go again, are PUBACKed, and no receipt comes.
        assert wait_for(lambda: uplink.status()["receipts_stalled"], 10)
        assert uplink.status()["published"] > 3
    finally:
        uplink.stop()


def test_without_receipts_the_puback_releases_reads(broker, pki, tmp_path):
    store = FakeStore()
    store.add(4)
    uplink = device(broker, store, pki, tmp_path, require_receipts=False)
    assert uplink.status()["receipts"] == "off"
    uplink.start()
    try:
        assert wait_for(lambda: store.upload_backlog() == 0)
    finally:
        uplink.stop()


def test_without_a_pinned_agency_key_receipts_cannot_be_required(broker, pki, tmp_path):
    uplink = Uplink(settings_for(broker), agency=AGENCY, device_id=DEVICE, store=FakeStore(), tls=pki.device,
                    hotlist_sink=None, hotlist_public_key=None, seal_public_key=None, state_dir=tmp_path)
    assert uplink.status()["receipts"] == "off (no agency key pinned)"


def test_the_agency_ingest_command_receipts_what_uplink_flush_sends(broker, pki, tmp_path):
    """The two commands an operator runs: `agency ingest` at the agency, `uplink flush` on the car."""
    import signal
    import subprocess
    import sys

    from tests.conftest import cli_env, run_cli

    from .test_cli import device_config

    run_cli("uplink", "keygen", "hotlist-signing", str(tmp_path / "signing"))
    run_cli("uplink", "keygen", "seal", str(tmp_path / "seal"))
    agency = tmp_path / "agency.toml"
    agency.write_text(
        f'[device]\nagency = "{AGENCY}"\ndata_dir = "{tmp_path / "agency-data"}"\n\n'
        f'[agency]\nbroker = "{broker.url}"\nca_file = "{pki.receiver.ca}"\ncert_file = "{pki.receiver.cert}"\n'
        f'key_file = "{pki.receiver.key}"\nsigning_key = "{tmp_path / "signing.key"}"\n'
        f'seal_private_key = "{tmp_path / "seal.key"}"\nrequire_sealed = true\n'
    )
    ingest = subprocess.Popen([sys.executable, "-m", "alpr_edge", "agency", "ingest", "--config", str(agency),
                               "--worker", "w1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=cli_env())  # the tests' clock: `uplink flush` below runs on it too
    try:
        config = device_config(tmp_path, broker, pki)
        config.write_text(config.read_text() + f'hotlist_public_key = "{tmp_path / "signing.pub"}"\n'
                          f'seal_public_key = "{tmp_path / "seal.pub"}"\nreceipt_timeout_s = 2.0\n')
        outbox = RealOutbox(tmp_path / "data")
        outbox.add(12)
        outbox.close()
        result = run_cli("uplink", "flush", "--config", str(config), "--timeout", "30")
        assert result.returncode == 0, result.stderr
        status = json.loads(run_cli("uplink", "status", "--config", str(config), "--json").stdout)
        assert (status["backlog_reads"], status["awaiting_receipt"]) == (0, 0)
        stats = json.loads(run_cli("agency", "stats", "--config", str(agency), "--json").stdout)
        assert stats == {"reads": 12, "distinct_read_ids": 12, "rejected": 0}
    finally:
        ingest.send_signal(signal.SIGTERM)
        out, err = ingest.communicate(timeout=20)
    assert ingest.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["committed"] == 12 and summary["worker"] == "w1"


def test_flush_without_an_ingest_times_out_and_says_the_reads_await_receipts(broker, pki, tmp_path):
    from tests.conftest import run_cli

    from .test_cli import device_config

    run_cli("uplink", "keygen", "hotlist-signing", str(tmp_path / "signing"))
    config = device_config(tmp_path, broker, pki)
    config.write_text(config.read_text() + f'hotlist_public_key = "{tmp_path / "signing.pub"}"\n')
    outbox = RealOutbox(tmp_path / "data")
    outbox.add(3)
    outbox.close()
    result = run_cli("uplink", "flush", "--config", str(config), "--timeout", "3")
    assert result.returncode == 1
    assert "3 read(s) still pending (3 acknowledged by the broker, awaiting the agency's receipt)" in result.stderr
