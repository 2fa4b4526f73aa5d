"""What rides with the audit feed besides the records: closed days' counts, and read corrections.

Daily counts (`alpr_edge.store.counts`): each day goes once it is closed
(older than yesterday, the day retention also treats as closed, since a late
read may still land in yesterday), as ``alpr-edge/daily-counts/1``; the last
day acknowledged is kept in ``counts-cursor.json``. Counts carry no plate.

Corrections (`alpr_edge.store.corrections`) go as
``alpr-edge/read-correction/1``, one message per correction, built from the
read when sent (the queue holds ids only) and sealed to the agency's key when
reads are (`alpr_edge.uplink.sealing`: a correction names plates); the queue
row is deleted when the broker acknowledges it.

`AuditForwarder` asks `next_messages()` each poll and hands back
acknowledgements of the kinds in `KINDS`.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from alpr_edge.logs import RateLimited, log
from alpr_edge.uplink.hotlists import write_json_atomically

logger = logging.getLogger(__name__)

COUNTS_SCHEMA = "alpr-edge/daily-counts/1"
CORRECTION_SCHEMA = "alpr-edge/read-correction/1"
CURSOR_NAME = "counts-cursor.json"
KINDS = frozenset({"counts", "correction"})


class AccountabilityFeed:
    def __init__(self, store, state_dir: Path, agency: str, device: str, seal_public_key=None, window: int = 16):
        self.store = store
        self.path = Path(state_dir) / CURSOR_NAME
        self.agency = agency
        self.device = device
        self.seal_key = seal_public_key
        self.window = window
        self.enabled = self._has_tables()
        self.counts_day = self._load_cursor()
        self._sent: set[tuple[str, int]] = set()
        self._acked_days: set[int] = set()  # acknowledged while an older day still waits
        self._errors = RateLimited(logger, 60.0)

    def _has_tables(self) -> bool:
        from alpr_edge.store.counts import kept

        return getattr(self.store, "db", None) is not None and kept(self.store)

    def _load_cursor(self) -> str:
        try:
            return str(json.loads(self.path.read_text())["acknowledged_day"])
        except FileNotFoundError:
            return ""
        except (OSError, ValueError, KeyError, TypeError) as error:
            log(logger, logging.ERROR, "counts_cursor_damaged", path=str(self.path), error=str(error))
            return ""  # sending days again is harmless (receivers keep the latest per day); losing them is not

    def reset(self) -> None:
        self._sent.clear()
        self._acked_days.clear()

    def next_messages(self) -> list[tuple[tuple[str, int], bytes]]:
        if not self.enabled or self._sent:
            return []  # one batch in flight at a time keeps the order simple
        try:
            messages = self._counts() + self._corrections()
        except Exception as error:  # the store is busy or closing: the next poll tries again
            self._errors(logging.WARNING, "accountability_read_failed", error=str(error))
            return []
        self._sent = {key for key, _ in messages}
        return messages

    def _today(self) -> date:
        now = getattr(self.store, "now", None)
        return (now() if now else datetime.now(UTC)).astimezone(UTC).date()

    def _counts(self) -> list[tuple[tuple[str, int], bytes]]:
        from alpr_edge.store.counts import closed_days

        last_closed = (self._today() - timedelta(days=2)).isoformat()
        days = closed_days(self.store, self.counts_day, last_closed, self.window)
        return [(("counts", date.fromisoformat(day).toordinal()),
                 _encode({"schema": COUNTS_SCHEMA, "agency": self.agency, "device": self.device, "day": day, "counts": counts}))
                for day, counts in days.items()]

    def _corrections(self) -> list[tuple[tuple[str, int], bytes]]:
        from alpr_edge.store.corrections import pending

        out = []
        for seq, read, correction in pending(self.store, 0, self.window):
            message = {"schema": CORRECTION_SCHEMA, "read_id": read["id"], "agency": self.agency, "device": self.device,
                       "captured_at": read["captured_at"], "correction": correction}
            out.append((("correction", seq), self._sealed(message)))
        return out

    def _sealed(self, message: dict) -> bytes:
        if self.seal_key is None:
            return _encode(message)
        from alpr_edge.uplink.sealing import seal_encoded

        routing = {"read_id": message["read_id"], "agency": self.agency, "device": self.device, "has_hit": False}
        return seal_encoded(self.seal_key, routing, _encode(message))

    def acknowledged(self, key: tuple[str, int]) -> None:
        self._sent.discard(key)
        kind, number = key
        if kind == "correction":
            from alpr_edge.store.corrections import sent

            sent(self.store, number)
            return
        # The cursor passes a day only when every older day sent with it is acknowledged too.
        self._acked_days.add(number)
        waiting = min((n for k, n in self._sent if k == "counts"), default=None)
        done = {n for n in self._acked_days if waiting is None or n < waiting}
        self._acked_days -= done
        day = date.fromordinal(max(done)).isoformat() if done else ""
        if day > self.counts_day:
            self.counts_day = day
            try:
                write_json_atomically(self.path, {"acknowledged_day": day})
            except OSError as error:
                self._errors(logging.ERROR, "counts_cursor_write_failed", error=str(error))


def _encode(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":"), sort_keys=True, allow_nan=False).encode()
