"""The device's TLS identity for the broker, and the agency keys it pins.

The device makes its own EC P-256 key and a certificate signing request; the
private key never leaves the device. The agency CA signs the request and the
technician installs the certificate with `alpr-edge cert install`, which
checks that it belongs to this device's key (and to the agency CA) first.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.x509.oid import NameOID

from alpr_edge.fileio import write_atomically


class CertificateError(Exception):
    """A certificate or key that cannot be used; the message says which file and why."""


def write_file(path: Path, data: bytes, mode: int) -> None:
    """Atomic write with ``mode`` set before any byte lands (secrets are never briefly world-readable)."""
    write_atomically(path, data, mode=mode)


def fingerprint(der: bytes) -> str:
    return "sha256:" + hashlib.sha256(der).hexdigest()


def make_tls_key_and_csr(key_path: Path, csr_path: Path, agency: str, device_id: str) -> dict:
    """A new P-256 key (0600) and its CSR with CN 'agency/device'."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_file(key_path, pem, 0o600)
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{agency}/{device_id}"),
    ])
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_file(csr_path, csr.public_bytes(serialization.Encoding.PEM), 0o644)
    return {"tls_key": key_path, "csr": csr_path, "public_key": public_fingerprint(key.public_key())}


def public_fingerprint(public_key) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return fingerprint(der)


def load_certificate(path: Path) -> x509.Certificate:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise CertificateError(f"{path}: cannot read: {error.strerror}") from None
    try:
        return x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise CertificateError(f"{path}: not an X.509 certificate (PEM or DER): {error}") from None


def load_public_key(path: Path, *, kind: type | None = None):
    """A PEM public key (or the public key of a PEM certificate); CertificateError naming the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise CertificateError(f"{path}: cannot read: {error.strerror}") from None
    try:
        if b"BEGIN CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError as error:
        raise CertificateError(f"{path}: not a PEM public key: {error}") from None
    if kind is not None and not isinstance(key, kind):
        expected = kind.__name__.replace("PublicKey", "")
        raise CertificateError(f"{path}: expected an {expected} public key, got {type(key).__name__.lstrip('_')}")
    return key


ED25519 = ed25519.Ed25519PublicKey
X25519 = x25519.X25519PublicKey


def public_pem(key) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def check_ca(path: Path) -> x509.Certificate:
    ca = load_certificate(path)
    try:
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is not None and not constraints.ca:
        raise CertificateError(f"{path}: not a CA certificate (basicConstraints CA:FALSE)")
    return ca


def install_certificate(files: dict[str, Path], cert_path: Path, now: datetime | None = None) -> dict:
    """Check ``cert_path`` against the device key and the pinned CA, then install it.

    ``files`` are the uplink's paths (``alpr_edge.ops.layout.uplink_files``).
    """
    now = now or datetime.now(UTC)
    cert = load_certificate(cert_path)
    key_path = files["key_file"]
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except FileNotFoundError:
        raise CertificateError(f"{key_path}: no device TLS key; run alpr-edge provision first") from None
    if public_fingerprint(cert.public_key()) != public_fingerprint(key.public_key()):
        raise CertificateError(
            f"{cert_path}: the certificate is for another key than this device's {key_path} "
            "(was it signed from this device's client.csr?)"
        )
    if cert.not_valid_after_utc < now:
        raise CertificateError(f"{cert_path}: expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC")
    ca_path = files["ca_file"]
    if ca_path.exists():
        ca = load_certificate(ca_path)
        try:
            cert.verify_directly_issued_by(ca)
        except (InvalidSignature, ValueError, TypeError) as error:  # InvalidSignature has no message
            raise CertificateError(
                f"{cert_path}: not issued by the pinned agency CA {ca_path} ({type(error).__name__}: {error})"
            ) from None
    write_file(files["cert_file"], cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return {
        "path": files["cert_file"],
        "subject": cert.subject.rfc4514_string(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "fingerprint": fingerprint(cert.public_bytes(serialization.Encoding.DER)),
        "not_yet_valid": cert.not_valid_before_utc > now,
        "ca_checked": ca_path.exists(),
    }
