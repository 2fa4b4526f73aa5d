"""One stored read opened by its id, for a purpose and a case: a look-up like a search, audited like one.

An id reaches an investigator through a search, an export, an alert or a
hold; opening the read it names is a query of stored data (SB 34), so it
needs what a search needs (`alpr_edge.accounts.purposes`, through
`search.check_purpose`) and leaves the same audit record: who, when, which
read, purpose and case, refused or not. An id with no stored read (never
stored, or purged: its day key is gone) is audited too, then refused with
`ReadNotFound`. Who may look up at all is decided above the store, as for
searches.

The record is the read as stored (`records.payload_dict`, images left out),
its corrections (the first one's ``from`` is the read as captured), every
hold ever placed on it, and the alerts it raised or repeated with their steps
(`evidence.alert_history`, as an evidence package holds them).
"""

from __future__ import annotations

from collections.abc import Sequence

from alpr_edge.store.corrections import full_read
from alpr_edge.store.evidence import alert_history
from alpr_edge.store.keys import KeyShredded
from alpr_edge.store.retention import list_holds
from alpr_edge.store.search import check_purpose, refusals_audited

ACTION = "reads.show"


class ReadNotFound(LookupError):
    """No stored read with this id (purged, or never stored); the message names the id."""


def show_read(store, read_id: str, *, user: str, role: str | None, purpose: str, case_number: str,
              detail: str | None = None, purposes: Sequence[str] | None = None) -> dict:
    """The whole record of stored read ``read_id`` (no images); AccessRefused or ReadNotFound, audited either way."""
    data: dict = {"read_id": read_id}
    with refusals_audited(store, ACTION, data, user=user, role=role, purpose=purpose, detail=detail, case_number=case_number):
        request = check_purpose(purpose, case_number, detail, purposes)
    try:
        read = full_read(store, read_id, images=False)
    except KeyShredded:  # a row whose day key is already gone: purged, as far as anyone may learn
        read = None
    if read is None:
        why = f"no stored read {read_id} (purged, or never stored)"
        store.audit(user, role, ACTION, data={**data, "results": 0}, purpose=request.text, case_number=request.case_number,
                    outcome=f"not found: {why}")
        raise ReadNotFound(why)
    del read["crop_jpeg"], read["overview_jpeg"]
    read["images"] = _images(store, read_id)
    read["holds"] = list_holds(store, include_released=True, read_id=read_id)
    read["alerts"] = alert_history(store, read_id)
    store.audit(user, role, ACTION, data={**data, "results": 1}, purpose=request.text, case_number=request.case_number)
    return read


def _images(store, read_id: str) -> dict[str, bool]:
    """Which images are still stored (image retention may have dropped them before the read)."""
    with store.read() as db:
        row = db.execute("SELECT crop IS NOT NULL, overview IS NOT NULL FROM reads WHERE id = ?", [read_id]).fetchone()
    crop, overview = row or (0, 0)  # a purge between the two looks: nothing left
    return {"plate": bool(crop), "overview": bool(overview)}
