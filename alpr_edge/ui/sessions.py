"""Server-side sessions: an opaque cookie token, an absolute lifetime, an idle lock.

The browser holds only a random token (HttpOnly, SameSite=Strict). Everything
else stays here: who is logged in, the CSRF token, and when the user last
touched the screen. Past ``lock_after_s`` without a user action the session
is locked (the page shows the PIN screen; alerts still sound); past
``lifetime_s`` it is gone and the user logs in again.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from alpr_edge.ui.backend import SessionUser


MAX_LOOKED_UP = 2000  # read ids a session's look-ups opened to it (images, holds, corrections), newest kept


@dataclass
class Session:
    token: str
    user: SessionUser
    csrf: str
    created: float
    last_active: float
    locked: bool = False
    # Reads this session's own (purpose + case number, audited) look-ups returned: only these
    # stored reads' images, holds and corrections are open to it. Gone when the session ends.
    looked_up: dict[str, None] = field(default_factory=dict)

    def grant(self, read_ids: list[str]) -> None:
        for read_id in read_ids:
            self.looked_up.pop(read_id, None)
            self.looked_up[read_id] = None
        while len(self.looked_up) > MAX_LOOKED_UP:
            self.looked_up.pop(next(iter(self.looked_up)))


class SessionStore:
    def __init__(self, lifetime_s: float, lock_after_s: float, clock: Callable[[], float] = time.monotonic):
        self.lifetime_s = lifetime_s
        self.lock_after_s = lock_after_s
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, user: SessionUser) -> Session:
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), user, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._sessions[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """The live session for ``token`` (locking it if idle too long), or None."""
        if not token:
            return None
        now = self.clock()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if now - session.created >= self.lifetime_s:
                del self._sessions[token]
                return None
            if now - session.last_active >= self.lock_after_s:
                session.locked = True
            return session

    def touch(self, session: Session) -> None:
        """A user action: resets the idle timer (not for locked sessions)."""
        if not session.locked:
            session.last_active = self.clock()

    def lock(self, session: Session) -> None:
        session.locked = True

    def unlock(self, session: Session) -> None:
        session.locked = False
        session.last_active = self.clock()

    def end(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    def expires_in(self, session: Session) -> float:
        return max(0.0, session.created + self.lifetime_s - self.clock())


def csrf_ok(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf, presented or "")
