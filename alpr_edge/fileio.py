"""The one atomic file write: a crash leaves the old file or the new one, never half of one.

Written to a uniquely named temporary file in the same folder, created with
``mode`` before any byte lands (a secret is never briefly world-readable),
fsynced, renamed over the target, and the folder fsynced so the rename
survives a power cut. Keys (`store.keys.write_secret`, the KEK, `uplink
keygen`), certificates, the provisioned config, hot lists, signatures,
cursors and the status file all go through here; a rename done elsewhere
(the KEK's promotion) syncs its folder with ``sync_folder``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, mode: int = 0o600, private_dir: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically and durably; ``private_dir`` creates the folder 0700."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, **({"mode": 0o700} if private_dir else {}))
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)  # the umask may have narrowed it
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def write_output(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """A file a command was asked to write (``--output``): whole or not at all, with ``mode`` even when it
    existed before; a device or a pipe named there (/dev/stdout, a FIFO) is written in place, never replaced."""
    path = Path(path)
    if path.exists() and not path.is_file():
        with open(path, "wb") as handle:
            handle.write(data)
        return
    write_atomically(path, data, mode=mode)


def sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
