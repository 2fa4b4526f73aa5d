"""The one seam between the touchscreen and the rest of the device: its words and its port.

The web app knows nothing of the store, the accounts, the hot lists or the
alert desk: it talks to a ``UiBackend`` (``alpr_edge.ui.services.DeviceServices``
on the device and in the tests, over a real store). This module holds only
the screen's data types, its errors and that port: no rule. Who may do what
is ``alpr_edge.accounts.permissions``; which alert steps may follow which, and
who may see a covert alert, is ``alpr_edge.alerts`` (the desk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


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
    state: str  # one of alpr_edge.alerts.lifecycle.STATES
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
    sounding: bool = False  # raised, not yet acknowledged, overt: the car's buzzer sounds
    next_steps: tuple[str, ...] = ()  # what this user may do next (alpr_edge.alerts.lifecycle)
    can_dismiss: bool = False


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
    detail: dict[str, Any] = field(default_factory=dict)


class UiBackend(Protocol):
    """Everything the touchscreen needs from the device; what a user may see is decided behind it."""

    def authenticate(self, name: str, secret: str, totp: str | None) -> SessionUser:
        """Check a login; raise LoginRefused saying why. Audited either way."""

    def check_secret(self, name: str, secret: str, totp: str | None = None) -> None:
        """Unlock a locked screen: the password/PIN again, and the TOTP code where the account has one.

        Same rules and audit as a login (failures count toward lockout)."""

    def start_of_shift(self, user: SessionUser) -> list[Check]: ...

    def live(self, user: SessionUser, limit: int = 20) -> LiveStatus:
        """The newest reads, each with the alert this user may see (if any), and the device's health."""

    def pending_alerts(self, user: SessionUser) -> int:
        """Alerts still sounding that this user may see (for the locked screen)."""

    def read_image(self, read_id: str, kind: str) -> bytes:
        """JPEG bytes of a read's ``crop`` or ``overview``; NotFound if none."""

    def open_alerts(self, user: SessionUser) -> list[AlertView]:
        """Open alerts this user may see, highest priority (lowest number) first, then oldest first."""

    def alert(self, alert_id: str, user: SessionUser) -> AlertView:
        """NotFound when there is none or this user may not see it."""

    def transition(self, alert_id: str, step: str, user: SessionUser, note: str = "", disposition: str = "",
                   reason: str = "") -> AlertView:
        """Move an alert one step; Refused if not allowed now, NotFound if hidden. Audited."""

    def search(self, plate: str, partial: bool, purpose: str, case_number: str, user: SessionUser) -> list[SearchHit]:
        """Stored reads matching ``plate``; Refused without a proper purpose and case number. Audited."""

    def hot_entries(self, user: SessionUser) -> list[HotEntry]: ...

    def add_hot_plate(self, entry: HotEntry, user: SessionUser) -> HotEntry:
        """Add a manual hot plate; entered_by is set to ``user``. Audited."""

    def audit(self, user: SessionUser, limit: int = 200) -> list[AuditRecord]: ...

    def record(self, user: SessionUser | None, action: str, **detail: Any) -> None:
        """Append a UI event (logout, screen lock, viewing an alert) to the audit trail."""
