"""The page, its tones, and logging in, locking and logging out."""

from __future__ import annotations

import functools
import logging
from dataclasses import asdict
from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import Field

from alpr_edge.logs import log
from alpr_edge.ui.backend import LoginRefused
from alpr_edge.ui.sessions import Session
from alpr_edge.ui.web import COOKIE, Body, Web, may

logger = logging.getLogger(__name__)

STATIC = resources.files("alpr_edge.ui") / "static"


class LoginBody(Body):
    name: str = Field(min_length=1, max_length=64)
    secret: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, max_length=12)


class UnlockBody(Body):
    secret: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, max_length=12)


class EmptyBody(Body):
    pass


def router(web: Web) -> APIRouter:
    routes = APIRouter()
    sessions, backend = web.sessions, web.backend
    acting = web.acting_guard()

    @routes.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    @routes.get("/tones/{priority}.wav", include_in_schema=False)
    def tone(priority: int) -> Response:
        """The car speaker's tone for this priority, so the page sounds the same (alpr_edge.alerts.tones)."""
        if not 1 <= priority <= 5:
            raise HTTPException(404, "No such tone.")
        return Response(_tone_wav(priority), media_type="audio/wav", headers={"Cache-Control": "max-age=86400"})

    @routes.post("/api/login")
    def login(body: LoginBody, request: Request, response: Response) -> Any:
        web.check_post(request, None)
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
        result = web.session_json(session)
        if may(user.role, "shift_check"):  # those who start a shift at the car see its check at login
            result["start_of_shift"] = [asdict(c) for c in backend.start_of_shift(user)]
        return result

    @routes.get("/api/session")
    def get_session(request: Request) -> dict[str, Any]:
        return web.session_json(web.any_session(request))

    @routes.post("/api/activity")
    def activity(_body: EmptyBody, session: Session = Depends(acting)) -> dict[str, Any]:
        return {"ok": True, "expires_in_s": round(sessions.expires_in(session))}

    @routes.post("/api/lock")
    def lock(_body: EmptyBody, session: Session = Depends(acting)) -> dict[str, Any]:
        sessions.lock(session)
        backend.record(session.user, "ui_screen_locked", manual=True)
        return {"locked": True}

    @routes.post("/api/unlock")
    def unlock(body: UnlockBody, request: Request) -> Any:
        session = web.any_session(request)
        web.check_post(request, session)
        try:
            backend.check_secret(session.user.name, body.secret, (body.totp or "").strip() or None)
        except LoginRefused as error:
            if error.reason in ("locked_out", "disabled", "expired_account", "training_out_of_date"):
                sessions.end(session.token)
            return JSONResponse({"error": error.reason, "message": error.message}, status_code=401)
        sessions.unlock(session)
        backend.record(session.user, "ui_screen_unlocked")
        return web.session_json(session)

    @routes.post("/api/logout")
    def logout(request: Request, response: Response) -> dict[str, Any]:
        session = sessions.get(request.cookies.get(COOKIE))
        if session is not None:
            web.check_post(request, session)
            backend.record(session.user, "ui_logout")
            sessions.end(session.token)
        response.delete_cookie(COOKIE, path="/")
        return {"ok": True}

    return routes


@functools.lru_cache(maxsize=8)
def _tone_wav(priority: int) -> bytes:
    from alpr_edge.alerts.tones import tone_wav

    return tone_wav(priority)
