"""Honest timestamps: the system clock, checked against GPS time.

A Raspberry Pi has no real-time clock: it may boot with the time it last
saved, hours or years off, until NTP (which needs a network) corrects it. GPS
gives UTC; ``ClockTracker`` measures how far the system clock is from it and
decides which time a read carries.

The measurement is kept as "GPS time minus the monotonic clock" rather than
as an offset of the wall clock, so it stays right when NTP steps the system
clock, and a frame's GPS-corrected time is simply its monotonic capture time
plus that difference. A sentence reaches us some tens of milliseconds after
the second it describes (receiver processing, serial transfer); that delay
only ever makes the estimate late, so the tracker keeps the least-delayed
recent sample (the maximum of the differences), as NTP's clock filter does.

Rule for ``timestamp()`` (frame captured at ``wall_time``/``monotonic_s``):
1. GPS time known and the system clock off from it by more than
   ``max_offset_s``: GPS-corrected time, source "gps" (even if the kernel
   calls itself NTP-synchronised: the GPS is the independent witness).
2. Else, system clock NTP-synchronised: the system time, source "ntp".
3. Else, GPS time known (within the limit): GPS-corrected time, source "gps",
   since nothing else vouches for the system clock.
4. Else: the system time, source "unsynchronised".
The measured offset (system minus GPS) is carried whenever GPS time is known.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, Protocol

from alpr_edge.gps.fix import Fix, iso_utc

# A receiver that has lost its almanac (or hit a GPS week-number rollover)
# reports dates decades back; no genuine fix predates this software.
EARLIEST_CREDIBLE_GPS_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)
SAMPLES_KEPT = 16
# The monotonic clock drifts from GPS by some tens of ppm: a measurement stays
# good to well under a second for hours after the receiver stops giving time.
GPS_TIME_VALID_FOR_S = 6 * 3600.0
NTP_CHECK_EVERY_S = 10.0


class Clock(Protocol):
    """The clock seam: ``wall()`` is time.time(), ``monotonic()`` time.monotonic()."""

    def wall(self) -> float: ...
    def monotonic(self) -> float: ...
    def ntp_synchronised(self) -> bool: ...


class _Timex(ctypes.Structure):
    # The leading fields of the kernel's struct timex; `long` is the C long of
    # the platform (so this fits 32- and 64-bit boards). The padding leaves room
    # for the fields the kernel also writes.
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("_rest", ctypes.c_char * 256),
    ]


_STA_UNSYNC = 0x0040
_TIME_ERROR = 5


def kernel_ntp_synchronised() -> bool:
    """What `timedatectl` reports as NTPSynchronized, asked of the kernel (adjtimex).

    False where it cannot be asked (not Linux): an unknown clock is not a
    synchronised one.
    """
    adjtimex = _adjtimex()
    if adjtimex is None:
        return False
    timex = _Timex()  # modes 0: read only
    state = adjtimex(ctypes.byref(timex))
    return state >= 0 and state != _TIME_ERROR and not timex.status & _STA_UNSYNC


@functools.lru_cache(maxsize=1)
def _adjtimex():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).adjtimex
    except (OSError, AttributeError):
        return None


class SystemClock:
    """The real clocks. The NTP state is cached so the hot path never waits on it."""

    def __init__(self, check_every_s: float = NTP_CHECK_EVERY_S):
        self._check_every_s = check_every_s
        self._checked_at: float | None = None
        self._synchronised = False

    def wall(self) -> float:
        return time.time()

    def time(self) -> float:
        """Same as ``wall()``, for callers used to time.time()."""
        return self.wall()

    def monotonic(self) -> float:
        return time.monotonic()

    def ntp_synchronised(self) -> bool:
        now = time.monotonic()
        if self._checked_at is None or now - self._checked_at >= self._check_every_s:
            self._synchronised = kernel_ntp_synchronised()
            self._checked_at = now
        return self._synchronised


class FakeClock:
    """A clock for tests: set the wall time, the monotonic time and the NTP flag at will."""

    def __init__(self, wall: float = 1_780_000_000.0, monotonic: float = 1000.0, ntp: bool = False):
        self.wall_s = wall
        self.monotonic_s = monotonic
        self.ntp = ntp

    def wall(self) -> float:
        return self.wall_s

    def time(self) -> float:
        return self.wall_s

    def monotonic(self) -> float:
        return self.monotonic_s

    def ntp_synchronised(self) -> bool:
        return self.ntp

    def advance(self, seconds: float) -> None:
        """Time passes: both clocks move."""
        self.wall_s += seconds
        self.monotonic_s += seconds


@dataclass(frozen=True)
class Timestamp:
    """When a read was taken, which clock says so, and how far the system clock is from GPS."""

    utc: datetime
    source: Literal["ntp", "gps", "unsynchronised"]
    offset_s: float | None

    def to_dict(self) -> dict:
        return {
            "utc": iso_utc(self.utc),
            "source": self.source,
            "offset_s": None if self.offset_s is None else round(self.offset_s, 3),
        }


class ClockTracker:
    """Measures the system clock against GPS time and stamps frames (thread-safe)."""

    def __init__(self, clock: Clock, max_offset_s: float = 2.0):
        self.clock = clock
        self.max_offset_s = max_offset_s
        self._lock = threading.Lock()
        # (monotonic arrival, GPS time minus monotonic arrival) per observed epoch
        self._samples: deque[tuple[float, float]] = deque(maxlen=SAMPLES_KEPT)
        self._rejected = 0

    def observe_fix(self, fix: Fix) -> bool:
        """Take the time of a fix with a position; True if it was used.

        Call it with the fix built when the first timed sentence of an epoch
        arrived, so that ``received_monotonic_s`` is closest to the second.
        Fixes without a position are ignored: receivers report a time before
        they have verified it.
        """
        if fix.time_utc is None or not fix.has_position:
            return False
        if fix.time_utc < EARLIEST_CREDIBLE_GPS_TIME:
            with self._lock:
                self._rejected += 1
            return False
        with self._lock:
            self._samples.append((fix.received_monotonic_s, fix.time_utc.timestamp() - fix.received_monotonic_s))
        return True

    def gps_minus_monotonic(self, now_monotonic: float | None = None) -> float | None:
        """The best current estimate of GPS time minus monotonic time, if GPS time is known."""
        now = self.clock.monotonic() if now_monotonic is None else now_monotonic
        with self._lock:
            if not self._samples or now - self._samples[-1][0] > GPS_TIME_VALID_FOR_S:
                return None
            return max(difference for _, difference in self._samples)

    def timestamp(self, wall_time: float, monotonic_s: float) -> Timestamp:
        """The time of a frame captured at these clock readings (see the module's rule)."""
        base = self.gps_minus_monotonic(monotonic_s)
        ntp = self.clock.ntp_synchronised()
        if base is None:
            source = "ntp" if ntp else "unsynchronised"
            return Timestamp(_utc(wall_time), source, None)
        gps_time = monotonic_s + base
        offset = wall_time - gps_time
        if abs(offset) <= self.max_offset_s and ntp:
            return Timestamp(_utc(wall_time), "ntp", offset)
        return Timestamp(_utc(gps_time), "gps", offset)

    def status(self) -> dict:
        """For health checks and summaries.

        ``clock_ok``: True when GPS or NTP vouches for the system clock, False
        when GPS says it is off by more than the limit (reads then carry
        GPS-corrected time), None when nothing can check it.
        """
        now_mono, now_wall = self.clock.monotonic(), self.clock.wall()
        stamp = self.timestamp(now_wall, now_mono)
        with self._lock:
            samples, rejected = len(self._samples), self._rejected
            last = self._samples[-1][0] if self._samples else None
        offset = stamp.offset_s
        return {
            "time_source": stamp.source,
            "ntp_synchronised": self.clock.ntp_synchronised(),
            "gps_time_known": offset is not None,
            "offset_s": None if offset is None else round(offset, 3),
            "max_offset_s": self.max_offset_s,
            "clock_ok": (abs(offset) <= self.max_offset_s) if offset is not None else (True if stamp.source == "ntp" else None),
            "samples": samples,
            "rejected_samples": rejected,
            "last_sample_age_s": None if last is None else round(now_mono - last, 3),
        }


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)
