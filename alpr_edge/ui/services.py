"""What the touchscreen may use of the device: a narrow service, built by ``alpr_edge.assembly``.

``DeviceServices`` is handed the alert desk, the store (for look-ups and
images), the accounts, the hot lists, the live feed of new reads and the
parts whose health the shift check reports; never the daemon. Each method
is a thin adapter: the rules live in their owners (``Accounts`` for logins,
``AlertDesk`` for alerts and who may see them, ``Store.search`` for what a
look-up needs (and the investigator's tools, ``ui.investigation``), ``HotListEngine.add_manual`` for hot plates,
``accounts.permissions`` for what a role may do), and so does the audit
trail. This module translates their errors and records into the screen's
words (``alpr_edge.ui.backend``).
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from alpr_edge.accounts.permissions import can, visible_hotlists, visible_to
from alpr_edge.alerts import Alert, AlertError, UnknownAlert
from alpr_edge.alerts.desk import may_dismiss
from alpr_edge.alerts.lifecycle import next_steps
from alpr_edge.config import Config
from alpr_edge.health import clock_level, gps_level, storage_level
from alpr_edge.logs import log
from alpr_edge.pipeline import PipelineCounters
from alpr_edge.profiles import Profile
from alpr_edge.types import AlertDeskPort, Components, LiveFeed
from alpr_edge.ui.backend import (
    AlertStep, AlertView, AuditRecord, Check, ExportResult, HotEntry, LiveRead, LiveStatus, LoginRefused, NotFound,
    Refused, SearchHit, SessionUser,
)
from alpr_edge.ui.investigation import Investigations, sentence

if TYPE_CHECKING:
    from alpr_edge.accounts import Accounts
    from alpr_edge.hotlist import HotListEngine
    from alpr_edge.store import Store
    from alpr_edge.ui.server import UiServer

logger = logging.getLogger(__name__)

BROWSE_LIMIT = 500  # lists longer than this (NCIC extracts) are summarised, not listed
ALERT_IMAGES = 200  # an alert's read images are served while it is open or among the newest this many
IMAGE_ACTION = "images.view"  # how a refused image request is audited (the permission it needed)
MAX_ID = 64  # of a requested read id or image kind kept in the audit trail (a UUID is 36 characters)


class DeviceServices:
    """The touchscreen's ``UiBackend`` on the device."""

    def __init__(self, config: Config, profile: Profile, parts: Components, *, feed: LiveFeed,
                 counters: PipelineCounters, accounts: Accounts | None = None,
                 disk_usage: Callable[[Any], Any] = shutil.disk_usage):
        from alpr_edge.accounts import Accounts

        if parts.store is None:
            raise ValueError("the touchscreen needs the store")
        self.config = config
        self.profile = profile
        self.store: Store = parts.store  # type: ignore[assignment]  # the device's Store, not only the port
        self.desk: AlertDeskPort | None = parts.desk
        self.hotlists: HotListEngine | None = parts.hotlists  # type: ignore[assignment]
        self.accounts = accounts or Accounts(self.store, config.accounts)
        self.feed = feed
        self.counters = counters
        self._source, self._positions, self._clock, self._uplink = parts.source, parts.positions, parts.clock, parts.uplink
        self.disk_usage = disk_usage
        self._entries: dict[str, HotEntry] = {}  # alert_id -> the hot list entry it matched (never changes)
        self._reads: dict[str, dict[str, Any]] = {}  # read_id -> text, state, confidence of alerts' reads
        self._lock = threading.Lock()
        self.investigations = Investigations(config, self.store)

    # -- accounts ------------------------------------------------------------

    def authenticate(self, name: str, secret: str, totp: str | None) -> SessionUser:
        from alpr_edge.accounts import AuthError

        try:
            user = self.accounts.authenticate(name, secret, totp)
        except AuthError as error:
            raise LoginRefused(error.code, sentence(error.reason)) from None
        return SessionUser(user.name, user.role)

    def check_secret(self, name: str, secret: str, totp: str | None = None) -> None:
        self.authenticate(name, secret, totp)

    # -- health ----------------------------------------------------------------

    def start_of_shift(self, user: SessionUser) -> list[Check]:
        return [self._camera(), self._ir(), self._gps(), self._clock_check(), self._storage(),
                self._hotlist_check(user), self._uplink_check()]

    def _camera(self) -> Check:
        frames = self.counters.frames_in
        status = self._source.status()
        if not status.get("connected", True):
            return Check("camera", "fail", f"{status.get('camera', 'camera')} not connected")
        if frames == 0:
            return Check("camera", "fail", "no frames have arrived")
        uptime = self.counters.uptime_s()
        fps = round(frames / uptime, 2) if uptime else 0.0
        return Check("camera", "pass", f"frames arriving ({frames} so far, {fps} fps)")

    def _ir(self) -> Check:
        profile = self.profile
        if profile.is_sim:
            return Check("ir", "pass", "simulated")
        strobe = getattr(profile.camera, "ir_strobe", False)
        if strobe and getattr(profile.outputs, "ir_strobe_pin", None) is None:
            return Check("ir", "warn", "IR strobe asked for but no strobe pin in the profile")
        return Check("ir", "pass", "IR illuminator configured" if strobe else "no IR strobe on this camera")

    def _gps(self) -> Check:
        if self._positions is None:
            return Check("gps", "warn", "no GPS configured: reads carry no position")
        status = self._positions.status()
        level = gps_level(status)  # the self-test's thresholds (alpr_edge.health)
        if status.get("source") == "surveyed":
            return Check("gps", level, "fixed site, surveyed position")
        if not status.get("has_fix"):
            return Check("gps", level, f"{status.get('source', 'gps')}: no fix")
        if status.get("stale"):
            return Check("gps", level, "fix is stale")
        return Check("gps", level, f"fix, {status.get('satellites', '?')} satellites")

    def _clock_check(self) -> Check:
        if self._clock is None:
            return Check("clock", "warn", "clock not checked")
        status = self._clock.status()
        source, offset = status.get("time_source", "?"), status.get("offset_s")
        detail = f"{source} time" + (f", offset {offset} s" if offset is not None else "")
        level = clock_level(status)  # the self-test's thresholds (alpr_edge.health)
        if level == "fail":
            return Check("clock", level, detail + f": beyond {status.get('max_offset_s')} s, reads use GPS time")
        return Check("clock", level, detail if level == "pass" else detail + ", not verified")

    def _storage(self) -> Check:
        free_mb = self.disk_usage(self.config.data_dir).free / 1e6
        minimum = self.config.store.min_free_mb
        return Check("storage", storage_level(free_mb, minimum), f"{free_mb / 1000:.1f} GB free (minimum {minimum} MB)")

    def _hotlist_check(self, user: SessionUser) -> Check:
        engine = self.hotlists
        if engine is None:
            return Check("hotlist", "fail", "no hot list engine: reads are not being checked")
        lists, health = visible_hotlists(user.role, engine)
        if not health.ok:
            return Check("hotlist", "fail", "; ".join(health.problems))
        if health.warnings:
            return Check("hotlist", "warn", "; ".join(health.warnings))
        return Check("hotlist", "pass", ", ".join(f"{s.name} ({s.age_s / 3600:.1f} h old)" for s in lists) or "loaded")

    def _uplink_check(self) -> Check:
        if self._uplink is None:
            return Check("uplink", "warn", "not configured: reads stay on the device")
        status = self._uplink.status()
        state, backlog = status.get("state", "?"), status.get("backlog", "?")
        detail = f"{state}, {backlog} waiting"
        if state != "connected" and status.get("last_error"):
            detail += f" ({status['last_error']})"
        return Check("uplink", "pass" if state == "connected" else "warn", detail)

    # -- live view ---------------------------------------------------------------

    def live(self, user: SessionUser, limit: int = 20) -> LiveStatus:
        reads = self.feed.newest(limit)
        by_read: dict[str, str] = {}
        if self.desk is not None and reads:  # every hit, re-sightings too; a covert hit reads as plain to an officer
            by_read = self.desk.hits_for([r.read_id for r in reads], user.role)
        live = tuple(
            LiveRead(r.read_id, float(r.capture_wall_time), r.text, r.state, float(r.confidence), by_read.get(r.read_id))
            for r in reads
        )
        warnings: list[str] = []
        if self.hotlists is not None:
            _, health = visible_hotlists(user.role, self.hotlists)
            warnings += list(health.problems) + list(health.warnings)
        else:
            warnings.append("No hot list engine: reads are not being checked.")
        storage = self._storage()
        if storage.status != "pass":
            warnings.append(f"Storage: {storage.detail}")
        return LiveStatus(live, self._gps(), self._uplink_check(), tuple(warnings))

    def read_image(self, read_id: str, kind: str, user: SessionUser, *, looked_up: bool = False) -> bytes:
        """A read's image for ``user``: a read on the live view, of an alert they may see, or of their own look-up.

        Anything else is "not found", whoever asks: knowing a read's id is not a
        right to its images (a covert hit's read past the live view, say). The
        refusal itself is audited (`image_refused`), with the reason the screen does not show.
        """
        missing = NotFound(f"No {kind} image for read {read_id}.")
        if not can(user.role, "images.view"):
            self.image_refused(user, read_id, kind, f"role {user.role} may not see plate images")
            raise missing
        read = self.feed.find(read_id)
        if read is not None:
            data = read.crop_jpeg if kind == "crop" else read.overview_jpeg
            if data:
                return data
        elif not (looked_up and can(user.role, "reads.search")) and not self._alerted(read_id, user):
            self.image_refused(user, read_id, kind, "not on the live view, of no alert this user may see, and not among"
                               " this session's look-up results")
            raise missing
        stored = self.store.get_read(read_id, images=True)
        data = (stored.crop_jpeg if kind == "crop" else stored.overview_jpeg) if stored else b""
        if not data:
            raise missing  # granted, but nothing stored (dropped by image retention, or never taken): not a refusal
        return data

    def image_refused(self, user: SessionUser, read_id: str, kind: str, why: str) -> None:
        # Grants are not audited one by one (the live view loads every read's image); refusals are: an id tried
        # without a right to it is what an auditor looks for. The id is the request's text: cut to an id's length.
        self.store.audit(user.name, user.role, IMAGE_ACTION, data={"read_id": read_id[:MAX_ID], "kind": kind[:MAX_ID]},
                         outcome=f"refused: {why}")

    def _alerted(self, read_id: str, user: SessionUser) -> bool:
        """Whether ``read_id`` raised an alert this user may see (the desk decides who sees which)."""
        if self.desk is None:
            return False
        alerts = [*self.desk.open_for(user.role), *self.desk.recent_for(user.role, limit=ALERT_IMAGES)]
        return any(alert.read_id == read_id for alert in alerts)

    # -- alerts: every rule in the desk --------------------------------------------

    def open_alerts(self, user: SessionUser) -> list[AlertView]:
        if self.desk is None:
            return []
        return [self._view(a, user, history=False) for a in self.desk.open_for(user.role)]

    def pending_alerts(self, user: SessionUser) -> int:
        return self.desk.pending_for(user.role) if self.desk is not None else 0

    def alert(self, alert_id: str, user: SessionUser) -> AlertView:
        desk = self._desk()
        try:
            return self._view(desk.get_for(alert_id, user.role), user)
        except UnknownAlert as error:
            raise NotFound(sentence(error)) from None

    def transition(self, alert_id: str, step: str, user: SessionUser, note: str = "", disposition: str = "",
                   reason: str = "") -> AlertView:
        desk = self._desk()
        try:
            alert = desk.step(alert_id, step, user.name, user.role, note or None, disposition or None, reason or None)
        except UnknownAlert as error:
            raise NotFound(sentence(error)) from None
        except AlertError as error:
            raise Refused(sentence(error)) from None
        return self._view(alert, user)

    def _desk(self) -> AlertDeskPort:
        if self.desk is None:
            raise NotFound("Alerts are not configured on this device.")
        return self.desk

    def _view(self, alert: Alert, user: SessionUser, history: bool = True) -> AlertView:
        read = self._read(alert.read_id)
        entry = self._entry(alert, read)
        steps: tuple[AlertStep, ...] = ()
        if history and self.desk is not None:
            steps = tuple(AlertStep(s.at, s.user, s.to_state, s.note or s.disposition or "")
                          for s in self.desk.history(alert.alert_id, user.role))
        return AlertView(
            alert_id=alert.alert_id, read_id=alert.read_id, raised_at=alert.created_at, state=alert.state,
            priority=alert.priority, read_text=read.get("text", "?"), read_state=read.get("state"),
            confidence=float(read.get("confidence") or 0.0), match_kind=alert.match_kind, entry=entry,
            covert=alert.covert, stale=alert.stale, state_differs=alert.state_differs,
            disposition=alert.disposition or "", history=steps, sounding=alert.sounding,
            next_steps=tuple(next_steps(alert.state)), can_dismiss=may_dismiss(user.role),
        )

    def _read(self, read_id: str) -> dict[str, Any]:
        with self._lock:
            cached = self._reads.get(read_id)
        if cached is not None:
            return cached
        found = self._find_read(read_id)
        if found:
            with self._lock:
                if len(self._reads) >= 256:  # alerts' reads only: a handful a shift
                    self._reads.pop(next(iter(self._reads)))
                self._reads[read_id] = found
        return found

    def _find_read(self, read_id: str) -> dict[str, Any]:
        read = self.feed.find(read_id)
        if read is not None:
            return {"text": read.text, "state": read.state, "confidence": read.confidence,
                    "candidates": [(c.text, c.confidence) for c in read.candidates]}
        stored = self.store.get_read(read_id, images=False)
        if stored is None:
            return {}
        return {"text": stored.text, "state": stored.state, "confidence": stored.confidence,
                "candidates": list(stored.candidates)}

    def _entry(self, alert: Alert, read: dict[str, Any]) -> HotEntry:
        """The entry the alert matched: matched again by its (keyed) key; the alert keeps no plate text."""
        with self._lock:
            cached = self._entries.get(alert.alert_id)
        if cached is not None:
            return cached
        plate, state, synopsis, expires = "?", None, "", ""
        if self.hotlists is not None and self.desk is not None and read.get("text"):
            from alpr_edge.vision.types import Candidate

            candidates = [Candidate(t, c) for t, c in read.get("candidates", [])]
            for match in self.hotlists.match(read["text"], read.get("state"), candidates):
                if self.desk.entry_token(match.entry_key) == alert.entry_key:
                    plate, state = match.entry.plate, match.entry.state
                    synopsis = match.entry.synopsis
                    expires = match.entry.expires.isoformat() if match.entry.expires else ""
                    break
        entry = HotEntry(
            plate=plate, state=state, list_name=alert.list_name, reason=alert.reason, case_number=alert.case_number,
            vehicle=alert.vehicle, entered_by=alert.entered_by, synopsis=synopsis, expires=expires, priority=alert.priority,
        )
        if plate != "?":
            with self._lock:
                self._entries[alert.alert_id] = entry
        return entry

    # -- look-ups, hot plates, audit -----------------------------------------------

    def search(self, plate: str, partial: bool, purpose: str, case_number: str, user: SessionUser) -> list[SearchHit]:
        return self.investigations.search(plate, partial, purpose, case_number, user)

    def lookup_read(self, read_id: str, user: SessionUser) -> SearchHit:
        return self.investigations.lookup_read(read_id, user)

    def recipients(self, user: SessionUser) -> list[str]:
        return self.investigations.recipients(user)

    def export_package(self, read_ids: list[str], plate: str, partial: bool, purpose: str, case_number: str,
                       recipient: str, user: SessionUser) -> ExportResult:
        return self.investigations.export_package(read_ids, plate, partial, purpose, case_number, recipient, user)

    def place_hold(self, read_id: str, case_number: str, reason: str, user: SessionUser) -> SearchHit:
        return self.investigations.place_hold(read_id, case_number, reason, user)

    def release_hold(self, read_id: str, hold_id: str, reason: str, user: SessionUser) -> SearchHit:
        return self.investigations.release_hold(read_id, hold_id, reason, user)

    def correct_read(self, read_id: str, text: str | None, state: str | None, reason: str, user: SessionUser) -> SearchHit:
        return self.investigations.correct_read(read_id, text, state, reason, user)

    def hot_entries(self, user: SessionUser) -> list[HotEntry]:
        """The hot plates this user may browse: covert lists only for supervisors and admins."""
        engine = self.hotlists
        self.record(user, "hotlist.browse")
        if engine is None:
            return []
        entries = []
        for summary in visible_to(user.role, engine.lists()):
            if summary.entries > BROWSE_LIMIT:
                continue
            hotlist = engine.get(summary.name)
            if hotlist is None:
                continue
            for e in hotlist.entries:
                entries.append(HotEntry(
                    plate=e.plate, state=e.state, list_name=summary.name, reason=e.reason, case_number=e.case_number,
                    vehicle=e.vehicle, entered_by=e.entered_by, synopsis=e.synopsis,
                    expires=e.expires.isoformat() if e.expires else "", priority=summary.priority,
                ))
        return entries

    def add_hot_plate(self, entry: HotEntry, user: SessionUser) -> HotEntry:
        from alpr_edge.hotlist import HotListError

        if self.hotlists is None:
            raise Refused("No hot list engine on this device.")
        try:
            added = self.hotlists.add_manual(
                entry.plate, entry.state, entry.reason, entered_by=user.name, case_number=entry.case_number,
                synopsis=entry.synopsis, expires=entry.expires, vehicle=entry.vehicle, role=user.role,
            )
        except HotListError as error:
            raise Refused(sentence("; ".join(error.problems))) from None
        return HotEntry(
            plate=added.plate, state=added.state, list_name=self.config.hotlist.manual_list,
            reason=added.reason, case_number=added.case_number, vehicle=added.vehicle, entered_by=added.entered_by,
            synopsis=added.synopsis, expires=added.expires.isoformat() if added.expires else "",
        )

    def audit(self, user: SessionUser, limit: int = 200) -> list[AuditRecord]:
        from datetime import datetime

        from alpr_edge.store.audit import records

        self.record(user, "audit.view")
        rows = records(self.store)[-limit:][::-1]
        return [
            AuditRecord(
                time=datetime.fromisoformat(str(r["at"]).replace("Z", "+00:00")).timestamp() if r.get("at") else 0.0,
                user=r.get("user") or "", action=r.get("action") or "",
                detail={k: v for k, v in (("data", r.get("data")), ("purpose", r.get("purpose")),
                        ("case_number", r.get("case_number")), ("outcome", r.get("outcome"))) if v not in (None, "", {})},
            )
            for r in rows
        ]

    def record(self, user: SessionUser | None, action: str, **detail: Any) -> None:
        self.store.audit(user.name if user else "system", user.role if user else "system", action, data=detail or None)


class DaemonUi:
    """The UI as one of the daemon's parts: a UI that cannot start is logged, and plates are still read."""

    def __init__(self, server: UiServer):
        self.server = server
        self.error: str | None = None

    def start(self) -> None:
        from alpr_edge.ui.server import UiStartError

        try:
            self.server.start()
        except UiStartError as error:
            self.error = str(error)
            log(logger, logging.ERROR, "ui_not_started", error=self.error)

    def stop(self) -> None:
        if self.error is None:
            self.server.stop()

    def status(self) -> dict[str, Any]:
        """Serving or not, and why not: a port in use must not hide among the log lines."""
        return {"serving": self.error is None, "error": self.error, "url": None if self.error else self.server.url}


def open_ui(config: Config, services: DeviceServices) -> DaemonUi:
    """The touchscreen over the device's services (built by ``alpr_edge.assembly``)."""
    from alpr_edge.ui.app import create_app
    from alpr_edge.ui.server import UiServer

    settings = config.ui
    app = create_app(services, settings)
    server = UiServer(app, settings.host, settings.port, tls_cert=settings.tls_cert, tls_key=settings.tls_key)
    return DaemonUi(server)
