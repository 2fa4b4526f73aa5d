"""The one seam between the touchscreen and the rest of the device.

The web app knows nothing of the store, the accounts, the hot lists or the
alert book: it talks to a ``UiBackend``. ``alpr_edge.ui.device_backend`` adapts
the real pieces; ``alpr_edge.ui.testing.FakeBackend`` is an in-memory one that
keeps the same rules, for tests and demonstrations.

Backends enforce the rules about data (who may log in, what a search needs,
which alert step may follow which); the app enforces who may see what (a
technician gets no plates or images) and does the web security.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

ROLES = ("officer", "supervisor", "admin", "technician")

# Who may do what in the UI (checked server-side on every request).
CAN_SEE_PLATES = frozenset({"officer", "supervisor", "admin"})
CAN_HANDLE_ALERTS = frozenset({"officer", "supervisor", "admin"})
CAN_ADD_HOT_PLATES = frozenset({"officer", "supervisor", "admin"})
CAN_SEARCH = frozenset({"supervisor", "admin"})
CAN_READ_AUDIT = frozenset({"admin"})

# Alert lifecycle as the officer walks through it.
ALERT_STATES = ("raised", "verified", "misread", "confirmed", "not_confirmed", "closed")
STEPS = ("matches", "misread", "confirmed", "not_confirmed", "disposition")
# Which step is allowed from which state, and where it leads.
STEP_FROM = {
    "matches": ("raised", "verified"),
    "misread": ("raised", "misread"),
    "confirmed": ("verified", "confirmed"),
    "not_confirmed": ("verified", "not_confirmed"),
    "disposition": (("confirmed", "not_confirmed"), "closed"),
}
DISPOSITIONS = {
    "stopped_arrest": "Stopped: arrest",
    "stopped_cited": "Stopped: cited / warned",
    "stopped_released": "Stopped: released",
    "vehicle_recovered": "Vehicle recovered",
    "not_located": "Not located / lost sight",
    "no_action": "No action taken",
}
OPEN_STATES = frozenset({"raised", "verified", "confirmed", "not_confirmed"})


class LoginRefused(Exception):
    """A login or unlock was refused; ``reason`` is a code, the message says why."""

    REASONS = (
        "unknown", "wrong_secret", "locked_out", "expired_account",
        "training_out_of_date", "totp_needed", "totp_wrong", "disabled",
    )

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


class Refused(Exception):
    """A request the rules do not allow (bad search, impossible alert step)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(Exception):
    """No such alert, read or image."""


@dataclass(frozen=True)
class SessionUser:
    name: str
    role: str


@dataclass(frozen=True)
class Check:
    """One line of the start-of-shift check."""

    name: str
    status: str  # pass | warn | fail
    detail: str


@dataclass(frozen=True)
class LiveRead:
    read_id: str
    time: float  # Unix seconds
    text: str
    state: str | None
    confidence: float
    alert_id: str | None = None


@dataclass(frozen=True)
class LiveStatus:
    reads: tuple[LiveRead, ...]  # newest first
    gps: Check
    uplink: Check
    warnings: tuple[str, ...] = ()  # stale hot lists, storage low, ...


@dataclass(frozen=True)
class HotEntry:
    plate: str
    state: str | None
    list_name: str
    reason: str
    case_number: str = ""
    vehicle: str = ""
    entered_by: str = ""
    synopsis: str = ""
    expires: str = ""  # ISO date, empty: no expiry
    priority: int = 2  # 1 highest


@dataclass(frozen=True)
class AlertStep:
    time: float
    user: str
    step: str
    note: str = ""


@dataclass(frozen=True)
class AlertView:
    alert_id: str
    read_id: str
    raised_at: float
    state: str  # one of ALERT_STATES
    priority: int
    read_text: str
    read_state: str | None
    confidence: float
    match_kind: str  # exact | lenient | partial
    entry: HotEntry
    covert: bool = False
    disposition: str = ""
    history: tuple[AlertStep, ...] = ()


@dataclass(frozen=True)
class SearchHit:
    read_id: str
    time: float
    text: str
    state: str | None
    confidence: float
    camera: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class AuditRecord:
    time: float
    user: str
    action: str
    detail: dict = field(default_factory=dict)


class UiBackend(Protocol):
    """Everything the touchscreen needs from the device."""

    def authenticate(self, name: str, secret: str, totp: str | None) -> SessionUser:
        """Check a login; raise LoginRefused saying why. Audited either way."""

    def check_secret(self, name: str, secret: str) -> None:
        """Unlock a locked screen: the password/PIN again (counts toward lockout)."""

    def start_of_shift(self) -> list[Check]: ...

    def live(self, limit: int = 20) -> LiveStatus: ...

    def read_image(self, read_id: str, kind: str) -> bytes:
        """JPEG bytes of a read's ``crop`` or ``overview``; NotFound if none."""

    def open_alerts(self) -> list[AlertView]:
        """Open alerts, highest priority (lowest number) first, then oldest first."""

    def alert(self, alert_id: str) -> AlertView: ...

    def transition(self, alert_id: str, step: str, user: SessionUser, note: str = "", disposition: str = "") -> AlertView:
        """Move an alert one step (see STEP_FROM); Refused if not allowed now. Audited."""

    def search(self, plate: str, partial: bool, purpose: str, case_number: str, user: SessionUser) -> list[SearchHit]:
        """Stored reads matching ``plate``; Refused without a proper purpose and case number. Audited."""

    def hot_entries(self, user: SessionUser) -> list[HotEntry]: ...

    def add_hot_plate(self, entry: HotEntry, user: SessionUser) -> HotEntry:
        """Add a manual hot plate; entered_by is set to ``user``. Audited."""

    def audit(self, user: SessionUser, limit: int = 200) -> list[AuditRecord]: ...

    def record(self, user: SessionUser | None, action: str, **detail) -> None:
        """Append a UI event (logout, screen lock, viewing an alert) to the audit trail."""


# -- rules shared by every backend and by the app's early checks ----------

PLATE_PATTERN = re.compile(r"^[A-Z0-9?*]{1,10}$")
CASE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/.]{2,39}$")
VAGUE_PURPOSES = frozenset({"investigation", "investigate", "inquiry", "enquiry", "search", "lookup", "look-up", "check"})


def normalise_plate(text: str) -> str:
    return "".join(text.upper().split()).replace("-", "")


def check_search_request(plate: str, purpose: str, case_number: str) -> tuple[str, bool]:
    """Return (normalised pattern, partial) or raise Refused with the reason."""
    pattern = normalise_plate(plate)
    if not pattern:
        raise Refused("Enter a plate (use ? for one unknown character, * for several).")
    if not PLATE_PATTERN.match(pattern):
        raise Refused("A plate has 1 to 10 letters or digits; use ? for one unknown character and * for several.")
    partial = "?" in pattern or "*" in pattern
    if partial and sum(c.isalnum() for c in pattern) < 3:
        raise Refused("A partial plate needs at least 3 known characters.")
    words = purpose.strip()
    if not words:
        raise Refused("A look-up needs a purpose: say why you are searching.")
    if words.lower().strip(" .") in VAGUE_PURPOSES or len(words) < 10:
        raise Refused('"Investigation" alone is not a purpose: describe the offence or incident (at least 10 characters).')
    if not case_number.strip():
        raise Refused("A look-up needs a case or incident number.")
    if not CASE_NUMBER.match(case_number.strip()):
        raise Refused("A case number has 3 to 40 letters, digits, '-', '/' or '.'.")
    return pattern, partial


def plate_matches(pattern: str, text: str) -> bool:
    """``?`` is one character, ``*`` any run (possibly empty)."""
    regex = "".join("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, normalise_plate(text)) is not None


def next_state(state: str, step: str, disposition: str = "") -> str:
    """The state an alert reaches by ``step``; Refused if not possible from ``state``."""
    if step not in STEP_FROM:
        raise Refused(f"Unknown step {step!r}.")
    allowed, target = STEP_FROM[step]
    allowed = (allowed,) if isinstance(allowed, str) else allowed
    if state not in allowed:
        raise Refused(f"Cannot record {step.replace('_', ' ')!r} on an alert that is {state.replace('_', ' ')}.")
    if step == "disposition" and disposition not in DISPOSITIONS:
        raise Refused("Choose a disposition.")
    return target
