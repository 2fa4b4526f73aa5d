"""The touchscreen's tests run on the device's own pieces: no second copy of a rule.

``UiWorld`` holds a real encrypted store in a temporary folder, the real
accounts (Argon2 made cheap), the real hot list engine, the real alert desk
with a recording buzzer and light, and the ``DeviceServices`` the app talks
to; reads go through the daemon's own ``handle_reads`` (the daemon is built,
not started: no camera, no threads). Every clock is one hand-moved clock.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pyotp
from argon2 import PasswordHasher

from alpr_edge.accounts import Accounts
from alpr_edge.alerts import Alert, AlertDesk, AlertSignals, RecordingOutput
from alpr_edge.config import AccountsSection, AlertsSection, Config, DeviceSection, EvidenceSection, UiSection
from alpr_edge.daemon import Daemon
from alpr_edge.hotlist import FileListStorage, HotListEngine, parse_csv
from alpr_edge.pipeline import PipelineCounters
from alpr_edge.profiles import load_profile
from alpr_edge.store import Store
from alpr_edge.store.audit import records
from alpr_edge.types import Components, LiveFeed
from alpr_edge.ui.services import DeviceServices
from alpr_edge.vision.types import Candidate, Read

START = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # Argon2, cheap for tests
RECIPIENTS = ("Oakland Police Department", "Alameda County District Attorney")  # [evidence] permitted_recipients
MAP_URL = "https://maps.example.gov/?q={lat},{lon}"  # [ui] map_url


class WallClock:
    """One hand-moved clock for the store (datetime) and the engine, accounts and desk (seconds)."""

    def __init__(self, start: datetime = START):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        return self.now.timestamp()

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class Record:
    """An audit record as the tests read it."""

    action: str
    user: str
    outcome: str
    detail: dict


class NoSource:
    name = "front"

    def status(self) -> dict:
        return {"camera": "front", "connected": True}


class UiWorld:
    def __init__(self, folder: Path, *, max_failed_logins: int = 5, hasher: PasswordHasher = FAST_HASHER):
        self.clock = WallClock()
        self.folder = folder
        config = Config(device=DeviceSection(data_dir=folder / "data"), alerts=AlertsSection(suppress_window_s=0),
                        accounts=AccountsSection(max_failed_logins=max_failed_logins),
                        evidence=EvidenceSection(permitted_recipients=list(RECIPIENTS)), ui=UiSection(map_url=MAP_URL))
        self.config = config
        self.store = Store.open(config.data_dir, config.store, dev_keys=True, clock=self.clock)
        self.accounts = Accounts(self.store, config.accounts, hasher=hasher)
        self.engine = HotListEngine(FileListStorage(folder / "hotlists"), clock=self.clock.seconds,
                                    settings=config.hotlist, audit=self.store.audit)
        self.output = RecordingOutput()
        self.desk = AlertDesk(self.store, signals=AlertSignals(self.output), settings=config.alerts, clock=self.clock.seconds)
        self.feed, self.counters = LiveFeed(), PipelineCounters()
        self.counters.frames_in = 120
        parts = Components(source=NoSource(), recognizer=None, aggregator=None,  # type: ignore[arg-type]
                           store=self.store, hotlists=self.engine, desk=self.desk)
        self.services = DeviceServices(config, load_profile("sim"), parts, feed=self.feed, counters=self.counters,
                                       accounts=self.accounts, disk_usage=lambda _path: SimpleNamespace(free=50e9))
        self.daemon = Daemon(config, load_profile("sim"), parts, feed=self.feed, counters=self.counters)
        self.totp: dict[str, pyotp.TOTP] = {}
        self._lists: dict[str, list[dict]] = {}

    def close(self) -> None:
        self.store.close()

    # -- set-up --------------------------------------------------------------

    def add_account(self, name: str, secret: str, role: str) -> None:
        uri = self.accounts.add(name, role, secret)
        if uri:
            self.totp[name] = pyotp.parse_uri(uri)

    def code(self, name: str) -> str:
        """The account's current TOTP code (at the world's time)."""
        return self.totp[name].at(self.clock.now)

    def add_hot(self, plate: str, state: str | None, reason: str, *, list_name: str = "ncic", covert: bool = False,
                priority: int = 2, case_number: str = "24-000001", vehicle: str = "", entered_by: str = "NCIC",
                synopsis: str = "On the list for the tests") -> None:
        """An entry on an imported list (one CSV per list, re-imported as it grows)."""
        rows = self._lists.setdefault(list_name, [])
        expires = (self.clock.now + timedelta(days=30)).date().isoformat()
        rows.append({"plate": plate, "state": state or "", "list": "BOLO", "reason": reason, "vehicle": vehicle,
                     "entered_by": entered_by, "case_number": case_number, "synopsis": synopsis, "expires": expires})
        path = self.folder / f"{list_name}.csv"
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        max_age_s = self.config.hotlist.max_age_hours * 3600
        self.engine.replace(parse_csv(path, name=list_name, priority=priority, covert=covert, clock=self.clock.seconds, max_age_s=max_age_s,
                                      version=len(rows)), actor="test", role="system")

    def manual_count(self) -> int:
        hotlist = self.engine.get(self.config.hotlist.manual_list)
        return len(hotlist.entries) if hotlist is not None else 0

    # -- the daemon's side ------------------------------------------------------

    def push_read(self, text: str, state: str | None = "CA", confidence: float = 0.93) -> tuple[Read, Alert | None]:
        """A read arrives through the daemon's own path: stored, matched, alerted, sounded."""
        now = self.clock.seconds()
        self.clock.advance(seconds=1)  # reads and alerts in order
        read = Read(
            read_id=_read_id(now), text=text, confidence=confidence, candidates=(Candidate(text, confidence),),
            camera="front", capture_monotonic_s=0.0, capture_wall_time=now, first_seen_monotonic_s=0.0, frames=3,
            box=(0, 0, 10, 5), crop_jpeg=plate_crop(text), overview_jpeg=overview_image(text), state=state,
        )
        alerts = self.daemon.handle_reads([read])
        return read, (alerts[0] if alerts else None)

    def earlier_read(self, text: str, state: str | None = "CA", *, hours_ago: float = 30.0,
                     position: tuple[float, float] | None = (37.804400, -122.271100)) -> Read:
        """A read from an earlier shift: in the store only (gone from the live view, no alert)."""
        from tests.store.store_fakes import FakePosition, FakeTimestamp

        when = self.clock.now - timedelta(hours=hours_ago)
        read = Read(
            read_id=_read_id(when.timestamp()), text=text, confidence=0.91, candidates=(Candidate(text, 0.91),),
            camera="front", capture_monotonic_s=0.0, capture_wall_time=when.timestamp(), first_seen_monotonic_s=0.0,
            frames=4, box=(0, 0, 10, 5), crop_jpeg=plate_crop(text), overview_jpeg=overview_image(text), state=state,
            position=FakePosition(*position) if position else None, timestamp=FakeTimestamp(when),
        )
        self.store.add_reads([read])
        return read

    def alert(self, alert_id: str) -> Alert:
        return self.desk.get_for(alert_id, "admin")

    # -- what was recorded ---------------------------------------------------------

    def actions(self, action: str | None = None, *, outcome: str | None = None) -> list[Record]:
        out = []
        for row in records(self.store):
            if action is not None and row["action"] != action:
                continue
            if outcome is not None and not (row["outcome"] or "").startswith(outcome):
                continue
            detail = dict(row.get("data") or {})
            for key in ("purpose", "case_number"):
                if row.get(key) is not None:
                    detail[key] = row[key]
            out.append(Record(row["action"], row["user"], row["outcome"] or "", detail))
        return out


def _read_id(now: float) -> str:
    from alpr_edge.ids import uuid7

    return uuid7(int(now * 1000))


# -- synthetic images (as recognition makes them: a rectified crop and a colour scene) --

def plate_crop(text: str) -> bytes:
    image = np.full((60, 240, 3), (235, 235, 230), np.uint8)
    cv2.rectangle(image, (2, 2), (237, 57), (60, 60, 60), 2)
    cv2.putText(image, "California", (85, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (40, 40, 170), 1, cv2.LINE_AA)
    cv2.putText(image, text, (18, 48), cv2.FONT_HERSHEY_DUPLEX, 1.15, (90, 40, 20), 2, cv2.LINE_AA)
    return _jpeg(image)


def overview_image(text: str) -> bytes:
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
