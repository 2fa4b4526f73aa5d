"""NMEA 0183 from bytes to fixes: line splitting, checksums, and merging one epoch's sentences.

A receiver sends one burst of sentences per epoch (RMC, VTG, GGA, GSA... in
an order that depends on the make). RMC and GGA carry the epoch's UTC time;
GSA and VTG do not. ``FixAssembler`` merges a burst into one ``Fix``: an
epoch starts with the first RMC or GGA of a new time and is complete once
both RMC and GGA of that time have arrived (or when the next epoch starts, for
receivers that send only one of them). Values from GSA and VTG fill in what
RMC and GGA did not give; they are used for the epoch they arrived in and the
next one, since some receivers send them before RMC.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pynmea2

from alpr_edge.gps.fix import Fix

TALKERS = frozenset({"GP", "GN", "GL", "GA", "BD", "GB", "GQ", "GI"})
USED_SENTENCES = frozenset({"RMC", "GGA", "GSA", "VTG"})
KNOTS_TO_KMH = 1.852
# NMEA's limit is 82 characters with $ and CRLF; proprietary sentences run a bit longer.
MAX_SENTENCE_CHARS = 120
_SENTENCE_RE = re.compile(r"^\$([^*$]*)\*([0-9A-Fa-f]{2})$")


def checksum(body: str) -> str:
    """The two hex digits of an NMEA checksum over the text between $ and *."""
    value = 0
    for char in body.encode("ascii", errors="replace"):
        value ^= char
    return f"{value:02X}"


def sentence(body: str) -> str:
    """A complete sentence (without line ending) for ``body``, e.g. 'GNRMC,...'."""
    return f"${body}*{checksum(body)}"


class LineSplitter:
    """Cuts a byte stream into candidate sentences, whatever comes down the wire.

    Reads split sentences anywhere, receivers start mid-sentence, a wrong baud
    rate produces noise, and a receiver may cut a sentence short and start the
    next one. Each '$' starts a sentence and each CR or LF ends one. Returns
    the candidates and counts what could not be a sentence at all.
    """

    def __init__(self) -> None:
        self._pending = ""
        self.discarded = 0

    def feed(self, data: bytes) -> list[str]:
        # Non-ASCII bytes can only be noise: they become U+FFFD and fail the checksum.
        self._pending += data.decode("ascii", errors="replace")
        *complete, self._pending = re.split(r"[\r\n]", self._pending)
        candidates: list[str] = []
        for line in complete:
            candidates += self._pieces(line)
        if len(self._pending) > 4 * MAX_SENTENCE_CHARS:
            # No line end for far too long: wrong baud rate or noise. Keep only
            # what may be the start of a real sentence.
            start = self._pending.rfind("$")
            tail = self._pending[start:] if start >= 0 else ""
            self._pending = tail if len(tail) <= MAX_SENTENCE_CHARS else ""
            self.discarded += 1
        return candidates

    def clear(self) -> None:
        self._pending = ""

    def _pieces(self, line: str) -> list[str]:
        head, *sentences = line.split("$")
        if head.strip():
            self.discarded += 1
        return ["$" + piece.strip() for piece in sentences]


class SentenceError(ValueError):
    """A candidate that is not a usable sentence; ``kind`` is 'checksum' or 'unparseable'."""

    def __init__(self, kind: str, text: str):
        super().__init__(f"{kind}: {text[:MAX_SENTENCE_CHARS]!r}")
        self.kind = kind


def parse_sentence(text: str) -> pynmea2.NMEASentence:
    """The parsed sentence, or SentenceError. Checksums are required, not optional."""
    match = _SENTENCE_RE.match(text)
    if not match or len(text) > MAX_SENTENCE_CHARS:
        raise SentenceError("unparseable", text)
    if checksum(match.group(1)) != match.group(2).upper():
        raise SentenceError("checksum", text)
    try:
        return pynmea2.parse(text, check=True)
    except Exception:  # ParseError, and IndexError/ValueError from pynmea2's own parsers ("$PUBX*1F")
        raise SentenceError("unparseable", text) from None


def is_used(message: pynmea2.NMEASentence) -> bool:
    return getattr(message, "talker", None) in TALKERS and getattr(message, "sentence_type", None) in USED_SENTENCES


@dataclass(frozen=True)
class Update:
    """What one sentence changed: the current epoch's fix, and an epoch that completed."""

    current: Fix | None
    completed: Fix | None
    new_epoch: bool


class FixAssembler:
    """Merges the RMC, GGA, GSA and VTG of each epoch into a Fix (not thread-safe)."""

    def __init__(self) -> None:
        self._epoch_time: time | None = None
        self._epoch_index = 0
        self._seen: set[str] = set()
        self._values: dict = {}
        self._aux: dict = {}
        self._aux_epoch = -10
        self._arrival = 0.0
        self._complete = True
        self._date: date | None = None
        self._date_time: time | None = None

    def feed(self, message: pynmea2.NMEASentence, arrival_monotonic: float) -> Update:
        """Take one used sentence (see ``is_used``); ValueError if its fields are malformed."""
        kind = message.sentence_type
        completed = None
        new_epoch = False
        if kind in ("RMC", "GGA"):
            tod = _time_of_day(message.timestamp)
            if not self._seen or tod != self._epoch_time or kind in self._seen:
                if not self._complete:
                    completed = self._build()
                self._start_epoch(tod)
                new_epoch = True
            values = _rmc_values(message) if kind == "RMC" else _gga_values(message)
            if kind == "RMC" and values.get("date") is not None and tod is not None:
                self._date, self._date_time = values["date"], tod
            self._values.update(values)
            self._seen.add(kind)
        else:
            values = _gsa_values(message) if kind == "GSA" else _vtg_values(message)
            self._aux.update(values)
            self._aux_epoch = self._epoch_index
            if not self._seen:
                return Update(None, None, False)
        self._arrival = arrival_monotonic
        current = self._build()
        if not self._complete and {"RMC", "GGA"} <= self._seen:
            self._complete = True
            completed = current
        return Update(current, completed, new_epoch)

    def _start_epoch(self, tod: time | None) -> None:
        self._epoch_time = tod
        self._epoch_index += 1
        self._seen = set()
        self._values = {}
        self._complete = False

    def _build(self) -> Fix:
        values = self._values
        aux = self._aux if self._aux_epoch >= self._epoch_index - 1 else {}

        def pick(name):
            value = values.get(name)
            return aux.get(name) if value is None else value

        if "gga_quality" in values:
            quality = values["gga_quality"]
            if values.get("rmc_valid") is False:
                quality = 0
        elif "rmc_valid" in values:
            quality = values["rmc_quality"]
        else:
            quality = 0
        positioned = quality > 0 and values.get("lat") is not None and values.get("lon") is not None
        return Fix(
            time_utc=self._utc(),
            lat=values.get("lat") if positioned else None,
            lon=values.get("lon") if positioned else None,
            alt_m=values.get("alt_m") if positioned else None,
            speed_kmh=pick("speed_kmh") if positioned else None,
            heading_deg=pick("heading_deg") if positioned else None,
            fix_quality=quality if positioned else 0,
            satellites=pick("satellites"),
            hdop=pick("hdop"),
            received_monotonic_s=self._arrival,
        )

    def _utc(self) -> datetime | None:
        tod = self._epoch_time
        if tod is None or self._date is None:
            return None  # a GGA-only receiver gives no date; we do not guess one
        day = self._date
        if self._date_time is not None and _seconds(self._date_time) - _seconds(tod) > 12 * 3600:
            day = day + timedelta(days=1)  # GGA just after midnight, before the RMC with the new date
        return datetime.combine(day, tod.replace(tzinfo=None), tzinfo=timezone.utc)


def _seconds(tod: time) -> float:
    return tod.hour * 3600 + tod.minute * 60 + tod.second + tod.microsecond / 1e6


def _time_of_day(value) -> time | None:
    if value is None:
        return None
    if not isinstance(value, time):
        raise ValueError(f"bad time field {value!r}")
    return value


def _number(value, kind=float):
    """A field's number, None when blank; ValueError for text, NaN and infinities."""
    if value is None or value == "":
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"bad number {value!r}") from None
    return _finite(number)


def _finite(number):
    # float() reads "inf", "nan" and "1e999": none is a measurement, and none is JSON.
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"not a finite number: {number!r}")
    return number


def _coordinate(message, value_name: str, dir_name: str, positive: str, negative: str, limit: float):
    value, direction = getattr(message, value_name), getattr(message, dir_name)
    if not value or direction not in (positive, negative):
        return None
    degrees = _finite(pynmea2.nmea_utils.dm_to_sd(value))  # ValueError when malformed
    if not 0 <= degrees <= limit:
        raise ValueError(f"coordinate out of range: {value}{direction}")
    return degrees if direction == positive else -degrees


def _lat_lon(message) -> dict:
    lat = _coordinate(message, "lat", "lat_dir", "N", "S", 90.0)
    lon = _coordinate(message, "lon", "lon_dir", "E", "W", 180.0)
    if lat is None or lon is None:
        return {"lat": None, "lon": None}
    return {"lat": lat, "lon": lon}


def _rmc_values(message) -> dict:
    valid = message.status == "A"
    knots = _number(message.spd_over_grnd)
    datestamp = message.datestamp
    if datestamp is not None and not isinstance(datestamp, date):
        raise ValueError(f"bad date field {datestamp!r}")
    mode = (message.mode_indicator or "").upper()
    return {
        **_lat_lon(message),
        "rmc_valid": valid,
        "rmc_quality": (2 if mode == "D" else 6 if mode == "E" else 1) if valid else 0,
        "speed_kmh": None if knots is None else _finite(round(knots * KNOTS_TO_KMH, 2)),
        "heading_deg": _number(message.true_course),
        "date": datestamp,
    }


def _gga_values(message) -> dict:
    return {
        **_lat_lon(message),
        "gga_quality": _number(message.gps_qual, int) or 0,
        "satellites": _number(message.num_sats, int),
        "hdop": _number(message.horizontal_dil),
        "alt_m": _number(message.altitude),
    }


def _gsa_values(message) -> dict:
    used = [getattr(message, f"sv_id{i:02d}") for i in range(1, 13)]
    return {
        "satellites": sum(1 for sv in used if sv) or None,
        "hdop": _number(message.hdop),
    }


def _vtg_values(message) -> dict:
    return {"speed_kmh": _number(message.spd_over_grnd_kmph), "heading_deg": _number(message.true_track)}
