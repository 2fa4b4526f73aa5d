"""Individual accounts with roles, Argon2-hashed secrets, TOTP, lockout and
the inactivity/training rules; the permission table (`can`) and who sees
covert data (`visible_to`); what a search may be for (`purposes`); command-line
sessions (`sessions`).

The names below load on first use (PEP 562), so that the configuration can
check its list of search purposes (`purposes`, no third-party imports)
without loading Argon2 and TOTP: `alpr-edge status` runs on the standard
library alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alpr_edge.accounts.accounts import ACCOUNT_STEPS, AUTH_CODES, Accounts, AuthError, User
    from alpr_edge.accounts.permissions import PERMISSIONS, ROLES, can, may_see_covert, needs_second_factor, visible_to

_HOMES = {
    **dict.fromkeys(("ACCOUNT_STEPS", "AUTH_CODES", "Accounts", "AuthError", "User"), "accounts"),
    **dict.fromkeys(("PERMISSIONS", "ROLES", "can", "may_see_covert", "needs_second_factor", "visible_to"), "permissions"),
}

__all__ = ["ACCOUNT_STEPS", "AUTH_CODES", "Accounts", "AuthError", "PERMISSIONS", "ROLES", "User", "can", "may_see_covert",
           "needs_second_factor", "visible_to"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'alpr_edge.accounts' has no attribute {name!r}")
    return getattr(importlib.import_module(f"alpr_edge.accounts.{home}"), name)
