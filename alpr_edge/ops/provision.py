"""Provisioning: turn a freshly installed device into this agency's device.

`provision()` writes and validates the config, creates the data folder (0700),
the store's keys (key-encryption key, sealed by systemd-creds outside the sim
profile; Ed25519 device key), the MQTT client
key and its CSR, pins the agency CA and public keys, and creates the first
admin. Every step is written to the audit trail under the technician's name.

Running it again is safe: what exists is kept and reported as kept. Keys and
pinned keys are never overwritten without ``rotate``; with it the data keys
are re-wrapped under a new key-encryption key (old data stays readable) and
pinned keys may be replaced.
"""

from __future__ import annotations

import logging
import os
import pwd
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alpr_edge.fileio import write_atomically
from alpr_edge.logs import log
from alpr_edge.ops import certs
from alpr_edge.ops.layout import (
    CA_CERT,
    CERT,
    CSR,
    DATA_DIR,
    HOTLIST_KEY,
    INSTALL_DIR,
    PRIVATE_DIRS,
    SEAL_KEY,
    SERVICE_USER,
    TLS_KEY,
    UPDATE_KEY,
    Layout,
    under_root,
)
from alpr_edge.ops.tomlout import dumps
from alpr_edge.store.kek import PLAIN_FILE, SystemdCreds

logger = logging.getLogger(__name__)

CONFIG_HEADER = "alpr-edge configuration, written by `alpr-edge provision`.\n`alpr-edge config show` lists every setting."


class ProvisionError(Exception):
    """Provisioning refused or failed; nothing already stored was changed by the failing step."""


@dataclass(frozen=True)
class ProvisionRequest:
    agency: str
    device_id: str
    profile: str
    broker: str
    technician: str
    ca: Path | None = None
    hotlist_key: Path | None = None
    seal_key: Path | None = None
    update_key: Path | None = None
    admin: str | None = None
    rotate: bool = False
    root: Path | None = None
    service_user: str = SERVICE_USER
    creds: SystemdCreds | None = None  # seals the key-encryption key; None: systemd-creds on this machine


@dataclass
class ProvisionResult:
    layout: Layout
    steps: list[tuple[str, str]] = field(default_factory=list)  # (what, outcome)
    totp_uri: str | None = None

    def did(self, what: str, outcome: str) -> None:
        self.steps.append((what, outcome))


def provision(request: ProvisionRequest, password: Callable[[], str] | None = None) -> ProvisionResult:
    """Provision the device; ``password()`` is asked only when an admin must be created."""
    layout = Layout.for_root(request.root)
    result = ProvisionResult(layout)
    # Everything that can be refused is checked before anything is written.
    pins = _pins_to_write(request, layout)
    sealer = _key_sealer(request)
    config = _write_config(request, layout, result)
    _make_data_dir(layout.data_dir, result)
    _make_store_keys(layout, request.rotate, sealer, result)
    _make_tls_identity(request, layout, result)
    for name, data in pins:
        path = layout.file(name)
        outcome = "replaced" if path.exists() else "pinned"
        certs.write_file(path, data, 0o644)
        result.did(name, outcome)
    store = _open_store(layout, config)
    try:
        for what, outcome in result.steps:
            store.audit(request.technician, "technician", "provision", data={"step": what, "outcome": outcome,
                        "agency": request.agency, "device": request.device_id})
        if request.admin:
            _create_admin(store, getattr(config, "accounts", None), request, password, result)
        elif not _has_admin(store, getattr(config, "accounts", None)):
            result.did("admin", "none yet: run again with --admin USER to create the first one")
    finally:
        store.close()
    result.did("ownership", give_to_service_user(layout.data_dir, request.service_user))
    log(logger, logging.INFO, "provisioned", agency=request.agency, device=request.device_id,
        technician=request.technician, steps=len(result.steps))
    return result


# -- the config -------------------------------------------------------------------


def _desired_config(request: ProvisionRequest, existing: dict, sealing: bool, models_installed: bool) -> dict:
    import dataclasses

    from alpr_edge.config import UplinkSection

    document = {section: dict(values) if isinstance(values, dict) else values for section, values in existing.items()}
    device = document.setdefault("device", {})
    device.update({"agency": request.agency, "id": request.device_id, "profile": request.profile,
                   "data_dir": str(DATA_DIR)})
    uplink = document.setdefault("uplink", {})
    uplink["broker"] = request.broker
    # Installed models live with the release behind /opt/alpr-edge/models (scripts/install.sh).
    if models_installed and "models_dir" not in document.get("recognition", {}):
        document.setdefault("recognition", {})["models_dir"] = str(INSTALL_DIR / "models")
    # The uplink seals reads end to end only when told where the agency's key is.
    if sealing and "seal_public_key" in {f.name for f in dataclasses.fields(UplinkSection)}:
        uplink["seal_public_key"] = str(DATA_DIR / SEAL_KEY)
    return document


def _write_config(request: ProvisionRequest, layout: Layout, result: ProvisionResult):
    from alpr_edge.config import load_config
    from alpr_edge.assembly import check_policy
    from alpr_edge.schema import SchemaError

    path = layout.config_path
    existing: dict = {}
    if path.exists():
        try:
            existing = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ProvisionError(f"{path}: existing config is not valid TOML ({error}); fix or remove it first") from None
        old = existing.get("device", {})
        changed = [k for k, new in (("agency", request.agency), ("id", request.device_id)) if old.get(k, new) != new]
        if changed and layout.file(TLS_KEY).exists() and not request.rotate:
            raise ProvisionError(
                f"{path}: device.{changed[0]} is {old[changed[0]]!r}; changing the device's identity makes a new "
                "TLS key and CSR: add --rotate to do that"
            )
    sealing = request.seal_key is not None or layout.file(SEAL_KEY).exists()
    models_installed = under_root(request.root, INSTALL_DIR / "models").is_dir()
    text = dumps(_desired_config(request, existing, sealing, models_installed), CONFIG_HEADER)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    # Validate the exact text before it replaces anything.
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".config.", suffix=".toml", delete=False) as tmp:
        tmp.write(text)
    try:
        try:
            config = load_config(Path(tmp.name), data_dir=layout.data_dir)
            problems = check_policy(config)
        except SchemaError as error:
            problems = [f"{error.source}: {p}" for p in error.problems]
        if problems:
            raise ProvisionError("the resulting config is invalid:\n" + "\n".join(
                f"  {p.replace(tmp.name, str(path))}" for p in problems))
        if path.exists() and path.read_text() == text:
            result.did("config", "unchanged")
        else:
            result.did("config", "updated" if path.exists() else "written")
            # The checked text, written whole and durably (the unsynced temporary could be empty after a power cut);
            # no secrets in it, and the service user must read it.
            write_atomically(path, text.encode(), mode=0o644)
    finally:
        Path(tmp.name).unlink(missing_ok=True)
    return config


# -- files and keys ----------------------------------------------------------------


def _make_data_dir(data_dir: Path, result: ProvisionResult) -> None:
    existed = data_dir.is_dir()
    for folder in (data_dir, *(data_dir / name for name in PRIVATE_DIRS)):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
    result.did("data_dir", "kept" if existed else "created")


def _key_sealer(request: ProvisionRequest) -> SystemdCreds | None:
    """systemd-creds to seal the key-encryption key with; None for the sim profile (a plain file)."""
    from alpr_edge.profiles import load_profile
    from alpr_edge.schema import SchemaError

    try:
        if load_profile(request.profile).is_sim:
            return None
    except SchemaError:
        pass  # the config check names the profile's problem
    creds = request.creds or SystemdCreds()
    if not creds.available():
        raise ProvisionError(
            f"{creds.executable} not found: the key-encryption key would lie in clear on the card. "
            "Install systemd 250 or later (systemd-creds), or provision the sim profile for a test bench"
        )
    return creds


def _make_store_keys(layout: Layout, rotate: bool, sealer: SystemdCreds | None, result: ProvisionResult) -> None:
    from alpr_edge.store import create_keys
    from alpr_edge.store.kek import KekFiles

    files = KekFiles(layout.keys_dir)
    protection = files.protection()
    if protection is None:
        made = create_keys(layout.data_dir, creds=sealer)
        result.did("store_keys", f"created ({_protected_by(made['protection'])})")
    elif rotate or (protection == PLAIN_FILE and sealer is not None):
        # Sealing a plain key is a rotation too: the old key may survive in the card's
        # flash blocks, so it must no longer open the data keys.
        made = create_keys(layout.data_dir, rotate=True, creds=sealer)
        result.did("store_keys", f"re-wrapped under a new key-encryption key ({_protected_by(made['protection'])}); "
                   "restart alpr-edge to use it")
    else:
        result.did("store_keys", f"kept (exist; --rotate re-wraps them; {_protected_by(protection)})")


def _protected_by(protection: str | None) -> str:
    return f"key-encryption key: {protection}" if protection == PLAIN_FILE else f"key-encryption key sealed by systemd-creds: {protection}"


def _make_tls_identity(request: ProvisionRequest, layout: Layout, result: ProvisionResult) -> None:
    key, csr, cert = layout.file(TLS_KEY), layout.file(CSR), layout.file(CERT)
    if key.exists() and _csr_names(csr, request):
        result.did("tls_key", "kept")
        return
    if key.exists() and not request.rotate:
        raise ProvisionError(f"{key} exists for another identity; add --rotate to replace it")
    if cert.exists():
        # The old certificate belongs to the old key: keep it aside, it no longer works.
        os.replace(cert, cert.with_name(cert.name + ".replaced"))
    certs.make_tls_key_and_csr(key, csr, request.agency, request.device_id)
    result.did("tls_key", f"created (EC P-256) with request {CSR}")


def _csr_names(csr_path: Path, request: ProvisionRequest) -> bool:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        csr = x509.load_pem_x509_csr(csr_path.read_bytes())
    except (OSError, ValueError):
        return False
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return bool(names) and names[0].value == f"{request.agency}/{request.device_id}"


def _pins_to_write(request: ProvisionRequest, layout: Layout) -> list[tuple[str, bytes]]:
    """Validated (file name, bytes) for every CA/key given; refusals before anything is written."""
    wanted: list[tuple[str, bytes]] = []
    if request.ca is not None:
        ca = certs.check_ca(request.ca)
        from cryptography.hazmat.primitives import serialization

        wanted.append((CA_CERT, ca.public_bytes(serialization.Encoding.PEM)))
    for given, name, kind in (
        (request.hotlist_key, HOTLIST_KEY, certs.ED25519),
        (request.seal_key, SEAL_KEY, certs.X25519),
        (request.update_key, UPDATE_KEY, certs.ED25519),
    ):
        if given is not None:
            wanted.append((name, certs.public_pem(certs.load_public_key(given, kind=kind))))
    pins = []
    for name, data in wanted:
        path = layout.file(name)
        if path.exists() and path.read_bytes() == data:
            continue
        if path.exists() and not request.rotate:
            raise ProvisionError(f"{path} is pinned to another key; refusing to replace it without --rotate")
        pins.append((name, data))
    return pins


# -- store, accounts, ownership -------------------------------------------------------


def _open_store(layout: Layout, config):
    from alpr_edge.store import Store

    return Store.open(layout.data_dir, config.store)


def _has_admin(store, settings) -> bool:
    from alpr_edge.accounts import Accounts

    return any(user["role"] == "admin" for user in Accounts(store, settings).list())


def _create_admin(store, settings, request: ProvisionRequest, password, result: ProvisionResult) -> None:
    from alpr_edge.accounts import Accounts, AuthError

    accounts = Accounts(store, settings)
    if any(user["name"] == request.admin for user in accounts.list()):
        result.did("admin", f"{request.admin} exists, kept")
        store.audit(request.technician, "technician", "provision", data={"step": "admin", "outcome": "exists, kept"})
        return
    if password is None:
        raise ProvisionError("an admin password is needed to create the first admin")
    try:
        result.totp_uri = accounts.add(request.admin, "admin", password(), actor=request.technician, actor_role="technician")
    except AuthError as error:
        raise ProvisionError(f"admin {request.admin!r}: {error.reason}") from None
    result.did("admin", f"{request.admin} created")


def give_to_service_user(data_dir: Path, user: str = SERVICE_USER) -> str:
    """Run as root (sudo), new files would be root's and the service could not open them: hand them over."""
    if os.geteuid() != 0:
        return "unchanged (not root)"
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return f"left to root: no user {user!r} here (scripts/install.sh creates it)"
    for folder, dirs, files in os.walk(data_dir):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, entry.pw_uid, entry.pw_gid)
    return f"given to {user}"


def technician_name(explicit: str | None) -> str:
    """Who is provisioning: --technician, else the user behind sudo, else the login user."""
    for candidate in (explicit, os.environ.get("SUDO_USER"), os.environ.get("USER"), os.environ.get("LOGNAME")):
        if candidate:
            return candidate
    return pwd.getpwuid(os.getuid()).pw_name
