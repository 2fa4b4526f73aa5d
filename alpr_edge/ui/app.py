"""The touchscreen's web app: a JSON API, a live push (server-sent events), one page.

Security, all server-side:
- sessions live here (``sessions.SessionStore``); the cookie is an opaque
  token, HttpOnly, SameSite=Strict, Secure over HTTPS;
- every state-changing request is a JSON POST carrying the session's CSRF
  token in ``X-CSRF-Token`` (and a foreign ``Origin`` is refused);
- who may see what is checked on every request: roles against
  ``alpr_edge.accounts.permissions`` (a technician never receives plate text
  or images, whatever the page asks), alerts by the desk behind the port;
- request bodies and concurrent requests are bounded before anything is
  parsed (``RequestLimits``): one client cannot exhaust a Pi's memory;
- responses are ``no-store``, the page runs under a strict CSP (no inline
  script, nothing from outside the device), and no API description
  (``/openapi.json``, ``/docs``) is served.

The routes live in ``alpr_edge.ui.routes``, one router per concern.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from alpr_edge.config import UiSection
from alpr_edge.ui.backend import NotFound, Refused, UiBackend
from alpr_edge.ui.routes import alerts, live, lookups, session
from alpr_edge.ui.sessions import SessionStore
from alpr_edge.ui.web import Web

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
MAX_BODY_BYTES = 64 * 1024  # the largest real body (a hot plate with its synopsis) is under 2 kB
MAX_CONCURRENT = 16  # requests in progress at once, live streams not counted
MAX_STREAMS = 8  # live streams open at once (one screen, a few reconnects)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def create_app(backend: UiBackend, settings: UiSection, *, clock: Callable[[], float] = time.monotonic) -> FastAPI:
    """The touchscreen app over ``backend``; ``clock`` drives session expiry (tests hand in their own)."""
    app = FastAPI(title="alpr-edge touchscreen", docs_url=None, redoc_url=None, openapi_url=None)
    sessions = SessionStore(settings.session_hours * 3600.0, settings.lock_after_s, clock)
    web = Web(backend, settings, sessions)
    app.state.sessions = sessions
    app.state.backend = backend
    app.state.stopping = web.stopping  # UiServer.stop sets it: ends the live streams

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @app.exception_handler(Refused)
    async def refused(_request: Request, error: Refused) -> JSONResponse:
        return JSONResponse({"error": "refused", "message": error.message}, status_code=400)

    @app.exception_handler(NotFound)
    async def not_found(_request: Request, error: NotFound) -> JSONResponse:
        return JSONResponse({"error": "not_found", "message": str(error) or "Not found."}, status_code=404)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(invalid_body(error), status_code=422)

    for module in (session, live, alerts, lookups):
        app.include_router(module.router(web))
    app.mount("/static", StaticFiles(directory=str(session.STATIC)), name="static")
    app.add_middleware(RequestLimits)  # outermost: before any parsing
    return app


def invalid_body(error: RequestValidationError) -> dict[str, Any]:
    """Names the fields at fault and why, never their values.

    FastAPI's default answer echoes the input: a submitted secret would come
    back, and a NaN in the body could not be serialised at all (HTTP 500).
    """
    problems = [
        {"field": ".".join(str(part) for part in problem.get("loc", ())), "type": str(problem.get("type", "invalid"))}
        for problem in error.errors()[:20]
    ]
    fields = ", ".join(f"{problem['field']} ({problem['type']})" for problem in problems)
    return {"error": "invalid_request", "message": f"Invalid request: {fields}.", "fields": problems}


class RequestLimits:
    """Refuses a body over MAX_BODY_BYTES (declared or as it streams in) and requests beyond MAX_CONCURRENT."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]):
        self.app = app
        self.active = 0
        self.streams = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            await _refuse(send, 413, "Request body too large.")
            return
        stream = scope.get("path") == "/api/events"
        if (self.streams >= MAX_STREAMS) if stream else (self.active >= MAX_CONCURRENT):
            await _refuse(send, 503, "Busy: too many requests at once.")
            return
        received = 0
        refused = False

        async def bounded_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES and not refused:
                    # Answer now and tell the app the client left: nothing more is read or kept.
                    refused = True
                    await _refuse(send, 413, "Request body too large.")
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message: Message) -> None:
            if not refused:  # once refused, the app's own answer goes nowhere
                await send(message)

        if stream:
            self.streams += 1
        else:
            self.active += 1
        try:
            await self.app(scope, bounded_receive, watched_send)
        except Exception:
            if not refused:
                raise
        finally:
            if stream:
                self.streams -= 1
            else:
                self.active -= 1


async def _refuse(send: Send, status: int, message: str) -> None:
    body = ('{"error": "refused", "message": "%s"}' % message).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *((k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items())]})
    await send({"type": "http.response.body", "body": body})
