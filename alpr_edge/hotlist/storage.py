"""Keeping lists across restarts: a byte format and a folder to keep it in.

The format is a small JSON header and the raw column arrays, so a
two-million-entry list loads by reference (numpy views over the file's
bytes) instead of re-parsing text; a SHA-256 at the end catches a file cut
short by a power loss or changed on the card. The storage seam is four
methods, so the lead can swap in the encrypted store without touching the
engine.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Protocol

import numpy as np

from alpr_edge.fileio import sync_folder, write_atomically
from alpr_edge.hotlist.model import ENTRY_TEXT_FIELDS, ActiveHours, Area, Column, EntryTable, HotList, HotListError

MAGIC = b"ALPR-HOTLIST\x001\n"
_SUFFIX = ".hotlist"


class ListStorage(Protocol):
    def save(self, name: str, data: bytes) -> None: ...
    def load(self, name: str) -> bytes | None: ...
    def delete(self, name: str) -> None: ...
    def names(self) -> list[str]: ...


class FileListStorage:
    """One file per list in ``folder`` (0700), each written atomically with mode 0600."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def _path(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"list name {name!r} cannot be a file name")
        return self.folder / f"{name}{_SUFFIX}"

    def save(self, name: str, data: bytes) -> None:
        target = self._path(name)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(target, data, mode=0o600)  # its temporary name starts with '.': names() skips it

    def load(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
        sync_folder(self.folder)  # the unlink is durable only once the folder itself is on disk

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name[: -len(_SUFFIX)] for p in self.folder.glob(f"*{_SUFFIX}") if not p.name.startswith("."))


class MemoryListStorage:
    """Storage in a dict, for tests and tools."""

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def save(self, name: str, data: bytes) -> None:
        self.files[name] = bytes(data)

    def load(self, name: str) -> bytes | None:
        return self.files.get(name)

    def delete(self, name: str) -> None:
        self.files.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self.files)


def encode(hotlist: HotList) -> bytes:
    """The stored form of a list version."""
    arrays: list[np.ndarray] = []
    offset = 0

    def section(array: np.ndarray) -> dict:
        nonlocal offset
        array = np.ascontiguousarray(array)
        arrays.append(array)
        spec = {"dtype": array.dtype.str, "count": int(array.size), "offset": offset}
        offset += array.nbytes
        return spec

    columns = {}
    for name, column in hotlist.entries.columns.items():
        if column.codes is not None:
            columns[name] = {"codes": section(column.codes), "values": list(column.values)}
        else:
            columns[name] = {"fixed": section(column.fixed)}
    header = {
        "name": hotlist.name, "source": hotlist.source, "version": hotlist.version,
        "received_at": hotlist.received_at, "priority": hotlist.priority, "match_mode": hotlist.match_mode,
        "max_age_s": hotlist.max_age_s, "covert": hotlist.covert, "one_char_tolerance": hotlist.one_char_tolerance,
        "active_hours": None if hotlist.active_hours is None else [hotlist.active_hours.start_minute, hotlist.active_hours.end_minute],
        "area": None if hotlist.area is None else [hotlist.area.south, hotlist.area.west, hotlist.area.north, hotlist.area.east],
        "extra": hotlist.extra, "plates": section(hotlist.entries.plates), "columns": columns,
    }
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    digest = hashlib.sha256()
    parts = [MAGIC, struct.pack(">I", len(head)), head, *[a.view(np.uint8).reshape(-1).data for a in arrays]]
    for part in parts:
        digest.update(part)
    parts.append(digest.digest())
    return b"".join(parts)


class CorruptList(ValueError):
    """A stored list that cannot be read back."""


def decode(data: bytes) -> HotList:
    """A list version from its stored form; CorruptList when damaged."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4 + 32:
        raise CorruptList("not a stored hot list (bad header)")
    if hashlib.sha256(memoryview(data)[:-32]).digest() != data[-32:]:
        raise CorruptList("checksum mismatch: the file is truncated or was altered")
    (head_length,) = struct.unpack_from(">I", data, len(MAGIC))
    start = len(MAGIC) + 4
    try:
        header = json.loads(data[start:start + head_length])
        body = memoryview(data)[start + head_length: -32]

        def array(spec: dict) -> np.ndarray:
            return np.frombuffer(body, dtype=np.dtype(spec["dtype"]), count=spec["count"], offset=spec["offset"])

        columns = {}
        for name in ENTRY_TEXT_FIELDS:
            spec = header["columns"][name]
            if "codes" in spec:
                columns[name] = Column(codes=array(spec["codes"]), values=spec["values"])
            else:
                columns[name] = Column(fixed=array(spec["fixed"]))
        hours, area = header["active_hours"], header["area"]
        return HotList(
            name=header["name"], source=header["source"], entries=EntryTable(array(header["plates"]), columns),
            version=int(header["version"]), received_at=float(header["received_at"]), priority=int(header["priority"]),
            match_mode=header["match_mode"], max_age_s=header["max_age_s"], covert=bool(header["covert"]),
            one_char_tolerance=bool(header["one_char_tolerance"]),
            active_hours=None if hours is None else ActiveHours(*hours),
            area=None if area is None else Area(*area), extra=header.get("extra") or {},
        )
    except (KeyError, TypeError, ValueError, HotListError) as error:
        raise CorruptList(f"malformed contents: {error}") from None
