"""Where an installed device keeps things, under an optional staging root.

``--root DIR`` prefixes every system path so that provisioning and the
installer can run against a temporary folder (tests) or an image being built,
without touching the host. Paths written *into* files (the config's
``data_dir``, the unit's ExecStart) are always the in-system ones.

The keys folder (``DATA_DIR/keys``, 0700, files 0600 unless public):

====================  =====================================================
``kek``               key-encryption key (the store makes it)
``datakeys``          wrapped data keys (the store)
``device.key/.pub``   Ed25519 device key pair signing the audit chain (store)
``device-tls.key``    EC P-256 private key of the MQTT client certificate
``device.csr``        its certificate signing request, for the agency CA
``device.crt``        the signed client certificate (``alpr-edge cert install``)
``ca.crt``            the agency CA that signs the broker and the device certs
``hotlist-signing.pub``  pinned public key that signs hot lists (Ed25519)
``agency-seal.pub``   pinned public key exports are sealed to
``update-signing.pub``   pinned Ed25519 key that signs software updates
====================  =====================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "alpr-edge"
CONFIG_PATH = Path("/etc/alpr-edge/config.toml")
DATA_DIR = Path("/var/lib/alpr-edge")
INSTALL_DIR = Path("/opt/alpr-edge")

TLS_KEY = "device-tls.key"
CSR = "device.csr"
CERT = "device.crt"
CA_CERT = "ca.crt"
HOTLIST_KEY = "hotlist-signing.pub"
SEAL_KEY = "agency-seal.pub"
UPDATE_KEY = "update-signing.pub"
# Files that must never be readable by anyone but the service user.
SECRET_KEY_FILES = ("kek", "datakeys", "device.key", TLS_KEY)
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
    def for_root(cls, root: Path | None, config_path: Path = CONFIG_PATH, data_dir: Path = DATA_DIR) -> "Layout":
        return cls(under_root(root, config_path), under_root(root, data_dir))

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def key(self, name: str) -> Path:
        return self.keys_dir / name

    @property
    def status_file(self) -> Path:
        return self.data_dir / STATUS_FILE
