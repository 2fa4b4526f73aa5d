"""Individual accounts with roles, Argon2-hashed secrets, TOTP, lockout and
the inactivity/training rules; the permission table (`can`)."""

from alpr_edge.accounts.accounts import ACCOUNT_STEPS, AUTH_CODES, Accounts, AuthError, User
from alpr_edge.accounts.permissions import PERMISSIONS, ROLES, can, needs_second_factor

__all__ = ["ACCOUNT_STEPS", "AUTH_CODES", "Accounts", "AuthError", "PERMISSIONS", "ROLES", "User", "can", "needs_second_factor"]
