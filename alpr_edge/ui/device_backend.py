"""The touchscreen's backend on the device: the daemon's store, accounts, hot lists and alert book.

Each method is a thin adapter: the rules live in the pieces (``Accounts`` for
logins, ``Store.search`` for look-ups, ``AlertBook.transition`` for alert
steps, ``HotListEngine.add_manual`` for hot plates), and so does the audit
trail. This module only translates their errors and records into the UI's
words (``alpr_edge.ui.backend``). Without a hot list engine or an alert book
(not configured) the screen says so instead of failing.
"""

from __future__ import annotations

import logging
import shutil
import threading
from datetime import datetime
from typing import Callable

from alpr_edge.logs import log
from alpr_edge.ui.backend import (
    AlertStep, AlertView, AuditRecord, Check, HotEntry, LiveRead, LiveStatus, LoginRefused, NotFound, Refused,
    SearchHit, SessionUser,
)

logger = logging.getLogger(__name__)

BROWSE_LIMIT = 500  # lists longer than this (NCIC extracts) are summarised, not listed


def _sentence(text: str) -> str:
    text = str(text).strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


class DeviceBackend:
    def __init__(self, daemon, accounts, *, disk_usage: Callable = shutil.disk_usage):
        self.daemon = daemon
        self.accounts = accounts
        self.disk_usage = disk_usage
        self._entries: dict[str, HotEntry] = {}  # alert_id -> the hot list entry it matched (never changes)
        self._reads: dict[str, dict] = {}  # read_id -> text, state, confidence of alerts' reads (decrypted once)
        self._lock = threading.Lock()

    @property
    def parts(self):
        return self.daemon.parts

    @property
    def store(self):
        return self.daemon.parts.store

    # -- accounts ------------------------------------------------------------

    def authenticate(self, name: str, secret: str, totp: str | None) -> SessionUser:
        from alpr_edge.accounts import AuthError

        try:
            user = self.accounts.authenticate(name, secret, totp)
        except AuthError as error:
            raise LoginRefused(error.code, _sentence(error.reason)) from None
        return SessionUser(user.name, user.role)

    def check_secret(self, name: str, secret: str, totp: str | None = None) -> None:
        self.authenticate(name, secret, totp)

    # -- health ----------------------------------------------------------------

    def start_of_shift(self) -> list[Check]:
        return [self._camera(), self._ir(), self._gps(), self._clock(), self._storage(), self._hotlists(), self._uplink()]

    def _camera(self) -> Check:
        frames = self.daemon.counters.frames_in
        status = self.parts.source.status()
        if not status.get("connected", True):
            return Check("camera", "fail", f"{status.get('camera', 'camera')} not connected")
        if frames == 0:
            return Check("camera", "fail", "no frames have arrived")
        return Check("camera", "pass", f"frames arriving ({frames} so far, {self.daemon.summary().get('fps_in', 0)} fps)")

    def _ir(self) -> Check:
        profile = self.daemon.profile
        if profile.is_sim:
            return Check("ir", "pass", "simulated")
        camera = profile.camera
        if getattr(camera, "ir_strobe", False) and getattr(profile.outputs, "ir_strobe_pin", None) is None:
            return Check("ir", "warn", "IR strobe asked for but no strobe pin in the profile")
        return Check("ir", "pass", "IR illuminator configured" if getattr(camera, "ir_strobe", False) else "no IR strobe on this camera")

    def _gps(self) -> Check:
        positions = self.parts.positions
        if positions is None:
            return Check("gps", "warn", "no GPS configured: reads carry no position")
        status = positions.status()
        if status.get("source") == "surveyed":
            return Check("gps", "pass", "fixed site, surveyed position")
        if not status.get("has_fix"):
            return Check("gps", "fail", f"{status.get('source', 'gps')}: no fix")
        if status.get("stale"):
            return Check("gps", "warn", "fix is stale")
        return Check("gps", "pass", f"fix, {status.get('satellites', '?')} satellites")

    def _clock(self) -> Check:
        clock = self.parts.clock
        if clock is None:
            return Check("clock", "warn", "clock not checked")
        status = clock.status()
        source, offset = status.get("time_source", "?"), status.get("offset_s")
        detail = f"{source} time" + (f", offset {offset} s" if offset is not None else "")
        if status.get("clock_ok") is False:
            return Check("clock", "warn", detail + f": beyond {status.get('max_offset_s')} s, reads use GPS time")
        return Check("clock", "pass" if status.get("clock_ok") else "warn", detail if status.get("clock_ok") else detail + ", not verified")

    def _storage(self) -> Check:
        free_mb = self.disk_usage(self.daemon.config.data_dir).free / 1e6
        minimum = self.daemon.config.store.min_free_mb
        status = "fail" if free_mb < minimum else "warn" if free_mb < 4 * minimum else "pass"
        return Check("storage", status, f"{free_mb / 1000:.1f} GB free (minimum {minimum} MB)")

    def _hotlists(self) -> Check:
        engine = self.parts.hotlists
        if engine is None:
            return Check("hotlist", "fail", "no hot list engine: reads are not being checked")
        health = engine.health()
        if not health.ok:
            return Check("hotlist", "fail", "; ".join(health.problems))
        if health.warnings:
            return Check("hotlist", "warn", "; ".join(health.warnings))
        lists = engine.lists()
        return Check("hotlist", "pass", ", ".join(f"{s.name} ({s.age_s / 3600:.1f} h old)" for s in lists) or "loaded")

    def _uplink(self) -> Check:
        uplink = self.parts.uplink
        if uplink is None:
            return Check("uplink", "warn", "not configured: reads stay on the device")
        status = uplink.status()
        state, backlog = status.get("state", "?"), status.get("backlog", "?")
        detail = f"{state}, {backlog} waiting"
        if state != "connected" and status.get("last_error"):
            detail += f" ({status['last_error']})"
        return Check("uplink", "pass" if state == "connected" else "warn", detail)

    # -- live view ---------------------------------------------------------------

    def live(self, limit: int = 20) -> LiveStatus:
        reads = list(self.daemon.recent_reads)[-limit:][::-1]
        book = self.parts.alert_book
        by_read = {}
        if book is not None and reads:
            with self.store.lock:
                by_read = {a.read_id: a.alert_id for a in book.recent(limit=50)}
        live = tuple(
            LiveRead(r.read_id, float(r.capture_wall_time), r.text, r.state, float(r.confidence), by_read.get(r.read_id))
            for r in reads
        )
        warnings = []
        engine = self.parts.hotlists
        if engine is not None:
            health = engine.health()
            warnings += list(health.problems) + list(health.warnings)
        else:
            warnings.append("No hot list engine: reads are not being checked.")
        storage = self._storage()
        if storage.status != "pass":
            warnings.append(f"Storage: {storage.detail}")
        return LiveStatus(live, self._gps(), self._uplink(), tuple(warnings))

    def read_image(self, read_id: str, kind: str) -> bytes:
        for read in list(self.daemon.recent_reads):
            if read.read_id == read_id:
                data = read.crop_jpeg if kind == "crop" else read.overview_jpeg
                if data:
                    return data
        stored = self.store.get_read(read_id, images=True) if self.store is not None else None
        data = (stored or {}).get(f"{kind}_jpeg")
        if not data:
            raise NotFound(f"No {kind} image for read {read_id}.")
        return data

    # -- alerts --------------------------------------------------------------------

    def _book(self):
        if self.parts.alert_book is None:
            raise NotFound("Alerts are not configured on this device.")
        return self.parts.alert_book

    def open_alerts(self) -> list[AlertView]:
        if self.parts.alert_book is None:
            return []
        with self.store.lock:
            alerts = self.parts.alert_book.open_alerts()
        return [self._view(a, history=False) for a in alerts]

    def alert(self, alert_id: str) -> AlertView:
        from alpr_edge.alerts import AlertError

        book = self._book()
        try:
            with self.store.lock:
                return self._view(book.get(alert_id))
        except AlertError as error:
            raise NotFound(str(error)) from None

    def transition(self, alert_id: str, step: str, user: SessionUser, note: str = "", disposition: str = "") -> AlertView:
        from alpr_edge.alerts import AlertError

        book = self._book()
        try:
            with self.store.lock:
                book.get(alert_id)
        except AlertError as error:
            raise NotFound(str(error)) from None
        try:
            with self.store.lock:
                alert = book.transition(alert_id, step, user.name, user.role, note or None, disposition or None)
                still_open = book.open_alerts()
        except AlertError as error:
            raise Refused(_sentence(error)) from None
        signals = getattr(self.parts, "signals", None)
        if signals is not None:  # the car's buzzer and light follow the screen (silenced, closed)
            signals.update(still_open)
        return self._view(alert)

    def _view(self, alert, history: bool = True) -> AlertView:
        read = self._read(alert.read_id)
        entry = self._entry(alert, read)
        steps = ()
        if history:
            with self.store.lock:
                steps = tuple(AlertStep(s.at, s.user, s.to_state, s.note or s.disposition or "")
                              for s in self.parts.alert_book.steps(alert.alert_id))
        return AlertView(
            alert_id=alert.alert_id, read_id=alert.read_id, raised_at=alert.created_at, state=alert.state,
            priority=alert.priority, read_text=read.get("text", "?"), read_state=read.get("state"),
            confidence=float(read.get("confidence") or 0.0), match_kind=alert.match_kind, entry=entry,
            covert=alert.covert, stale=alert.stale, state_differs=alert.state_differs,
            disposition=alert.disposition or "", history=steps,
        )

    def _read(self, read_id: str) -> dict:
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

    def _find_read(self, read_id: str) -> dict:
        for read in list(self.daemon.recent_reads):
            if read.read_id == read_id:
                return {"text": read.text, "state": read.state, "confidence": read.confidence,
                        "candidates": [(c.text, c.confidence) for c in read.candidates]}
        stored = self.store.get_read(read_id, images=False) if self.store is not None else None
        if stored is None:
            return {}
        return {**stored, "candidates": [(c["text"], c["confidence"]) for c in stored.get("candidates", [])]}

    def _entry(self, alert, read: dict) -> HotEntry:
        """The entry the alert matched: matched again by its key (the alert keeps no plate text)."""
        with self._lock:
            cached = self._entries.get(alert.alert_id)
        if cached is not None:
            return cached
        plate, state, synopsis, expires = "?", None, "", ""
        engine = self.parts.hotlists
        if engine is not None and read.get("text"):
            from alpr_edge.vision.types import Candidate

            candidates = [Candidate(t, c) for t, c in read.get("candidates", [])]
            for match in engine.match(read["text"], read.get("state"), candidates):
                if match.entry_key == alert.entry_key:
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
        from alpr_edge.store import AccessRefused

        try:
            rows = self.store.search(plate, user=user.name, role=user.role, purpose=purpose, case_number=case_number,
                                     purposes=self.daemon.config.accounts.search_purposes, partial=partial)
        except AccessRefused as refusal:
            raise Refused(_sentence(refusal)) from None
        hits = []
        for row in rows:
            position = row.get("position") or {}
            captured = row.get("captured_at")
            when = datetime.fromisoformat(captured.replace("Z", "+00:00")).timestamp() if captured else 0.0
            hits.append(SearchHit(row["id"], when, row["text"], row.get("state"), float(row.get("confidence") or 0),
                                  row.get("camera", ""), position.get("lat"), position.get("lon")))
        return hits

    def hot_entries(self, user: SessionUser) -> list[HotEntry]:
        engine = self.parts.hotlists
        self.record(user, "hotlist.browse")
        if engine is None:
            return []
        entries = []
        for summary in engine.lists():
            if summary.entries > BROWSE_LIMIT:
                continue
            hotlist = engine.get(summary.name)
            for e in hotlist.entries:
                entries.append(HotEntry(
                    plate=e.plate, state=e.state, list_name=summary.name, reason=e.reason, case_number=e.case_number,
                    vehicle=e.vehicle, entered_by=e.entered_by, synopsis=e.synopsis,
                    expires=e.expires.isoformat() if e.expires else "", priority=summary.priority,
                ))
        return entries

    def add_hot_plate(self, entry: HotEntry, user: SessionUser) -> HotEntry:
        from alpr_edge.hotlist import HotListError

        engine = self.parts.hotlists
        if engine is None:
            raise Refused("No hot list engine on this device.")
        try:
            added = engine.add_manual(
                entry.plate, entry.state, entry.reason, entered_by=user.name, case_number=entry.case_number,
                synopsis=entry.synopsis, expires=entry.expires, vehicle=entry.vehicle, role=user.role,
            )
        except HotListError as error:
            raise Refused(_sentence("; ".join(error.problems))) from None
        return HotEntry(
            plate=added.plate, state=added.state, list_name=getattr(self.daemon.config.hotlist, "manual_list", "manual"),
            reason=added.reason, case_number=added.case_number, vehicle=added.vehicle, entered_by=added.entered_by,
            synopsis=added.synopsis, expires=added.expires.isoformat() if added.expires else "",
        )

    def audit(self, user: SessionUser, limit: int = 200) -> list[AuditRecord]:
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

    def record(self, user: SessionUser | None, action: str, **detail) -> None:
        self.store.audit(user.name if user else "system", user.role if user else "system", action, data=detail or None)


class DaemonUi:
    """The UI as one of the daemon's parts: a UI that cannot start is logged, and plates are still read."""

    def __init__(self, server):
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


def open_ui(config, daemon) -> DaemonUi:
    """The touchscreen over the daemon's parts (called by build_daemon once the store is open)."""
    from alpr_edge.accounts import Accounts
    from alpr_edge.ui.app import create_app
    from alpr_edge.ui.server import UiServer

    accounts = Accounts(daemon.parts.store, config.accounts)
    backend = DeviceBackend(daemon, accounts)
    settings = config.ui
    app = create_app(backend, settings)
    server = UiServer(app, settings.host, settings.port, tls_cert=settings.tls_cert, tls_key=settings.tls_key)
    return DaemonUi(server)
