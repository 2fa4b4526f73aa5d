"""Keys: a key-encryption key (KEK) wrapping one data key per calendar day.

Layout under ``DATA_DIR/keys`` (folder 0700, files 0600):

- ``kek.cred``: 32 random bytes sealed by systemd-creds (TPM2 or host key),
  on a device; ``kek`` the same in a plain file, for the sim and the tests
  only (see ``alpr_edge.store.kek``). Never leaves the device.
- ``datakeys``: JSON map of key id to ``{"use": "day:2026-11-22" | "records" |
  "index", "wrapped": base64(AES-GCM(KEK, key))}``. Rewritten atomically
  (temporary file, fsync, rename, fsync of the folder).
- ``device.key`` / ``device.pub``: Ed25519 pair that signs the audit chain.

Why the day keys live outside the database: crypto-shredding must defeat a
copy of ``alpr.db`` taken before the purge. If the wrapped day keys sat in the
database, that copy would still hold them and the KEK would unwrap them. Here
destroying a day key means rewriting ``datakeys`` without it; a copy of the
database (or its WAL, or its free pages) then holds only ciphertext whose key
exists nowhere. Limits, stated plainly: a copy of the keys folder taken
before the purge still opens the old data (the keys folder must never be
backed up), and flash storage may keep the previous ``datakeys`` blocks until
they are reused (a secure element or full-disk encryption closes that gap).

Every ciphertext starts with the id of the key that made it, so a day can be
re-keyed (survivors re-sealed under a fresh key, the old key destroyed) and a
rotation of the KEK re-wraps data keys without touching the database.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import secrets
import threading
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from alpr_edge.fileio import write_atomically
from alpr_edge.store.kek import CredsError, KekFiles, SystemdCreds

BLOB_VERSION = 1
KEY_ID_BYTES = 8
NONCE_BYTES = 12
RECORDS = "records"  # long-lived key for accounts and the audit details; never shredded
INDEX = "index"  # long-lived HMAC key for plates outside reads (hot lists, alerts)
NEXT = "kek.next"  # a new KEK during rotation, until the data keys are re-wrapped under it


class KeysMissing(Exception):
    """The key-encryption key is absent: the device was not provisioned."""


class KeyShredded(Exception):
    """The data key a ciphertext needs was destroyed (its data was purged)."""


class KeysExist(Exception):
    """create_keys refused to overwrite existing keys."""


def keys_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "keys"


def write_secret(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, 0600, durable before returning."""
    write_atomically(path, data, mode=0o600)


def _kek_id(kek: bytes) -> str:
    return hashlib.sha256(b"alpr-edge kek id" + kek).hexdigest()[:16]


def create_keys(data_dir: Path, *, rotate: bool = False, creds: SystemdCreds | None = None) -> dict:
    """Make the KEK and the Ed25519 device key (provisioning).

    ``creds``: seal the KEK with systemd-creds (a device); None writes the
    plain file (sim, tests), unless the KEK in force is sealed already: it
    stays sealed. Refuses (KeysExist) when keys exist, unless ``rotate``: then
    a new KEK re-wraps every data key (old data stays readable) and the device
    key is kept; rotating a plain KEK with ``creds`` seals the new one and
    removes the plain file. Returns {"kek", "device_key", "rotated", "protection"}.
    """
    folder = keys_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    files = KekFiles(folder, creds)
    if files.sealed().exists() and creds is None:
        files = KekFiles(folder, SystemdCreds())
    device_path = folder / "device.key"
    refusal = "exists; refusing to overwrite keys (use rotate to re-wrap the data keys)"
    if files.exists() and not rotate:
        raise KeysExist(f"{_kek_path(files)} {refusal}")
    with _file_lock(folder):
        rotated = False
        if files.exists() and not rotate:  # another process made them meanwhile
            raise KeysExist(f"{_kek_path(files)} {refusal}")
        if files.exists():
            old = _read_kek(files)
            new = secrets.token_bytes(32)
            entries = _read_entries(folder / "datakeys", old)
            # Order matters for a crash: the new KEK is saved under another
            # name first, the data keys are re-wrapped, then the KEK replaced.
            # KeyRing.load finishes an interrupted rotation (see _recover).
            files.write(new, NEXT)
            _write_entries(folder / "datakeys", new, entries)
            files.promote(NEXT)
            rotated = True
        else:
            files.write(secrets.token_bytes(32))
        if not device_path.exists():
            private = Ed25519PrivateKey.generate()
            pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            write_secret(device_path, pem)
            public = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            write_atomically(folder / "device.pub", public, mode=0o644)
    return {"kek": _kek_path(files), "device_key": device_path, "rotated": rotated, "protection": files.protection()}


def _kek_path(files: KekFiles) -> Path:
    return files.sealed() if files.sealed().exists() else files.plain()


def _read_kek(files: KekFiles) -> bytes:
    try:
        kek = files.read()
    except CredsError as error:
        raise KeysMissing(f"{files.sealed()}: {error} (run it as root, on the board that sealed it)") from None
    if len(kek) != 32:
        raise KeysMissing(f"{_kek_path(files)} is not a 32-byte key")
    return kek


@contextmanager
def _file_lock(folder: Path):
    """Serialise read-modify-write of ``datakeys`` between processes."""
    fd = os.open(folder / "datakeys.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _wrap_aad(key_id: str, use: str) -> bytes:
    return f"alpr-edge datakey {key_id} {use}".encode()


def _read_entries(path: Path, kek: bytes) -> dict[str, dict]:
    """key id -> {"use", "key"} with keys unwrapped."""
    if not path.exists():
        return {}
    document = json.loads(path.read_text())
    if document.get("kek_id") != _kek_id(kek):
        raise KeysMissing(f"{path} was wrapped by another key-encryption key than {path.parent / 'kek'}")
    entries = {}
    wrapper = AESGCM(kek)
    for key_id, entry in document["keys"].items():
        blob = base64.b64decode(entry["wrapped"])
        key = wrapper.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _wrap_aad(key_id, entry["use"]))
        entries[key_id] = {"use": entry["use"], "key": key}
    return entries


def _write_entries(path: Path, kek: bytes, entries: dict[str, dict]) -> None:
    wrapper = AESGCM(kek)
    document = {"version": 1, "kek_id": _kek_id(kek), "keys": {}}
    for key_id, entry in entries.items():
        nonce = secrets.token_bytes(NONCE_BYTES)
        wrapped = nonce + wrapper.encrypt(nonce, entry["key"], _wrap_aad(key_id, entry["use"]))
        document["keys"][key_id] = {"use": entry["use"], "wrapped": base64.b64encode(wrapped).decode()}
    write_secret(path, json.dumps(document, indent=1, allow_nan=False).encode())


def day_use(day: date) -> str:
    return f"day:{day.isoformat()}"


class KeyRing:
    """The unwrapped data keys of one process, kept in step with ``datakeys``.

    Another process (the CLI purging while the daemon runs) may rewrite the
    file; every lookup compares the file's identity and reloads on change.
    """

    def __init__(self, folder: Path, kek: bytes, files: KekFiles | None = None):
        self._folder = folder
        self._kek = kek
        self._files = files or KekFiles(folder)
        self._path = folder / "datakeys"
        self._lock = threading.RLock()
        self._stamp = None
        self._entries: dict[str, dict] = {}
        self._aeads: dict[str, AESGCM] = {}

    @classmethod
    def load(cls, data_dir: Path, *, dev_keys: bool = False, creds: SystemdCreds | None = None) -> KeyRing:
        folder = keys_dir(data_dir)
        files = KekFiles(folder, creds)
        _recover(folder, files)
        if not files.exists():
            if not dev_keys:
                raise KeysMissing(f"no key-encryption key at {files.plain()}: run alpr-edge provision")
            try:
                create_keys(data_dir)  # the sim profile: a plain file
            except KeysExist:
                pass  # another process of the sim profile made them first
        ring = cls(folder, _read_kek(files), files)
        ring._refresh()
        return ring

    def _file_stamp(self):
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _refresh(self) -> None:
        stamp = self._file_stamp()
        if stamp != self._stamp:
            try:
                self._entries = _read_entries(self._path, self._kek)
            except KeysMissing:
                # The KEK was rotated by another process (provision --rotate):
                # take the new one; if that fails too, the error stands.
                # (Under systemd the service holds the KEK it started with: it
                # takes a rotated one at its next start.)
                _recover(self._folder, self._files)
                self._kek = _read_kek(self._files)
                self._entries = _read_entries(self._path, self._kek)
            self._aeads = {k: AESGCM(v["key"]) for k, v in self._entries.items()}
            self._stamp = stamp

    def key_for(self, use: str, *, create: bool = True) -> str | None:
        """The newest key id for ``use``, made (and saved) when absent."""
        with self._lock:
            self._refresh()
            found = self._newest(use)
            if found or not create:
                return found
            with _file_lock(self._folder):
                self._stamp = None
                self._refresh()
                found = self._newest(use)
                if found:
                    return found
                return self._add_locked(use)

    def _newest(self, use: str) -> str | None:
        # Insertion order of the JSON document is creation order.
        ids = [k for k, v in self._entries.items() if v["use"] == use]
        return ids[-1] if ids else None

    def _add_locked(self, use: str) -> str:
        key_id = secrets.token_hex(KEY_ID_BYTES)
        entries = dict(self._entries)
        entries[key_id] = {"use": use, "key": AESGCM.generate_key(256)}
        _write_entries(self._path, self._kek, entries)  # durable before any use
        self._stamp = None
        self._refresh()
        return key_id

    def new_key(self, use: str) -> str:
        """A fresh key for ``use`` even if one exists (re-keying a day)."""
        with self._lock, _file_lock(self._folder):
            self._stamp = None
            self._refresh()
            return self._add_locked(use)

    def destroy(self, key_ids: set[str]) -> int:
        """Remove keys from ``datakeys`` for good; returns how many went."""
        with self._lock, _file_lock(self._folder):
            self._stamp = None
            self._refresh()
            doomed = key_ids & set(self._entries)
            if doomed:
                kept = {k: v for k, v in self._entries.items() if k not in doomed}
                _write_entries(self._path, self._kek, kept)
                self._stamp = None
                self._refresh()
            return len(doomed)

    def key_ids(self) -> dict[str, str]:
        """key id -> use, for every key present."""
        with self._lock:
            self._refresh()
            return {k: v["use"] for k, v in self._entries.items()}

    def raw_key(self, key_id: str) -> bytes:
        with self._lock:
            self._refresh()
            return self._entries[key_id]["key"]

    def seal(self, key_id: str, aad: bytes, plaintext: bytes) -> bytes:
        aead = self._aeads.get(key_id)
        if aead is None:
            with self._lock:
                self._refresh()
                aead = self._aeads[key_id]
        nonce = secrets.token_bytes(NONCE_BYTES)
        return bytes([BLOB_VERSION]) + bytes.fromhex(key_id) + nonce + aead.encrypt(nonce, plaintext, aad)

    def unseal(self, aad: bytes, blob: bytes) -> bytes:
        if not blob or blob[0] != BLOB_VERSION:
            raise ValueError("not a sealed blob of a known version")
        key_id = blob[1 : 1 + KEY_ID_BYTES].hex()
        aead = self._aeads.get(key_id)
        if aead is None:
            with self._lock:
                self._refresh()
                aead = self._aeads.get(key_id)
            if aead is None:
                raise KeyShredded(f"data key {key_id} no longer exists (its data was purged)")
        start = 1 + KEY_ID_BYTES
        view = memoryview(blob)  # no copy of the ciphertext: a sealed 2M-entry hot list is 114 MB
        try:
            return aead.decrypt(view[start : start + NONCE_BYTES], view[start + NONCE_BYTES :], aad)
        except InvalidTag:
            raise ValueError("sealed blob failed authentication (tampered, or bound to another row)") from None

    @staticmethod
    def blob_key_id(blob: bytes) -> str:
        return blob[1 : 1 + KEY_ID_BYTES].hex()


def _recover(folder: Path, files: KekFiles) -> None:
    """Finish a KEK rotation interrupted between re-wrapping and replacing."""
    if not files.exists(NEXT):
        return
    try:
        staged = files.read(NEXT)
    except CredsError:
        return  # sealed, and this process may not unseal it (the service): the next root command finishes it
    datakeys = folder / "datakeys"
    wrapped_by_next = datakeys.exists() and json.loads(datakeys.read_text()).get("kek_id") == _kek_id(staged)
    if wrapped_by_next:
        files.promote(NEXT)
    else:
        files.discard(NEXT)


def load_device_key(data_dir: Path) -> Ed25519PrivateKey | None:
    path = keys_dir(data_dir) / "device.key"
    if not path.exists():
        return None
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def load_device_public_key(data_dir: Path) -> Ed25519PublicKey | None:
    path = keys_dir(data_dir) / "device.pub"
    if not path.exists():
        return None
    return serialization.load_pem_public_key(path.read_bytes())
