"""Alerts on the screen: the rules (steps, roles, covert) are the desk's, behind the port.

A locked screen still shows an unverified alert (banner, plates, images): the
lock must never hide a hit nobody has checked. Acting on it needs the PIN
(steps take an unlocked session).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import Field

from alpr_edge.alerts.lifecycle import UNVERIFIED
from alpr_edge.ui.backend import AlertView, SessionUser, UiBackend
from alpr_edge.ui.sessions import Session
from alpr_edge.ui.web import Body, Web, alert_detail, alert_summary


class StepBody(Body):
    step: str = Field(max_length=32)
    note: str = Field(default="", max_length=500)
    disposition: str = Field(default="", max_length=32)
    reason: str = Field(default="", max_length=32)


def shown_over_lock(backend: UiBackend, user: SessionUser) -> list[AlertView]:
    """The open alerts a locked screen shows this user: the unverified ones, most urgent first."""
    return [a for a in backend.open_alerts(user) if a.state in UNVERIFIED]


def router(web: Web) -> APIRouter:
    routes = APIRouter()
    backend = web.backend
    current, acting = web.current, web.acting_guard()

    @routes.get("/api/alerts")
    def alerts(session: Session = Depends(current)) -> list[dict[str, Any]]:
        web.require(session, "alerts", "handle alerts")
        return [alert_summary(a) for a in backend.open_alerts(session.user)]

    @routes.get("/api/alerts/{alert_id}")
    def alert(alert_id: str, session: Session = Depends(web.any_session)) -> dict[str, Any]:
        web.require(session, "alerts", "handle alerts")
        view = backend.alert(alert_id, session.user)
        if session.locked and view.state not in UNVERIFIED:
            raise HTTPException(423, "The screen is locked.")
        backend.record(session.user, "ui_alert_viewed", alert_id=alert_id, state=view.state,
                       **({"locked": True} if session.locked else {}))
        return alert_detail(view)

    @routes.post("/api/alerts/{alert_id}/step")
    def step(alert_id: str, body: StepBody, session: Session = Depends(acting)) -> dict[str, Any]:
        web.require(session, "alerts", "handle alerts")
        view = backend.transition(alert_id, body.step, session.user, body.note.strip(), body.disposition, body.reason)
        return alert_detail(view)

    return routes
