"""Look-ups of stored reads and the investigator's tools on them, the hot lists, and the audit trail.

A look-up opens the reads it returned to the session that made it, and to no
one else: their images (``routes.live``), and for a supervisor an evidence
package, holds and corrections. The rules are behind the port
(``ui.investigation`` over the store's own).
"""

from __future__ import annotations

import datetime
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import Field

from alpr_edge.plates import normalise_plate
from alpr_edge.ui.backend import HotEntry, NotFound, Refused
from alpr_edge.ui.sessions import Session
from alpr_edge.ui.web import Body, Web


class SearchBody(Body):
    plate: str = Field(max_length=32)
    purpose: str = Field(default="", max_length=500)
    case_number: str = Field(default="", max_length=64)


class ExportBody(SearchBody):
    read_ids: list[str] = Field(min_length=1, max_length=500)
    recipient: str = Field(min_length=1, max_length=200)


class HoldBody(Body):
    read_id: str = Field(min_length=1, max_length=64)
    case_number: str = Field(default="", max_length=64)
    reason: str = Field(default="", max_length=500)


class ReleaseBody(Body):
    read_id: str = Field(min_length=1, max_length=64)
    hold_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=500)


class CorrectBody(Body):
    read_id: str = Field(min_length=1, max_length=64)
    text: str = Field(default="", max_length=32)
    state: str = Field(default="", max_length=8)
    reason: str = Field(default="", max_length=500)


class HotPlateBody(Body):
    plate: str = Field(min_length=1, max_length=32)
    state: str = Field(default="", max_length=8)
    reason: str = Field(min_length=1, max_length=200)
    case_number: str = Field(default="", max_length=64)
    vehicle: str = Field(default="", max_length=200)
    synopsis: str = Field(default="", max_length=1000)
    expires: str = Field(default="", max_length=10)
    priority: int = Field(default=2, ge=1, le=3)


def router(web: Web) -> APIRouter:
    routes = APIRouter()
    backend = web.backend
    current, acting = web.current, web.acting_guard()

    @routes.post("/api/search")
    def search(body: SearchBody, session: Session = Depends(acting)) -> dict[str, Any]:
        web.require(session, "search", "search stored reads")
        # The store judges plate, purpose and case number, so that refusals are audited too.
        pattern, partial = _plate_pattern(body.plate)
        hits = backend.search(pattern, partial, body.purpose.strip(), body.case_number.strip(), session.user)
        session.grant([h.read_id for h in hits])  # their images, holds and corrections: this session only
        return {"pattern": pattern, "partial": partial, "hits": [asdict(h) for h in hits]}

    def looked_up(session: Session, read_id: str) -> str:
        """A read this session's own look-up returned; anything else is "not found" (as for images)."""
        if read_id not in session.looked_up:
            raise NotFound(f"No read {read_id} among your look-up results: look it up first.")
        return read_id

    @routes.get("/api/lookup/recipients")
    def recipients(session: Session = Depends(current)) -> list[str]:
        web.require(session, "export", "export reads")
        return backend.recipients(session.user)

    @routes.post("/api/lookup/export")
    def export(body: ExportBody, session: Session = Depends(acting)) -> dict[str, Any]:
        web.require(session, "export", "export reads")
        # The package is searched again on the grounds given (audited as an export), then cut to the chosen reads.
        read_ids = [looked_up(session, read_id) for read_id in dict.fromkeys(body.read_ids)]
        pattern, partial = _plate_pattern(body.plate)
        result = backend.export_package(read_ids, pattern, partial, body.purpose.strip(), body.case_number.strip(),
                                        body.recipient.strip(), session.user)
        return asdict(result)

    @routes.post("/api/lookup/hold")
    def place_hold(body: HoldBody, session: Session = Depends(acting)) -> dict[str, Any]:
        web.require(session, "hold", "place evidence holds")
        read_id = looked_up(session, body.read_id)
        return asdict(backend.place_hold(read_id, body.case_number.strip(), body.reason.strip(), session.user))

    @routes.post("/api/lookup/release")
    def release_hold(body: ReleaseBody, session: Session = Depends(acting)) -> dict[str, Any]:
        web.require(session, "hold", "release evidence holds")
        read_id = looked_up(session, body.read_id)
        return asdict(backend.release_hold(read_id, body.hold_id, body.reason.strip(), session.user))

    @routes.post("/api/lookup/correct")
    def correct(body: CorrectBody, session: Session = Depends(acting)) -> dict[str, Any]:
        web.require(session, "correct", "correct stored reads")
        read_id = looked_up(session, body.read_id)
        text, state = body.text.strip() or None, body.state.strip() or None
        return asdict(backend.correct_read(read_id, text, state, body.reason, session.user))

    @routes.get("/api/hotlist")
    def hotlist(session: Session = Depends(current)) -> list[dict[str, Any]]:
        web.require(session, "browse_hotlist", "browse the hot lists")
        return [asdict(e) for e in backend.hot_entries(session.user)]

    @routes.post("/api/hotlist")
    def add_hot_plate(body: HotPlateBody, session: Session = Depends(acting)) -> dict[str, Any]:
        web.require(session, "add_hot_plates", "add hot plates")
        if not _is_iso_date(body.expires):
            raise Refused("Expiry: a date as YYYY-MM-DD (manual hot plates always expire).")
        entry = HotEntry(
            plate=normalise_plate(body.plate), state=body.state.strip().upper() or None, list_name="manual",
            reason=body.reason.strip(), case_number=body.case_number.strip(), vehicle=body.vehicle.strip(),
            entered_by=session.user.name, synopsis=body.synopsis.strip(), expires=body.expires, priority=body.priority,
        )
        return asdict(backend.add_hot_plate(entry, session.user))

    @routes.get("/api/audit")
    def audit(session: Session = Depends(current), limit: int = 200) -> list[dict[str, Any]]:
        web.require(session, "audit", "read the audit trail")
        return [asdict(r) for r in backend.audit(session.user, max(1, min(limit, 1000)))]

    return routes


def _plate_pattern(plate: str) -> tuple[str, bool]:
    """The typed plate normalised, and whether its wildcards (? and *) make it a partial look-up."""
    pattern = normalise_plate(plate)
    return pattern, "?" in pattern or "*" in pattern


def _is_iso_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
