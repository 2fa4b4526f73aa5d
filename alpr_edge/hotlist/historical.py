"""Historical hits, wired: a new hot list version's new entries against the reads of the last hours.

The engine tells `HistoricalHits` of each version that takes effect (a list
update, an officer's plate, a signed list from the agency). The entries new
in it are matched (`alpr_edge.hotlist.history`) against the stored reads of
``evidence.historical_window_hours`` (never beyond the retention of reads
without a hit), found through the keyed plate index or by decrypting the
window (`alpr_edge.store.historical`). Each read that matches goes to the
alert desk like a live hit, with the match kind ``historical``: the alert
points at the past read, its time and place. A covert list's hit is recorded
as a covert alert, which sounds nothing. Every check is audited, hits or not.

In the daemon the work runs on its own thread (``background=True``): the
engine's writer returns at once and reading goes on; the command line runs
it in place and says what it found.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alpr_edge.hotlist.history import match_new_entries, new_rows, only_rows
from alpr_edge.hotlist.matching import ListIndex, Match
from alpr_edge.hotlist.model import HotList
from alpr_edge.logs import log
from alpr_edge.store.historical import PastRead, window_reads

logger = logging.getLogger(__name__)

SYSTEM = "system"
RaiseFor = Callable[[str, list], list]  # AlertDesk.raise_for: (read_id, matches) -> alerts


@dataclass(frozen=True)
class HistoricalHit:
    read_id: str
    captured_at: str  # ISO 8601 UTC: when the vehicle was read, not when the entry arrived
    position: dict | None
    list_name: str
    covert: bool
    alert_ids: tuple[str, ...]


@dataclass(frozen=True)
class HistoricalReport:
    list_name: str
    version: int
    new_entries: int
    window_hours: float
    plan: str  # index | decrypt | none
    reads_in_window: int
    hits: tuple[HistoricalHit, ...]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class HistoricalHits:
    def __init__(self, store, raise_for: RaiseFor, *, window_hours: float, clock: Callable[[], float],
                 background: bool = False, notify: Callable[[HistoricalReport], object] | None = None):
        self._store = store
        self._raise_for = raise_for
        retention_h = store.settings.retention_days * 24.0  # the shortest retention: reads without a hit
        self.window_hours = min(window_hours, retention_h)
        self._clock = clock
        self._notify = notify
        # Set to the engine's `would_alert` once the engine exists (it is built with this as its listener).
        self.would_alert: Callable[[HotList, object, float], bool] = lambda hotlist, position, at: True
        self._queue: queue.Queue | None = queue.Queue() if background else None
        self._worker: threading.Thread | None = None
        self.reports: list[HistoricalReport] = []  # the command line prints them; the daemon keeps the last few

    # -- the engine's listener -----------------------------------------------------

    def __call__(self, previous: HotList | None, hotlist: HotList, index: ListIndex, actor: str = SYSTEM,
                 role: str = SYSTEM) -> None:
        if self.window_hours <= 0:
            return
        if self._queue is None:
            self.check(previous, hotlist, index, actor, role)
            return
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="historical-hits", daemon=True)
            self._worker.start()
        self._queue.put((previous, hotlist, index, actor, role))

    def _work(self) -> None:
        assert self._queue is not None
        while (job := self._queue.get()) is not None:
            try:
                self.check(*job)
            except Exception as error:  # a failed check must not end the thread: the next list still gets one
                log(logger, logging.ERROR, "historical_check_failed", list=job[1].name, error=str(error))
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def wait(self) -> None:
        """Until every submitted check is done (tests, and a clean stop)."""
        if self._queue is not None:
            self._queue.join()

    def close(self) -> None:
        if self._queue is not None and self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=5)
            self._worker = None

    # -- one check -------------------------------------------------------------------

    def check(self, previous: HotList | None, hotlist: HotList, index: ListIndex, actor: str = SYSTEM,
              role: str = SYSTEM) -> HistoricalReport:
        """Match the entries new in ``hotlist`` against the window; audited as the person who put it in force."""
        rows = new_rows(previous, hotlist)
        if not len(rows):  # the same entries again (a renewed list): no read is looked at, nothing to audit
            return HistoricalReport(hotlist.name, hotlist.version, 0, self.window_hours, "none", 0, ())
        new_only = hotlist if len(rows) == len(hotlist) else only_rows(hotlist, rows)
        new_index = index if new_only is hotlist else ListIndex(new_only)
        now = self._clock()
        since = datetime.fromtimestamp(now, UTC) - timedelta(hours=self.window_hours)
        plates = [p.decode("ascii") for p in new_only.entries.plates if b"?" not in p and b"*" not in p]
        plan, total, reads = window_reads(self._store, since, plates, len(new_only) - len(plates))
        alerting = lambda read: self.would_alert(hotlist, read.position, read.captured_at)  # noqa: E731
        found = match_new_entries(new_only, reads, now, new_index, alerting)
        hits = self._raise(found)
        report = HistoricalReport(hotlist.name, hotlist.version, int(len(rows)), self.window_hours, plan, total, hits)
        self._audit(report, new_only, actor, role)
        self.reports = [*self.reports[-9:], report]
        if self._notify is not None:
            self._notify(report)
        return report

    def _raise(self, found: list[tuple[PastRead, Match]]) -> tuple[HistoricalHit, ...]:
        by_read: dict[str, tuple[PastRead, list[Match]]] = {}
        for read, match in found:
            by_read.setdefault(read.read_id, (read, []))[1].append(match)
        hits = []
        for read_id, (read, matches) in by_read.items():
            alerts = self._raise_for(read_id, matches)
            hits.append(HistoricalHit(read_id, _iso(read.captured_at), read.raw_position, matches[0].list_name,
                                      all(m.covert for m in matches), tuple(a.alert_id for a in alerts)))
        return tuple(hits)

    def _audit(self, report: HistoricalReport, new_only: HotList, actor: str, role: str) -> None:
        # A person's import or plate is theirs to answer for; a machine's (a signed list over the uplink) is the system's.
        user, role = (SYSTEM, SYSTEM) if role == SYSTEM else (actor, role)
        self._store.audit(
            user, role, "hotlist.historical_match",
            data={"list": report.list_name, "version": report.version, "new_entries": report.new_entries,
                  "window_hours": report.window_hours, "plan": report.plan, "reads_in_window": report.reads_in_window,
                  "hits": len(report.hits), "read_ids": [h.read_id for h in report.hits][:200],
                  "alert_ids": [a for h in report.hits for a in h.alert_ids][:200]},
            purpose="historical hits of new hot list entries",
            case_number=(new_only.entries[0].case_number or None) if report.new_entries == 1 else None,
            outcome=f"{len(report.hits)} hit(s)")
        log(logger, logging.INFO, "historical_check", list=report.list_name, version=report.version,
            new_entries=report.new_entries, plan=report.plan, reads=report.reads_in_window, hits=len(report.hits))


def for_device(store, config, *, clock: Callable[[], float], desk=None, background: bool = False,
               notify: Callable[[HistoricalReport], object] | None = None) -> HistoricalHits:
    """The listener for a device's engine: ``HotListEngine(..., on_new_version=hits)``, then
    ``hits.would_alert = engine.would_alert``. Without ``desk`` (the command line) one is made
    over the store: its alerts are the daemon's, in the same tables."""
    if desk is None:
        from alpr_edge.alerts import AlertDesk

        desk = AlertDesk(store, settings=config.alerts, clock=clock)
    return HistoricalHits(store, desk.raise_for, window_hours=config.evidence.historical_window_hours, clock=clock,
                          background=background, notify=notify)


def describe(report: HistoricalReport) -> list[str]:
    """What the command line says about a check: each hit's read, time and place; no plate."""
    lines = []
    for hit in report.hits:
        where = (f"{hit.position['lat']:.5f},{hit.position['lon']:.5f}"
                 if hit.position and hit.position.get("lat") is not None else "no position")
        what = "recorded (covert list, no alert)" if hit.covert else f"HISTORICAL alert {', '.join(hit.alert_ids)}"
        lines.append(f"historical hit on {hit.list_name!r}: read {hit.read_id} at {hit.captured_at} ({where}): {what}")
    lines.append(f"checked {report.new_entries} new entr{'y' if report.new_entries == 1 else 'ies'} against "
                 f"{report.reads_in_window} read(s) of the last {report.window_hours:g} h: {len(report.hits)} historical hit(s)")
    return lines
