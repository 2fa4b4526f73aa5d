"""Provisioning into a temporary root: what it makes, that it is safe to repeat, rotation, cert install."""

from __future__ import annotations

import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from alpr_edge.config import load_config
from tests.ops.conftest import ADMIN_PASSWORD, ed25519_pair, layout_of, provision_args
from tests.ops.conftest import (
    run_here as run_cli,  # in-process: these tests run the command many times
)

pytest.importorskip("alpr_edge.store", reason="the store stage is not merged yet")
pytest.importorskip("alpr_edge.accounts", reason="the accounts stage is not merged yet")


def provision(root, pki, agency_keys, **extra):
    return run_cli(*provision_args(root, pki, agency_keys, admin="chief", non_interactive=True, **extra),
                   input=ADMIN_PASSWORD + "\n")


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def audit_records(data_dir):
    from alpr_edge.store import Store

    config = load_config(None, data_dir=data_dir)
    with Store.open(data_dir, config.store) as store:
        ok, _, reason = store.verify_audit()
        assert ok, reason
        rows = list(store.db.query("SELECT user, role, action, outcome FROM audit ORDER BY seq"))
    return rows


def test_provision_writes_config_keys_csr_pins_and_admin(tmp_path, pki, agency_keys):
    root = tmp_path / "root"
    result = provision(root, pki, agency_keys)
    assert result.returncode == 0, result.stderr
    layout = layout_of(root)
    config = load_config(layout.config_path)
    assert (config.device.agency, config.device.id, config.device.profile) == ("berkeley-pd", "unit-4411", "sim")
    assert str(config.device.data_dir) == "/var/lib/alpr-edge"  # the in-system path, not the staging one
    assert config.uplink.broker == "mqtts://127.0.0.1:18883"
    if hasattr(config.uplink, "seal_public_key"):  # the uplink stage seals reads only when told where the key is
        assert str(config.uplink.seal_public_key) == "/var/lib/alpr-edge/uplink/agency-seal.pub"
    for folder in (layout.data_dir, layout.file("keys"), layout.file("uplink")):
        assert mode(folder) == 0o700, folder
    for secret in ("keys/kek", "keys/device.key", "uplink/client.key"):
        assert mode(layout.file(secret)) == 0o600, secret
    csr = x509.load_pem_x509_csr(layout.file("uplink/client.csr").read_bytes())
    assert csr.subject.rfc4514_string().startswith("CN=berkeley-pd/unit-4411")
    assert isinstance(csr.public_key().curve, ec.SECP256R1)
    assert layout.file("uplink/ca.pem").read_bytes() == pki.ca_file.read_bytes()
    for name, pinned in (("hotlist", "uplink/hotlist-signing.pub"), ("seal", "uplink/agency-seal.pub"), ("update", "keys/update-signing.pub")):
        assert layout.file(pinned).read_bytes() == agency_keys[name][1].read_bytes()
    assert "otpauth://totp/alpr-edge:chief?secret=" in result.stdout
    rows = audit_records(layout.data_dir)
    provision_rows = [r for r in rows if r["action"] == "provision"]
    assert provision_rows and all(r["user"] == "tech.jo" and r["role"] == "technician" for r in provision_rows)
    assert any(r["action"] == "users.add" and r["user"] == "tech.jo" for r in rows)


def test_running_again_keeps_everything_and_changes_nothing(tmp_path, pki, agency_keys):
    root = tmp_path / "root"
    assert provision(root, pki, agency_keys).returncode == 0
    layout = layout_of(root)
    before = {p: p.read_bytes() for p in layout.data_dir.glob("*/*") if p.is_file() and p.parent.name in ("keys", "uplink")}
    config_before = layout.config_path.read_text()
    again = provision(root, pki, agency_keys)
    assert again.returncode == 0, again.stderr
    assert "otpauth" not in again.stdout  # the admin exists: no second enrolment
    assert "chief exists, kept" in again.stdout and "kept (exist; --rotate" in again.stdout
    after = {p: p.read_bytes() for p in layout.data_dir.glob("*/*") if p.is_file() and p.parent.name in ("keys", "uplink")}
    assert after == before
    assert layout.config_path.read_text() == config_before


def test_refuses_to_replace_a_pinned_key_without_rotate(tmp_path, pki, agency_keys):
    root = tmp_path / "root"
    assert provision(root, pki, agency_keys).returncode == 0
    layout = layout_of(root)
    pinned = layout.file("uplink/hotlist-signing.pub").read_bytes()
    _, other = ed25519_pair(tmp_path, "other-hotlist")
    keys = {**agency_keys, "hotlist": (None, other)}
    refused = provision(root, pki, keys)
    assert refused.returncode == 2
    assert "hotlist-signing.pub is pinned to another key; refusing to replace it without --rotate" in refused.stderr
    assert layout.file("uplink/hotlist-signing.pub").read_bytes() == pinned
    rotated = provision(root, pki, keys, rotate=True)
    assert rotated.returncode == 0, rotated.stderr
    assert layout.file("uplink/hotlist-signing.pub").read_bytes() == other.read_bytes()


def test_installed_models_are_put_in_the_config(tmp_path, pki):
    root = tmp_path / "root"
    (root / "opt/alpr-edge/releases/0.1.0/models").mkdir(parents=True)
    (root / "opt/alpr-edge/models").symlink_to("releases/0.1.0/models")
    assert provision(root, pki, None).returncode == 0
    assert str(load_config(layout_of(root).config_path).recognition.models_dir) == "/opt/alpr-edge/models"


def test_refuses_a_new_identity_without_rotate(tmp_path, pki):
    root = tmp_path / "root"
    assert provision(root, pki, None).returncode == 0
    csr = layout_of(root).file("uplink/client.csr").read_bytes()
    args = provision_args(root, pki, None)
    args[args.index("unit-4411")] = "unit-9999"
    refused = run_cli(*args)
    assert refused.returncode == 2 and "device.id is 'unit-4411'" in refused.stderr
    assert layout_of(root).file("uplink/client.csr").read_bytes() == csr


def test_bad_inputs_are_refused_before_anything_is_written(tmp_path, pki):
    root = tmp_path / "root"
    not_a_key = tmp_path / "junk.pub"
    not_a_key.write_text("hello")
    bad = run_cli(*provision_args(root, pki, None), "--hotlist-key", str(not_a_key))
    assert bad.returncode == 2 and f"{not_a_key}: not a PEM public key" in bad.stderr
    assert not (root / "var").exists()
    plain = run_cli(*[a if a != "mqtts://127.0.0.1:18883" else "mqtt://broker:1883" for a in provision_args(root, pki, None)])
    assert plain.returncode == 2 and "uplink.broker: plain mqtt:// needs uplink.allow_plaintext" in plain.stderr
    assert not (root / "etc/alpr-edge/config.toml").exists()
    wrong_profile = run_cli(*[a if a != "sim" else "no-such-profile" for a in provision_args(root, pki, None)])
    assert wrong_profile.returncode == 2 and "no such firmware profile" in wrong_profile.stderr


def test_rotation_rewraps_data_keys_and_old_data_stays_readable(tmp_path, pki):
    from alpr_edge.store import Store

    root = tmp_path / "root"
    assert provision(root, pki, None).returncode == 0
    layout = layout_of(root)
    config = load_config(None, data_dir=layout.data_dir)
    with Store.open(layout.data_dir, config.store) as store:
        sealed = store.seal("probe-1", None, b"sealed before rotation")
    kek_before = layout.file("keys/kek").read_bytes()
    rotated = provision(root, pki, None, rotate=True)
    assert rotated.returncode == 0, rotated.stderr
    assert "re-wrapped under a new key-encryption key" in rotated.stdout
    assert layout.file("keys/kek").read_bytes() != kek_before
    with Store.open(layout.data_dir, config.store) as store:
        assert store.unseal("probe-1", None, sealed) == b"sealed before rotation"


def test_cert_install_checks_key_and_ca(tmp_path, pki):
    from tests.ops.conftest import Pki

    root = tmp_path / "root"
    assert provision(root, pki, None).returncode == 0
    layout = layout_of(root)
    common = ["--config", str(layout.config_path), "--data-dir", str(layout.data_dir), "--technician", "tech.jo"]
    # A certificate for some other key is refused.
    stranger = ec.generate_private_key(ec.SECP256R1())
    wrong_key = pki.sign(stranger.public_key(), x509.load_pem_x509_csr(layout.file("uplink/client.csr").read_bytes()).subject, tmp_path / "wrong.crt")
    refused = run_cli("cert", "install", str(wrong_key), *common)
    assert refused.returncode == 2 and "is for another key than this device's" in refused.stderr
    # The right key, signed by a CA that is not the pinned one, is refused too.
    rogue_dir = tmp_path / "rogue"
    rogue_dir.mkdir()
    rogue = Pki(rogue_dir, "Rogue CA").sign_csr(layout.file("uplink/client.csr"), tmp_path / "rogue.crt")
    refused = run_cli("cert", "install", str(rogue), *common)
    assert refused.returncode == 2 and "not issued by the pinned agency CA" in refused.stderr
    assert not layout.file("uplink/client.pem").exists()
    good = pki.sign_csr(layout.file("uplink/client.csr"), tmp_path / "device-signed.crt")
    installed = run_cli("cert", "install", str(good), *common)
    assert installed.returncode == 0, installed.stderr
    assert layout.file("uplink/client.pem").read_bytes() == good.read_bytes()
    rows = audit_records(layout.data_dir)
    assert any(r["action"] == "cert.install" and r["user"] == "tech.jo" for r in rows)
