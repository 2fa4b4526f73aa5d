"""The joints between the stages: one data type per concept, one Protocol per port.

Data travels between stages as frozen dataclasses, each defined in its stage
and named once here:

    Frame       capture        a camera frame with its clocks
    Read        vision         one vehicle passage, voted over its frames
    Fix         gps            what the receiver said about one epoch
    Position    gps            where a read was taken (and how sure we are)
    Timestamp   gps            when a read was taken, by which clock
    StoredRead  store          a read as the store gives it back
    Alert       alerts         a hot list hit as the officer handles it

The ports are the seams a stage is handed through its constructor (the
profile and config decide which implementation; ``alpr_edge.assembly`` is the
only place that picks). ``Components`` is what the daemon runs. mypy checks
this module strictly (pyproject's ``[tool.mypy]``), so a joint that drifts
fails CI.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from alpr_edge.alerts.lifecycle import Alert
from alpr_edge.capture.base import FrameSource
from alpr_edge.capture.frame import Frame
from alpr_edge.gps.clock import Timestamp
from alpr_edge.gps.fix import Fix, Position
from alpr_edge.gps.sources import PositionSource
from alpr_edge.power import AlwaysOn, IgnitionSense, PowerControl, RecordingPowerOff
from alpr_edge.service import ServiceNotifier
from alpr_edge.store.records import StoredRead
from alpr_edge.store.audit import AuditSink
from alpr_edge.store.transactions import Transactional
from alpr_edge.vision.types import Candidate, PlateObservation, Read

if TYPE_CHECKING:
    from alpr_edge.alerts.lifecycle import AlertStep
    from alpr_edge.hotlist.engine import Health, ListSummary
    from alpr_edge.hotlist.matching import Match
    from alpr_edge.hotlist.model import HotList

__all__ = [
    "Aggregator", "Alert", "AlertDeskPort", "AuditSink", "Candidate", "ClockPort", "Components", "Fix", "Frame", "FrameSource",
    "HotLists", "IgnitionSense", "PlateObservation", "Position", "PositionSource", "PowerControl", "Read",
    "ReadStore", "Recognizer", "Service", "StoredRead", "Timestamp", "Transactional", "UiPart", "Uplink",
]

class Recognizer(Protocol):
    """Finds and reads plates in a grey image; ``zoom`` also reads small plates from enlarged tiles."""

    def recognize(self, grey: np.ndarray, zoom: bool = False) -> list[PlateObservation]: ...


class Aggregator(Protocol):
    """Votes a plate's observations over the frames of its passage into one Read."""

    def add(self, frame: Frame, observations: list[PlateObservation]) -> list[Read]: ...
    def flush(self) -> list[Read]: ...


class ClockPort(Protocol):
    """Which clock to trust for a read's time (``alpr_edge.gps.ClockTracker``)."""

    def timestamp(self, wall_time: float, monotonic_s: float) -> Timestamp: ...
    def status(self) -> dict[str, Any]: ...


class ReadStore(Transactional, Protocol):
    """The encrypted store as the daemon, the desk and the touchscreen use it."""

    def add_reads(self, reads: Iterable[Read]) -> int: ...
    def mark_hit(self, read_id: str) -> None: ...
    def get_read(self, read_id: str, *, images: bool = True) -> StoredRead | None: ...
    def upload_backlog(self) -> int: ...
    def plate_hmac(self, text: str) -> str: ...
    def audit(self, user: str, role: str | None, action: str, *, data: Any = None, purpose: str | None = None,
              case_number: str | None = None, outcome: str = "ok") -> int: ...
    def purge(self, *, trigger: str = "command") -> object: ...
    def close(self) -> None: ...


class HotLists(Protocol):
    """The hot list engine (``alpr_edge.hotlist.HotListEngine``)."""

    def match(self, text: str, state: str | None = None, candidates: Iterable[Candidate] = (),
              position: Position | None = None) -> list[Match]: ...
    def lists(self) -> list[ListSummary]: ...
    def get(self, name: str) -> HotList | None: ...
    def health(self) -> Health: ...


class Service(Protocol):
    """A part with its own thread, started and stopped by the daemon (GPS reader, uplink, touchscreen)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...


class UiPart(Service, Protocol):
    def status(self) -> dict[str, Any]: ...  # serving, error, url: for `status` and the run summary


class Uplink(Service, Protocol):
    def wake(self) -> None: ...
    def status(self) -> dict[str, Any]: ...


class AlertDeskPort(Protocol):
    """The alert desk (``alpr_edge.alerts.AlertDesk``): the daemon raises and times out, the screen shows and steps."""

    def raise_for(self, read_id: str, matches: Iterable[Match]) -> list[Alert]: ...
    def time_out_unattended(self) -> list[Alert]: ...
    def open_for(self, role: str | None) -> list[Alert]: ...
    def recent_for(self, role: str | None, limit: int = 50) -> list[Alert]: ...
    def hits_for(self, read_ids: Iterable[str], role: str | None) -> dict[str, str]: ...
    def get_for(self, alert_id: str, role: str | None) -> Alert: ...
    def history(self, alert_id: str, role: str | None) -> list[AlertStep]: ...
    def pending_for(self, role: str | None) -> int: ...
    def entry_token(self, entry_key: str) -> str: ...
    def step(self, alert_id: str, step: str, user: str, role: str, note: str | None = None,
             disposition: str | None = None, reason: str | None = None) -> Alert: ...
    def close(self) -> None: ...


def untagged(read: Read) -> Read:
    return read


@dataclass
class Components:
    """Everything the daemon runs. Optional parts are None when not configured."""

    source: FrameSource
    recognizer: Recognizer
    aggregator: Aggregator
    tag: Callable[[Read], Read] = untagged  # adds position and timestamp
    positions: PositionSource | None = None
    clock: ClockPort | None = None
    store: ReadStore | None = None
    hotlists: HotLists | None = None
    desk: AlertDeskPort | None = None  # the alert book, the buzzer and light, who may see what
    uplink: Uplink | None = None
    ui: UiPart | None = None
    ignition: IgnitionSense = field(default_factory=AlwaysOn)
    power: PowerControl = field(default_factory=RecordingPowerOff)
    notifier: ServiceNotifier = field(default_factory=ServiceNotifier)


class LiveFeed:
    """The newest reads, for the touchscreen's live view: the daemon adds, the screen reads."""

    def __init__(self, keep: int = 50):
        self._reads: deque[Read] = deque(maxlen=keep)  # the oldest fall out as reads come in, no list rebuilt per batch
        self._lock = threading.Lock()

    def add(self, reads: Iterable[Read]) -> None:
        with self._lock:
            self._reads.extend(reads)

    def newest(self, limit: int) -> list[Read]:
        """Newest first."""
        with self._lock:
            return list(self._reads)[-limit:][::-1] if limit > 0 else []

    def find(self, read_id: str) -> Read | None:
        with self._lock:
            return next((read for read in self._reads if read.read_id == read_id), None)

    def __iter__(self) -> Iterator[Read]:
        with self._lock:
            return iter(list(self._reads))
