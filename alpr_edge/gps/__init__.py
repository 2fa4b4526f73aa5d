"""Where and when: GPS position from serial NMEA, and honest timestamps.

Position
    ``open_position_source(profile.gps, config.gps.stale_after_s, tracker, profile.resolve)``
    returns a ``PositionSource`` (not started) chosen by the profile's
    ``[gps].driver``:

    - ``serial``: ``SerialNmeaReceiver`` reads RMC, GGA, GSA and VTG (GP, GN,
      GL, GA, BD... talkers) from a serial port in its own thread, checks
      checksums, survives partial lines, noise and wrong baud rates, and
      reopens a receiver that goes away. Raises ``GpsDeviceMissing`` if the
      device does not exist at start-up.
    - ``nmea-replay``: an ``NmeaReplay`` writes a log into a pseudo-terminal
      with its own timing, and a ``SerialNmeaReceiver`` reads it (the sim).
    - ``fixed``: ``SurveyedPosition``, never stale. ``none``: ``NoPosition``.

    ``source.position(frame.monotonic_s)`` gives a ``Position`` for a read:
    the ``Fix`` with a position that arrived nearest the capture time (the
    latest one when asked for now), flagged ``stale`` (with its age) when it
    is further than ``stale_after_s`` from that time or the receiver had lost
    the fix then. No fix is None, never 0,0. ``source.status()`` is JSON-ready for health
    checks (state, fix, counters of sentences parsed, bad checksums,
    unparseable lines, reopens, baud changes).

Time
    ``ClockTracker(SystemClock(), config.gps.max_clock_offset_s)`` is fed by
    the receiver with each timed fix and stamps frames:
    ``tracker.timestamp(frame_wall, frame_monotonic)`` gives a ``Timestamp``
    with the UTC time, its source ("ntp", "gps" or "unsynchronised") and the
    measured offset of the system clock from GPS. A system clock off by more
    than the limit is replaced by GPS-corrected time; ``tracker.status()``
    reports it (``clock_ok`` False). See ``alpr_edge.gps.clock`` for the rule.
    Tests use ``FakeClock``.

Command line: ``alpr-edge gps --device PATH [--baud N] [--count K] [--json]``.
"""

from alpr_edge.gps.clock import ClockTracker, FakeClock, SystemClock, Timestamp
from alpr_edge.gps.fix import Fix, Position
from alpr_edge.gps.replay import NmeaReplay
from alpr_edge.gps.serial_receiver import SerialNmeaReceiver
from alpr_edge.gps.sources import (
    GpsDeviceMissing,
    NoPosition,
    PositionSource,
    SurveyedPosition,
    open_position_source,
)

__all__ = [
    "ClockTracker",
    "FakeClock",
    "Fix",
    "GpsDeviceMissing",
    "NmeaReplay",
    "NoPosition",
    "Position",
    "PositionSource",
    "SerialNmeaReceiver",
    "SurveyedPosition",
    "SystemClock",
    "Timestamp",
    "open_position_source",
]
