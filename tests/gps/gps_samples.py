"""NMEA sentences for tests, built the way receivers send them (valid checksums unless asked)."""

from __future__ import annotations

import os
import time
import tty
from datetime import datetime, timezone
from pathlib import Path

from alpr_edge.gps.nmea import sentence

BERKELEY = (37.86940, -122.26800)
WHEN = datetime(2026, 6, 12, 17, 2, 30, tzinfo=timezone.utc)


def _dm(value: float, width: int) -> str:
    value = abs(value)
    degrees = int(value)
    return f"{degrees:0{width}d}{(value - degrees) * 60:08.5f}"


def lat_lon_fields(lat: float, lon: float) -> str:
    return f"{_dm(lat, 2)},{'N' if lat >= 0 else 'S'},{_dm(lon, 3)},{'E' if lon >= 0 else 'W'}"


def rmc(when=WHEN, lat=BERKELEY[0], lon=BERKELEY[1], knots=10.8, course=354.2, talker="GN", valid=True) -> str:
    hhmmss, ddmmyy = when.strftime("%H%M%S.%f")[:9], when.strftime("%d%m%y")
    if not valid:
        return sentence(f"{talker}RMC,{hhmmss},V,,,,,,,{ddmmyy},,,N")
    return sentence(f"{talker}RMC,{hhmmss},A,{lat_lon_fields(lat, lon)},{knots:.3f},{course:.2f},{ddmmyy},,,A")


def gga(when=WHEN, lat=BERKELEY[0], lon=BERKELEY[1], quality=1, sats=11, hdop=0.9, alt=55.2, talker="GN") -> str:
    hhmmss = when.strftime("%H%M%S.%f")[:9]
    if quality == 0:
        return sentence(f"{talker}GGA,{hhmmss},,,,,0,{sats:02d},99.99,,,,,,")
    return sentence(f"{talker}GGA,{hhmmss},{lat_lon_fields(lat, lon)},{quality},{sats:02d},{hdop:.2f},{alt:.1f},M,-32.2,M,,")


def vtg(course=354.2, kmh=20.0, talker="GN") -> str:
    return sentence(f"{talker}VTG,{course:.2f},T,,M,{kmh / 1.852:.3f},N,{kmh:.3f},K,A")


def gsa(fix=True, satellites=11, hdop=0.9, talker="GN") -> str:
    if not fix:
        return sentence(f"{talker}GSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99")
    ids = [f"{i:02d}" for i in range(1, satellites + 1)][:12]
    return sentence(f"{talker}GSA,A,3,{','.join(ids + [''] * (12 - len(ids)))},1.60,{hdop:.2f},1.30")


def epoch(when=WHEN, lat=BERKELEY[0], lon=BERKELEY[1], kmh=20.0, course=354.2, sats=11, hdop=0.9, alt=55.2, talker="GN"):
    """One u-blox-style epoch with a fix: RMC, VTG, GGA, GSA."""
    return [
        rmc(when, lat, lon, kmh / 1.852, course, talker),
        vtg(course, kmh, talker),
        gga(when, lat, lon, 1, sats, hdop, alt, talker),
        gsa(True, sats, hdop, talker),
    ]


def no_fix_epoch(when=WHEN, sats=3):
    return [rmc(when, valid=False), sentence("GNVTG,,,,,,,,,N"), gga(when, quality=0, sats=sats), gsa(False)]


def wire(lines) -> bytes:
    return "".join(line + "\r\n" for line in lines).encode("ascii")


def corrupt_checksum(line: str) -> str:
    body, digits = line.rsplit("*", 1)
    return f"{body}*{(int(digits, 16) ^ 0x5A):02X}"


def wait_for(predicate, timeout: float = 3.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class PtyDevice:
    """A serial device that can be unplugged and plugged back in.

    A real pseudo-terminal behind a stable symlink, as udev gives a USB
    receiver a stable /dev/serial/by-id/ name while the tty under it changes.
    """

    def __init__(self, folder: Path):
        self.path = Path(folder) / "ttyGPS0"
        self.master = self.slave = None
        self.plug()

    def plug(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.symlink(os.ttyname(self.slave), self.path)

    def unplug(self) -> None:
        self.path.unlink(missing_ok=True)
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None

    def write(self, data: bytes | list[str]) -> None:
        if not isinstance(data, bytes):
            data = wire(data)
        os.write(self.master, data)

    def close(self) -> None:
        if self.master is not None:
            self.unplug()
