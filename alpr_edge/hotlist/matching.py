"""Finding a read in a list: exact, lenient (OCR-confusable), wildcard, one-edit.

Every full plate of a list is packed into one 64-bit key (6 bits a character,
up to 10 characters) and the keys are kept sorted in a numpy array, so two
million entries take 24 MB and a look-up is one binary search for all the
texts of a read at once. Lenient lists pack the *canonical* form of each
plate, where every character an OCR confuses is replaced by one
representative of its group (0/O/D/Q -> 0, 8/B -> 8, ...): a read then
matches an entry when their canonical forms are equal, one probe each.
Partial plates (``?``, ``*``) are few and kept aside as regular expressions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from alpr_edge.hotlist.model import MAX_PLATE_LENGTH, HotList, HotListEntry

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Characters plate OCR confuses with each other; the first of a group stands for it.
CONFUSABLE_GROUPS = ("0ODQ", "1ILT", "2Z", "5S", "8B", "6G")
WILDCARD_CODE = 63
_BITS = 6

_CANONICAL_CHAR = {ch: ch for ch in ALPHABET}
for _group in CONFUSABLE_GROUPS:
    for _ch in _group:
        _CANONICAL_CHAR[_ch] = _group[0]
CANONICAL_TABLE = str.maketrans(_CANONICAL_CHAR)
_CODE = {ch: i + 1 for i, ch in enumerate(ALPHABET)}  # 0 means "no character"


def canonical(text: str) -> str:
    """The confusion-free form of a normalised plate: 'B0LD' -> '8011'."""
    return text.translate(CANONICAL_TABLE)


def _lut(canonicalise: bool) -> np.ndarray:
    table = np.full(256, 255, dtype=np.uint8)  # 255: a character no plate has
    table[0] = 0
    for ch in ALPHABET:
        table[ord(ch)] = _CODE[_CANONICAL_CHAR[ch] if canonicalise else ch]
    table[ord("?")] = table[ord("*")] = WILDCARD_CODE
    return table


_EXACT_LUT, _CANONICAL_LUT = _lut(False), _lut(True)
CANONICAL_CODES = np.array(sorted({_CODE[c] for c in _CANONICAL_CHAR.values()}), dtype=np.uint64)


def pack(text: str) -> int | None:
    """The 64-bit key of a plate text (apply `canonical` first for lenient lists)."""
    if len(text) > MAX_PLATE_LENGTH:
        return None
    key = 0
    for ch in reversed(text):
        code = _CODE.get(ch)
        if code is None:
            return None
        key = (key << _BITS) | code
    return key


def pack_plates(plates: np.ndarray, canonicalise: bool) -> tuple[np.ndarray, np.ndarray]:
    """Keys for an S10 array of plates, and which rows are partial plates."""
    codes = (_CANONICAL_LUT if canonicalise else _EXACT_LUT)[plates.view(np.uint8).reshape(len(plates), plates.dtype.itemsize)]
    keys = np.zeros(len(plates), dtype=np.uint64)
    for position in range(codes.shape[1]):
        keys |= codes[:, position].astype(np.uint64) << np.uint64(_BITS * position)
    return keys, (codes == WILDCARD_CODE).any(axis=1)


def one_edit_keys(key: int, length: int) -> np.ndarray:
    """Keys of every text one character shorter or longer than the packed ``key``."""
    out = []
    k = np.uint64(key)
    for position in range(length):
        low_mask = np.uint64((1 << (_BITS * position)) - 1)
        low, high = k & low_mask, k >> np.uint64(_BITS * (position + 1))
        out.append(np.array([low | (high << np.uint64(_BITS * position))], dtype=np.uint64))
    if length < MAX_PLATE_LENGTH:
        for position in range(length + 1):
            shift = np.uint64(_BITS * position)
            low = k & np.uint64((1 << (_BITS * position)) - 1)
            high = (k >> shift) << (shift + np.uint64(_BITS))
            out.append(low | (CANONICAL_CODES << shift) | high)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.uint64)


def _wildcard_regex(pattern: str, canonicalise: bool) -> re.Pattern:
    literal = canonical(pattern) if canonicalise else pattern
    return re.compile("".join("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in literal))


class ListIndex:
    """The look-up structure of one list version (built once, read-only)."""

    def __init__(self, hotlist: HotList):
        self.lenient = hotlist.match_mode == "lenient"
        keys, partial = pack_plates(hotlist.entries.plates, self.lenient)
        full_rows = np.flatnonzero(~partial)
        full_keys = keys[full_rows]
        order = np.argsort(full_keys, kind="stable")
        self.keys = full_keys[order]
        self.rows = full_rows[order].astype(np.uint32)
        self.partial = [
            (_wildcard_regex(hotlist.entries.plates[row].decode("ascii"), self.lenient), int(row))
            for row in np.flatnonzero(partial)
        ]

    def rows_for(self, probe_keys: np.ndarray) -> list[tuple[int, int]]:
        """(probe index, entry row) for every entry whose key equals a probe."""
        if not len(self.keys) or not len(probe_keys):
            return []
        positions = np.searchsorted(self.keys, probe_keys)
        hits = []
        last = len(self.keys)
        for probe, position in enumerate(positions.tolist()):
            while position < last and self.keys[position] == probe_keys[probe]:
                hits.append((probe, int(self.rows[position])))
                position += 1
        return hits

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


# How an entry matched, best first.
KINDS = ("exact", "lenient", "wildcard", "candidate", "edit")


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
