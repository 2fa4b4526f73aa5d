"""Who may do what. One explicit table, so a review can read it at a glance.

Roles (issue 9): officers work the live view and alerts and may add hot
plates; supervisors and admins may also search stored reads, export them and
place evidence holds; admins manage users and read the audit trail;
technicians service the device (self-test, status, purge, provisioning) and
never see plates or images. A second factor (TOTP) is required for every role
that can search stored data: supervisor and admin.
"""

from __future__ import annotations

ROLES = ("officer", "supervisor", "admin", "technician")

_OFFICER = {"live.view", "alerts.verify", "hotplate.add", "hotlist.browse", "images.view", "plates.view"}
_SUPERVISOR = _OFFICER | {"reads.search", "reads.export", "hold.add", "hold.list", "hold.release", "users.list"}
_ADMIN = _SUPERVISOR | {"audit.view", "audit.export", "users.manage", "purge", "hotlist.manage"}
_TECHNICIAN = {"selftest", "status", "purge", "provision", "device.service"}
_AT_THE_CAR = {"shift.check"}  # who starts a shift at the car: the start-of-shift check shows at login

PERMISSIONS: dict[str, frozenset[str]] = {
    "officer": frozenset(_OFFICER | _AT_THE_CAR),
    "supervisor": frozenset(_SUPERVISOR),
    "admin": frozenset(_ADMIN),
    "technician": frozenset(_TECHNICIAN | _AT_THE_CAR),
}


def can(role: str | None, action: str) -> bool:
    return action in PERMISSIONS.get(role or "", frozenset())


def needs_second_factor(role: str) -> bool:
    return can(role, "reads.search")
