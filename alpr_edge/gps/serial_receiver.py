"""A GPS receiver on a serial port (USB or UART), read in its own thread.

The thread opens the port, reads whatever arrives, and turns it into fixes
(see ``alpr_edge.gps.nmea``). It never gives up: a receiver that is unplugged
is reopened with a growing pause between attempts, and a port that delivers
only noise for a while is tried at the other common baud rates. Everything it
could not use is counted, not logged line by line (SD cards wear out); state
changes are logged once each.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

import serial

from alpr_edge.gps.clock import ClockTracker, SystemClock
from alpr_edge.gps.fix import Fix, Position
from alpr_edge.gps.nmea import FixAssembler, LineSplitter, SentenceError, is_used, parse_sentence
from alpr_edge.logs import RateLimited, log

logger = logging.getLogger(__name__)

COMMON_BAUD_RATES = (9600, 4800, 38400, 115200, 57600, 19200)
READ_TIMEOUT_S = 0.2
# This much noise (and baud_hunt_after_s of it) without one valid sentence means a wrong baud rate.
BAUD_HUNT_MIN_BYTES = 300
# Fixes kept to place reads taken a little while ago: two minutes at 1 Hz.
HISTORY_EPOCHS = 120


class SerialNmeaReceiver:
    """Reads NMEA from ``device`` and keeps the last two minutes of fixes; see ``PositionSource``.

    ``clock`` is the seam for monotonic time (the clock tracker's by default),
    so that fix ages and the stale flag can be tested with a moved clock.
    """

    def __init__(
        self,
        device: str,
        baud: int = 9600,
        stale_after_s: float = 3.0,
        clock_tracker: ClockTracker | None = None,
        *,
        clock=None,
        reopen_min_s: float = 0.25,
        reopen_max_s: float = 10.0,
        baud_hunt_after_s: float = 5.0,
    ):
        self.device = str(device)
        self.stale_after_s = stale_after_s
        self.clock_tracker = clock_tracker
        self.clock = clock or (clock_tracker.clock if clock_tracker else SystemClock())
        self._reopen_min_s = reopen_min_s
        self._reopen_max_s = reopen_max_s
        self._baud_hunt_after_s = baud_hunt_after_s
        self._bauds = [baud] + [b for b in COMMON_BAUD_RATES if b != baud]
        self._baud_index = 0
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = "stopped"
        self._latest: Fix | None = None
        self._last_position: Fix | None = None
        # (arrival of the epoch's first sentence, its fix so far), newest last
        self._history: deque[tuple[float, Fix]] = deque(maxlen=HISTORY_EPOCHS)
        self._sequence = 0
        self._completed: Fix | None = None
        self._counters = dict.fromkeys(
            ("bytes_read", "sentences_parsed", "sentences_ignored", "bad_checksums", "unparseable_lines",
             "fixes", "opens", "reopen_count", "baud_changes", "sentence_errors"), 0)
        self._errors = RateLimited(logger, 60.0)

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Start reading in a daemon thread. A missing device is retried, not an error here."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._set_state("starting")
        self._thread = threading.Thread(target=self._run, name=f"gps-{self.device}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        self._set_state("stopped")

    # -- what the rest of the daemon asks ----------------------------------

    def position(self, now_monotonic: float | None = None) -> Position:
        """Where we were at ``now_monotonic`` (default: now), as the receiver saw it.

        A read is often tagged a second or two after its frame was captured;
        asked with the capture time, this picks the fix that arrived nearest
        that moment from the last couple of minutes, so a moving car's read is
        not placed where the car is by the time the passage ended. ``age_s``
        is the time between that moment and the arrival of the fix's epoch.
        """
        now = self.clock.monotonic() if now_monotonic is None else now_monotonic
        with self._lock:
            history, last_position = list(self._history), self._last_position
        if not history:
            return Position(None, "gps", stale=True, age_s=None)
        # The epoch's first sentence is the one nearest the second it describes
        # (at 9600 baud the rest of the burst takes another quarter second).
        started_by_then = [fix for start, fix in history if start <= now]
        current = started_by_then[-1] if started_by_then else history[0][1]
        candidates = [(start, fix) for start, fix in history if fix.has_position]
        if not candidates and last_position is not None:
            candidates = [(last_position.received_monotonic_s, last_position)]
        if not candidates:
            return Position(current, "gps", stale=True, age_s=current.age_s(now))
        start, fix = min(candidates, key=lambda candidate: abs(candidate[0] - now))
        age = abs(now - start)
        return Position(fix, "gps", stale=not current.has_position or age > self.stale_after_s, age_s=age)

    def latest_fix(self) -> Fix | None:
        """The fix of the current epoch, with or without position."""
        with self._lock:
            return self._latest

    def wait_fix(self, after_sequence: int = 0, timeout: float | None = None) -> tuple[int, Fix] | None:
        """The next completed epoch after ``after_sequence``: (its sequence number, its fix), or None on timeout."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._sequence > after_sequence or self._stop.is_set(), timeout):
                return None
            if self._sequence <= after_sequence:
                return None
            return self._sequence, self._completed

    def status(self) -> dict:
        now = self.clock.monotonic()
        position = self.position(now)
        with self._lock:
            counters, state = dict(self._counters), self._state
            latest = self._latest
        return {
            "source": "gps",
            "driver": "serial",
            "device": self.device,
            "state": state,
            "baud": self._bauds[self._baud_index],
            "has_fix": position.has_position and not position.stale,
            "stale": position.stale,
            "age_s": None if position.age_s is None else round(position.age_s, 3),
            "fix_quality": latest.fix_quality if latest else 0,
            "satellites": latest.satellites if latest else None,
            "hdop": latest.hdop if latest else None,
            "counters": counters,
        }

    # -- the reading thread ------------------------------------------------

    def _run(self) -> None:
        pause = self._reopen_min_s
        reported_missing = False
        while not self._stop.is_set():
            try:
                port = self._open()
            except (serial.SerialException, OSError, ValueError) as error:
                if not reported_missing:
                    log(logger, logging.WARNING, "gps_device_unavailable", device=self.device, error=error)
                    reported_missing = True
                self._set_state("disconnected")
                self._stop.wait(pause)
                pause = min(pause * 2, self._reopen_max_s)
                continue
            pause, reported_missing = self._reopen_min_s, False
            with self._lock:
                if self._counters["opens"]:
                    self._counters["reopen_count"] += 1
                self._counters["opens"] += 1
            self._set_state("open")
            log(logger, logging.INFO, "gps_device_open", device=self.device, baud=port.baudrate)
            try:
                self._read(port)
            except (serial.SerialException, OSError) as error:
                log(logger, logging.WARNING, "gps_device_lost", device=self.device, error=error)
                self._set_state("disconnected")
            except Exception:  # a bug must not silently end the thread: report it and start over
                logger.exception("gps_reader_failed")
                self._set_state("disconnected")
                self._stop.wait(self._reopen_max_s)
            finally:
                port.close()

    def _open(self) -> serial.Serial:
        port = serial.Serial(self.device, self._bauds[self._baud_index], timeout=READ_TIMEOUT_S)
        try:
            port.reset_input_buffer()  # what queued up while nobody listened is old news
        except Exception:
            port.close()
            raise
        return port

    def _read(self, port: serial.Serial) -> None:
        splitter = LineSplitter()
        assembler = FixAssembler()
        noise_bytes, noise_since = 0, self.clock.monotonic()
        while not self._stop.is_set():
            data = port.read(max(1, port.in_waiting))
            if not data:
                continue
            now = self.clock.monotonic()
            valid = 0
            for text in splitter.feed(data):
                valid += self._handle(text, assembler, now)
            with self._lock:
                self._counters["bytes_read"] += len(data)
                self._counters["unparseable_lines"] += splitter.discarded
            splitter.discarded = 0
            if valid:
                noise_bytes, noise_since = 0, now
                continue
            noise_bytes += len(data)
            if noise_bytes >= BAUD_HUNT_MIN_BYTES and now - noise_since >= self._baud_hunt_after_s:
                self._baud_index = (self._baud_index + 1) % len(self._bauds)
                port.baudrate = self._bauds[self._baud_index]
                splitter.clear()
                noise_bytes, noise_since = 0, now
                with self._lock:
                    self._counters["baud_changes"] += 1
                log(logger, logging.WARNING, "gps_baud_changed", device=self.device, baud=port.baudrate,
                    reason="no valid sentence in the data received")

    def _handle(self, text: str, assembler: FixAssembler, now: float) -> int:
        """Count and use one candidate sentence; 1 if it was a valid sentence.

        Each sentence under its own guard: whatever one sentence does to the
        parser or to our code, it is counted and the next one is read.
        """
        try:
            return self._use(text, assembler, now)
        except Exception as error:
            self._count("sentence_errors")
            self._errors(logging.WARNING, "gps_sentence_failed", device=self.device, error=f"{type(error).__name__}: {error}")
            return 0

    def _use(self, text: str, assembler: FixAssembler, now: float) -> int:
        try:
            message = parse_sentence(text)
        except SentenceError as error:
            self._count("bad_checksums" if error.kind == "checksum" else "unparseable_lines")
            return 0
        self._count("sentences_parsed")
        if not is_used(message):
            self._count("sentences_ignored")
            return 1
        try:
            update = assembler.feed(message, now)
        except Exception:  # a valid checksum around malformed fields; pynmea2 raises more than ValueError
            self._count("unparseable_lines")
            return 1
        if update.current is not None:
            self._publish(update, now)
        return 1

    def _publish(self, update, now: float) -> None:
        current, completed = update.current, update.completed
        if update.new_epoch and self.clock_tracker is not None:
            self.clock_tracker.observe_fix(current)
        with self._lock:
            had_position = self._completed is not None and self._completed.has_position
            self._latest = current
            if update.new_epoch or not self._history:
                self._history.append((now, current))
            else:
                self._history[-1] = (self._history[-1][0], current)
            if current.has_position:
                self._last_position = current
            if completed is not None:
                self._sequence += 1
                self._completed = completed
                self._counters["fixes"] += 1
                self._lock.notify_all()
        if completed is not None and completed.has_position != had_position:
            event = "gps_fix_acquired" if completed.has_position else "gps_fix_lost"
            log(logger, logging.INFO, event, device=self.device, satellites=completed.satellites)

    def _count(self, name: str) -> None:
        with self._lock:
            self._counters[name] += 1

    def _set_state(self, state: str) -> None:
        with self._lock:
            self._state = state
            self._lock.notify_all()
