"""Structured logging: to the journal under systemd, key=value lines on stderr elsewhere.

Plate text is personal data under SB 34: it must never reach the logs of a
deployed device. Log plates only through ``plate_for_log``, which returns the
text only when the sim profile enabled it (`configure(plates=True)`).
"""

from __future__ import annotations

import logging
import os
import sys
import time

_plates_allowed = False


def plate_for_log(text: str) -> str:
    """The plate itself in simulation, a redaction marker everywhere else."""
    return text if _plates_allowed else "<redacted>"


class KeyValueFormatter(logging.Formatter):
    """`2026-11-22T19:43:56Z info alpr_edge.daemon event key=value ...`"""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        fields = getattr(record, "fields", None) or {}
        extra = "".join(f" {k}={_quote(v)}" for k, v in fields.items())
        line = f"{stamp}Z {record.levelname.lower()} {record.name} {record.getMessage()}{extra}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _quote(value) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


def log(logger: logging.Logger, level: int, event: str, **fields) -> None:
    """Log an event with structured fields (journal fields under systemd)."""
    logger.log(level, event, extra={"fields": fields})


class _JournalFieldsHandler(logging.Handler):
    """Sends each record to the journal with its fields as journal fields."""

    def __init__(self, journal):
        super().__init__()
        self._journal = journal

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = {f"ALPR_{k.upper()}": str(v) for k, v in (getattr(record, "fields", None) or {}).items()}
            message = KeyValueFormatter().format(record).split(" ", 2)[2]
            priority = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3}.get(record.levelno, 6)
            self._journal.send(message, PRIORITY=priority, LOGGER=record.name, **fields)
        except Exception:  # never let logging take the daemon down
            self.handleError(record)


def configure(level: str = "info", plates: bool = False) -> None:
    """Set up logging once per process."""
    global _plates_allowed
    _plates_allowed = plates
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler
    journal = None
    if os.environ.get("JOURNAL_STREAM") or os.environ.get("INVOCATION_ID"):
        try:
            from systemd import journal  # type: ignore[import-not-found,attr-defined,no-redef]  # optional
        except ImportError:
            journal = None
    if journal is not None:
        handler = _JournalFieldsHandler(journal)
    else:
        # Under systemd without systemd-python, stderr goes to the journal too.
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(KeyValueFormatter())
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))


class RateLimited:
    """Logs a repeating error at most once per ``interval_s``, counting the rest.

    SD cards wear out and journals fill up when a stalled camera logs every
    retry; this keeps the first and then a summary.
    """

    def __init__(self, logger: logging.Logger, interval_s: float = 60.0):
        self._logger = logger
        self._interval = interval_s
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def __call__(self, level: int, event: str, **fields) -> None:
        now = time.monotonic()
        last = self._last.get(event)
        if last is not None and now - last < self._interval:
            self._suppressed[event] = self._suppressed.get(event, 0) + 1
            return
        suppressed = self._suppressed.pop(event, 0)
        if suppressed:
            fields["suppressed"] = suppressed
        self._last[event] = now
        log(self._logger, level, event, **fields)
