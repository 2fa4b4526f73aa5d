"""Messages coming down (hot lists, commands): each handled under its own guard.

One bad message must not stop the uplink. Every message is handled inside a
guard that catches whatever goes wrong, so paho always acknowledges it (QoS 1
acknowledges after the callback returns): a message that cannot be used is
not redelivered at every reconnect, and a retained one sits on the broker
without holding any device's session.

What cannot be used is refused, and the refusal is audited once: the
``Quarantine`` remembers a digest of each audited refusal (in a small file,
so a retained message redelivered after a restart is not audited again), and
allows at most ``burst`` audit rows per ``window_s``; the refusals beyond that
are counted and written as one summary row (each audit row is an fsync: junk
on a topic must not fill the audit trail or wear the SD card).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from pathlib import Path

from alpr_edge.logs import RateLimited, log
from alpr_edge.uplink.commands import CommandRefused, answer_command, refusal_reply
from alpr_edge.uplink.hotlists import write_json_atomically
from alpr_edge.uplink.payloads import Topics

logger = logging.getLogger(__name__)

QUARANTINE_NAME = "downlink-quarantine.json"
AuditFunction = Callable[..., object]


def refusal_digest(topic: str, payload: bytes, reason: str) -> str:
    """What identifies one refusal: the same bytes on the same topic refused for the same reason."""
    digest = hashlib.sha256(topic.encode("utf-8", "replace"))
    for part in (payload, reason.encode("utf-8", "replace")):
        digest.update(b"\0" + len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


class Quarantine:
    """Audits each refused downlink message once, and at most ``burst`` rows per ``window_s``.

    ``clock`` is monotonic seconds (passed in so tests move it). ``path``
    (None: memory only) keeps the digests of audited refusals across restarts.
    """

    def __init__(self, path: Path | None, audit: AuditFunction | None, *, clock=time.monotonic,
                 burst: int = 10, window_s: float = 600.0, remember: int = 256):
        self.path = None if path is None else Path(path)
        self.audit = audit
        self.clock = clock
        self.burst = burst
        self.window_s = window_s
        self.remember = remember
        self._audited: OrderedDict[str, None] = OrderedDict((d, None) for d in self._load())
        self._window_start: float | None = None
        self._in_window = 0
        self._suppressed: Counter[str] = Counter()
        self.repeats = 0  # refusals already audited (a retained message delivered again)
        self.suppressed_total = 0
        self._log = RateLimited(logger, 60.0)

    def refuse(self, action: str, data: dict, digest: str) -> bool:
        """Record one refusal; True when it was audited (new and within the rate)."""
        if digest in self._audited:
            self.repeats += 1
            log(logger, logging.DEBUG, "downlink_refusal_repeated", action=action)
            return False
        self.flush()
        now = self.clock()
        if self._window_start is None or now - self._window_start >= self.window_s:
            self._window_start, self._in_window = now, 0
        if self._in_window >= self.burst:
            self._suppressed[action] += 1
            self.suppressed_total += 1
            self._log(logging.WARNING, "downlink_refusals_suppressed", action=action, reason=data.get("reason"))
            return False
        self._in_window += 1
        log(logger, logging.WARNING, action, **data)
        self._write_audit(action, {**data, "sha256": digest}, "rejected")
        self._audited[digest] = None
        while len(self._audited) > self.remember:
            self._audited.popitem(last=False)
        self._save()
        return True

    def flush(self, force: bool = False) -> None:
        """Once the window that suppressed refusals has passed (or at a stop: ``force``), write one row that counts them."""
        if not self._suppressed or self._window_start is None:
            return
        if not force and self.clock() - self._window_start < self.window_s:
            return
        counts, self._suppressed = dict(self._suppressed), Counter()
        self._write_audit("downlink_refusals_summarised",
                          {"suppressed": sum(counts.values()), "by_action": counts, "window_s": self.window_s}, "rejected")

    def _write_audit(self, action: str, data: dict, outcome: str) -> None:
        if self.audit is None:
            return
        try:
            self.audit("uplink", "system", action, data=data, outcome=outcome)
        except Exception as error:  # auditing must not decide what happens to a message
            log(logger, logging.ERROR, "audit_failed", action=action, error=str(error))

    def _load(self) -> list[str]:
        if self.path is None or not self.path.exists():
            return []
        try:
            digests = json.loads(self.path.read_text(encoding="utf-8"))["audited"]
            return [d for d in digests if isinstance(d, str)][-self.remember:]
        except (OSError, ValueError, KeyError, TypeError) as error:
            log(logger, logging.WARNING, "downlink_quarantine_unreadable", path=str(self.path), error=str(error))
            return []  # at worst a retained refusal is audited once more

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            write_json_atomically(self.path, {"audited": list(self._audited)})
        except OSError as error:
            self._log(logging.WARNING, "downlink_quarantine_not_saved", path=str(self.path), error=str(error))


class Downlink:
    """Routes each downlink message to its handler under a guard; returns the reply to publish, if any."""

    def __init__(self, topics: Topics, hotlists, status: Callable[[], dict], quarantine: Quarantine):
        self.topics = topics
        self.hotlists = hotlists
        self.status = status
        self.quarantine = quarantine
        self.handled = 0
        self.failed = 0

    def handle(self, topic: str, payload: bytes) -> bytes | None:
        """Never raises: whatever the payload, the message is done with when this returns."""
        self.handled += 1
        try:
            name = self.topics.hotlist_name(topic)
            if name is not None:
                self.hotlists.handle(name, payload, topic=topic)
                return None
            if topic == self.topics.commands:
                return self._command(topic, payload)
            return None  # not subscribed to anything else
        except Exception as error:  # a bug or an exhausted resource: refuse this message, keep the session
            self.failed += 1
            reason = f"{type(error).__name__}: {str(error)[:200]}"
            self.quarantine.refuse("downlink_failed", {"topic": topic, "reason": reason},
                                   refusal_digest(topic, payload, reason))
            return None

    def _command(self, topic: str, payload: bytes) -> bytes | None:
        try:
            return answer_command(payload, self.status)
        except CommandRefused as refused:
            audited = self.quarantine.refuse("uplink_command_refused", {"reason": str(refused)},
                                             refusal_digest(topic, payload, str(refused)))
            # A refusal already answered (or one of a flood) gets no reply: junk must not make the device talk.
            return refusal_reply(refused) if audited else None
