"""Finding a read in a list: exact, lenient (OCR-confusable), wildcard, one-edit.

Every full plate of up to 8 characters (all US and Canadian plates) is
packed into one 64-bit key, its ASCII bytes, and the keys are kept sorted in
a numpy array: two million entries take 24 MB, and a look-up is one binary
search for all the texts of a read at once. Lenient lists pack the
*canonical* form of each plate, where every character an OCR confuses is
replaced by one representative of its group (0/O/D/Q -> 0, 8/B -> 8, ...):
a read matches an entry when their canonical forms are equal, one probe
each. The rare longer plates (the NCIC field holds 10) sit in a small dict,
and partial plates (``?``, ``*``) aside as regular expressions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from alpr_edge.hotlist.model import HotList, HotListEntry

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Characters plate OCR confuses with each other; the first of a group stands for it.
CONFUSABLE_GROUPS = ("0ODQ", "1ILT", "2Z", "5S", "8B", "6G")
PACKED_LENGTH = 8  # characters in one 64-bit key

_CANONICAL_CHAR = {ch: ch for ch in ALPHABET}
for _group in CONFUSABLE_GROUPS:
    for _ch in _group:
        _CANONICAL_CHAR[_ch] = _group[0]
CANONICAL_TABLE = str.maketrans(_CANONICAL_CHAR)
_CANONICAL_LUT = np.arange(256, dtype=np.uint8)
for _ch, _to in _CANONICAL_CHAR.items():
    _CANONICAL_LUT[ord(_ch)] = ord(_to)
CANONICAL_BYTES = bytes(_CANONICAL_LUT)  # the same mapping for bytes.translate
CANONICAL_CODES = np.array(sorted({ord(c) for c in _CANONICAL_CHAR.values()}), dtype=np.uint64)
ALL_CODES = np.array([ord(c) for c in ALPHABET], dtype=np.uint64)


def canonical(text: str) -> str:
    """The confusion-free form of a normalised plate: 'B0LD' -> '8010'."""
    return text.translate(CANONICAL_TABLE)


def pack(text: str) -> int | None:
    """The 64-bit key of a plate text of up to 8 ASCII characters, else None.

    Apply `canonical` first for lenient lists.
    """
    if len(text) > PACKED_LENGTH or not text.isascii():
        return None
    return int.from_bytes(text.encode("ascii"), "little")


def pack_plates(plates: np.ndarray, canonicalise: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys for an array of plates (S10, NUL padded), which are partial, which too long to pack."""
    raw = plates.view(np.uint8).reshape(len(plates), plates.dtype.itemsize)
    if canonicalise:
        raw = _CANONICAL_LUT[raw]
    partial = ((raw == ord("?")) | (raw == ord("*"))).any(axis=1)
    too_long = (raw[:, PACKED_LENGTH:] != 0).any(axis=1) if raw.shape[1] > PACKED_LENGTH else np.zeros(len(raw), bool)
    head = np.zeros((len(raw), PACKED_LENGTH), dtype=np.uint8)
    width = min(PACKED_LENGTH, raw.shape[1])
    head[:, :width] = raw[:, :width]
    return head.view("<u8").reshape(-1), partial, too_long


_SHIFTS = np.arange(PACKED_LENGTH + 1, dtype=np.uint64) * np.uint64(8)
_LOW_MASKS = (np.uint64(1) << _SHIFTS) - np.uint64(1)  # the bytes below each position


def one_edit_keys(key: int, length: int, codes: np.ndarray = CANONICAL_CODES) -> np.ndarray:
    """Keys of every text one character shorter or longer than the packed ``key``."""
    k = np.uint64(key)
    shifts, masks = _SHIFTS[:length], _LOW_MASKS[:length]
    # Without the character at each position: the bytes above it move down one.
    deleted = (k & masks) | ((k >> (shifts + np.uint64(8))) << shifts)
    if length >= PACKED_LENGTH:
        return deleted
    # With any character inserted at each position: the bytes from there move up one.
    shifts, masks = _SHIFTS[:length + 1, None], _LOW_MASKS[:length + 1, None]
    inserted = (k & masks) | (codes[None, :] << shifts) | ((k >> shifts) << (shifts + np.uint64(8)))
    return np.concatenate([deleted, inserted.ravel()])


def _wildcard_regex(pattern: str, canonicalise: bool) -> re.Pattern:
    literal = canonical(pattern) if canonicalise else pattern
    return re.compile("".join("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in literal))


class ListIndex:
    """The look-up structure of one list version (built once, read-only)."""

    def __init__(self, hotlist: HotList):
        self.lenient = hotlist.match_mode == "lenient"
        plates = hotlist.entries.plates
        keys, partial, too_long = pack_plates(plates, self.lenient)
        packed_rows = np.flatnonzero(~partial & ~too_long)
        packed_keys = keys[packed_rows]
        order = np.argsort(packed_keys, kind="stable")
        # A sentinel no plate packs to (0xFF is not ASCII) ends the keys: a
        # search result is then always a valid position, one check fewer a read.
        self.keys = np.append(packed_keys[order], np.uint64(2**64 - 1))
        self.rows = packed_rows[order].astype(np.uint32)
        self.long: dict[str, list[int]] = {}
        for row in np.flatnonzero(too_long & ~partial):
            text = plates[row].decode("ascii")
            self.long.setdefault(canonical(text) if self.lenient else text, []).append(int(row))
        self.partial = [
            (_wildcard_regex(plates[row].decode("ascii"), self.lenient), int(row)) for row in np.flatnonzero(partial)
        ]

    def rows_for(self, probe_keys: np.ndarray) -> list[tuple[int, int]]:
        """(probe index, entry row) for every entry whose key equals a probe."""
        if not len(probe_keys):
            return []
        positions = self.keys.searchsorted(probe_keys)
        equal = self.keys[positions] == probe_keys
        if not equal.any():
            return []
        hits = []
        for probe in np.flatnonzero(equal).tolist():
            position, key = int(positions[probe]), probe_keys[probe]
            while self.keys[position] == key:  # duplicates: the same plate in other states; the sentinel stops it
                hits.append((probe, int(self.rows[position])))
                position += 1
        return hits

    def long_rows(self, texts: list[str]) -> list[tuple[int, int]]:
        if not self.long:
            return []
        return [(probe, row) for probe, text in enumerate(texts) for row in self.long.get(text, ())]

    def partial_rows(self, texts: list[str]) -> list[tuple[int, int]]:
        hits = []
        for pattern, row in self.partial:
            for probe, text in enumerate(texts):
                if pattern.fullmatch(text):
                    hits.append((probe, row))
                    break
        return hits

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.rows.nbytes)


# How an entry matched, best first. "historical": a stored read matched an entry that arrived
# after it (alpr_edge.hotlist.history), never a live sighting.
KINDS = ("exact", "lenient", "wildcard", "candidate", "edit", "historical")


@dataclass(frozen=True, slots=True)
class Match:
    """One hot list entry a read matched, and how."""

    list_name: str
    list_version: int
    list_type: str
    priority: int  # 1 most urgent
    covert: bool
    stale: bool
    kind: str  # one of KINDS
    entry: HotListEntry
    entry_key: str  # stable across list versions: suppression and de-duplication
    read_text: str  # the top reading, normalised
    matched_text: str  # the reading or OCR candidate that matched
    confidence: float | None  # of the candidate that matched
    state_differs: bool  # both states known and different (lenient lists only)

    @property
    def sort_key(self) -> tuple:
        return (self.priority, KINDS.index(self.kind), self.list_name, self.entry.plate)


def entry_key(list_name: str, entry: HotListEntry) -> str:
    text = f"{list_name}\x1f{entry.plate}\x1f{entry.state or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]
