"""The alert desk: the one place alerts are raised, shown, stepped and sounded.

The daemon's reads thread raises alerts here; the touchscreen and the
command line list and step them here. The desk owns:

- the alert book (`AlertBook`), written only inside the store's transactions:
  a hit read is marked and its alerts raised and audited in one transaction;
- the in-car outputs (`AlertSignals`): after each change the buzzer and light
  follow the open alerts (silenced on acknowledgement, off when closed);
- who may see what (`may_see`): covert alerts exist for supervisors and admins
  only; to anyone else they read as "no such alert";
- the lifecycle (`alpr_edge.alerts.lifecycle`), and timing out alerts nobody
  acted on (``alerts.unattended_timeout_s``; the daemon calls
  `time_out_unattended` every few seconds).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from alpr_edge.accounts.permissions import can
from alpr_edge.accounts.permissions import may_see_covert as may_see_covert  # the permission table's rule, re-exported
from alpr_edge.alerts.book import AlertBook
from alpr_edge.alerts.lifecycle import Alert, AlertStep, UnknownAlert
from alpr_edge.alerts.outputs import AlertSignals
from alpr_edge.config import AlertsSection
from alpr_edge.logs import log

from alpr_edge.store.transactions import Transactional

if TYPE_CHECKING:
    from alpr_edge.hotlist.matching import Match

logger = logging.getLogger(__name__)


class DeskStore(Transactional, Protocol):
    """What the desk needs of the store: its transactions, the hit mark, the audit trail, the keyed plate hash."""

    def mark_hit(self, read_id: str) -> None: ...
    def plate_hmac(self, text: str) -> str: ...
    def audit(self, user: str, role: str | None, action: str, *, data: Any = None, purpose: str | None = None,
              case_number: str | None = None, outcome: str = "ok") -> int: ...


# -- who may see what -----------------------------------------------------------


def may_handle_alerts(role: str | None) -> bool:
    return can(role, "alerts.verify")


def may_see(role: str | None, alert: Alert) -> bool:
    """Covert alerts: supervisors and admins only, never an officer's screen."""
    return may_handle_alerts(role) and (not alert.covert or may_see_covert(role))


def may_dismiss(role: str | None) -> bool:
    """Whether the screen offers "dismiss" (the lifecycle asks the same table when it is taken)."""
    return can(role, "alerts.dismiss")


# -- the desk ----------------------------------------------------------------------


class AlertDesk:
    def __init__(self, store: DeskStore, *, signals: AlertSignals | None = None, settings: AlertsSection | None = None,
                 clock: Callable[[], float] = time.time, keyed: bool = True):
        # keyed: hash plates with the store's lasting key (the daemon); False only for a book
        # outside a device store (tests of the book alone).
        self._store = store
        self._signals = signals
        self._clock = clock
        self._book = AlertBook(store, store.audit, clock=clock, settings=settings,
                               text_hasher=store.plate_hmac if keyed else None)

    # -- the daemon's side ---------------------------------------------------

    def raise_for(self, read_id: str, matches: Iterable[Match]) -> list[Alert]:
        """Mark the read a hit and raise its alerts (overt first, then covert), in one transaction."""
        matches = list(matches)
        if not matches:
            return []
        with self._store.write():
            self._store.mark_hit(read_id)
            alerts = self._book.raise_alerts(read_id, matches, self._clock())
        self._sound()
        return alerts

    def time_out_unattended(self) -> list[Alert]:
        """Close alerts nobody acted on within ``alerts.unattended_timeout_s``; the outputs follow."""
        closed = self._book.time_out_unattended(self._clock())
        if closed:
            log(logger, logging.INFO, "alerts_timed_out", count=len(closed))
            self._sound()
        return closed

    def _sound(self) -> None:
        if self._signals is not None:
            self._signals.update(self._book.open_alerts())

    # -- what a person sees ------------------------------------------------------

    def open_for(self, role: str | None) -> list[Alert]:
        """Open alerts this role may see, most urgent first, then oldest first."""
        if not may_handle_alerts(role):
            return []
        return [alert for alert in self._book.open_alerts() if may_see(role, alert)]

    def recent_for(self, role: str | None, limit: int = 50) -> list[Alert]:
        """The newest alerts (closed ones too) this role may see."""
        if not may_handle_alerts(role):
            return []
        return [alert for alert in self._book.recent(limit) if may_see(role, alert)]

    def hits_for(self, read_ids: Iterable[str], role: str | None) -> dict[str, str]:
        """Read id -> the alert it matched, for each read that matched one this role may see.

        Every hit, also a re-sighting absorbed by an alert (raised nothing new),
        so the live list marks it; the most urgent alert when a read matched several.
        """
        if not may_handle_alerts(role):
            return {}
        hits: dict[str, Alert] = {}
        for read_id, alert in self._book.sighted(read_ids):
            known = hits.get(read_id)
            if may_see(role, alert) and (known is None or alert.priority < known.priority):
                hits[read_id] = alert
        return {read_id: alert.alert_id for read_id, alert in hits.items()}

    def get_for(self, alert_id: str, role: str | None) -> Alert:
        """The alert; UnknownAlert when there is none or this role may not see it (the same words)."""
        alert = self._book.get(alert_id)
        if not may_see(role, alert):
            raise UnknownAlert(f"no alert {alert_id!r}")
        return alert

    def history(self, alert_id: str, role: str | None) -> list[AlertStep]:
        self.get_for(alert_id, role)
        return self._book.steps(alert_id)

    def pending_for(self, role: str | None) -> int:
        """Alerts still sounding that this role may see (a locked screen shows the count, no plate)."""
        return sum(1 for alert in self.open_for(role) if alert.sounding)

    def entry_token(self, entry_key: str) -> str:
        """``Alert.entry_key`` for a hot list entry's key (to find the entry an alert matched)."""
        return self._book.entry_token(entry_key)

    # -- steps ---------------------------------------------------------------------

    def step(self, alert_id: str, step: str, user: str, role: str, note: str | None = None,
             disposition: str | None = None, reason: str | None = None) -> Alert:
        """Move an alert one step; UnknownAlert when hidden from this role, AlertError when refused (audited)."""
        self.get_for(alert_id, role)
        alert = self._book.transition(alert_id, step, user, role, note or None, disposition or None, reason or None)
        self._sound()
        return alert

    def close(self) -> None:
        """Silence and release the outputs (the tone player's folder, the GPIO pins); at daemon shutdown."""
        if self._signals is not None:
            self._signals.close()
