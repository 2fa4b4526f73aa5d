"""What every route of the touchscreen shares: the sessions, the port, and who is asking.

``Web`` is built once per app by ``create_app`` and handed to each router
(``alpr_edge.ui.routes``). Role questions are asked of
``alpr_edge.accounts.permissions``, the one table; alert visibility is
decided behind the port (the alert desk).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel

from alpr_edge.accounts.permissions import can
from alpr_edge.alerts.compare import differences
from alpr_edge.alerts.lifecycle import DISPOSITION_LABELS, STATE_LABELS, actions, banner
from alpr_edge.config import UiSection
from alpr_edge.ui.backend import AlertView, UiBackend
from alpr_edge.ui.sessions import Session, SessionStore, csrf_ok

COOKIE = "alpr_session"

# What the page may offer a role (each a permission of alpr_edge.accounts.permissions).
ABILITIES = {
    "alerts": ("alerts.verify",),
    "add_hot_plates": ("hotplate.add",),
    "search": ("reads.search",),
    "export": ("reads.search", "reads.export"),  # the investigator's tools act on look-up results
    "hold": ("reads.search", "hold.add", "hold.release"),
    "correct": ("reads.search", "reads.correct"),
    "browse_hotlist": ("hotlist.browse",),
    "audit": ("audit.view",),
    "see_plates": ("plates.view", "images.view"),  # technicians: counts and health only, never a plate
    "shift_check": ("shift.check",),
}


def may(role: str | None, ability: str) -> bool:
    return all(can(role, action) for action in ABILITIES[ability])


class Body(BaseModel):
    """Request bodies are strict: unknown fields, oversize values and non-finite numbers are 422."""

    model_config = {"extra": "forbid", "allow_inf_nan": False}


@dataclass
class Web:
    backend: UiBackend
    settings: UiSection
    sessions: SessionStore
    stopping: threading.Event = field(default_factory=threading.Event)  # set by UiServer.stop: ends live streams

    # -- who is asking ---------------------------------------------------

    def current(self, request: Request) -> Session:
        """The caller's unlocked session; 401 without one, 423 when the screen is locked."""
        session = self.any_session(request)
        if session.locked:
            raise HTTPException(423, "The screen is locked.")
        return session

    def any_session(self, request: Request) -> Session:
        """The caller's session, locked or not (what a locked screen may still show); 401 without one."""
        session = self.sessions.get(request.cookies.get(COOKIE))
        if session is None:
            raise HTTPException(401, "Not logged in, or the session expired.")
        return session

    def acting_guard(self) -> Callable[..., Session]:
        """A dependency for state-changing requests: a session, its CSRF token, the same origin; counts as activity."""
        current = self.current

        def acting(request: Request, session: Session = Depends(current)) -> Session:
            self.check_post(request, session)
            self.sessions.touch(session)
            return session

        return acting

    @staticmethod
    def check_post(request: Request, session: Session | None) -> None:
        origin = request.headers.get("origin")
        if origin and origin.split("://", 1)[-1] != request.headers.get("host", ""):
            raise HTTPException(403, "Cross-site request refused.")
        if session is not None and not csrf_ok(session, request.headers.get("x-csrf-token")):
            raise HTTPException(403, "Missing or wrong CSRF token: reload the page.")

    @staticmethod
    def require(session: Session, ability: str, what: str) -> None:
        if not may(session.user.role, ability):
            raise HTTPException(403, f"Your role ({session.user.role}) may not {what}.")

    def session_json(self, session: Session) -> dict[str, Any]:
        return {
            "user": session.user.name,
            "role": session.user.role,
            "csrf": session.csrf,
            "locked": session.locked,
            "lock_after_s": self.settings.lock_after_s,
            "expires_in_s": round(self.sessions.expires_in(session)),
            "can": {ability: may(session.user.role, ability) for ability in ABILITIES},
        }


def alert_summary(alert: AlertView) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id, "state": alert.state, "priority": alert.priority,
        "read_text": alert.read_text, "read_state": alert.read_state, "raised_at": alert.raised_at,
        "list_name": alert.entry.list_name, "covert": alert.covert, "sounding": alert.sounding,
    }


def alert_detail(alert: AlertView) -> dict[str, Any]:
    result = asdict(alert)
    result["next_steps"] = list(alert.next_steps)
    result["dispositions"] = dict(DISPOSITION_LABELS)
    # The buttons and their words are the lifecycle's (one vocabulary); the page only lays them out.
    result["actions"] = [asdict(action) for action in actions(alert.state, alert.can_dismiss)]
    result["state_label"] = STATE_LABELS.get(alert.state, "")
    result["banner"] = asdict(banner(alert.state, alert.state_differs))  # look, words and question: the lifecycle's
    if alert.entry.plate != "?":  # which characters to check on the vehicle
        result["differs"] = asdict(differences(alert.read_text, alert.entry.plate))
    else:
        result["differs"] = {"read": [], "entry": []}
    return result
