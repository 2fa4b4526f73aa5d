"""Fixtures for the operations tests: a small agency PKI, signing keys, a provisioned staging root."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.x509.oid import NameOID

from alpr_edge.ops.layout import Layout

ADMIN_PASSWORD = "correct-horse-42"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Pki:
    """An agency CA that can sign device requests and a broker certificate."""

    def __init__(self, folder: Path, cn: str = "Test Agency CA"):
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=800)).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.ca_file = folder / f"{cn.replace(' ', '-')}.crt"
        self.ca_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def sign(self, public_key, subject: x509.Name, out: Path, *, days: int = 365, server_names: list[str] | None = None) -> Path:
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(self.cert.subject)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=800)).not_valid_after(now + dt.timedelta(days=days))
        )
        if server_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(__import__("ipaddress").ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in server_names]), critical=False)
        out.write_bytes(builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        return out

    def sign_csr(self, csr_path: Path, out: Path, **kwargs) -> Path:
        csr = x509.load_pem_x509_csr(csr_path.read_bytes())
        return self.sign(csr.public_key(), csr.subject, out, **kwargs)

    def server(self, folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        key_path = folder / "broker.key"
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        return self.sign(key.public_key(), _name(host), folder / "broker.crt", server_names=[host]), key_path


def ed25519_pair(folder: Path, name: str) -> tuple[Path, Path]:
    key = ed25519.Ed25519PrivateKey.generate()
    private = folder / f"{name}.key"
    public = folder / f"{name}.pub"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture
def pki(tmp_path) -> Pki:
    folder = tmp_path / "pki"
    folder.mkdir()
    return Pki(folder)


def x25519_pair(folder: Path, name: str) -> tuple[Path, Path]:
    key = x25519.X25519PrivateKey.generate()
    private, public = folder / f"{name}.key", folder / f"{name}.pub"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture
def agency_keys(tmp_path) -> dict:
    """Hot list and update signing keys (Ed25519) and the agency's sealing key (X25519)."""
    folder = tmp_path / "agency-keys"
    folder.mkdir()
    return {"hotlist": ed25519_pair(folder, "hotlist"), "seal": x25519_pair(folder, "seal"), "update": ed25519_pair(folder, "update")}


def provision_args(root: Path, pki: Pki | None, agency_keys: dict | None, **extra) -> list[str]:
    args = ["provision", "--agency", "berkeley-pd", "--device-id", "unit-4411", "--profile", "sim",
            "--broker", "mqtts://127.0.0.1:18883", "--root", str(root), "--technician", "tech.jo"]
    if pki is not None:
        args += ["--ca", str(pki.ca_file)]
    if agency_keys is not None:
        args += ["--hotlist-key", str(agency_keys["hotlist"][1]), "--seal-key", str(agency_keys["seal"][1]),
                 "--update-key", str(agency_keys["update"][1])]
    for key, value in extra.items():
        args += [f"--{key.replace('_', '-')}"] + ([] if value is True else [str(value)])
    return args


def layout_of(root: Path) -> Layout:
    return Layout.for_root(root)


def run_here(*args: str, input: str | None = None, env: dict | None = None):
    """`alpr-edge ARGS` in this process (no interpreter start-up): exit status, stdout, stderr."""
    import contextlib
    import io
    import os
    import subprocess
    import sys

    from alpr_edge.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_stdin, saved_env = sys.stdin, dict(os.environ)
    sys.stdin = io.StringIO(input or "")
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(list(args))
            except SystemExit as exit_:  # argparse errors
                status = exit_.code if isinstance(exit_.code, int) else 2
    finally:
        sys.stdin = saved_stdin
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(["alpr-edge", *args], status, out.getvalue(), err.getvalue())
