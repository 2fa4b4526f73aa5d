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
class HoldView:
    """An active evidence hold on a read (``alpr_edge.store.retention``)."""

    hold_id: str
    case_number: str
    reason: str
    placed_by: str
    placed_at: str  # ISO 8601 UTC


@dataclass(frozen=True)
class CorrectionView:
    """One supervisor's correction of a stored read: what it said, what it says now, who, when, why."""

    at: str  # ISO 8601 UTC
    by: str
    reason: str
    from_text: str
    from_state: str | None
    to_text: str
    to_state: str | None


@dataclass(frozen=True)
class SearchHit:
    """A look-up result: ``text``/``state`` as corrected; ``corrections`` keep what the camera read."""

    read_id: str
    time: float
    text: str
    state: str | None
    confidence: float
    camera: str = ""
    latitude: float | None = None
    longitude: float | None = None
    map_link: str | None = None  # the agency's map URL pattern filled with the position (config ui.map_url)
    holds: tuple[HoldView, ...] = ()
    corrections: tuple[CorrectionView, ...] = ()


@dataclass(frozen=True)
class ExportResult:
    """An evidence package written from the touchscreen (``alpr_edge.store.evidence``)."""

    folder: str
    case_number: str
    recipient: str
    read_ids: tuple[str, ...]


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

    def read_image(self, read_id: str, kind: str, user: SessionUser, *, looked_up: bool = False) -> bytes:
        """JPEG bytes of a read's ``crop`` or ``overview``; NotFound if none, or not this user's to see.

        A user sees the images of the live view's reads and of the alerts they may
        see; ``looked_up``: the asking session's own look-up returned this read
        (a role that may search only)."""

    def image_refused(self, user: SessionUser, read_id: str, kind: str, why: str) -> None:
        """Audit a refused image request: who, which read and image, why (``read_image``'s refusals and the route's)."""

    def open_alerts(self, user: SessionUser) -> list[AlertView]:
        """Open alerts this user may see, highest priority (lowest number) first, then oldest first."""

    def alert(self, alert_id: str, user: SessionUser) -> AlertView:
        """NotFound when there is none or this user may not see it."""

    def transition(self, alert_id: str, step: str, user: SessionUser, note: str = "", disposition: str = "",
                   reason: str = "") -> AlertView:
        """Move an alert one step; Refused if not allowed now, NotFound if hidden. Audited."""

    def search(self, plate: str, partial: bool, purpose: str, case_number: str, user: SessionUser) -> list[SearchHit]:
        """Stored reads matching ``plate``; Refused without a proper purpose and case number. Audited."""

    def lookup_read(self, read_id: str, user: SessionUser) -> SearchHit:
        """One stored read as a look-up shows it (after a hold or a correction); NotFound if not stored."""

    def recipients(self, user: SessionUser) -> list[str]:
        """The agencies evidence packages may go to (configuration ``[evidence] permitted_recipients``)."""

    def export_package(self, read_ids: list[str], plate: str, partial: bool, purpose: str, case_number: str,
                       recipient: str, user: SessionUser) -> ExportResult:
        """Search again on the same grounds, write and sign the chosen reads as a package. Audited; Refused saying why."""

    def place_hold(self, read_id: str, case_number: str, reason: str, user: SessionUser) -> SearchHit:
        """An evidence hold on a stored read; Refused without a case number and reason, or for the role. Audited."""

    def release_hold(self, read_id: str, hold_id: str, reason: str, user: SessionUser) -> SearchHit:
        """Release one of the read's active holds, saying why. Audited."""

    def correct_read(self, read_id: str, text: str | None, state: str | None, reason: str, user: SessionUser) -> SearchHit:
        """Correct a stored read's text or state (the original is kept). Audited; Refused saying why."""

    def hot_entries(self, user: SessionUser) -> list[HotEntry]: ...

    def add_hot_plate(self, entry: HotEntry, user: SessionUser) -> HotEntry:
        """Add a manual hot plate; entered_by is set to ``user``. Audited."""

    def audit(self, user: SessionUser, limit: int = 200) -> list[AuditRecord]: ...

    def record(self, user: SessionUser | None, action: str, **detail: Any) -> None:
        """Append a UI event (logout, screen lock, viewing an alert) to the audit trail."""
