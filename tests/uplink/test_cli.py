"""`alpr-edge uplink` agency-side tools, run as a user would run them."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from alpr_edge.uplink import (
    load_ed25519_public,
    load_x25519_public,
    read_payload,
    seal_read,
    verify_hotlist,
)

from ..conftest import run_cli
from .conftest import AGENCY, DEVICE, FakeStore


def test_keygen_seal_then_open_sealed_from_a_file_and_stdin(tmp_path):
    result = run_cli("uplink", "keygen", "seal", str(tmp_path / "agency"))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "agency.key").stat().st_mode) == 0o600
    public = load_x25519_public((tmp_path / "agency.pub").read_bytes())
    store = FakeStore()
    ids = store.add(2)
    lines = [json.dumps(seal_read(public, read_payload(store.rows[i], AGENCY, DEVICE))) for i in ids]
    (tmp_path / "messages.jsonl").write_text("\n".join(lines) + "\n")
    result = run_cli("uplink", "open-sealed", "--key", str(tmp_path / "agency.key"), "--without-images",
                     str(tmp_path / "messages.jsonl"))
    assert result.returncode == 0, result.stderr
    opened = [json.loads(line) for line in result.stdout.splitlines()]
    assert [m["read_id"] for m in opened] == ids and opened[0]["text"] == "ABC0000"
    assert "crop_jpeg_b64" not in opened[0]
    result = run_cli("uplink", "open-sealed", "--key", str(tmp_path / "agency.key"), "-", input=lines[1])
    assert result.returncode == 0 and json.loads(result.stdout)["read_id"] == ids[1]


def test_open_sealed_with_the_wrong_key_fails_and_says_which_message(tmp_path):
    run_cli("uplink", "keygen", "seal", str(tmp_path / "right"))
    run_cli("uplink", "keygen", "seal", str(tmp_path / "wrong"))
    public = load_x25519_public((tmp_path / "right.pub").read_bytes())
    store = FakeStore()
    [read_id] = store.add(1)
    message = json.dumps(seal_read(public, read_payload(store.rows[read_id], AGENCY, DEVICE)))
    result = run_cli("uplink", "open-sealed", "--key", str(tmp_path / "wrong.key"), "-", input=message)
    assert result.returncode == 1
    assert "message 1: cannot open: wrong key" in result.stderr and result.stdout == ""


def test_keygen_refuses_to_overwrite(tmp_path):
    assert run_cli("uplink", "keygen", "hotlist-signing", str(tmp_path / "k")).returncode == 0
    result = run_cli("uplink", "keygen", "hotlist-signing", str(tmp_path / "k"))
    assert result.returncode == 2 and "exists" in result.stderr


def test_sign_hotlist_makes_a_document_the_device_accepts(tmp_path):
    run_cli("uplink", "keygen", "hotlist-signing", str(tmp_path / "signing"))
    (tmp_path / "bolo.csv").write_bytes(b"plate,state\nABC123,CA\n")
    result = run_cli("uplink", "sign-hotlist", "--key", str(tmp_path / "signing.key"), "--list", "bolo",
                     "--version", "12", "--format", "csv", str(tmp_path / "bolo.csv"), "-o", str(tmp_path / "env.json"))
    assert result.returncode == 0, result.stderr
    public = load_ed25519_public((tmp_path / "signing.pub").read_bytes())
    document = verify_hotlist((tmp_path / "env.json").read_bytes(), public, "bolo")
    assert document.version == 12 and document.body == b"plate,state\nABC123,CA\n"


def test_sign_hotlist_refuses_a_bad_list_name(tmp_path):
    run_cli("uplink", "keygen", "hotlist-signing", str(tmp_path / "signing"))
    (tmp_path / "x.csv").write_text("a\n")
    result = run_cli("uplink", "sign-hotlist", "--key", str(tmp_path / "signing.key"), "--list", "a/b",
                     "--version", "1", "--format", "csv", str(tmp_path / "x.csv"))
    assert result.returncode == 2 and "list:" in result.stderr


def device_config(tmp_path, broker, pki) -> Path:
    tls = pki.device
    path = tmp_path / "config.toml"
    path.write_text(
        f'[device]\nagency = "{AGENCY}"\nid = "{DEVICE}"\ndata_dir = "{tmp_path / "data"}"\n\n'
        f'[uplink]\nbroker = "{broker.url}"\nca_file = "{tls.ca}"\ncert_file = "{tls.cert}"\nkey_file = "{tls.key}"\n'
        "reconnect_min_s = 0.1\nreconnect_max_s = 0.3\n"
    )
    return path


def test_flush_sends_the_whole_backlog_then_status_shows_it_empty(broker, receiver, pki, tmp_path):
    from .conftest import RealOutbox

    config = device_config(tmp_path, broker, pki)
    outbox = RealOutbox(tmp_path / "data")
    ids = set(outbox.add(30)) | set(outbox.add(2, hit=True))
    outbox.close()
    result = run_cli("uplink", "status", "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert (status["backlog_hits"], status["backlog_reads"], status["state"]) == (2, 30, "not running")
    assert status["oldest_pending_age_s"] >= 0 and status["awaiting_receipt"] == 0
    result = run_cli("uplink", "flush", "--config", str(config), "--timeout", "30")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flushed 32 read(s)")
    assert {m["read_id"] for m in receiver.reads()} >= ids
    status = json.loads(run_cli("uplink", "status", "--config", str(config), "--json").stdout)
    assert (status["backlog_hits"], status["backlog_reads"], status["oldest_pending_age_s"]) == (0, 0, None)


def test_flush_fails_when_the_broker_is_unreachable(broker, pki, tmp_path):
    from .conftest import RealOutbox

    config = device_config(tmp_path, broker, pki)
    outbox = RealOutbox(tmp_path / "data")
    outbox.add(3)
    outbox.close()
    broker.stop()
    result = run_cli("uplink", "flush", "--config", str(config), "--timeout", "1")
    assert result.returncode == 1
    assert "3 read(s) still pending" in result.stderr


def test_flush_refuses_plain_mqtt_to_another_host(tmp_path):
    result = run_cli("uplink", "flush", "--data-dir", str(tmp_path), "--broker", "mqtt://10.1.2.3:1883", "--timeout", "1")
    assert result.returncode == 2 and "loopback" in result.stderr


def test_a_keygen_cut_short_by_a_full_disk_leaves_no_torn_key(tmp_path):
    """A write that fails half-way (here a file size limit of 64 bytes, as a full card would) used to
    leave a torn private key, and every retry then refused because the key 'exists'."""
    import resource
    import signal

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    cut = run_cli("uplink", "keygen", "seal", str(tmp_path / "agency"), preexec_fn=small_files)
    assert cut.returncode == 2 and "File too large" in cut.stderr, cut.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no torn key, no temporary file
    retried = run_cli("uplink", "keygen", "seal", str(tmp_path / "agency"))
    assert retried.returncode == 0, retried.stderr
    load_x25519_public((tmp_path / "agency.pub").read_bytes())
