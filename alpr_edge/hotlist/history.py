"""Historical hits: are newly arrived hot list entries among the reads already stored?

When entries arrive (a new list version, an officer's plate, a signed list
from the agency), the reads kept within a window are checked against the
entries that are new in that version. The matching is the live matching
(`lookup.match_list` over a list of the new entries only, with the list's
mode, priority and covert flag), so a historical hit is exactly what a live
hit would have been; its kind is then set to ``historical`` so it can never
be taken for a live sighting. The store hands the reads in
(`alpr_edge.store.historical`); this module only decides which match.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from alpr_edge.hotlist.lookup import Probe, match_list
from alpr_edge.hotlist.matching import ListIndex, Match
from alpr_edge.hotlist.model import EntryTable, HotList, HotListEntry

HISTORICAL = "historical"


def _row_keys(entries: EntryTable) -> np.ndarray:
    """Plate and state of every row as one fixed-width byte string (what makes an entry new)."""
    states = entries.columns["state"]
    if states.codes is not None:
        state_bytes = np.array([v.encode() for v in states.values] or [b""], dtype="S4")[states.codes]
    else:
        assert states.fixed is not None  # a Column holds codes or fixed-width values
        state_bytes = states.fixed.astype("S4")
    n = len(entries)
    raw = np.zeros((n, entries.plates.dtype.itemsize + 4), dtype=np.uint8)
    raw[:, :entries.plates.dtype.itemsize] = entries.plates.view(np.uint8).reshape(n, -1)
    raw[:, entries.plates.dtype.itemsize:] = state_bytes.view(np.uint8).reshape(n, 4)
    # As opaque bytes (void), not strings: numpy sorts them a third faster, and exactly.
    return raw.view(f"V{raw.shape[1]}").reshape(n)


def new_rows(previous: HotList | None, hotlist: HotList) -> np.ndarray:
    """Rows of ``hotlist`` whose plate and state were not in ``previous`` (every row when there was none)."""
    if previous is None or not len(previous):
        return np.arange(len(hotlist), dtype=np.int64)
    if not len(hotlist):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(~np.isin(_row_keys(hotlist.entries), _row_keys(previous.entries)))


def only_rows(hotlist: HotList, rows: np.ndarray) -> HotList:
    """The list with only these entries (same name, version, mode, priority, covert flag)."""
    return dataclasses.replace(hotlist, entries=hotlist.entries.take(rows))


def match_new_entries(new_only: HotList, reads: Iterable[Any], now: float, index: ListIndex | None = None,
                      alerting: Callable[[Any], bool] = lambda read: True) -> list[tuple[Any, Match]]:
    """(read, match) for each read the entries match, the match's kind set to ``historical``.

    ``reads`` have ``read_id``, ``text``, ``state`` and ``candidates``;
    ``alerting(read)`` says whether the list would have alerted for that read
    (its area and active hours at the read's place and time).
    """
    index = index or ListIndex(new_only)
    found = []
    for read in reads:
        probe = Probe(read.text, getattr(read, "state", None), getattr(read, "candidates", ()))
        matches = match_list(new_only, index, probe, now)
        if matches and alerting(read):
            found += [(read, dataclasses.replace(m, kind=HISTORICAL)) for m in matches]
    return found


def check_history(entry: HotListEntry, reads: Iterable, audit: Callable[..., object], user: str, role: str,
                  match_mode: str = "lenient", clock: Callable[[], float] = time.time) -> list[tuple[str, Match]]:
    """(read_id, match) for each stored read one entry matches, with the live match kinds (audited as a search)."""
    hotlist = HotList(name="history-check", source="manual", entries=EntryTable.from_entries([entry]), version=1,
                      received_at=clock(), match_mode=match_mode, max_age_s=None)
    index = ListIndex(hotlist)
    now = clock()
    found, checked = [], 0
    for read in reads:
        checked += 1
        probe = Probe(read.text, getattr(read, "state", None), getattr(read, "candidates", ()))
        for match in match_list(hotlist, index, probe, now):
            found.append((read.read_id, match))
    audit(user, role, "read_search", data={"partial": entry.is_partial, "reads_checked": checked, "hits": len(found)},
          purpose="historical hits of a new hot plate", case_number=entry.case_number, outcome=f"{len(found)} hit(s)")
    return found
