"""The touchscreen's web app: a JSON API, a live push (server-sent events), one page.

Security, all server-side:
- sessions live here (``sessions.SessionStore``); the cookie is an opaque
  token, HttpOnly, SameSite=Strict, Secure over HTTPS;
- every state-changing request is a JSON POST carrying the session's CSRF
  token in ``X-CSRF-Token`` (and a foreign ``Origin`` is refused);
- who may see what is checked on every request (``backend.CAN_*``): a
  technician never receives plate text or images, whatever the page asks;
- responses are ``no-store`` and the page runs under a strict CSP (no inline
  script, nothing from outside the device).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
import time
from dataclasses import asdict
from importlib import resources
from typing import Callable

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from alpr_edge.config import UiSection
from alpr_edge.logs import log
from alpr_edge.ui import backend as rules
from alpr_edge.ui.backend import HotEntry, LoginRefused, NotFound, Refused, UiBackend
from alpr_edge.ui.sessions import Session, SessionStore, csrf_ok

logger = logging.getLogger(__name__)

COOKIE = "alpr_session"
STATIC = resources.files("alpr_edge.ui") / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


# -- request bodies (strict: unknown fields and oversize values are 422) ---

class _Body(BaseModel):
    model_config = {"extra": "forbid"}


class LoginBody(_Body):
    name: str = Field(min_length=1, max_length=64)
    secret: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, max_length=12)


class UnlockBody(_Body):
    secret: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, max_length=12)


class StepBody(_Body):
    step: str = Field(max_length=32)
    note: str = Field(default="", max_length=500)
    disposition: str = Field(default="", max_length=32)


class SearchBody(_Body):
    plate: str = Field(max_length=32)
    purpose: str = Field(default="", max_length=500)
    case_number: str = Field(default="", max_length=64)


class HotPlateBody(_Body):
    plate: str = Field(min_length=1, max_length=32)
    state: str = Field(default="", max_length=8)
    reason: str = Field(min_length=1, max_length=200)
    case_number: str = Field(default="", max_length=64)
    vehicle: str = Field(default="", max_length=200)
    synopsis: str = Field(default="", max_length=1000)
    expires: str = Field(default="", max_length=10)
    priority: int = Field(default=2, ge=1, le=3)


class EmptyBody(_Body):
    pass


def create_app(backend: UiBackend, settings: UiSection, *, clock: Callable[[], float] = time.monotonic) -> FastAPI:
    """The touchscreen app over ``backend``; ``clock`` drives session expiry (tests hand in their own)."""
    app = FastAPI(title="alpr-edge touchscreen", docs_url=None, redoc_url=None)
    sessions = SessionStore(settings.session_hours * 3600.0, settings.lock_after_s, clock)
    app.state.sessions = sessions
    app.state.backend = backend
    app.state.stopping = threading.Event()  # set by UiServer.stop: ends the live streams

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @app.exception_handler(Refused)
    async def refused(_request, error: Refused):
        return JSONResponse({"error": "refused", "message": error.message}, status_code=400)

    @app.exception_handler(NotFound)
    async def not_found(_request, error: NotFound):
        return JSONResponse({"error": "not_found", "message": str(error) or "Not found."}, status_code=404)

    # -- who is asking ---------------------------------------------------

    def current(request: Request) -> Session:
        """The caller's unlocked session; 401 without one, 423 when the screen is locked."""
        session = sessions.get(request.cookies.get(COOKIE))
        if session is None:
            raise HTTPException(401, "Not logged in, or the session expired.")
        if session.locked:
            raise HTTPException(423, "The screen is locked.")
        return session

    def acting(request: Request, session: Session = Depends(current)) -> Session:
        """For state-changing requests: CSRF token, same origin, and it counts as activity."""
        check_post(request, session)
        sessions.touch(session)
        return session

    def check_post(request: Request, session: Session | None) -> None:
        origin = request.headers.get("origin")
        if origin and origin.split("://", 1)[-1] != request.headers.get("host", ""):
            raise HTTPException(403, "Cross-site request refused.")
        if session is not None and not csrf_ok(session, request.headers.get("x-csrf-token")):
            raise HTTPException(403, "Missing or wrong CSRF token: reload the page.")

    def require(session: Session, allowed: frozenset, what: str) -> None:
        if session.user.role not in allowed:
            raise HTTPException(403, f"Your role ({session.user.role}) may not {what}.")

    def session_json(session: Session) -> dict:
        return {
            "user": session.user.name,
            "role": session.user.role,
            "csrf": session.csrf,
            "locked": session.locked,
            "lock_after_s": settings.lock_after_s,
            "expires_in_s": round(sessions.expires_in(session)),
            "can": {
                "see_plates": session.user.role in rules.CAN_SEE_PLATES,
                "alerts": session.user.role in rules.CAN_HANDLE_ALERTS,
                "add_hot_plates": session.user.role in rules.CAN_ADD_HOT_PLATES,
                "search": session.user.role in rules.CAN_SEARCH,
                "browse_hotlist": session.user.role in rules.CAN_BROWSE_HOTLIST,
                "audit": session.user.role in rules.CAN_READ_AUDIT,
            },
        }

    # -- pages -----------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/tones/{priority}.wav", include_in_schema=False)
    def tone(priority: int):
        """The car speaker's tone for this priority, so the page sounds the same (alpr_edge.alerts.tones)."""
        if not 1 <= priority <= 5:
            raise HTTPException(404, "No such tone.")
        return Response(_tone_wav(priority), media_type="audio/wav", headers={"Cache-Control": "max-age=86400"})

    # -- login, lock, logout --------------------------------------------

    @app.post("/api/login")
    def login(body: LoginBody, request: Request, response: Response):
        check_post(request, None)
        try:
            user = backend.authenticate(body.name.strip(), body.secret, (body.totp or "").strip() or None)
        except LoginRefused as error:
            log(logger, logging.INFO, "ui_login_refused", reason=error.reason)
            return JSONResponse({"error": error.reason, "message": error.message}, status_code=401)
        old = sessions.get(request.cookies.get(COOKIE))
        if old is not None:
            sessions.end(old.token)
        session = sessions.create(user)
        response.set_cookie(
            COOKIE, session.token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
            max_age=int(sessions.lifetime_s), path="/",
        )
        log(logger, logging.INFO, "ui_login", role=user.role)
        result = session_json(session)
        if user.role in ("officer", "technician"):
            result["start_of_shift"] = [asdict(c) for c in backend.start_of_shift()]
        return result

    @app.get("/api/session")
    def get_session(request: Request):
        session = sessions.get(request.cookies.get(COOKIE))
        if session is None:
            raise HTTPException(401, "Not logged in, or the session expired.")
        return session_json(session)

    @app.post("/api/activity")
    def activity(_body: EmptyBody, session: Session = Depends(acting)):
        return {"ok": True, "expires_in_s": round(sessions.expires_in(session))}

    @app.post("/api/lock")
    def lock(_body: EmptyBody, session: Session = Depends(acting)):
        sessions.lock(session)
        backend.record(session.user, "ui_screen_locked", manual=True)
        return {"locked": True}

    @app.post("/api/unlock")
    def unlock(body: UnlockBody, request: Request):
        session = sessions.get(request.cookies.get(COOKIE))
        if session is None:
            raise HTTPException(401, "Not logged in, or the session expired.")
        check_post(request, session)
        try:
            backend.check_secret(session.user.name, body.secret, (body.totp or "").strip() or None)
        except LoginRefused as error:
            if error.reason in ("locked_out", "disabled", "expired_account", "training_out_of_date"):
                sessions.end(session.token)
            return JSONResponse({"error": error.reason, "message": error.message}, status_code=401)
        sessions.unlock(session)
        backend.record(session.user, "ui_screen_unlocked")
        return session_json(session)

    @app.post("/api/logout")
    def logout(request: Request, response: Response):
        session = sessions.get(request.cookies.get(COOKIE))
        if session is not None:
            check_post(request, session)
            backend.record(session.user, "ui_logout")
            sessions.end(session.token)
        response.delete_cookie(COOKIE, path="/")
        return {"ok": True}

    # -- shift check and live view --------------------------------------

    @app.get("/api/start-of-shift")
    def start_of_shift(session: Session = Depends(current)):
        return [asdict(c) for c in backend.start_of_shift()]

    @app.post("/api/start-of-shift/ack")
    def start_of_shift_ack(_body: EmptyBody, session: Session = Depends(acting)):
        checks = backend.start_of_shift()
        backend.record(session.user, "start_of_shift", **{c.name: c.status for c in checks})
        return {"ok": True}

    def visible_alerts(role: str) -> list:
        """Open alerts this role may handle: covert ones only for supervisors and admins."""
        if role not in rules.CAN_HANDLE_ALERTS:
            return []
        return [a for a in backend.open_alerts() if not a.covert or role in rules.PRIVILEGED_ROLES]

    def live_json(role: str) -> dict:
        status = backend.live()
        result = {
            "gps": asdict(status.gps),
            "uplink": asdict(status.uplink),
            "warnings": list(status.warnings),
            "reads_count": len(status.reads),
            "reads": [],
            "alerts": [],
        }
        if role in rules.CAN_SEE_PLATES:  # technicians: counts and health only, never a plate
            alerts = visible_alerts(role)
            shown = {a.alert_id for a in alerts}
            hidden = {a.alert_id for a in backend.open_alerts() if a.covert} - shown
            result["reads"] = [{**asdict(r), "alert_id": None if r.alert_id in hidden else r.alert_id} for r in status.reads]
            result["alerts"] = [alert_summary(a) for a in alerts]
        return result

    @app.get("/api/live")
    def live(session: Session = Depends(current)):
        return live_json(session.user.role)

    @app.get("/api/events")
    async def events(request: Request):
        """Server-sent events: a ``live`` snapshot whenever it changes, ``locked`` while locked."""
        token = request.cookies.get(COOKIE)
        if sessions.get(token) is None:
            raise HTTPException(401, "Not logged in, or the session expired.")

        async def stream():
            last = None
            started = time.monotonic()
            yield "retry: 2000\n\n"
            while time.monotonic() - started < settings.push_max_s and not app.state.stopping.is_set():
                session = sessions.get(token)
                if session is None:
                    yield "event: expired\ndata: {}\n\n"
                    return
                if session.locked:
                    pending = 0
                    alerts = await asyncio.to_thread(visible_alerts, session.user.role)
                    pending = sum(1 for a in alerts if a.state in rules.SOUNDING_STATES)
                    payload = json.dumps({"pending_alerts": pending})
                    event = f"event: locked\ndata: {payload}\n\n"
                else:
                    payload = json.dumps(await asyncio.to_thread(live_json, session.user.role), default=str)
                    event = f"event: live\ndata: {payload}\n\n"
                if event != last:
                    last = event
                    yield event
                if await _request_gone(request, settings.push_interval_s):
                    return

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})

    # -- images: never to a technician ----------------------------------

    def jpeg(data: bytes) -> Response:
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    @app.get("/api/reads/{read_id}/{kind}.jpg")
    def read_image(read_id: str, kind: str, session: Session = Depends(current)):
        require(session, rules.CAN_SEE_PLATES, "see plate images")
        if kind not in ("crop", "overview"):
            raise HTTPException(404, "No such image.")
        return jpeg(backend.read_image(read_id, kind))

    # -- alerts ----------------------------------------------------------

    def alert_summary(alert) -> dict:
        return {
            "alert_id": alert.alert_id, "state": alert.state, "priority": alert.priority,
            "read_text": alert.read_text, "read_state": alert.read_state, "raised_at": alert.raised_at,
            "list_name": alert.entry.list_name, "covert": alert.covert,
            "sounding": alert.state in rules.SOUNDING_STATES and not alert.covert,
        }

    def visible_alert(alert_id: str, role: str):
        view = backend.alert(alert_id)
        if view.covert and role not in rules.PRIVILEGED_ROLES:
            raise NotFound(f"No alert {alert_id}.")  # officers do not learn a covert alert exists
        return view

    @app.get("/api/alerts")
    def alerts(session: Session = Depends(current)):
        require(session, rules.CAN_HANDLE_ALERTS, "handle alerts")
        return [alert_summary(a) for a in visible_alerts(session.user.role)]

    @app.get("/api/alerts/{alert_id}")
    def alert(alert_id: str, session: Session = Depends(current)):
        require(session, rules.CAN_HANDLE_ALERTS, "handle alerts")
        result = asdict(visible_alert(alert_id, session.user.role))
        backend.record(session.user, "ui_alert_viewed", alert_id=alert_id, state=result["state"])
        result["dispositions"] = rules.DISPOSITIONS
        result["next_steps"] = sorted(rules.TRANSITIONS.get(result["state"], ()))
        result["can_dismiss"] = session.user.role in rules.PRIVILEGED_ROLES
        return result

    @app.post("/api/alerts/{alert_id}/step")
    def step(alert_id: str, body: StepBody, session: Session = Depends(acting)):
        require(session, rules.CAN_HANDLE_ALERTS, "handle alerts")
        visible_alert(alert_id, session.user.role)
        view = backend.transition(alert_id, body.step, session.user, body.note.strip(), body.disposition)
        result = asdict(view)
        result["dispositions"] = rules.DISPOSITIONS
        result["next_steps"] = sorted(rules.TRANSITIONS.get(result["state"], ()))
        result["can_dismiss"] = session.user.role in rules.PRIVILEGED_ROLES
        return result

    # -- look-ups, hot list, audit --------------------------------------

    @app.post("/api/search")
    def search(body: SearchBody, session: Session = Depends(acting)):
        require(session, rules.CAN_SEARCH, "search stored reads")
        # The backend judges purpose and case number, so that refusals are audited too.
        pattern = rules.normalise_plate(body.plate)
        partial = "?" in pattern or "*" in pattern
        hits = backend.search(pattern, partial, body.purpose.strip(), body.case_number.strip(), session.user)
        return {"pattern": pattern, "partial": partial, "hits": [asdict(h) for h in hits]}

    @app.get("/api/hotlist")
    def hotlist(session: Session = Depends(current)):
        require(session, rules.CAN_BROWSE_HOTLIST, "browse the hot lists")
        return [asdict(e) for e in backend.hot_entries(session.user)]

    @app.post("/api/hotlist")
    def add_hot_plate(body: HotPlateBody, session: Session = Depends(acting)):
        require(session, rules.CAN_ADD_HOT_PLATES, "add hot plates")
        plate = rules.normalise_plate(body.plate)
        if not rules.PLATE_PATTERN.match(plate) or sum(c.isalnum() for c in plate) < 3:
            raise Refused("A hot plate has 3 to 10 letters or digits (? and * allowed for a partial plate).")
        if not _is_iso_date(body.expires):
            raise Refused("Expiry: a date as YYYY-MM-DD (manual hot plates always expire).")
        entry = HotEntry(
            plate=plate, state=body.state.strip().upper() or None, list_name="manual", reason=body.reason.strip(),
            case_number=body.case_number.strip(), vehicle=body.vehicle.strip(), entered_by=session.user.name,
            synopsis=body.synopsis.strip(), expires=body.expires, priority=body.priority,
        )
        return asdict(backend.add_hot_plate(entry, session.user))

    @app.get("/api/audit")
    def audit(session: Session = Depends(current), limit: int = 200):
        require(session, rules.CAN_READ_AUDIT, "read the audit trail")
        return [asdict(r) for r in backend.audit(session.user, max(1, min(limit, 1000)))]

    return app


@functools.lru_cache(maxsize=8)
def _tone_wav(priority: int) -> bytes:
    from alpr_edge.alerts.tones import tone_wav

    return tone_wav(priority)


async def _request_gone(request: Request, wait_s: float) -> bool:
    """Sleep ``wait_s``; True if the browser went away meanwhile."""
    await asyncio.sleep(wait_s)
    return await request.is_disconnected()


def _is_iso_date(text: str) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
