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

# Who may do what: read from the accounts' permission table, the one source of truth.
def _roles_that(action: str) -> frozenset[str]:
    from alpr_edge.accounts.permissions import can

    return frozenset(role for role in ROLES if can(role, action))


CAN_SEE_PLATES = _roles_that("plates.view") & _roles_that("images.view")
CAN_HANDLE_ALERTS = _roles_that("alerts.verify")
CAN_ADD_HOT_PLATES = _roles_that("hotplate.add")
CAN_BROWSE_HOTLIST = _roles_that("hotlist.browse")
CAN_SEARCH = _roles_that("reads.search")
CAN_READ_AUDIT = _roles_that("audit.view")

# The alert lifecycle, as alpr_edge.alerts.lifecycle defines it (a step is named by the state it leads to):
#   raised -> acknowledged (silenced) -> verified | misread | wrong_state
#   verified -> confirmed | not_confirmed;  confirmed -> disposed (with a disposition)
#   dismissed (supervisor/admin, with a note) closes an alert that is not yet confirmed.
ALERT_STATES = ("raised", "acknowledged", "verified", "misread", "wrong_state", "confirmed", "not_confirmed",
                "disposed", "dismissed", "timed_out")
OPEN_STATES = frozenset({"raised", "acknowledged", "verified", "confirmed"})
UNVERIFIED_STATES = frozenset({"raised", "acknowledged"})
SOUNDING_STATES = frozenset({"raised"})
TRANSITIONS = {
    "raised": frozenset({"acknowledged", "verified", "misread", "wrong_state", "dismissed"}),
    "acknowledged": frozenset({"verified", "misread", "wrong_state", "dismissed"}),
    "verified": frozenset({"confirmed", "not_confirmed", "dismissed"}),
    "confirmed": frozenset({"disposed"}),
}
STEPS = ("acknowledged", "verified", "misread", "wrong_state", "confirmed", "not_confirmed", "disposed", "dismissed")
DISPOSITIONS = {
    "arrest": "Arrest",
    "citation": "Citation",
    "contact": "Contact / interview",
    "stop_made": "Stop made, released",
    "vehicle_recovered": "Vehicle recovered",
    "no_action": "No action",
    "unable_to_locate": "Unable to locate",
    "lost_sight": "Lost sight",
}
PRIVILEGED_ROLES = frozenset({"supervisor", "admin"})


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
    match_kind: str  # exact | lenient | wildcard | candidate | edit
    entry: HotEntry
    covert: bool = False
    stale: bool = False  # the list was past its maximum age
    state_differs: bool = False  # read and hot list states both known and different
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

    def check_secret(self, name: str, secret: str, totp: str | None = None) -> None:
        """Unlock a locked screen: the password/PIN again, and the TOTP code where the account has one.

        Same rules and audit as a login (failures count toward lockout)."""

    def start_of_shift(self) -> list[Check]: ...

    def live(self, limit: int = 20) -> LiveStatus: ...

    def read_image(self, read_id: str, kind: str) -> bytes:
        """JPEG bytes of a read's ``crop`` or ``overview``; NotFound if none."""

    def open_alerts(self) -> list[AlertView]:
        """Open alerts (covert ones too), highest priority (lowest number) first, then oldest first."""

    def alert(self, alert_id: str) -> AlertView: ...

    def transition(self, alert_id: str, step: str, user: SessionUser, note: str = "", disposition: str = "") -> AlertView:
        """Move an alert one step (see TRANSITIONS, ``next_state``); Refused if not allowed now. Audited."""

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
CASE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/.]{0,39}$")


def normalise_plate(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum() or c in "?*")


def check_search_request(plate: str, purpose: str, case_number: str) -> tuple[str, bool]:
    """Return (normalised pattern, partial) or raise Refused with the reason.

    The purpose and case number rules are the store's own (``check_purpose``),
    so the page and the store refuse the same look-ups with the same words.
    """
    from alpr_edge.store.search import AccessRefused, check_purpose

    pattern = normalise_plate(plate)
    if not pattern:
        raise Refused("Enter a plate (use ? for one unknown character, * for several).")
    if not PLATE_PATTERN.match(pattern):
        raise Refused("A plate has 1 to 10 letters or digits; use ? for one unknown character and * for several.")
    partial = "?" in pattern or "*" in pattern
    if partial and sum(c.isalnum() for c in pattern) < 3:
        raise Refused("A partial plate needs at least 3 known characters.")
    try:
        check_purpose(purpose, case_number)
    except AccessRefused as refusal:
        text = str(refusal)
        raise Refused(text[:1].upper() + text[1:] + ".") from None
    if not CASE_NUMBER.match(case_number.strip()):
        raise Refused("A case number has letters, digits, '-', '/' or '.' (at most 40).")
    return pattern, partial


def plate_matches(pattern: str, text: str) -> bool:
    """``?`` is one character, ``*`` any run (possibly empty)."""
    regex = "".join("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, normalise_plate(text)) is not None


def next_state(state: str, step: str, role: str, *, covert: bool = False, note: str = "", disposition: str = "") -> str:
    """The state ``step`` leads to from ``state``; Refused saying why when it may not be taken."""
    if step not in STEPS:
        raise Refused(f"Unknown step {step!r}.")
    if step not in TRANSITIONS.get(state, ()):
        raise Refused(f"This alert is {state.replace('_', ' ')}: it cannot become {step.replace('_', ' ')}.")
    if role not in CAN_HANDLE_ALERTS:
        raise Refused(f"Your role ({role}) may not act on alerts.")
    if covert and role not in PRIVILEGED_ROLES:
        raise Refused("Covert alerts are handled by supervisors and admins only.")
    if step == "dismissed" and (role not in PRIVILEGED_ROLES or not note.strip()):
        raise Refused("Only a supervisor or admin may dismiss an alert, with a note saying why.")
    if step == "disposed" and disposition not in DISPOSITIONS:
        raise Refused("Choose a disposition.")
    return step
