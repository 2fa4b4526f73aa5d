"""Hot lists: import (NCIC, CLEW, CSV), validation, freshness and matching reads.

The daemon holds one `HotListEngine`; the uplink and the CLI hand it new list
versions (`replace`), officers add and remove their own plates
(`add_manual`, `remove_manual`), and every read goes through `match`.
"""

from alpr_edge.hotlist.csv_list import CSV_COLUMNS, parse_csv
from alpr_edge.hotlist.engine import Health, HotListEngine, ListSummary
from alpr_edge.hotlist.lookup import Probe, match_list
from alpr_edge.hotlist.fixed_width import parse_clew, parse_ncic
from alpr_edge.hotlist.history import check_history
from alpr_edge.hotlist.matching import CONFUSABLE_GROUPS, KINDS, ListIndex, Match, canonical
from alpr_edge.hotlist.model import LIST_TYPES, ActiveHours, Area, EntryTable, HotList, HotListEntry, HotListError, normalise_plate
from alpr_edge.hotlist.sealed_storage import SealedListStorage, device_list_storage
from alpr_edge.hotlist.storage import CorruptList, FileListStorage, ListStorage, MemoryListStorage, decode, encode

PARSERS = {"ncic": parse_ncic, "clew": parse_clew, "csv": parse_csv}

__all__ = [
    "ActiveHours", "Area", "CONFUSABLE_GROUPS", "CSV_COLUMNS", "CorruptList", "EntryTable", "FileListStorage", "Health",
    "HotList", "HotListEngine", "HotListEntry", "HotListError", "KINDS", "LIST_TYPES", "ListIndex", "ListStorage",
    "ListSummary", "Match", "SealedListStorage", "device_list_storage", "MemoryListStorage", "PARSERS", "Probe", "canonical", "check_history", "decode", "encode",
    "match_list", "normalise_plate", "parse_clew", "parse_csv", "parse_ncic",
]
