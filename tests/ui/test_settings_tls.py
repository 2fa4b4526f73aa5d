"""The [ui] settings are checked when loaded; HTTPS serving with a certificate; login CSRF."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import httpx
import pytest

from alpr_edge.config import UiSection, load_config
from alpr_edge.schema import SchemaError
from alpr_edge.ui import UiServer, UiStartError, create_app
from alpr_edge.ui.server import free_port
from tests.ui.conftest import PASSWORDS


def load(tmp_path: Path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path)


def test_ui_settings_load(tmp_path):
    config = load(tmp_path, "[ui]\nport = 9090\nlock_after_s = 120\nsession_hours = 10\n")
    assert (config.ui.port, config.ui.lock_after_s, config.ui.session_hours) == (9090, 120, 10)


@pytest.mark.parametrize("text, words", [
    ('[ui]\nhost = "0.0.0.0"\n', "needs tls_cert and tls_key"),
    ('[ui]\ntls_cert = "/x.pem"\n', "give both or neither"),
    ("[ui]\nport = 70000\n", "port"),
    ("[ui]\nlock_after_s = 5\n", "lock_after_s"),
    ("[ui]\ncolour = 1\n", "unknown key"),
])
def test_bad_ui_settings_are_refused_with_the_key_named(tmp_path, text, words):
    with pytest.raises(SchemaError) as error:
        load(tmp_path, text)
    assert words in str(error.value) and "config.toml" in str(error.value)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=800)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_with_a_certificate_and_a_secure_cookie(world, tmp_path):
    cert, key = _self_signed(tmp_path)
    server = UiServer(create_app(world.services, UiSection()), "127.0.0.1", free_port(), tls_cert=cert, tls_key=key)
    server.start()
    try:
        assert server.url.startswith("https://")
        context = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=server.url, verify=context) as client:
            response = client.post("/api/login", json={"name": "tim", "secret": PASSWORDS["tim"]})
            assert response.status_code == 200
            assert "secure" in response.headers["set-cookie"].lower()
    finally:
        server.stop()


def test_unreadable_tls_files_are_a_clear_start_error(world, tmp_path):
    (tmp_path / "bad.pem").write_text("not a certificate")
    server = UiServer(create_app(world.services, UiSection()), "127.0.0.1", free_port(),
                      tls_cert=tmp_path / "bad.pem", tls_key=tmp_path / "bad.pem")
    with pytest.raises(UiStartError, match="cannot serve"):
        server.start()


def test_a_cross_site_form_cannot_log_in(make_client):
    client = make_client()
    body = '{"name": "tim", "secret": "4321"}'
    as_form = client.post("/api/login", content=body, headers={"Content-Type": "text/plain"})
    assert as_form.status_code == 422  # a form cannot send application/json without a CORS preflight
    foreign = client.post("/api/login", json={"name": "tim", "secret": PASSWORDS["tim"]},
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert client.get("/api/session").status_code == 401
