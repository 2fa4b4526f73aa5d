"""The start-of-shift check, the live view and its push, and read images (never to a technician)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import StreamingResponse

from alpr_edge.ui.routes.alerts import shown_over_lock
from alpr_edge.ui.routes.session import EmptyBody
from alpr_edge.ui.sessions import Session
from alpr_edge.ui.web import COOKIE, Web, alert_summary, may


def router(web: Web) -> APIRouter:
    routes = APIRouter()
    backend, sessions, settings = web.backend, web.sessions, web.settings
    current, acting = web.current, web.acting_guard()

    @routes.get("/api/start-of-shift")
    def start_of_shift(session: Session = Depends(current)) -> list[dict[str, Any]]:
        return [asdict(c) for c in backend.start_of_shift(session.user)]

    @routes.post("/api/start-of-shift/ack")
    def start_of_shift_ack(_body: EmptyBody, session: Session = Depends(acting)) -> dict[str, Any]:
        checks = backend.start_of_shift(session.user)
        backend.record(session.user, "start_of_shift", **{c.name: c.status for c in checks})
        return {"ok": True}

    def live_json(session: Session) -> dict[str, Any]:
        status = backend.live(session.user)
        result: dict[str, Any] = {
            "gps": asdict(status.gps),
            "uplink": asdict(status.uplink),
            "warnings": list(status.warnings),
            "reads_count": len(status.reads),
            "reads": [],
            "alerts": [],
        }
        if may(session.user.role, "see_plates"):  # technicians: counts and health only, never a plate
            # Time order, newest first: the pipeline hands reads over when a track ends, not when it was seen.
            result["reads"] = [asdict(r) for r in sorted(status.reads, key=lambda r: r.time, reverse=True)]
            result["alerts"] = [alert_summary(a) for a in backend.open_alerts(session.user)]
        return result

    def locked_json(session: Session) -> dict[str, Any]:
        """While locked: the count that sounds, and the unverified alerts the lock screen shows over itself."""
        role = session.user.role
        shown = shown_over_lock(backend, session.user) if may(role, "alerts") and may(role, "see_plates") else []
        return {"pending_alerts": backend.pending_alerts(session.user), "alerts": [alert_summary(a) for a in shown]}

    @routes.get("/api/live")
    def live(session: Session = Depends(current)) -> dict[str, Any]:
        return live_json(session)

    @routes.get("/api/events")
    async def events(request: Request) -> StreamingResponse:
        """Server-sent events: a ``live`` snapshot whenever it changes, ``locked`` while locked."""
        web.any_session(request)  # 401 without a session; a locked one streams "locked"
        token = request.cookies.get(COOKIE)

        async def stream() -> AsyncIterator[str]:
            last = None
            started = time.monotonic()
            yield "retry: 2000\n\n"
            while time.monotonic() - started < settings.push_max_s and not web.stopping.is_set():
                session = sessions.get(token)
                if session is None:
                    yield "event: expired\ndata: {}\n\n"
                    return
                if session.locked:
                    locked = await asyncio.to_thread(locked_json, session)
                    event = f"event: locked\ndata: {json.dumps(locked, default=str, allow_nan=False)}\n\n"
                else:
                    payload = json.dumps(await asyncio.to_thread(live_json, session), default=str, allow_nan=False)
                    event = f"event: live\ndata: {payload}\n\n"
                if event != last:
                    last = event
                    yield event
                if await _request_gone(request, settings.push_interval_s):
                    return

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})

    @routes.get("/api/reads/{read_id}/{kind}.jpg")
    def read_image(read_id: str, kind: str, session: Session = Depends(web.any_session)) -> Response:
        try:  # every refusal is audited, the route's own (role, lock, kind) as the backend's
            web.require(session, "see_plates", "see plate images")
            if session.locked and read_id not in {a.read_id for a in shown_over_lock(backend, session.user)}:
                raise HTTPException(423, "The screen is locked.")
            if kind not in ("crop", "overview"):
                raise HTTPException(404, "No such image.")
        except HTTPException as refusal:
            backend.image_refused(session.user, read_id, kind, f"{refusal.status_code}: {refusal.detail}")
            raise
        image = backend.read_image(read_id, kind, session.user, looked_up=read_id in session.looked_up)
        return Response(image, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    return routes


async def _request_gone(request: Request, wait_s: float) -> bool:
    """Sleep ``wait_s``; True if the browser went away meanwhile."""
    await asyncio.sleep(wait_s)
    return await request.is_disconnected()
