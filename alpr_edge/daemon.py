"""The daemon: runs the stages that `alpr_edge.assembly` built and handed in; it wires nothing itself.

Threads (few, each with one job, joined by bounded queues):

    capture      source.frames() -> frame queue (drops the oldest when full)
    recognition  frame queue -> recognizer -> aggregator -> read queue
    reads        read queue -> GPS/clock tagging -> store -> hot lists -> alerts
    main         signals, systemd watchdog, ignition, housekeeping

The GPS reader, uplink and UI run their own threads, started and stopped here.
Components (``alpr_edge.types.Components``) are built by
``alpr_edge.assembly.build_daemon`` from the config and the firmware profile
(the only place that knows which implementation each seam gets, and the only
wiring) and handed to ``Daemon`` through its constructor, so tests can hand in
others. Alerts go through the desk (``alpr_edge.alerts.AlertDesk``), which
also drives the buzzer and light; the touchscreen sees the newest reads
through the ``LiveFeed`` and the counters it is handed, never the daemon.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alpr_edge import __version__
from alpr_edge.capture import CameraMissing
from alpr_edge.config import Config
from alpr_edge.fileio import write_atomically
from alpr_edge.finite import checked_read
from alpr_edge.logs import log, plate_for_log
from alpr_edge.memory import limit_arenas
from alpr_edge.pipeline import DropOldestQueue, PipelineCounters
from alpr_edge.profiles import Profile
from alpr_edge.types import Alert, Components, LiveFeed, Read, ReadStore

__all__ = ["Components", "Daemon", "LiveFeed", "StartupError"]

logger = logging.getLogger(__name__)

STATUS_INTERVAL_S = 2.0  # how often run/status.json is rewritten for `alpr-edge status`
STOP_TIMEOUT_S = 4.0  # SIGTERM must finish within 5 s; leave room for the store to close
READ_BATCH = 32  # most reads stored in one transaction


class StartupError(Exception):
    """A component could not start (absent hardware, missing keys or models)."""


class Daemon:
    def __init__(self, config: Config, profile: Profile, parts: Components, *, max_frames: int | None = None,
                 feed: LiveFeed | None = None, counters: PipelineCounters | None = None):
        self.config = config
        self.profile = profile
        self.parts = parts
        self.max_frames = max_frames
        self.counters = counters or PipelineCounters()
        self.feed = feed or LiveFeed()  # the newest reads, for the touchscreen
        self.frames: DropOldestQueue = DropOldestQueue(config.pipeline.frame_queue)
        self.reads: queue.Queue[Read] = queue.Queue(maxsize=config.pipeline.read_queue)
        self._stop = threading.Event()  # stop everything now (signal, shutdown)
        self._capture_stop = threading.Event()  # stop taking frames (also ignition off)
        self._recognition_done = threading.Event()
        self._reads_done = threading.Event()
        self._threads: list[threading.Thread] = []
        self.stop_reason = ""
        self.ignition_off_since: float | None = None
        self.power_off_requested = False
        self._final_status: dict[str, Any] | None = None

    # -- lifecycle -------------------------------------------------------

    def start(self) -> None:
        """Open every component in order; raise StartupError naming what failed."""
        limit_arenas()  # before any thread starts: frames move between threads (alpr_edge.memory)
        try:
            self.parts.source.open()
        except CameraMissing as error:
            raise StartupError(str(error)) from None
        for name in ("positions", "uplink", "ui"):
            part = getattr(self.parts, name)
            if part is not None:
                part.start()
        self._spawn("capture", self._capture_loop)
        self._spawn("recognition", self._recognition_loop)
        self._spawn("reads", self._reads_loop)
        self.parts.notifier.ready(f"profile {self.profile.name}")
        log(logger, logging.INFO, "daemon_started", profile=self.profile.name, camera=self.parts.source.name)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=self._guard(name, target), name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _guard(self, name: str, target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except Exception:
                self.counters.errors += 1
                logger.exception("thread_crashed", extra={"fields": {"thread": name}})
                self.stop(f"{name} thread crashed")

        return run

    def stop(self, reason: str = "stop requested") -> None:
        """Ask the daemon to stop (thread- and signal-safe)."""
        if not self._stop.is_set():
            self.stop_reason = reason
        self._capture_stop.set()
        self._stop.set()

    def run(self) -> dict[str, Any]:
        """Start, supervise until done or stopped, shut down; returns the summary."""
        try:
            self.start()
        except Exception:
            # Nothing ran yet, but the store may be open: close it cleanly.
            if self.parts.store is not None:
                self.parts.store.close()
            raise
        try:
            self.supervise()
        finally:
            self.shutdown()
        if self.power_off_requested:
            self.parts.power.shutdown()  # only after the store is flushed and closed
        return self.summary()

    def supervise(self) -> None:
        """Until stopped, or until a finite input is used up (while the ignition is on)."""
        from alpr_edge.store.retention import PurgeSchedule

        # At once, then on a timer: retention applies whatever the uptime (in-car units run under an hour).
        purges = PurgeSchedule(self.config.store.purge_every_hours * 3600, time.monotonic)
        last_status = 0.0
        while True:
            self._reads_done.wait(0.25)
            if time.monotonic() - last_status >= STATUS_INTERVAL_S:
                last_status = time.monotonic()
                self.write_status()
                self._time_out_alerts()
            if self.parts.notifier.watchdog_due() and self._healthy():
                self.parts.notifier.watchdog()
            self._watch_ignition()
            trigger = purges.due()
            if trigger:
                self._housekeeping(trigger)
            if self._stop.is_set():
                break
            if self._reads_done.is_set() and self.ignition_off_since is None:
                break

    def shutdown(self) -> None:
        self.parts.notifier.stopping()
        self.stop(self.stop_reason or "finished")
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        self._final_status = self._component_status()  # as they were while running
        for name in ("ui", "uplink", "positions"):
            part = getattr(self.parts, name)
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    logger.exception("component_stop_failed", extra={"fields": {"component": name}})
        self.parts.source.close()
        if self.parts.desk is not None:
            self.parts.desk.close()  # the outputs: silenced, the tone folder removed
        if self.parts.store is not None:
            self.parts.store.close()
        self.write_status()
        log(logger, logging.INFO, "daemon_stopped", reason=self.stop_reason, **self._counts())

    @property
    def store(self) -> ReadStore | None:
        """The store the daemon writes (the command line reads its start-up notes from it)."""
        return self.parts.store

    def wait_done(self, timeout: float) -> bool:
        """True once every read of a finite input is handled (benchmarks poll this while sampling)."""
        return self._reads_done.wait(timeout)

    @property
    def threads(self) -> list[threading.Thread]:
        """The pipeline's threads (capture, recognition, reads), for per-thread CPU figures."""
        return list(self._threads)

    def _healthy(self) -> bool:
        return all(thread.is_alive() for thread in self._threads) or self._recognition_done.is_set()

    # -- threads ---------------------------------------------------------

    def _capture_loop(self) -> None:
        try:
            for frame in self.parts.source.frames(self._capture_stop):
                self.counters.frames_in += 1
                if self.frames.put(frame):
                    self.counters.frames_dropped += 1
                if self.max_frames is not None and self.counters.frames_in >= self.max_frames:
                    self.stop_reason = self.stop_reason or f"max frames ({self.max_frames}) reached"
                    break
                if self._capture_stop.is_set():
                    break
        finally:
            self.frames.close()

    def _recognition_loop(self) -> None:
        recognizer = self.parts.recognizer
        aggregator = self.parts.aggregator
        zoom = self.config.recognition.zoom_tiles
        try:
            while True:
                if self._stop.is_set():
                    self.counters.frames_discarded_at_stop += self.frames.clear()
                    break
                frame = self.frames.get(timeout=0.2)
                if frame is None:
                    if self.frames.closed:
                        break
                    continue
                started = time.monotonic()
                observations = recognizer.recognize(frame.grey, zoom=zoom)
                self.counters.recognition.add(time.monotonic() - started)
                self.counters.frames_processed += 1
                self.counters.observations += len(observations)
                for read in aggregator.add(frame, observations):
                    self.reads.put(read)
            for read in aggregator.flush():
                self.reads.put(read)
        finally:
            self._recognition_done.set()

    def _reads_loop(self) -> None:
        try:
            while True:
                try:
                    first = self.reads.get(timeout=0.2)
                except queue.Empty:
                    if self._recognition_done.is_set() and self.reads.empty():
                        break
                    continue
                # Reads that queued up meanwhile share one transaction: each
                # commit waits for the SD card, and a backlog must not grow.
                batch = [first]
                while len(batch) < READ_BATCH:
                    try:
                        batch.append(self.reads.get_nowait())
                    except queue.Empty:
                        break
                self.handle_reads(batch)
        finally:
            self._reads_done.set()

    # -- per read --------------------------------------------------------

    def handle_reads(self, reads: list[Read]) -> list[Alert]:
        """Tag, store (one transaction), match and alert reads. Returns the alerts raised."""
        parts = self.parts
        reads = self._finite([parts.tag(read) for read in reads])
        self.counters.reads += len(reads)
        started = time.monotonic()
        if parts.store is not None:
            parts.store.add_reads(reads)
            self.counters.reads_stored += len(reads)
        self.counters.storing.add(time.monotonic() - started)
        alerts = []
        for read in reads:
            self.counters.capture_to_read_ms.append(1000.0 * (time.monotonic() - read.capture_monotonic_s))
            log(
                logger, logging.INFO, "read",
                read_id=read.read_id, plate=plate_for_log(read.text), confidence=round(read.confidence, 3),
                frames=read.frames, format_ok=read.format_ok,
            )
            alerts += self._match_and_alert(read)
        self.feed.add(reads)
        if parts.uplink is not None:
            parts.uplink.wake()
        return alerts

    def _finite(self, reads: list[Read]) -> list[Read]:
        """Reads with non-finite positions nulled; a read with non-finite numbers of its own is refused and logged."""
        kept = []
        for read in reads:
            checked, reason = checked_read(read)
            if checked is None:
                log(logger, logging.WARNING, "read.refused", read_id=read.read_id, reason=reason)
                continue
            kept.append(checked)
        return kept

    def _match_and_alert(self, read: Read) -> list[Alert]:
        parts = self.parts
        if parts.hotlists is None:
            return []
        matches = parts.hotlists.match(read.text, read.state, read.candidates, position=read.position)
        if not matches:
            return []
        if parts.desk is None:
            if parts.store is not None:
                parts.store.mark_hit(read.read_id)
            return []
        alerts = parts.desk.raise_for(read.read_id, matches)
        for alert in alerts:
            if alert.repeats:
                continue  # the same plate again inside the suppression window
            self.counters.alerts += 1
            # From the capture of the frame that made the plate hot (early reads), else the best frame.
            trigger = read.extra.get("trigger_monotonic_s")
            captured = trigger if isinstance(trigger, float) else read.capture_monotonic_s
            self.counters.capture_to_alert_ms.append(1000.0 * (time.monotonic() - captured))
            log(
                logger, logging.WARNING, "alert",
                alert_id=alert.alert_id, read_id=read.read_id, list=alert.list_name,
                priority=alert.priority, covert=alert.covert, stale=alert.stale,
            )
        return alerts

    def _time_out_alerts(self) -> None:
        """Alerts nobody acted on close as timed out (``alerts.unattended_timeout_s``)."""
        if self.parts.desk is None:
            return
        try:
            self.parts.desk.time_out_unattended()
        except Exception:
            logger.exception("alert_timeout_failed")

    # -- housekeeping ----------------------------------------------------

    def _watch_ignition(self) -> None:
        if self.parts.ignition.is_on():
            if self.ignition_off_since is not None:
                log(logger, logging.INFO, "ignition_on")
                self.ignition_off_since = None
                self._resume_capture()
            return
        now = time.monotonic()
        if self.ignition_off_since is None:
            self.ignition_off_since = now
            self._capture_stop.set()  # parked: stop reading, keep uploading
            log(logger, logging.INFO, "ignition_off", upload_grace_s=self.config.ignition.upload_grace_s)
            return
        backlog = self.parts.store.upload_backlog() if (self.parts.store and self.parts.uplink) else 0
        grace_over = now - self.ignition_off_since >= self.config.ignition.upload_grace_s
        if backlog == 0 or grace_over:
            log(logger, logging.INFO, "ignition_off_shutdown", backlog=backlog, grace_over=grace_over)
            self.stop("ignition off")
            self.power_off_requested = True

    def _resume_capture(self) -> None:
        """The ignition came back during the grace period: read plates again."""
        for thread in self._threads:
            thread.join(STOP_TIMEOUT_S)
        self._threads.clear()
        self.frames = DropOldestQueue(self.config.pipeline.frame_queue)
        for event in (self._capture_stop, self._recognition_done, self._reads_done):
            event.clear()
        self._spawn("capture", self._capture_loop)
        self._spawn("recognition", self._recognition_loop)
        self._spawn("reads", self._reads_loop)

    def _housekeeping(self, trigger: str) -> None:
        """Apply retention (``trigger``: "start" or "timer"); the store records it for `status`."""
        if self.parts.store is not None:
            try:
                self.parts.store.purge(trigger=trigger)
            except Exception:
                logger.exception("purge_failed")

    # -- reporting -------------------------------------------------------

    def status_path(self) -> Path:
        return self.config.data_dir / "run" / "status.json"

    def write_status(self) -> None:
        """Publish the live status for `alpr-edge status` (atomic; no plate text)."""
        status = {
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "pid": os.getpid(),
            "version": __version__,
            "uptime_s": round(self.counters.uptime_s(), 1),
            "running": not self._stop.is_set(),
            **self.summary(),
        }
        try:
            write_atomically(self.status_path(), json.dumps(status, default=str, allow_nan=False).encode(), private_dir=True)
        except OSError:
            logger.exception("status_write_failed")

    def _counts(self) -> dict[str, int]:
        c = self.counters
        return {
            "frames_in": c.frames_in,
            "frames_processed": c.frames_processed,
            "frames_dropped": c.frames_dropped,
            "reads": c.reads,
            "alerts": c.alerts,
        }

    def summary(self) -> dict[str, Any]:
        c = self.counters
        uptime = c.uptime_s()
        summary: dict[str, Any] = {
            "profile": self.profile.name,
            **self._counts(),
            "frames_discarded_at_stop": c.frames_discarded_at_stop,
            "reads_stored": c.reads_stored,
            "observations": c.observations,
            "errors": c.errors,
            "duration_s": round(uptime, 2),
            "fps_in": round(c.frames_in / uptime, 2) if uptime else 0.0,
            "fps_processed": round(c.frames_processed / uptime, 2) if uptime else 0.0,
            "recognition_ms_mean": round(c.recognition.mean_ms, 2),
            "stop_reason": self.stop_reason,
            "camera": self.parts.source.status(),
        }
        summary.update(self._final_status or self._component_status())
        return summary

    def _component_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {}
        if self.parts.positions is not None:
            status["gps"] = self.parts.positions.status()
        if self.parts.clock is not None:
            status["clock"] = self.parts.clock.status()
        if self.parts.uplink is not None:
            status["uplink"] = self.parts.uplink.status()
        if self.parts.hotlists is not None:
            status["hotlists"] = [dataclasses.asdict(s) for s in self.parts.hotlists.lists()]
        if self.parts.ui is not None:  # a touchscreen that could not start is said in `status` and the run summary
            status["ui"] = self.parts.ui.status()
        return status
