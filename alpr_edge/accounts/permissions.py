"""Who may do what. One explicit table, so a review can read it at a glance.

Roles (issue 9): officers work the live view and alerts and may add hot
plates; supervisors and admins may also search stored reads, export them,
place evidence holds and correct a stored read's text or state
(``reads.correct``, the original kept); admins manage users and read the audit trail;
technicians service the device (self-test, status, purge, provisioning) and
never see plates or images. A second factor (TOTP) is required for every role
that can search stored data: supervisor and admin; every other role may enrol
one, and the configuration can require it of every role.

Covert lists and covert alerts (``covert.view``) are for supervisors and
admins only: `visible_to` is the one filter every path (command line,
touchscreen) applies before showing a hot-list entry, match or alert. Acting
on a covert alert (``alerts.covert``) and dismissing an alert with a note
(``alerts.dismiss``) are theirs too; `alpr_edge.alerts.lifecycle` asks `can`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

ROLES = ("officer", "supervisor", "admin", "technician")
FIRST_ACCOUNT_ROLE = "admin"  # a new device's first account: someone must be able to manage the others

_OFFICER = {"live.view", "alerts.verify", "hotplate.add", "hotlist.browse", "images.view", "plates.view"}
_SUPERVISOR = _OFFICER | {"reads.search", "reads.export", "reads.correct", "hold.add", "hold.list", "hold.release",
                          "users.list", "covert.view", "hotplate.remove", "alerts.covert", "alerts.dismiss"}
_ADMIN = _SUPERVISOR | {"audit.view", "audit.export", "users.manage", "purge", "purge.ahead", "hotlist.manage"}
_TECHNICIAN = {"selftest", "status", "purge", "provision", "device.service", "stats.view"}
_AT_THE_CAR = {"shift.check"}  # who starts a shift at the car: the start-of-shift check shows at login

PERMISSIONS: dict[str, frozenset[str]] = {
    "officer": frozenset(_OFFICER | _AT_THE_CAR),
    "supervisor": frozenset(_SUPERVISOR | {"stats.view"}),
    "admin": frozenset(_ADMIN | {"stats.view"}),
    "technician": frozenset(_TECHNICIAN | _AT_THE_CAR),
}

# What each permission lets a user do, in words, for the messages people read ("role officer may not
# manage hot lists", "a login is needed to verify alerts"); the keys stay for the audit trail.
DESCRIPTIONS: dict[str, str] = {
    "live.view": "see the live view", "alerts.verify": "see and verify alerts", "hotplate.add": "add hot plates",
    "hotlist.browse": "browse the hot lists", "images.view": "see plate images", "plates.view": "see plate text",
    "reads.search": "search stored reads", "reads.export": "export stored reads", "reads.correct": "correct stored reads",
    "hold.add": "place evidence holds", "hold.list": "list evidence holds", "hold.release": "release evidence holds",
    "users.list": "list user accounts", "covert.view": "see covert lists and alerts", "hotplate.remove": "remove hot plates",
    "alerts.covert": "act on covert alerts", "alerts.dismiss": "dismiss alerts", "audit.view": "read the audit trail",
    "audit.export": "export the audit trail", "users.manage": "manage user accounts", "purge": "run retention purges",
    "purge.ahead": "purge ahead of schedule", "hotlist.manage": "manage hot lists", "selftest": "run the self-test",
    "status": "see the device status", "provision": "provision the device", "device.service": "service the device",
    "stats.view": "see usage statistics", "shift.check": "run the start-of-shift check",
}


def describe(action: str) -> str:
    """``action`` in words, for a message (its key where the table has no words for it)."""
    return DESCRIPTIONS.get(action, action)


def refusal(role: str | None, action: str) -> str:
    """Why ``role`` is refused ``action``, in the same words on every path (the screen, the CLI, the audit trail)."""
    return f"role {role} may not {describe(action)}"


def can(role: str | None, action: str) -> bool:
    return action in PERMISSIONS.get(role or "", frozenset())


def needs_second_factor(role: str, *, every_role: bool = False) -> bool:
    """Whether ``role`` must log in with a second factor; ``every_role``: the agency requires it of all."""
    return role in PERMISSIONS and (every_role or can(role, "reads.search"))


def may_see_covert(role: str | None) -> bool:
    return can(role, "covert.view")


class _MaybeCovert(Protocol):
    @property
    def covert(self) -> bool: ...


T = TypeVar("T", bound=_MaybeCovert)


def visible_to(role: str | None, items: Iterable[T]) -> list[T]:
    """The items (hot-list matches, list summaries, alerts: anything with ``covert``) ``role`` may see.

    Officers never learn that a covert list or alert exists: the covert ones
    are dropped, not masked.
    """
    return [item for item in items if not item.covert or may_see_covert(role)]


def visible_hotlists(role: str | None, engine: Any) -> tuple[list, Any]:
    """The hot lists (``engine.lists()``) ``role`` may see, and the engine's health as far as it names only those."""
    lists = visible_to(role, engine.lists())
    return lists, engine.health(None if may_see_covert(role) else {s.name for s in lists})
