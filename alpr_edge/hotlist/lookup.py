"""Looking one read up in one list: the read's texts prepared once, then matched.

`Probe` normalises the top reading and the OCR's candidates to ASCII bytes,
their canonical (confusion-free) forms and packed keys, once per read;
`match_list` finds the entries of one list they match and says how. The
engine runs it over every list in force; `history` over one new entry.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterable
from datetime import date

import numpy as np

from alpr_edge.hotlist.matching import CANONICAL_BYTES, KINDS, PACKED_LENGTH, ListIndex, Match, entry_key, one_edit_keys
from alpr_edge.hotlist.model import HotList, normalise_plate

_UPPER = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _normalised(text: str) -> bytes | None:
    """`normalise_plate` as ASCII bytes; bytes.translate is C-fast, str.translate with a dict is not."""
    if text.isascii():
        return text.encode("ascii").translate(_UPPER, b" -.\t")
    text = normalise_plate(text)
    return text.encode("ascii") if text.isascii() else None


class Probe:
    """A read's texts prepared once for every list: normalised, canonical and packed."""

    def __init__(self, text: str, state: str | None = None, candidates: Iterable = ()):
        top = _normalised(text)
        self.top = top.decode("ascii") if top is not None else normalise_plate(text)
        self.state = state.strip().upper() if state else None
        raw, confidences = [top or b""], [None]
        for candidate in candidates:
            normalised = _normalised(candidate.text)
            if normalised and normalised not in raw:
                raw.append(normalised)
                confidences.append(float(candidate.confidence))
        self._raw, self.confidences = raw, confidences
        self._canonical_raw = [b.translate(CANONICAL_BYTES) for b in raw]
        self._keys: dict[bool, tuple[np.ndarray, list[int]]] = {}

    @functools.cached_property
    def texts(self) -> list[str]:
        return [b.decode("ascii") for b in self._raw]

    @functools.cached_property
    def canonical_texts(self) -> list[str]:
        return [b.decode("ascii") for b in self._canonical_raw]

    def keys(self, lenient: bool) -> tuple[np.ndarray, list[int]]:
        """Packed keys of the texts that can be plates, and which text each came from."""
        if lenient not in self._keys:
            first: dict[int, int] = {}  # candidates often share a canonical form: search each key once
            for i, text in enumerate(self._canonical_raw if lenient else self._raw):
                if 0 < len(text) <= PACKED_LENGTH:
                    key = int.from_bytes(text, "little")
                    if key not in first:
                        first[key] = i  # the earliest text wins: the top reading before the candidates
            self._keys[lenient] = (np.fromiter(first, dtype=np.uint64, count=len(first)), list(first.values()))
        return self._keys[lenient]


class _LocalMinute:
    """Today's date and the minute of the day, looked up at most once a minute.

    ``date.fromtimestamp`` consults the time zone each call (about 0.1 ms
    here, as long as the whole look-up should take), so a read must not pay it.
    """

    def __init__(self):
        self._minute: int | None = None
        self.today = date.min
        self.minute_of_day = 0

    def at(self, now: float) -> _LocalMinute:
        minute = int(now // 60)
        if minute != self._minute:
            local = time.localtime(now)
            self._minute = minute
            self.today = date(local.tm_year, local.tm_mon, local.tm_mday)
            self.minute_of_day = local.tm_hour * 60 + local.tm_min
        return self


_LOCAL = threading.local()


def local_minute(now: float) -> _LocalMinute:
    """Per thread, so readers never share a half-updated cache."""
    cache = getattr(_LOCAL, "cache", None)
    if cache is None:
        cache = _LOCAL.cache = _LocalMinute()
    return cache.at(now)


def match_list(hotlist: HotList, index: ListIndex, probe: Probe, now: float) -> list[Match]:
    """Every entry of one list the probe matches, each once with its best kind."""
    keys, sources = probe.keys(index.lenient)
    found = [(sources[p], row, None) for p, row in index.rows_for(keys)]
    if index.long or index.partial:
        texts = probe.canonical_texts if index.lenient else probe.texts
        found += [(p, row, None) for p, row in index.long_rows(texts)]
        found += [(p, row, "wildcard") for p, row in index.partial_rows(texts)]
    if hotlist.one_char_tolerance and index.lenient and sources and sources[0] == 0:
        found += [(0, row, "edit") for _, row in index.rows_for(one_edit_keys(int(keys[0]), len(probe.top)))]
    if not found:
        return []
    # Best kind per entry first: entries are built only for the rows that matched.
    top = probe.top.encode()
    best: dict[int, tuple[int, str, int]] = {}
    for source, row, kind in found:
        if kind is None:
            kind = ("exact" if hotlist.entries.plates[row] == top else "lenient") if source == 0 else "candidate"
        rank = KINDS.index(kind)
        if row not in best or rank < best[row][0]:
            best[row] = (rank, kind, source)
    today = local_minute(now).today
    stale = hotlist.is_stale(now)
    matches = []
    for row, (_, kind, source) in best.items():
        entry = hotlist.entries[row]
        if entry.expires is not None and entry.expires < today:
            continue
        state_differs = bool(probe.state and entry.state and probe.state != entry.state)
        if state_differs and not index.lenient:
            continue
        matches.append(Match(
            list_name=hotlist.name, list_version=hotlist.version, list_type=entry.list_type,
            priority=min(hotlist.priority, entry.type_priority or hotlist.priority), covert=hotlist.covert,
            stale=stale, kind=kind, entry=entry, entry_key=entry_key(hotlist.name, entry), read_text=probe.top,
            matched_text=probe.texts[source], confidence=probe.confidences[source], state_differs=state_differs,
        ))
    return matches
