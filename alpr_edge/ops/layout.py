"""Where an installed device keeps things, under an optional staging root.

``--root DIR`` prefixes every system path so that provisioning and the
installer can run against a temporary folder (tests) or an image being built,
without touching the host. Paths written *into* files (the config's
``data_dir``, the unit's ExecStart) are always the in-system ones.

Secrets and pinned keys, relative to the data folder (folders 0700; private
keys 0600). The uplink stage reads its files from ``uplink/`` by default
(overridable in ``[uplink]``); the store keeps its own in ``keys/``.

=============================  ==================================================
``keys/kek.cred``              key-encryption key sealed by systemd-creds (TPM2 or host key)
``keys/kek``                   the same in clear: the sim profile and tests only
``keys/datakeys``              wrapped data keys (the store)
``keys/device.key, .pub``      Ed25519 device key pair signing the audit chain (store)
``keys/update-signing.pub``    pinned Ed25519 key that signs software updates
``uplink/client.key``          EC P-256 private key of the MQTT client certificate
``uplink/client.csr``          its certificate signing request, for the agency CA
``uplink/client.pem``          the signed client certificate (``alpr-edge cert install``)
``uplink/ca.pem``              the agency CA (signs the broker's and the device's certificates)
``uplink/hotlist-signing.pub`` pinned Ed25519 key that signs hot lists
``uplink/agency-seal.pub``     pinned X25519 key reads are sealed to end to end
=============================  ==================================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# Under DATA_DIR: what the last purge removed, written by the store's purge and
# read by `status` (here, so that `status` needs none of the store's crypto).
LAST_PURGE = Path("run") / "last-purge.json"


def read_last_purge(data_dir: Path) -> dict | None:
    """The last purge's record, or None (never purged, or unreadable: said in the record)."""
    path = Path(data_dir) / LAST_PURGE
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        return {"error": f"{path}: {error}"}
    return record if isinstance(record, dict) else {"error": f"{path}: not a JSON object"}


SERVICE_USER = "alpr-edge"
CONFIG_PATH = Path("/etc/alpr-edge/config.toml")
DATA_DIR = Path("/var/lib/alpr-edge")
INSTALL_DIR = Path("/opt/alpr-edge")

TLS_KEY = "uplink/client.key"
CSR = "uplink/client.csr"
CERT = "uplink/client.pem"
CA_CERT = "uplink/ca.pem"
HOTLIST_KEY = "uplink/hotlist-signing.pub"
SEAL_KEY = "uplink/agency-seal.pub"
UPDATE_KEY = "keys/update-signing.pub"
# Files that must never be readable by anyone but the service user.
SECRET_FILES = ("keys/kek.cred", "keys/kek", "keys/datakeys", "keys/device.key", TLS_KEY)
PRIVATE_DIRS = ("keys", "uplink")
STATUS_FILE = Path("run") / "status.json"


def under_root(root: Path | None, path: Path) -> Path:
    """``path`` (absolute, in-system) as seen from the staging ``root``."""
    if root is None:
        return Path(path)
    return Path(root) / Path(path).relative_to("/")


@dataclass(frozen=True)
class Layout:
    """The paths of one device, as seen from where this command runs."""

    config_path: Path
    data_dir: Path

    @classmethod
    def for_root(cls, root: Path | None, config_path: Path = CONFIG_PATH, data_dir: Path = DATA_DIR) -> Layout:
        return cls(under_root(root, config_path), under_root(root, data_dir))

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def file(self, relative: str) -> Path:
        """A file of the data folder, e.g. ``layout.file(CERT)``."""
        return self.data_dir / relative

    @property
    def status_file(self) -> Path:
        return self.data_dir / STATUS_FILE


def uplink_files(config, data_dir: Path) -> dict[str, Path]:
    """The uplink's TLS and pinned-key files: the ``[uplink]`` overrides where set, else the defaults."""
    uplink = config.uplink
    defaults = {"ca_file": CA_CERT, "cert_file": CERT, "key_file": TLS_KEY, "hotlist_public_key": HOTLIST_KEY}
    return {name: Path(getattr(uplink, name, None) or Path(data_dir) / default) for name, default in defaults.items()}
