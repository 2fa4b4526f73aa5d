"""Individual accounts with roles, Argon2-hashed secrets, TOTP, lockout and
the inactivity/training rules; the permission table (`can`) and who sees
covert data (`visible_to`); what a search may be for (`purposes`); command-line
sessions (`sessions`)."""

from alpr_edge.accounts.accounts import ACCOUNT_STEPS, AUTH_CODES, Accounts, AuthError, User
from alpr_edge.accounts.permissions import PERMISSIONS, ROLES, can, may_see_covert, needs_second_factor, visible_to

__all__ = ["ACCOUNT_STEPS", "AUTH_CODES", "Accounts", "AuthError", "PERMISSIONS", "ROLES", "User", "can", "may_see_covert",
           "needs_second_factor", "visible_to"]
