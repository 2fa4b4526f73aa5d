"""Provisioning seals the key-encryption key with systemd-creds; the self-test says what protects it."""

from __future__ import annotations

import base64

from alpr_edge.config import Config, DeviceSection
from alpr_edge.ops.checks_system import check_key_protection
from alpr_edge.ops.layout import Layout
from alpr_edge.ops.selftest import Context, Probes
from alpr_edge.profiles import load_profile
from alpr_edge.store.kek import CREDENTIAL_NAME, SystemdCreds, sealed_by
from tests.ops.conftest import ADMIN_PASSWORD, layout_of, provision_args
from tests.ops.conftest import run_here as run_cli

HOST_KEY_ID = "5a1c6a86df9d4096b1d5a65e0862f19a"
TPM2_ID = "0c7cc07b117645919c4b0bea08bc20fe"


def provision(root, pki, profile, env=None, **extra):
    args = provision_args(root, pki, None, admin="chief", non_interactive=True, profile=profile, **extra)
    return run_cli(*args, input=ADMIN_PASSWORD + "\n", env=env)


def protection_check(data_dir, profile: str):
    config = Config(device=DeviceSection(profile=profile, data_dir=data_dir))
    layout = Layout(config_path=data_dir / "config.toml", data_dir=data_dir)
    return check_key_protection(Context(config, load_profile(profile), layout, Probes()))


def test_provision_seals_the_key_outside_the_sim_and_selftest_reports_it(tmp_path, pki, systemd_host_key):
    root = tmp_path / "root"
    result = provision(root, pki, "usb-v4l2")
    assert result.returncode == 0, result.stderr
    keys = layout_of(root).keys_dir
    assert (keys / "kek.cred").exists() and not (keys / "kek").exists()
    protection = sealed_by((keys / "kek.cred").read_bytes())
    assert f"created (key-encryption key sealed by systemd-creds: {protection})" in result.stdout
    assert len(SystemdCreds().decrypt((keys / "kek.cred").read_bytes(), CREDENTIAL_NAME)) == 32
    check = protection_check(layout_of(root).data_dir, "usb-v4l2")
    assert check.detail.startswith(f"{protection}: keys/kek.cred is sealed")
    assert check.status == ("pass" if protection == "tpm2" else "warn")


def test_provision_refuses_to_leave_the_key_in_clear_without_systemd_creds(tmp_path, pki):
    root = tmp_path / "root"
    empty = tmp_path / "bin"
    empty.mkdir()
    result = provision(root, pki, "usb-v4l2", env={"PATH": str(empty)})
    assert result.returncode != 0
    assert "systemd-creds not found: the key-encryption key would lie in clear on the card" in result.stderr
    assert not layout_of(root).config_path.exists() and not layout_of(root).keys_dir.exists()  # nothing written


def test_provisioning_again_seals_a_plain_key_and_the_data_stays_readable(tmp_path, pki, systemd_host_key):
    from alpr_edge.config import load_config
    from alpr_edge.store import Store

    root = tmp_path / "root"
    assert provision(root, pki, "sim").returncode == 0
    layout = layout_of(root)
    assert (layout.keys_dir / "kek").exists()
    config = load_config(None, data_dir=layout.data_dir)
    with Store.open(layout.data_dir, config.store) as store:
        sealed = store.seal("probe-2", None, b"written under the plain key")
    again = provision(root, pki, "usb-v4l2")
    assert again.returncode == 0, again.stderr
    assert "re-wrapped under a new key-encryption key (key-encryption key sealed by systemd-creds:" in again.stdout
    assert not (layout.keys_dir / "kek").exists() and (layout.keys_dir / "kek.cred").exists()
    with Store.open(layout.data_dir, config.store) as store:
        assert store.unseal("probe-2", None, sealed) == b"written under the plain key"


def _fake_sealed(path, type_id: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64encode(bytes.fromhex(type_id) + bytes(80)))


def test_selftest_names_each_protection(tmp_path):
    data = tmp_path / "data"
    (data / "keys").mkdir(parents=True)
    assert protection_check(data, "usb-v4l2").status == "fail"  # none at all
    (data / "keys" / "kek").write_bytes(bytes(32))
    plain = protection_check(data, "usb-v4l2")
    assert plain.status == "fail" and plain.detail.startswith("plain file (sim/test only): keys/kek lies in clear")
    sim = protection_check(data, "sim")
    assert sim.status == "pass" and sim.detail.startswith("plain file (sim/test only)")
    _fake_sealed(data / "keys" / "kek.cred", HOST_KEY_ID)
    beside = protection_check(data, "usb-v4l2")
    assert beside.status == "fail" and "a plain keys/kek lies beside it" in beside.detail
    (data / "keys" / "kek").unlink()
    host = protection_check(data, "usb-v4l2")
    assert host.status == "warn" and host.detail.startswith("host key: keys/kek.cred is sealed with systemd's host key")
    _fake_sealed(data / "keys" / "kek.cred", TPM2_ID)
    tpm = protection_check(data, "usb-v4l2")
    assert tpm.status == "pass" and tpm.detail.startswith("tpm2: keys/kek.cred is sealed by this board's TPM2")
