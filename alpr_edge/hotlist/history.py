"""Historical hits: is a newly entered hot plate among the reads already stored?

When an officer enters a plate, the reads kept within the retention window
are checked against that one entry. This is a search of stored data, so it
is audited under the entry's case number, and what it finds goes to the
person who entered the plate: never an in-car alert for a car long gone.
The store hands the reads in; this module only decides which of them match.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from alpr_edge.hotlist.lookup import Probe, match_list
from alpr_edge.hotlist.matching import ListIndex, Match
from alpr_edge.hotlist.model import EntryTable, HotList, HotListEntry


def check_history(entry: HotListEntry, reads: Iterable, audit: Callable[..., object], user: str, role: str,
                  match_mode: str = "lenient", clock: Callable[[], float] = time.time) -> list[tuple[str, Match]]:
    """(read_id, match) for each stored read the entry matches.

    ``reads`` are objects with ``read_id``, ``text``, ``state`` and
    ``candidates`` (such as `alpr_edge.vision.types.Read`).
    """
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
