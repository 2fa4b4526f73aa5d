"""Where the key-encryption key (KEK) lies at rest, and what protects it there.

A KEK in a plain file beside the data it protects gives everything away with a
stolen SD card. On a device the KEK is therefore sealed with systemd's
encrypted credentials (``systemd-creds encrypt --with-key=auto``: bound to the
board's TPM2 when there is one, else to the host key in
``/var/lib/systemd/credential.secret``) into ``keys/kek.cred``. The service
gets it decrypted from systemd (``LoadCredentialEncrypted=`` in
``systemd/alpr-edge.service``, read from ``$CREDENTIALS_DIRECTORY``); a command
run by root (``sudo alpr-edge ...``) decrypts the file itself. The plain file
``keys/kek`` remains for the sim profile and the tests only.

``SystemdCreds`` is the one seam to the ``systemd-creds`` program: the tests
run it for real where it works (with their own host key, through
``$SYSTEMD_CREDENTIAL_SECRET``) and check the command lines it builds.

Protection is read from the sealed file itself (the 16-byte id that opens every
systemd credential names the key it was sealed with), so `selftest` reports
what is in force, not what was intended.
"""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from alpr_edge.fileio import sync_folder

CREDENTIAL_NAME = "alpr-edge-kek"  # the credential id in the unit; systemd checks the name sealed in the file
PLAIN = "kek"
SEALED = "kek.cred"

TPM2 = "tpm2"
HOST_KEY = "host key"
PLAIN_FILE = "plain file (sim/test only)"

# systemd's credential type ids (src/shared/creds-util.h): which key sealed it.
_SEALED_BY = {
    "5a1c6a86df9d4096b1d5a65e0862f19a": HOST_KEY,
    "55b9ed1d38594d43a8319d2ebb332ac6": HOST_KEY,  # host key, user-scoped
    "0c7cc07b117645919c4b0bea08bc20fe": TPM2,
    "faf7eb9341e3412ca1a436f95a29362f": TPM2,  # TPM2 with a signed PCR policy
    "93a894094874449090caf2fc93cab553": TPM2,  # TPM2 and the host key
    "af4950a849134eb1a73846304ff30c05": TPM2,  # TPM2 (signed policy) and the host key
}


class CredsError(Exception):
    """systemd-creds is absent or refused (wrong key, another board, not root)."""


class SystemdCreds:
    """Runs ``systemd-creds`` to seal and unseal one credential (stdin to stdout: no plain key on disk)."""

    def __init__(self, executable: str = "systemd-creds", run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
                 env: Mapping[str, str] | None = None, timeout_s: float = 30.0):
        self.executable = executable
        self._run = run
        self._env = env
        self._timeout_s = timeout_s

    def available(self) -> bool:
        return shutil.which(self.executable) is not None

    def encrypt_command(self, name: str) -> list[str]:
        # auto: the TPM2 (with the host key) when the board has one, else the host key.
        return [self.executable, "encrypt", f"--name={name}", "--with-key=auto", "-", "-"]

    def decrypt_command(self, name: str) -> list[str]:
        return [self.executable, "decrypt", f"--name={name}", "--newline=no", "-", "-"]

    def encrypt(self, plaintext: bytes, name: str) -> bytes:
        return self._call(self.encrypt_command(name), plaintext, "seal")

    def decrypt(self, sealed: bytes, name: str) -> bytes:
        return self._call(self.decrypt_command(name), sealed, "unseal")

    def _call(self, command: list[str], data: bytes, what: str) -> bytes:
        try:
            done = self._run(command, input=data, capture_output=True, timeout=self._timeout_s, check=False,
                             env=None if self._env is None else dict(self._env))
        except FileNotFoundError:
            raise CredsError(f"{self.executable} not found: systemd 250 or later is needed to {what} the key") from None
        except subprocess.TimeoutExpired:
            raise CredsError(f"{self.executable} did not answer within {self._timeout_s:g} s") from None
        if done.returncode != 0:
            reason = done.stderr.decode(errors="replace").strip().splitlines()
            reason = [line for line in reason if "not located on encrypted media" not in line] or ["no reason given"]
            raise CredsError(f"{self.executable} could not {what} the key: {reason[-1]}")
        return done.stdout


def sealed_by(sealed: bytes) -> str:
    """Which key sealed a systemd credential: TPM2, HOST_KEY, or a description of what it is not."""
    try:
        raw = base64.b64decode(b"".join(sealed.split()), validate=True)  # base64, wrapped in lines
    except (binascii.Error, ValueError):
        raw = sealed  # systemd-creds writes base64, but takes the raw form too
    if len(raw) < 16:
        return "unknown (too short to be a systemd credential)"
    return _SEALED_BY.get(raw[:16].hex(), f"unknown (credential type {raw[:16].hex()})")


class KekFiles:
    """The KEK of one ``keys/`` folder: read from wherever it is, written sealed or plain.

    ``creds`` None: no sealing (sim and tests write the plain file). Reading
    takes, in order: the service's credential (only when this folder's
    ``kek.cred`` exists: it is that file, decrypted by systemd at start),
    ``kek.cred`` decrypted by ``systemd-creds``, the plain ``kek``.
    """

    def __init__(self, folder: Path, creds: SystemdCreds | None = None, environ: Mapping[str, str] = os.environ):
        self.folder = Path(folder)
        self.creds = creds
        self._environ = environ

    def sealed(self, stem: str = PLAIN) -> Path:
        return self.folder / f"{stem}.cred"

    def plain(self, stem: str = PLAIN) -> Path:
        return self.folder / stem

    def exists(self, stem: str = PLAIN) -> bool:
        return self.sealed(stem).exists() or self.plain(stem).exists()

    def protection(self) -> str | None:
        """TPM2, HOST_KEY or PLAIN_FILE for the KEK in force; None when there is none."""
        if self.sealed().exists():
            return sealed_by(self.sealed().read_bytes())
        return PLAIN_FILE if self.plain().exists() else None

    def read(self, stem: str = PLAIN) -> bytes:
        sealed = self.sealed(stem)
        if sealed.exists():
            given = self._environ.get("CREDENTIALS_DIRECTORY")
            if stem == PLAIN and given and (Path(given) / CREDENTIAL_NAME).exists():
                return (Path(given) / CREDENTIAL_NAME).read_bytes()
            return self._unsealer().decrypt(sealed.read_bytes(), CREDENTIAL_NAME)
        return self.plain(stem).read_bytes()

    def write(self, kek: bytes, stem: str = PLAIN) -> Path:
        """Write ``kek`` (sealed when this has ``creds``), atomically and 0600; returns the file."""
        from alpr_edge.store.keys import write_secret

        if self.creds is None:
            write_secret(self.plain(stem), kek)
            return self.plain(stem)
        sealed = self.creds.encrypt(kek, CREDENTIAL_NAME)
        if self.creds.decrypt(sealed, CREDENTIAL_NAME) != kek:  # never replace a key by one that cannot be read back
            raise CredsError("the sealed key does not decrypt to the key sealed")
        write_secret(self.sealed(stem), sealed)
        return self.sealed(stem)

    def promote(self, stem: str) -> None:
        """Make the KEK staged under ``stem`` (rotation) the one in force, in the same form."""
        if self.sealed(stem).exists():
            os.replace(self.sealed(stem), self.sealed())
            self.plain().unlink(missing_ok=True)  # a plain KEK left from before sealing
        else:
            os.replace(self.plain(stem), self.plain())
        sync_folder(self.plain().parent)  # the rename survives a power cut only once the folder is on disk

    def discard(self, stem: str) -> None:
        self.sealed(stem).unlink(missing_ok=True)
        self.plain(stem).unlink(missing_ok=True)

    def _unsealer(self) -> SystemdCreds:
        return self.creds or SystemdCreds()
