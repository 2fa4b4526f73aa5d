"""A simulated receiver: an NMEA log written into a real pseudo-terminal, with the log's own timing.

The serial reader opens the pseudo-terminal's slave end (``device_path``)
exactly as it would open /dev/ttyACM0, so the sim exercises the real code.
Sentences are grouped into epochs by the times in their RMC/GGA sentences and
each epoch is written when its time comes. With ``shift_to_now`` the date and
time fields are rewritten to the current UTC (checksums recomputed), so that
the clock check sees a receiver agreeing with a correct system clock instead
of one years in the past. Lines starting with '#' are comments.

Like a real receiver, the replay transmits whether anyone listens: when the
pseudo-terminal's buffer is full, the rest of an epoch is dropped.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import tty
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from alpr_edge.gps.nmea import sentence
from alpr_edge.logs import log

logger = logging.getLogger(__name__)

# Where each timed sentence keeps its time (hhmmss.ss) and date fields, counted after the address field.
_TIME_FIELD = {"RMC": 1, "GGA": 1, "GLL": 5, "GNS": 1, "ZDA": 1}
# The replay writes an epoch this long after the second it describes, as receivers do.
EMIT_DELAY_S = 0.05


@dataclass(frozen=True)
class Epoch:
    offset_s: float  # from the log's first epoch
    lines: tuple[str, ...]


def _time_field(line: str) -> str | None:
    fields = line.split("*")[0].split(",")
    index = _TIME_FIELD.get(fields[0][3:6])
    if index is None or index >= len(fields):
        return None
    return fields[index]


def _seconds(hhmmss: str) -> float | None:
    try:
        return int(hhmmss[0:2]) * 3600 + int(hhmmss[2:4]) * 60 + float(hhmmss[4:])
    except ValueError:
        return None


def load_epochs(path: Path) -> list[Epoch]:
    """The log's sentences grouped by epoch; ValueError naming the file if it has none."""
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace")
    except OSError as error:
        raise ValueError(f"{path}: cannot read NMEA log: {error.strerror}") from None
    epochs: list[tuple[float | None, list[str]]] = []
    kinds: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("$"):
            continue
        field = _time_field(line)
        seconds = _seconds(field) if field else None
        kind = line[3:6]
        if not epochs or (field is not None and (seconds != epochs[-1][0] or kind in kinds)):
            epochs.append((seconds, []))
            kinds = set()
        kinds.add(kind)
        epochs[-1][1].append(line)
    if not epochs:
        raise ValueError(f"{path}: no NMEA sentences in the log")
    result: list[Epoch] = []
    offset, previous = 0.0, None
    for seconds, lines in epochs:
        if result:
            step = (seconds - previous) % 86400 if seconds is not None and previous is not None else 1.0
            # A gap, a jump back (a spliced log) or an epoch without time is replayed as one second.
            offset += step if 0 < step <= 60 else 1.0
        if seconds is not None:
            previous = seconds
        elif previous is not None:
            previous += 1.0
        result.append(Epoch(offset, tuple(lines)))
    return result


def shift_line(line: str, moment: datetime) -> str:
    """``line`` with its time (and date) fields set to ``moment``, checksum recomputed."""
    body = line[1:].split("*")[0]
    fields = body.split(",")
    kind = fields[0][2:5]
    index = _TIME_FIELD.get(kind)
    if index is None or index >= len(fields) or not fields[index]:
        return line
    fields[index] = moment.strftime("%H%M%S.") + f"{moment.microsecond // 10000:02d}"
    if kind == "RMC" and len(fields) > 9 and fields[9]:
        fields[9] = moment.strftime("%d%m%y")
    if kind == "ZDA" and len(fields) > 4:
        fields[2:5] = [moment.strftime("%d"), moment.strftime("%m"), moment.strftime("%Y")]
    return sentence(",".join(fields))


class NmeaReplay:
    """Replays ``log_path`` into a pseudo-terminal; read it at ``device_path`` after ``start()``."""

    def __init__(self, log_path: Path | str, loop: bool = True, speedup: float = 1.0, shift_to_now: bool = True):
        if speedup <= 0:
            raise ValueError(f"speedup: expected a positive number, got {speedup}")
        self.log_path = Path(log_path)
        self.loop = loop
        self.speedup = speedup
        self.shift_to_now = shift_to_now
        self._epochs = load_epochs(self.log_path)
        self._master: int | None = None
        self._slave: int | None = None
        self._device_path: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.epochs_written = 0
        self.bytes_dropped = 0
        self.finished = threading.Event()

    @property
    def device_path(self) -> str:
        if self._device_path is None:
            raise RuntimeError("NmeaReplay.device_path: start() the replay first")
        return self._device_path

    def start(self) -> None:
        if self._thread is not None:
            return
        self._master, self._slave = os.openpty()
        # Raw mode: no echo back into the master, no CR/LF translation. The
        # slave stays open here so the terminal lives while the reader reopens.
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self._device_path = os.ttyname(self._slave)
        self._stop.clear()
        self.finished.clear()
        self._thread = threading.Thread(target=self._run, name="gps-nmea-replay", daemon=True)
        self._thread.start()
        log(logger, logging.INFO, "gps_replay_started", log=self.log_path.name, device=self._device_path,
            epochs=len(self._epochs), speedup=self.speedup)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        for fd in (self._master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None

    def _first_due(self) -> float:
        """Monotonic time of the first epoch: at 1x with real times, just after a UTC second."""
        now = time.monotonic()
        if self.shift_to_now and self.speedup == 1.0:
            wall = time.time()
            return now + (math.floor(wall) + 1 + EMIT_DELAY_S - wall)
        return now

    def _run(self) -> None:
        period = 1.0 / self.speedup
        cycle_start = self._first_due()
        while not self._stop.is_set():
            for epoch in self._epochs:
                due = cycle_start + epoch.offset_s / self.speedup
                if self._stop.wait(max(0.0, due - time.monotonic())):
                    return
                self._write(epoch)
            if not self.loop:
                break
            cycle_start += self._epochs[-1].offset_s / self.speedup + period
        self.finished.set()

    def _write(self, epoch: Epoch) -> None:
        lines = epoch.lines
        if self.shift_to_now:
            now = time.time() - EMIT_DELAY_S
            # At 1x the epochs go out just after each second: say that second, as receivers do.
            moment = datetime.fromtimestamp(round(now) if self.speedup == 1.0 else now, tz=timezone.utc)
            lines = tuple(shift_line(line, moment) for line in lines)
        data = "".join(line + "\r\n" for line in lines).encode("ascii", errors="replace")
        try:
            written = os.write(self._master, data)
        except BlockingIOError:
            written = 0
        except OSError:
            return  # stopped under our feet
        self.bytes_dropped += len(data) - written
        self.epochs_written += 1
