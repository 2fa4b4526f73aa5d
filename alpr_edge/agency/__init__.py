"""The agency's side of the uplink: the ingest service and its read database.

Nothing here runs on a device. ``build_ingest(config, worker=...)`` makes an
``IngestWorker`` from the ``[agency]`` section (broker, TLS files, keys,
database URL), with the schema migrated; ``worker.run()`` serves until
``worker.stop()``. PostgreSQL needs the ``agency`` extra (psycopg 3).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from alpr_edge.agency.db import DatabaseError, ReadDatabase, open_database
from alpr_edge.agency.ingest import IngestSettings, IngestWorker, Rejected, read_row

__all__ = [
    "DatabaseError", "IngestSettings", "IngestWorker", "ReadDatabase", "Rejected", "build_ingest",
    "database_url", "open_database", "read_row",
]


def database_url(config) -> str:
    """The configured URL, or SQLite in DATA_DIR/agency/ingest.db."""
    return config.agency.database_url or f"sqlite:///{Path(config.data_dir).resolve() / 'agency' / 'ingest.db'}"


def _load(path: Path | None, what: str, loader):
    from alpr_edge.uplink import UplinkConfigError

    if path is None:
        return None
    try:
        return loader(Path(path).read_bytes())
    except OSError as error:
        raise UplinkConfigError(f"agency.{what} {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise UplinkConfigError(f"agency.{what} {path}: {error}") from None


def _ed25519_private(data: bytes):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def build_ingest(config, *, worker: str, broker_override: str | None = None,
                 database_override: str | None = None) -> IngestWorker:
    """A ready worker (schema migrated); UplinkConfigError or DatabaseError when it cannot work."""
    from alpr_edge.uplink import TlsFiles, UplinkConfigError, load_x25519_private, parse_broker
    from alpr_edge.uplink.client import tls_context
    from alpr_edge.uplink.factory import check_broker_override

    section = config.agency
    broker = broker_override or section.broker
    if not broker:
        raise UplinkConfigError("no broker: set agency.broker or pass --broker")
    if broker_override:
        check_broker_override(broker_override)
        section = dataclasses.replace(section, allow_plaintext=section.allow_plaintext or broker.startswith("mqtt://"))
    endpoint = parse_broker(broker, section.allow_plaintext)
    tls = None
    if endpoint.tls:
        if not (section.ca_file and section.cert_file and section.key_file):
            raise UplinkConfigError("mqtts:// needs agency.ca_file, agency.cert_file and agency.key_file")
        tls = tls_context(TlsFiles(section.ca_file, section.cert_file, section.key_file))
    signing_key = _load(section.signing_key, "signing_key", _ed25519_private)
    if signing_key is None:
        raise UplinkConfigError("agency.signing_key: the Ed25519 key that signs receipts (and hot lists) is required")
    seal_key = _load(section.seal_private_key, "seal_private_key", load_x25519_private)
    database = open_database(database_override or database_url(config))
    database.migrate()
    settings = IngestSettings(
        prefix=config.uplink.topic_prefix, agency=config.device.agency, worker=worker,
        share_group=section.share_group, batch_max=section.batch_max, batch_wait_s=section.batch_wait_s,
        session_expiry_s=section.session_expiry_s, require_sealed=section.require_sealed,
    )
    return IngestWorker(settings, endpoint, database, signing_key=signing_key, seal_key=seal_key, tls_context=tls)
