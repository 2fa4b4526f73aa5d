"""The in-car touchscreen: officer login, live reads, alerts with visual verification, audited look-ups.

``create_app(backend, settings)`` builds the web app over a ``UiBackend`` (the
one seam to the rest of the device); ``UiServer`` runs it under uvicorn in a
thread of the daemon.
"""

from alpr_edge.ui.app import create_app
from alpr_edge.ui.backend import (
    AlertView, Check, HotEntry, LiveRead, LiveStatus, LoginRefused, NotFound, Refused, SearchHit, SessionUser, UiBackend,
)
from alpr_edge.ui.server import UiServer, UiStartError

__all__ = [
    "AlertView", "Check", "HotEntry", "LiveRead", "LiveStatus", "LoginRefused", "NotFound", "Refused", "SearchHit",
    "SessionUser", "UiBackend", "UiServer", "UiStartError", "create_app",
]
