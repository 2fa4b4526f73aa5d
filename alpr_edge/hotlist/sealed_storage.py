"""Hot lists at rest on the device: sealed with the store's long-lived key.

Hot lists hold plates of wanted vehicles and case numbers; like reads, they
must be unreadable to whoever takes the SD card. Each list's bytes are sealed
(AES-256-GCM, the list's name bound in) before they reach the card.
"""

from __future__ import annotations

from pathlib import Path

from alpr_edge.hotlist.storage import FileListStorage


class SealedListStorage:
    """A ListStorage that seals every list with ``store.seal`` before a FileListStorage keeps it."""

    def __init__(self, folder: Path | str, store):
        self._files = FileListStorage(folder)
        self._store = store

    @staticmethod
    def _row_id(name: str) -> str:
        return f"hotlist:{name}"

    def save(self, name: str, data: bytes) -> None:
        self._files.save(name, self._store.seal(self._row_id(name), None, data))

    def load(self, name: str) -> bytes | None:
        sealed = self._files.load(name)
        if sealed is None:
            return None
        return self._store.unseal(self._row_id(name), None, sealed)

    def delete(self, name: str) -> None:
        self._files.delete(name)

    def names(self) -> list[str]:
        return self._files.names()


def device_list_storage(data_dir: Path, store) -> SealedListStorage:
    """Where the daemon and the CLI keep a device's hot lists."""
    return SealedListStorage(Path(data_dir) / "hotlists", store)
