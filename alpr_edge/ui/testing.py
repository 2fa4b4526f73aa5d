"""An in-memory ``UiBackend`` that keeps the real rules, for tests and demos.

It behaves like the device's pieces: Argon2-free but otherwise the same login
rules (lockout after repeated failures, accounts unused for 90 days, training
older than a year, TOTP for roles that can search), alerts raised when a read
matches a hot plate, the same alert steps, search refusals, and an audit trail
that remembers every call. Tests drive it with ``push_read``.

Run a demo touchscreen on it: ``python -m alpr_edge.ui.testing --port 8080``.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field

import cv2
import numpy as np
import pyotp

from alpr_edge.ids import uuid7
from alpr_edge.ui.backend import (
    OPEN_STATES, AlertStep, AlertView, AuditRecord, Check, HotEntry, LiveRead, LiveStatus, LoginRefused,
    NotFound, Refused, SearchHit, SessionUser, check_search_request, next_state, normalise_plate, plate_matches,
)

DAY = 86400.0
TOTP_ROLES = frozenset({"supervisor", "admin"})


@dataclass
class FakeAccount:
    name: str
    secret: str
    role: str
    totp_secret: str | None = None
    last_used: float = field(default_factory=time.time)
    training_date: float = field(default_factory=time.time)
    failures: int = 0
    locked_until: float = 0.0


@dataclass
class _StoredRead:
    read: LiveRead
    crop: bytes
    overview: bytes


class FakeBackend:
    def __init__(self, *, max_failures: int = 5, lockout_s: float = 900.0, unused_days: int = 90,
                 training_days: int = 365, clock=time.time):
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.unused_days = unused_days
        self.training_days = training_days
        self.clock = clock
        self.accounts: dict[str, FakeAccount] = {}
        self.reads: list[_StoredRead] = []
        self.alerts: dict[str, AlertView] = {}
        self.hot: list[HotEntry] = []
        self.audit_log: list[AuditRecord] = []
        self.checks = [
            Check("camera", "pass", "frames arriving, 10 fps"),
            Check("ir", "pass", "IR illuminator on"),
            Check("gps", "pass", "3D fix, 9 satellites"),
            Check("clock", "pass", "GPS time, offset 0.02 s"),
            Check("storage", "pass", "41 GB free"),
            Check("hotlist", "pass", "NCIC stolen vehicles, 2 h old"),
            Check("uplink", "warn", "offline, 3 reads waiting"),
        ]
        self.gps = Check("gps", "pass", "3D fix, 9 satellites")
        self.uplink = Check("uplink", "warn", "offline, 3 reads waiting")
        self.warnings: list[str] = []
        self.covert_lists: set[str] = set()
        self._lock = threading.RLock()

    # -- set-up helpers --------------------------------------------------

    def add_account(self, name: str, secret: str, role: str, *, totp: bool | None = None, **kwargs) -> FakeAccount:
        """An account; ``totp`` defaults to the role's need. Returns it (``totp_secret`` for codes)."""
        wants_totp = role in TOTP_ROLES if totp is None else totp
        account = FakeAccount(name, secret, role, pyotp.random_base32() if wants_totp else None, **kwargs)
        self.accounts[name] = account
        return account

    def add_hot(self, plate: str, state: str | None, reason: str, *, list_name: str = "NCIC stolen vehicles",
                covert: bool = False, **kwargs) -> HotEntry:
        entry = HotEntry(plate=normalise_plate(plate), state=state, list_name=list_name, reason=reason, **kwargs)
        self.hot.append(entry)
        if covert:
            self.covert_lists.add(list_name)
        return entry

    def push_read(self, text: str, state: str | None = "CA", confidence: float = 0.93) -> tuple[LiveRead, AlertView | None]:
        """A new read arrives (as from the daemon's reads thread); matches the hot plates."""
        with self._lock:
            read = LiveRead(uuid7(), self.clock(), text, state, confidence)
            entry, kind = self._match(text, state)
            alert = None
            if entry is not None:
                covert = entry.list_name in self.covert_lists
                alert = AlertView(
                    alert_id=uuid7(), read_id=read.read_id, raised_at=read.time, state="raised",
                    priority=entry.priority, read_text=text, read_state=state, confidence=confidence,
                    match_kind=kind, entry=entry, covert=covert,
                    state_differs=bool(entry.state and state and entry.state != state),
                )
                self.alerts[alert.alert_id] = alert
                read = dataclasses.replace(read, alert_id=alert.alert_id)
                self._audit(None, "alert_raised", alert_id=alert.alert_id, list=entry.list_name)
            self.reads.append(_StoredRead(read, plate_crop(text), overview_image(text)))
            return read, alert

    def _match(self, text: str, state: str | None) -> tuple[HotEntry | None, str]:
        plate = normalise_plate(text)
        for entry in self.hot:
            if entry.plate == plate:
                return entry, "exact"
        for entry in self.hot:
            if ("?" in entry.plate or "*" in entry.plate) and plate_matches(entry.plate, plate):
                return entry, "wildcard"
        lenient = str.maketrans("0OIL8B5S", "OO11BB55")
        for entry in self.hot:
            if entry.plate.translate(lenient) == plate.translate(lenient):
                return entry, "lenient"
        return None, ""

    def _audit(self, user: SessionUser | str | None, action: str, **detail) -> None:
        name = user.name if isinstance(user, SessionUser) else (user or "system")
        self.audit_log.append(AuditRecord(self.clock(), name, action, detail))

    def actions(self, action: str | None = None) -> list[AuditRecord]:
        return [r for r in self.audit_log if action is None or r.action == action]

    # -- UiBackend -------------------------------------------------------

    def authenticate(self, name: str, secret: str, totp: str | None) -> SessionUser:
        with self._lock:
            account = self._usable_account(name)
            if account.secret != secret:
                self._fail(account, "login_failed", "wrong_secret")
            if account.totp_secret is None and account.role in TOTP_ROLES:
                self._refuse(name, "disabled", "This role needs a second factor and none is enrolled: see an admin.")
            if account.totp_secret is not None:
                if not totp:
                    self._refuse(name, "totp_needed", "Enter the 6-digit code from your authenticator.")
                if not pyotp.TOTP(account.totp_secret).verify(totp, valid_window=1):
                    self._fail(account, "login_failed", "totp_wrong")
            account.failures = 0
            account.last_used = self.clock()
            self._audit(name, "login", role=account.role)
            return SessionUser(name, account.role)

    def check_secret(self, name: str, secret: str, totp: str | None = None) -> None:
        self.authenticate(name, secret, totp)

    def _usable_account(self, name: str) -> FakeAccount:
        account = self.accounts.get(name)
        now = self.clock()
        if account is None:
            self._refuse(name, "unknown", "Wrong name or password.")
        if account.locked_until > now:
            minutes = max(1, round((account.locked_until - now) / 60))
            self._refuse(name, "locked_out", f"Too many failed attempts: account locked for {minutes} more minutes.")
        if now - account.last_used > self.unused_days * DAY:
            self._refuse(name, "expired_account", f"Account not used for more than {self.unused_days} days: ask an admin to re-enable it.")
        if now - account.training_date > self.training_days * DAY:
            self._refuse(name, "training_out_of_date", "Your ALPR training is more than a year old: renew it before using the device.")
        return account

    def _fail(self, account: FakeAccount, action: str, reason: str):
        account.failures += 1
        if account.failures >= self.max_failures:
            account.locked_until = self.clock() + self.lockout_s
            account.failures = 0
            self._audit(account.name, "account_locked_out")
            self._refuse(account.name, "locked_out", f"Too many failed attempts: account locked for {round(self.lockout_s / 60)} minutes.")
        message = "Wrong authenticator code." if reason == "totp_wrong" else "Wrong name or password."
        self._refuse(account.name, reason, message, action)

    def _refuse(self, name: str, reason: str, message: str, action: str = "login_refused"):
        self._audit(name, action, reason=reason)
        raise LoginRefused(reason, message)

    def start_of_shift(self) -> list[Check]:
        return list(self.checks)

    def live(self, limit: int = 20) -> LiveStatus:
        with self._lock:
            reads = tuple(s.read for s in reversed(self.reads[-limit:]))
            return LiveStatus(reads, self.gps, self.uplink, tuple(self.warnings))

    def read_image(self, read_id: str, kind: str) -> bytes:
        for stored in self.reads:
            if stored.read.read_id == read_id:
                return stored.crop if kind == "crop" else stored.overview
        raise NotFound(f"No read {read_id}.")

    def open_alerts(self) -> list[AlertView]:
        with self._lock:
            alerts = [a for a in self.alerts.values() if a.state in OPEN_STATES]
        return sorted(alerts, key=lambda a: (a.priority, a.raised_at))

    def alert(self, alert_id: str) -> AlertView:
        try:
            return self.alerts[alert_id]
        except KeyError:
            raise NotFound(f"No alert {alert_id}.") from None

    def transition(self, alert_id: str, step: str, user: SessionUser, note: str = "", disposition: str = "") -> AlertView:
        with self._lock:
            alert = self.alert(alert_id)
            try:
                state = next_state(alert.state, step, user.role, covert=alert.covert, note=note, disposition=disposition)
            except Refused as refusal:  # refused steps are audited too, as the real alert book does
                self._audit(user, "alert_step_refused", alert_id=alert_id, step=step, why=refusal.message)
                raise
            history = alert.history + (AlertStep(self.clock(), user.name, step, note or disposition),)
            alert = dataclasses.replace(alert, state=state, history=history, disposition=disposition or alert.disposition)
            self.alerts[alert_id] = alert
            self._audit(user, f"alert_{step}", alert_id=alert_id, note=note, disposition=disposition)
            return alert

    def search(self, plate: str, partial: bool, purpose: str, case_number: str, user: SessionUser) -> list[SearchHit]:
        with self._lock:
            try:
                pattern, partial = check_search_request(plate, purpose, case_number)
            except Refused as error:
                self._audit(user, "search_refused", plate=plate, purpose=purpose, case_number=case_number, reason=error.message)
                raise
            hits = [
                SearchHit(s.read.read_id, s.read.time, s.read.text, s.read.state, s.read.confidence, "sim")
                for s in self.reads if plate_matches(pattern, s.read.text)
            ]
            self._audit(user, "search", plate=pattern, partial=partial, purpose=purpose, case_number=case_number, hits=len(hits))
            return hits

    def hot_entries(self, user: SessionUser) -> list[HotEntry]:
        self._audit(user, "hotlist_browse")
        return list(self.hot)

    def add_hot_plate(self, entry: HotEntry, user: SessionUser) -> HotEntry:
        missing = [name for name in ("plate", "reason", "case_number", "synopsis") if not getattr(entry, name)]
        if missing:  # as the hot list engine (alpr_edge.hotlist.csv_list.REQUIRED)
            raise Refused(f"A hot plate needs: {', '.join(m.replace('_', ' ') for m in missing)}.")
        if not entry.expires:  # as the hot list engine: manual plates always expire
            raise Refused("A manual hot plate needs an expiry date.")
        if any(e.plate == entry.plate and e.state == entry.state for e in self.hot):
            raise Refused(f"{entry.plate} is already on the list for {entry.state or 'any state'}.")
        entry = dataclasses.replace(entry, entered_by=user.name)
        with self._lock:
            self.hot.append(entry)
            self._audit(user, "hotlist_add", plate=entry.plate, state=entry.state, case_number=entry.case_number)
        return entry

    def audit(self, user: SessionUser, limit: int = 200) -> list[AuditRecord]:
        self._audit(user, "audit_view")
        return list(reversed(self.audit_log[-limit:]))

    def record(self, user: SessionUser | None, action: str, **detail) -> None:
        with self._lock:
            self._audit(user, action, **detail)


# -- synthetic images ------------------------------------------------------

def plate_crop(text: str) -> bytes:
    """A rectified plate crop like recognition's: dark characters on a light plate."""
    image = np.full((60, 240, 3), (235, 235, 230), np.uint8)
    cv2.rectangle(image, (2, 2), (237, 57), (60, 60, 60), 2)
    cv2.putText(image, "California", (85, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (40, 40, 170), 1, cv2.LINE_AA)
    cv2.putText(image, text, (18, 48), cv2.FONT_HERSHEY_DUPLEX, 1.15, (90, 40, 20), 2, cv2.LINE_AA)
    return _jpeg(image)


def overview_image(text: str) -> bytes:
    """A colour scene: road, car, and its plate."""
    image = np.zeros((240, 320, 3), np.uint8)
    image[:] = (70, 60, 50)
    cv2.rectangle(image, (0, 150), (320, 240), (60, 60, 60), -1)
    cv2.rectangle(image, (70, 90), (250, 200), (40, 40, 150), -1)
    cv2.rectangle(image, (95, 60), (225, 100), (80, 50, 50), -1)
    cv2.rectangle(image, (125, 160), (195, 182), (235, 235, 230), -1)
    cv2.putText(image, text[:8], (128, 177), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (90, 40, 20), 1, cv2.LINE_AA)
    return _jpeg(image)


def _jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return data.tobytes()


def demo_backend() -> FakeBackend:
    """Accounts and a hot plate for trying the touchscreen by hand."""
    backend = FakeBackend()
    backend.add_account("officer", "1234", "officer")
    backend.add_account("super", "super-secret", "supervisor")
    backend.add_account("tech", "5678", "technician")
    backend.add_hot("7ABC123", "CA", "Stolen vehicle", case_number="24-001234", vehicle="2016 Honda Civic, grey",
                    entered_by="NCIC", priority=1)
    return backend


def main() -> None:  # pragma: no cover - a manual demo
    import argparse

    from alpr_edge.config import UiSection
    from alpr_edge.ui.app import create_app
    from alpr_edge.ui.server import UiServer

    parser = argparse.ArgumentParser(description="touchscreen demo on a fake backend")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    backend = demo_backend()
    for name, account in backend.accounts.items():
        if account.totp_secret:
            print(f"{name}: TOTP secret {account.totp_secret}")
    server = UiServer(create_app(backend, UiSection(port=args.port)), "127.0.0.1", args.port)
    server.start()
    print(f"serving {server.url}; officer/1234, tech/5678; a read every 5 s")
    plates = ["4XYZ987", "7ABC123", "8DEF456", "5GHJ321"]
    try:
        for index in range(10_000):
            time.sleep(5)
            backend.push_read(plates[index % len(plates)])
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
