"""Position sources and the registry that picks one from the firmware profile's ``[gps]`` table."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Protocol, runtime_checkable

from alpr_edge.gps.clock import ClockTracker
from alpr_edge.gps.fix import SURVEYED_FIX_QUALITY, Fix, Position
from alpr_edge.gps.replay import NmeaReplay
from alpr_edge.gps.serial_receiver import SerialNmeaReceiver


class GpsDeviceMissing(Exception):
    """The profile names a serial device that does not exist."""


@runtime_checkable
class PositionSource(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def position(self, now_monotonic: float | None = None) -> Position: ...
    def status(self) -> dict: ...


class SurveyedPosition:
    """A fixed site: coordinates surveyed once, given by the profile. Never stale."""

    def __init__(self, lat: float, lon: float, alt_m: float | None = None):
        if not -90 <= lat <= 90 or not -180 <= lon <= 180:
            raise ValueError(f"surveyed position out of range: {lat}, {lon}")
        self._fix = Fix(
            time_utc=None, lat=lat, lon=lon, alt_m=alt_m, speed_kmh=0.0, heading_deg=None,
            fix_quality=SURVEYED_FIX_QUALITY, satellites=None, hdop=None, received_monotonic_s=0.0,
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def position(self, now_monotonic: float | None = None) -> Position:
        return Position(self._fix, "surveyed", stale=False, age_s=None)

    def status(self) -> dict:
        return {"source": "surveyed", "device": None, "has_fix": True, "stale": False, "satellites": None,
                "lat": self._fix.lat, "lon": self._fix.lon, "counters": {}}


class NoPosition:
    """No receiver and no surveyed site: reads carry no position, and say so."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def position(self, now_monotonic: float | None = None) -> Position:
        return Position(None, "none", stale=False, age_s=None)

    def status(self) -> dict:
        return {"source": "none", "device": None, "has_fix": False, "stale": False, "satellites": None, "counters": {}}


class ReplayedReceiver:
    """An NMEA log replayed into a pseudo-terminal, read by the real serial receiver."""

    def __init__(self, replay: NmeaReplay, make_receiver: Callable[[str], SerialNmeaReceiver]):
        self.replay = replay
        self._make_receiver = make_receiver
        self.receiver: SerialNmeaReceiver | None = None

    def start(self) -> None:
        if self.receiver is not None:
            return
        self.replay.start()
        self.receiver = self._make_receiver(self.replay.device_path)
        self.receiver.start()

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.stop()
            self.receiver = None
        self.replay.stop()

    def position(self, now_monotonic: float | None = None) -> Position:
        if self.receiver is None:
            return Position(None, "gps", stale=True, age_s=None)
        return self.receiver.position(now_monotonic)

    def status(self) -> dict:
        if self.receiver is None:
            base = {"source": "gps", "device": None, "state": "stopped", "has_fix": False, "stale": True,
                    "satellites": None, "counters": {}}
        else:
            base = self.receiver.status()
        return {**base, "driver": "nmea-replay", "replay": self.replay.log_path.name}


def _serial(settings, stale_after_s, clock_tracker, resolve) -> PositionSource:
    if not os.path.exists(settings.device):
        raise GpsDeviceMissing(f"GPS device {settings.device} does not exist (is the receiver plugged in?)")
    return SerialNmeaReceiver(settings.device, settings.baud, stale_after_s, clock_tracker)


def _nmea_replay(settings, stale_after_s, clock_tracker, resolve) -> PositionSource:
    replay = NmeaReplay(resolve(settings.replay), loop=True)
    return ReplayedReceiver(
        replay, lambda device: SerialNmeaReceiver(device, settings.baud, stale_after_s, clock_tracker)
    )


def _fixed(settings, stale_after_s, clock_tracker, resolve) -> PositionSource:
    return SurveyedPosition(settings.latitude, settings.longitude, settings.altitude_m)


def _none(settings, stale_after_s, clock_tracker, resolve) -> PositionSource:
    return NoPosition()


DRIVERS: dict[str, Callable[..., PositionSource]] = {
    "serial": _serial,
    "nmea-replay": _nmea_replay,
    "fixed": _fixed,
    "none": _none,
}


def open_position_source(
    settings, stale_after_s: float, clock_tracker: ClockTracker | None, resolve: Callable[[str], Path]
) -> PositionSource:
    """The position source the profile's ``[gps]`` settings (``GpsSettings``) ask for, not yet started.

    ``serial``: GpsDeviceMissing if the device does not exist now (once
    started, a receiver that goes away later is waited for and reopened).
    ``nmea-replay``: ValueError naming the log if it cannot be read.
    """
    try:
        factory = DRIVERS[settings.driver]
    except KeyError:
        raise ValueError(f"gps.driver: unknown driver {settings.driver!r} (known: {', '.join(DRIVERS)})") from None
    return factory(settings, stale_after_s, clock_tracker, resolve)
