"""The self-test's broker check against a real Mosquitto that requires the client certificate."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alpr_edge.config import Config, DeviceSection, UplinkSection
from alpr_edge.ops.certs import install_certificate, make_tls_key_and_csr
from alpr_edge.ops.checks_system import check_broker
from alpr_edge.ops.layout import CA_CERT, CSR, TLS_KEY, Layout, uplink_files
from alpr_edge.ops.selftest import Context, Probes
from tests.mosquitto import MOSQUITTO, Mosquitto, free_port

pytestmark = pytest.mark.skipif(not MOSQUITTO.exists(), reason="mosquitto is not installed")


@pytest.fixture
def broker(tmp_path, pki):
    folder = tmp_path / "broker"
    folder.mkdir()
    cert, key = pki.server(folder)
    server = Mosquitto(folder, ca=pki.ca_file, cert=cert, key=key)
    server.start()
    yield server.url
    server.stop()


def context(data_dir: Path, url: str) -> Context:
    config = Config(device=DeviceSection(data_dir=data_dir), uplink=UplinkSection(broker=url))
    return Context(config, None, Layout(Path("config.toml"), data_dir), Probes(broker_timeout_s=3.0))


def test_broker_check_connects_with_the_installed_client_certificate(tmp_path, pki, broker):
    data_dir = tmp_path / "data"
    (data_dir / "uplink").mkdir(parents=True)
    make_tls_key_and_csr(data_dir / TLS_KEY, data_dir / CSR, "berkeley-pd", "unit-4411")
    shutil.copy(pki.ca_file, data_dir / CA_CERT)
    ctx = context(data_dir, broker)
    before = check_broker(ctx)
    assert before.status == "warn" and "no client certificate" in before.detail and "client.csr" in before.detail
    files = uplink_files(ctx.config, data_dir)
    install_certificate(files, pki.sign_csr(data_dir / CSR, tmp_path / "signed.pem"))
    result = check_broker(ctx)
    assert result.status == "pass", result.detail
    assert result.detail == f"connected to 127.0.0.1:{broker.rsplit(':', 1)[1]} with the client certificate"


def test_a_certificate_the_broker_does_not_trust_only_warns(tmp_path, pki, broker):
    from tests.ops.conftest import Pki

    data_dir = tmp_path / "data"
    (data_dir / "uplink").mkdir(parents=True)
    make_tls_key_and_csr(data_dir / TLS_KEY, data_dir / CSR, "berkeley-pd", "unit-4411")
    shutil.copy(pki.ca_file, data_dir / CA_CERT)
    rogue_dir = tmp_path / "rogue"
    rogue_dir.mkdir()
    # Installed by hand past `cert install` (which would refuse it): the broker must refuse it too.
    Pki(rogue_dir, "Rogue CA").sign_csr(data_dir / CSR, data_dir / "uplink/client.pem")
    result = check_broker(context(data_dir, broker))
    assert result.status == "warn"
    assert "unreachable" in result.detail or "refused" in result.detail
    stopped = check_broker(context(data_dir, broker.rsplit(":", 1)[0] + f":{free_port()}"))
    assert stopped.status == "warn" and "the device works offline" in stopped.detail
