"""A real Daemon for UI tests: real store, accounts, hot list engine, alert book, signals and UI server.

Only the camera and the recogniser are stand-ins (the test says which plate
the camera sees next, ``world.show(text)``), so no models are needed;
everything after the read is the device's own code path.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import httpx
import pyotp
from argon2 import PasswordHasher

from alpr_edge.accounts import Accounts
from alpr_edge.alerts import AlertDesk, AlertSignals, RecordingOutput
from alpr_edge.assembly import wire_early_check
from alpr_edge.config import AlertsSection, Config, DeviceSection, UiSection
from alpr_edge.daemon import Components, Daemon
from alpr_edge.hotlist import FileListStorage, HotListEngine
from alpr_edge.pipeline import PipelineCounters
from alpr_edge.profiles import load_profile
from alpr_edge.store import Store
from alpr_edge.types import LiveFeed
from alpr_edge.ui.server import free_port
from alpr_edge.ui.services import DeviceServices, open_ui
from alpr_edge.vision.types import Candidate, PlateObservation
from tests.fakes import EndlessSource, ReadPerObservation
from tests.ui.world import overview_image, plate_crop


class ScriptedRecognizer:
    """Sees each plate the test shows it once, in the next frame."""

    def __init__(self):
        self.pending: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()

    def show(self, text: str, state: str | None = "CA") -> None:
        with self._lock:
            self.pending.append((text, state))

    def recognize(self, grey, zoom=False):
        with self._lock:
            if not self.pending:
                return []
            text, state = self.pending.pop(0)
        return [PlateObservation(
            text=text, confidence=0.94, candidates=(Candidate(text, 0.94),), box=(1, 1, 10, 5),
            corners=((1, 1), (11, 1), (11, 6), (1, 6)), crop=grey[:5, :10], state=state,
        )]


class ImagedReads(ReadPerObservation):
    """One read per observation, with a plate crop, an overview image and the state, as recognition makes them."""

    def add(self, frame, observations):
        states = [o.state for o in observations]
        return [
            replace(read, crop_jpeg=plate_crop(read.text), overview_jpeg=overview_image(read.text), state=state)
            for read, state in zip(super().add(frame, observations), states)
        ]

SECRETS = {"olive": "olive-secret", "sam": "sam-secret", "ada": "ada-secret", "tim": "tim-secret", "lou": "lou-secret"}
ROLES = {"olive": "officer", "sam": "supervisor", "ada": "admin", "tim": "technician", "lou": "officer"}


@dataclass
class DeviceWorld:
    daemon: Daemon
    url: str
    totp: dict
    output: RecordingOutput
    runner: threading.Thread
    recognizer: ScriptedRecognizer

    def show(self, text: str, state: str | None = "CA") -> None:
        self.recognizer.show(text, state)

    store: Store

    def code(self, name: str) -> str:
        return self.totp[name].now()

    def login(self, name: str) -> tuple[httpx.Client, dict]:
        """Log in through the touchscreen API: (client, the CSRF header for its writes)."""
        client = httpx.Client(base_url=self.url)
        code = self.code(name) if name in self.totp else None
        response = client.post("/api/login", json={"name": name, "secret": SECRETS[name], "totp": code})
        assert response.status_code == 200, response.text
        return client, {"X-CSRF-Token": response.json()["csrf"]}

    def audit(self, action_prefix: str = "") -> list[dict]:
        from alpr_edge.store.audit import records

        return [r for r in records(self.store) if r["action"].startswith(action_prefix)]

    def stop(self) -> None:
        self.daemon.stop("test over")
        self.runner.join(10)


def start_device(data_dir: Path, *, hot_plate: str | None = "ABC1234", fps: float = 20,
                 alerts: AlertsSection | None = None) -> DeviceWorld:
    """A running daemon with the UI on a free port; the hot list holds ``hot_plate`` (any state)."""
    port = free_port()
    # By default no suppression window: every read the test shows raises its own alert.
    config = Config(device=DeviceSection(data_dir=data_dir), ui=UiSection(port=port, push_interval_s=0.2),
                    alerts=alerts or AlertsSection(suppress_window_s=0))
    store = Store.open(data_dir, config.store, dev_keys=True)
    accounts = Accounts(store, config.accounts, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    totp = {}
    for name, role in ROLES.items():
        uri = accounts.add(name, role, SECRETS[name])
        if uri:
            totp[name] = pyotp.parse_uri(uri)
    engine = HotListEngine(FileListStorage(data_dir / "hotlists"), settings=config.hotlist, audit=store.audit)
    if hot_plate:
        engine.add_manual(hot_plate, None, "Stolen vehicle", entered_by="sam", case_number="24-001234",
                          synopsis="Taken from 5th and Main", expires=date.today() + timedelta(days=30),
                          vehicle="2016 Honda Civic, grey", role="supervisor")
    output = RecordingOutput()
    recognizer = ScriptedRecognizer()
    parts = Components(
        source=EndlessSource(fps=fps), recognizer=recognizer, aggregator=ImagedReads(), store=store,
        hotlists=engine, desk=AlertDesk(store, signals=AlertSignals(output), settings=config.alerts),
    )
    wire_early_check(parts.aggregator, engine)
    # Wired as alpr_edge.assembly wires it: the screen gets the services, never the daemon.
    feed, counters = LiveFeed(), PipelineCounters()
    services = DeviceServices(config, load_profile("sim"), parts, feed=feed, counters=counters, accounts=accounts)
    parts.ui = open_ui(config, services)
    daemon = Daemon(config, load_profile("sim"), parts, feed=feed, counters=counters)
    runner = threading.Thread(target=daemon.run, name="daemon-under-test")
    runner.start()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.ConnectError:
            if time.monotonic() > deadline or not runner.is_alive():
                daemon.stop("ui never came up")
                raise AssertionError("the daemon's UI never came up") from None
            time.sleep(0.05)
    return DeviceWorld(daemon, url, totp, output, runner, recognizer, store)
