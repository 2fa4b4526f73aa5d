"""Building the uplink from the config and the data folder (what the daemon calls).

Default file layout under ``DATA_DIR/uplink/`` (each overridable in ``[uplink]``):

    ca.pem                agency CA certificate
    client.pem            this device's client certificate (CN = device id)
    client.key            its private key (0600)
    hotlist-signing.pub   the agency's Ed25519 hot list signing key (PEM), pinned at provisioning
    hotlist-versions.json the version in force of each list (written by the uplink)
"""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from alpr_edge.uplink.client import TlsFiles, Uplink, UplinkConfigError
from alpr_edge.uplink.sealing import load_x25519_public


def uplink_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "uplink"


def load_ed25519_public(data: bytes) -> Ed25519PublicKey:
    """A public key from PEM (SubjectPublicKeyInfo) or 32 raw bytes."""
    if len(data) == 32:
        return Ed25519PublicKey.from_public_bytes(data)
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def _read_key(path: Path, loader, what: str):
    try:
        return loader(path.read_bytes())
    except OSError as error:
        raise UplinkConfigError(f"{what} {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise UplinkConfigError(f"{what} {path}: {error}") from None


def check_broker_override(url: str) -> None:
    """``alpr-edge run --broker``: plain mqtt:// only to a loopback address (tests and demos)."""
    parts = urlsplit(url)
    if parts.scheme == "mqtts":
        return
    if parts.scheme != "mqtt" or not parts.hostname:
        raise UplinkConfigError(f"--broker: expected mqtts://host[:port] or mqtt://127.0.0.1[:port], got {url!r}")
    host = parts.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise UplinkConfigError(f"--broker: plain mqtt:// is accepted only for a loopback address, got {host!r}")


def build_uplink(config, *, store, hotlist_sink, broker_override: str | None = None,
                 subscribe_downlink: bool = True) -> Uplink:
    """An Uplink for this device (disabled when no broker is configured); UplinkConfigError if it cannot work."""
    settings = config.uplink
    if broker_override:
        check_broker_override(broker_override)
        settings = dataclasses.replace(settings, broker=broker_override,
                                       allow_plaintext=settings.allow_plaintext or broker_override.startswith("mqtt://"))
    folder = uplink_dir(config.data_dir)
    tls = TlsFiles(settings.ca_file or folder / "ca.pem", settings.cert_file or folder / "client.pem",
                   settings.key_file or folder / "client.key")
    hotlist_key_path = settings.hotlist_public_key or folder / "hotlist-signing.pub"
    # Without a pinned key every hot list is refused (and says why): never accept unsigned lists.
    hotlist_key = _read_key(hotlist_key_path, load_ed25519_public, "hot list key") if hotlist_key_path.exists() else None
    seal_key = None
    if settings.seal_public_key is not None:
        seal_key = _read_key(settings.seal_public_key, load_x25519_public, "seal key")
    return Uplink(
        settings, agency=config.device.agency, device_id=config.device.id, store=store,
        tls=tls if settings.broker.startswith("mqtts://") else None, hotlist_sink=hotlist_sink,
        hotlist_public_key=hotlist_key, seal_public_key=seal_key, state_dir=folder,
        subscribe_downlink=subscribe_downlink,
    )


def hotlist_engine_sink(engine, parsers=None):
    """The hot list hand-off for the daemon: parse the body with the list's format, put it in force.

    ``engine`` is an ``alpr_edge.hotlist.HotListEngine``; ``parsers`` maps a
    format to its importer (default ``alpr_edge.hotlist.PARSERS``). Parse errors
    and the engine's own refusals propagate, so the uplink rejects the list,
    logs why and keeps the one in force.
    """
    if parsers is None:
        from alpr_edge.hotlist import PARSERS as parsers

    def sink(name: str, version: int, fmt: str, body: bytes, issued_at: str) -> None:
        hotlist = parsers[fmt](body, name=name, version=version, filename=f"hot list {name} v{version} (uplink)")
        engine.replace(hotlist, actor="uplink", role="system")

    return sink
