"""Look-ups of stored reads, the hot lists, and the audit trail."""

from __future__ import annotations

import datetime
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import Field

from alpr_edge.plates import normalise_plate
from alpr_edge.ui.backend import HotEntry, Refused
from alpr_edge.ui.sessions import Session
from alpr_edge.ui.web import Body, Web


class SearchBody(Body):
    plate: str = Field(max_length=32)
    purpose: str = Field(default="", max_length=500)
    case_number: str = Field(default="", max_length=64)


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
        pattern = normalise_plate(body.plate)
        partial = "?" in pattern or "*" in pattern
        hits = backend.search(pattern, partial, body.purpose.strip(), body.case_number.strip(), session.user)
        return {"pattern": pattern, "partial": partial, "hits": [asdict(h) for h in hits]}

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


def _is_iso_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
