"""The encrypted read store: reads and images sealed at rest, the uplink's
outbox, retention with crypto-shredding, evidence holds and the audit trail.

See `store.py` (the Store), `keys.py` (key layout and why day keys live
outside the database), `retention.py`, `audit.py` and `search.py`.
"""

from alpr_edge.store.keys import KeysExist, KeyShredded, KeysMissing, create_keys
from alpr_edge.store.retention import HoldError, PurgeReport, add_hold, list_holds, release_hold
from alpr_edge.store.search import AccessRefused, check_purpose
from alpr_edge.store.store import DB_NAME, Store, normalise_plate

__all__ = [
    "AccessRefused",
    "DB_NAME",
    "HoldError",
    "KeyShredded",
    "KeysExist",
    "KeysMissing",
    "PurgeReport",
    "Store",
    "add_hold",
    "check_purpose",
    "create_keys",
    "list_holds",
    "normalise_plate",
    "release_hold",
]
