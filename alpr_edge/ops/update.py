"""Signed software and model updates with a kept previous release and automatic rollback.

An update is a wheel file or a folder (a wheelhouse: the alpr-edge wheel and
the wheels it needs, so it installs offline), next to a detached Ed25519
signature ``ARTIFACT.sig`` made with the agency's or vendor's update key,
whose public half was pinned at provisioning (``keys/update-signing.pub``).

The signed message is ``b"alpr-edge update v1\\n" + kind + b" " + sha256 hex``
where kind is ``file`` (digest of the bytes) or ``dir`` (digest of a manifest
listing every file's digest and relative path, sorted), so moving the
artifact keeps it valid and changing any byte does not.

Releases live side by side (``/opt/alpr-edge/releases/ID/venv`` and
``.../ID/models``); ``/opt/alpr-edge/venv`` (the unit's ExecStart) and
``/opt/alpr-edge/models`` (``recognition.models_dir``) are symlinks switched
atomically, so a rollback restores the models with the code. An update
folder may carry a ``models/`` folder; otherwise the current models are kept.

``apply_update`` verifies, installs the new release next to the current one,
switches, restarts the service and runs the self-test. Any failure after the
switch (the service does not start, does not say READY in time, dies right
after, or its self-test fails) switches back to the previous release and
restarts it; the failure, the rollback and the restart are each audited. The
steps that touch the system (pip, systemctl, the self-test) go through
``Installer`` so tests can run the whole sequence in a temporary root.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from alpr_edge.fileio import write_atomically
from alpr_edge.logs import log

logger = logging.getLogger(__name__)

MESSAGE_PREFIX = b"alpr-edge update v1\n"
KEEP_RELEASES = 2  # the current one and the one to roll back to


class UpdateError(Exception):
    """The update was refused or failed; the message says what and where."""


def artifact_digest(artifact: Path) -> tuple[str, str]:
    """("file"|"dir", sha256 hex) of an artifact."""
    artifact = Path(artifact)
    if artifact.is_file():
        return "file", _file_sha256(artifact)
    if artifact.is_dir():
        lines = []
        for path in sorted(p for p in artifact.rglob("*") if p.is_file() or p.is_symlink()):
            if path.is_symlink():
                raise UpdateError(f"{path}: links are not allowed in an update folder")
            lines.append(f"{_file_sha256(path)}  {path.relative_to(artifact).as_posix()}\n")
        return "dir", hashlib.sha256("".join(lines).encode()).hexdigest()
    raise UpdateError(f"{artifact}: no such file or folder")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def signed_message(artifact: Path) -> bytes:
    kind, digest = artifact_digest(artifact)
    return MESSAGE_PREFIX + f"{kind} {digest}".encode()


def signature_path(artifact: Path) -> Path:
    artifact = Path(artifact)
    return artifact.with_name(artifact.name + ".sig")


def sign_artifact(artifact: Path, private_key_pem: Path) -> Path:
    """Vendor side: write ARTIFACT.sig (base64) with an Ed25519 private key (PEM)."""
    key = serialization.load_pem_private_key(Path(private_key_pem).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise UpdateError(f"{private_key_pem}: expected an Ed25519 private key")
    out = signature_path(artifact)
    write_atomically(out, base64.b64encode(key.sign(signed_message(artifact))) + b"\n", mode=0o644)
    return out


def verify_artifact(artifact: Path, public_key_pem: Path) -> str:
    """Check ARTIFACT.sig against the pinned key; UpdateError naming the file otherwise. Returns the digest."""
    if not Path(public_key_pem).exists():
        raise UpdateError(f"no update key pinned at {public_key_pem} (alpr-edge provision --update-key FILE); refusing to install unsigned software")
    key = serialization.load_pem_public_key(Path(public_key_pem).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise UpdateError(f"{public_key_pem}: the pinned update key is not Ed25519")
    sig_path = signature_path(artifact)
    try:
        raw = sig_path.read_bytes()
    except FileNotFoundError:
        raise UpdateError(f"{sig_path}: no signature next to the update; refusing to install it") from None
    signature = raw if len(raw) == 64 else _b64(raw, sig_path)
    kind, digest = artifact_digest(artifact)
    try:
        key.verify(signature, MESSAGE_PREFIX + f"{kind} {digest}".encode())
    except InvalidSignature:
        raise UpdateError(f"{sig_path}: the signature does not match {artifact} and the pinned update key; refusing to install it") from None
    return digest


def _b64(raw: bytes, where: Path) -> bytes:
    try:
        signature = base64.b64decode(raw.strip(), validate=True)
    except ValueError:
        raise UpdateError(f"{where}: not a signature (64 raw bytes or base64)") from None
    if len(signature) != 64:
        raise UpdateError(f"{where}: not an Ed25519 signature ({len(signature)} bytes)")
    return signature


# -- installing with a kept previous release ------------------------------------------

Runner = Callable[..., subprocess.CompletedProcess]


@dataclass
class Installer:
    """The system steps of an update; ``run`` executes commands (tests pass a recorder)."""

    install_dir: Path  # /opt/alpr-edge (under --root in tests)
    run: Runner = subprocess.run
    python: str = sys.executable
    service: str = "alpr-edge.service"
    selftest_args: list[str] = field(default_factory=lambda: ["selftest", "--json"])
    settle_s: float = 10.0
    ready_timeout_s: float = 120.0  # longest wait for READY=1 after a restart
    # Each release gets its own pip (ensurepip), so the next update can run from it. False: the
    # new venv is made without pip and this interpreter's pip installs into it (--python), faster.
    own_pip: bool = True

    @property
    def releases(self) -> Path:
        return self.install_dir / "releases"

    @property
    def link(self) -> Path:
        return self.install_dir / "venv"

    @property
    def models_link(self) -> Path:
        return self.install_dir / "models"

    def current(self) -> str | None:
        try:
            target = os.readlink(self.link)
        except OSError:
            return None
        return Path(target).parent.name

    def install(self, artifact: Path, release: str) -> Path:
        """A fresh virtualenv for ``release`` with the artifact installed (offline for a wheelhouse)."""
        venv = self.releases / release / "venv"
        if venv.exists():
            shutil.rmtree(venv.parent)
        venv.parent.mkdir(parents=True)
        make = [self.python, "-m", "venv", str(venv)] + ([] if self.own_pip else ["--without-pip"])
        self._check(self.run(make, capture_output=True, text=True), "creating the virtualenv")
        if self.own_pip:
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        else:
            pip = [self.python, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet"]
        if Path(artifact).is_dir():
            pip += ["--no-index", "--find-links", str(artifact), "alpr-edge"]
        else:
            pip += ["--find-links", str(Path(artifact).parent), str(artifact)]
        self._check(self.run(pip, capture_output=True, text=True), "installing the update")
        # Models travel with the release: an update folder may bring new ones, else the current ones are kept.
        shipped = Path(artifact) / "models" if Path(artifact).is_dir() else None
        source = shipped if shipped is not None and shipped.is_dir() else self.models_link
        if source.is_dir():
            shutil.copytree(source, venv.parent / "models")
        return venv

    def activate(self, release: str) -> None:
        """Point /opt/alpr-edge/venv (and models) at ``release``, each atomically (rename over the old link)."""
        for link, part in ((self.link, "venv"), (self.models_link, "models")):
            if part == "models" and not (self.releases / release / "models").is_dir():
                continue
            tmp = self.install_dir / f".{part}.switch"
            tmp.unlink(missing_ok=True)
            os.symlink(Path("releases") / release / part, tmp)
            os.replace(tmp, link)

    def restart(self) -> None:
        """Restart the unit and wait for it: with Type=notify, systemctl returns once the daemon said READY=1."""
        try:
            result = self.run(["systemctl", "restart", self.service], capture_output=True, text=True, timeout=self.ready_timeout_s)
        except subprocess.TimeoutExpired:
            raise UpdateError(f"{self.service} did not report READY within {self.ready_timeout_s:.0f} s") from None
        self._check(result, f"restarting {self.service}")

    def running(self) -> str | None:
        """None while the unit is active; otherwise what systemd says it is (a daemon that died after READY)."""
        result = self.run(["systemctl", "is-active", self.service], capture_output=True, text=True)
        state = (result.stdout or "").strip() or "unknown"
        return None if state == "active" else f"{self.service} is {state}, not active"

    def settle(self) -> None:
        time.sleep(self.settle_s)  # let the restarted daemon write its first status, or fall over

    def selftest(self) -> dict:
        """The self-test of the active release, run as that release's own command."""
        result = self.run([str(self.link / "bin" / "alpr-edge"), *self.selftest_args], capture_output=True, text=True)
        try:
            return json.loads(result.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            return {"ok": False, "checks": [{"name": "selftest", "status": "fail", "detail": f"no report (exit {result.returncode}): {result.stderr.strip()[-300:]}"}]}

    def prune(self, keep: list[str]) -> list[str]:
        removed = []
        for folder in sorted(self.releases.iterdir()) if self.releases.is_dir() else []:
            if folder.name not in keep:
                shutil.rmtree(folder)
                removed.append(folder.name)
        return removed

    @staticmethod
    def _check(result: subprocess.CompletedProcess, what: str) -> None:
        if result.returncode != 0:
            tail = (result.stderr or result.stdout or "").strip()[-500:]
            raise UpdateError(f"{what} failed (exit {result.returncode}): {tail}")


@dataclass
class UpdateOutcome:
    installed: str
    previous: str | None
    rolled_back: bool
    selftest: dict
    removed: list[str] = field(default_factory=list)
    failure: str = ""  # why the new release was given up (rolled back): restart, ready or self-test


def release_id(digest: str, clock: Callable[[], float] = time.time) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clock())) + "-" + digest[:12]


STEPS = ["verify", "install", "switch", "restart", "self-test"]

# The audit outcome of each update action that is not a success: an auditor filtering on the outcome
# column must not read "ok" next to a release that failed or a signature that was refused.
AUDIT_OUTCOMES = {"update.refused": "refused", "update.failed": "failed", "update.rollback_restart_failed": "failed"}


def audit_outcome(action: str, data: dict) -> str:
    """The outcome column for an update audit record: "ok", or "failed"/"refused" with the reason."""
    outcome = AUDIT_OUTCOMES.get(action, "ok")
    return outcome if outcome == "ok" or not data.get("reason") else f"{outcome}: {data['reason']}"


def apply_update(artifact: Path, update_key: Path, installer: Installer, audit: Callable[[str, dict], None] | None = None,
                 step: Callable[[str], None] | None = None) -> UpdateOutcome:
    """Verify, install beside the current release, switch, restart, self-test; roll back on any failure after the switch.

    ``step`` is told each of STEPS as it begins (a progress bar on a terminal).
    """
    audit = audit or (lambda action, data: None)
    step = step or (lambda name: None)
    step("verify")
    try:
        digest = verify_artifact(artifact, update_key)
    except UpdateError as error:
        audit("update.refused", {"artifact": Path(artifact).name, "reason": str(error)})
        raise
    previous = installer.current()
    release = release_id(digest)
    suffix = 1
    while (installer.releases / release).exists():  # never build over an existing (maybe the live) release
        release, suffix = f"{release_id(digest)}-{suffix}", suffix + 1
    step("install")
    try:
        installer.install(artifact, release)  # the running release is untouched until here
    except UpdateError as error:
        audit("update.failed", {"release": release, "previous": previous, "stage": "install", "reason": str(error)})
        raise
    step("switch")
    installer.activate(release)
    log(logger, logging.INFO, "update_activated", release=release, previous=previous)
    report, failure = _bring_up(installer, step)
    if failure is None:
        audit("update.installed", {"release": release, "previous": previous, "artifact": Path(artifact).name})
        removed = installer.prune([r for r in (release, previous) if r])
        return UpdateOutcome(release, previous, False, report, removed)
    failures = [c for c in report.get("checks", []) if c.get("status") == "fail"]
    audit("update.failed", {"release": release, "previous": previous, "stage": "after the switch", "reason": failure, "failures": failures})
    if previous is None:
        raise UpdateError(f"{release} failed ({failure}) and there is no previous release to go back to")
    _roll_back(installer, release, previous, failure, failures, audit)
    return UpdateOutcome(release, previous, True, report, failure=failure)


def _bring_up(installer: Installer, step: Callable[[str], None]) -> tuple[dict, str | None]:
    """Restart on the new release and judge it: (self-test report, None) or (report, why it failed)."""
    step("restart")
    try:
        installer.restart()
    except UpdateError as error:
        return {}, str(error)
    installer.settle()
    stopped = installer.running()
    if stopped is not None:
        return {}, stopped
    step("self-test")
    report = installer.selftest()
    if not report.get("ok"):
        failed = [c.get("name", "?") for c in report.get("checks", []) if c.get("status") == "fail"]
        return report, "self-test failed: " + (", ".join(failed) or "no report")
    return report, None


def _roll_back(installer: Installer, release: str, previous: str, failure: str, failures: list, audit) -> None:
    """Back to ``previous`` and restart it, each step audited; UpdateError if even that one will not run."""
    installer.activate(previous)
    log(logger, logging.WARNING, "update_rolled_back", release=release, previous=previous, reason=failure)
    audit("update.rolled_back", {"release": release, "previous": previous, "reason": failure, "failures": failures})
    try:
        installer.restart()
        stopped = installer.running()
    except UpdateError as error:
        stopped = str(error)
    if stopped is not None:
        audit("update.rollback_restart_failed", {"release": previous, "reason": stopped})
        raise UpdateError(f"{release} failed ({failure}); rolled back to {previous}, but it does not run either: {stopped}")
    audit("update.rollback_restarted", {"release": previous})
