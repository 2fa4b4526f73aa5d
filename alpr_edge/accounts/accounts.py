"""User accounts: Argon2 password/PIN hashes, TOTP, lockout, inactivity and training rules.

The users table lives in the store's database (migrations component
"accounts"); the TOTP secret is sealed with the store's long-lived records
key. Every login, failure and change of an account goes to the audit trail.

Refusals and what they say:
- wrong name or password: one message for both, so names cannot be probed;
- locked after ``max_failed_logins`` consecutive failures, for ``lockout_minutes``;
- unused for ``inactive_days`` (default 90) since the last login (or creation):
  refused until an admin re-enables the account;
- training older than ``training_valid_days`` (default a year): refused until
  an admin records a new training date. Creating an account without a training
  date records the creation day (the admin vouches for current training).
These two are checked after the credentials, so only the owner learns why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from alpr_edge.accounts.permissions import ROLES, needs_second_factor
from alpr_edge.config import AccountsSection
from alpr_edge.store.migrations import Step

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_SECRET_LENGTH = 6  # a six-digit PIN at least
TOTP_ISSUER = "alpr-edge"


class AuthError(Exception):
    """A refused login or account change: ``reason`` is the message for the user, ``code`` one of
    ``AUTH_CODES`` for programs (the touchscreen shows the TOTP field on ``totp_needed``, ...)."""

    def __init__(self, reason: str, code: str = "invalid"):
        super().__init__(reason)
        if code not in AUTH_CODES:
            raise ValueError(f"AuthError code {code!r}: expected one of {', '.join(AUTH_CODES)}")
        self.reason = reason
        self.code = code


AUTH_CODES = (
    "wrong_secret",          # unknown user or wrong password/PIN (the two look alike on purpose)
    "totp_needed",           # the role needs a second factor and none was given
    "totp_wrong",            # wrong, expired or already used second-factor code
    "locked_out",            # too many failures: locked for a while
    "disabled",              # an admin disabled the account
    "expired_account",       # unused for longer than the policy allows
    "training_out_of_date",  # the user's training is older than the policy allows
    "no_such_user",          # an account change named no existing user
    "invalid",               # an account change with a bad name, role or password
)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    second_factor: bool
    training_date: date | None


def _v1_users(db) -> None:
    db.create_table(
        "users",
        {
            "name": str, "role": str, "secret_hash": str, "totp": bytes, "totp_last_step": int,
            "failed": int, "locked_until": float, "last_used": float, "created_at": float,
            "training_date": str, "disabled": int,
        },
        pk="name",
        not_null=["role", "secret_hash", "created_at"],
        defaults={"failed": 0, "disabled": 0},
    )


ACCOUNT_STEPS: list[Step] = [_v1_users]


class Accounts:
    def __init__(self, store, settings: AccountsSection | None = None, *, hasher: PasswordHasher | None = None):
        self.store = store
        self.settings = settings or AccountsSection()
        self.hasher = hasher or PasswordHasher()
        store.apply_migrations("accounts", ACCOUNT_STEPS)

    # -- queries --------------------------------------------------------------------

    def _row(self, name: str) -> dict | None:
        with self.store.read() as db:
            return next(iter(db.query("SELECT * FROM users WHERE name = ?", [name])), None)

    def count(self) -> int:
        with self.store.read() as db:
            return db.execute("SELECT count(*) FROM users").fetchone()[0]

    def list(self) -> list[dict]:
        """Accounts without their secrets."""
        with self.store.read() as db:
            rows = list(db.query("SELECT * FROM users ORDER BY name"))
        now = self.store.now()
        return [
            {
                "name": r["name"], "role": r["role"], "second_factor": r["totp"] is not None,
                "disabled": bool(r["disabled"]), "locked": bool(r["locked_until"] and r["locked_until"] > now.timestamp()),
                "last_used": _iso(r["last_used"]), "training_date": r["training_date"],
            }
            for r in rows
        ]

    # -- changes --------------------------------------------------------------------

    def add(self, name: str, role: str, password: str, training_date: date | None = None, *,
            actor: str = "bootstrap", actor_role: str | None = None) -> str | None:
        """Create an account; returns the TOTP enrolment URI (shown once) or None."""
        problem = None
        if not NAME_PATTERN.match(name or ""):
            problem = f"user name {name!r}: expected lower-case letters, digits, '.', '_' or '-' (at most 64)"
        elif role not in ROLES:
            problem = f"role {role!r}: expected one of {', '.join(ROLES)}"
        elif len(password or "") < MIN_SECRET_LENGTH:
            problem = f"password or PIN too short: at least {MIN_SECRET_LENGTH} characters"
        elif self._row(name) is not None:
            problem = f"user {name!r} already exists"
        if problem:
            self.store.audit(actor, actor_role, "users.add", data={"name": name, "role": role}, outcome=f"refused: {problem}")
            raise AuthError(problem)
        now = self.store.now()
        secret = pyotp.random_base32() if needs_second_factor(role) else None
        with self.store.write() as db:
            db["users"].insert({
                "name": name, "role": role, "secret_hash": self.hasher.hash(password),
                "totp": self.store.seal(f"user:{name}", None, secret.encode()) if secret else None,
                "totp_last_step": None, "failed": 0, "locked_until": None, "last_used": None,
                "created_at": now.timestamp(), "training_date": (training_date or now.date()).isoformat(), "disabled": 0,
            })
            self.store.audit(actor, actor_role, "users.add", data={"name": name, "role": role,
                             "training_date": (training_date or now.date()).isoformat()})
        return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=TOTP_ISSUER) if secret else None

    def _update(self, name: str, action: str, changes: dict, actor: str, actor_role: str | None, data: dict | None = None) -> None:
        with self.store.write() as db:
            if self._row(name) is None:
                self.store.audit(actor, actor_role, action, data={"name": name}, outcome="refused: no such user")
                raise AuthError(f"no user {name!r}", "no_such_user")
            db["users"].update(name, changes)
            self.store.audit(actor, actor_role, action, data={"name": name, **(data or {})})

    def disable(self, name: str, *, actor: str, actor_role: str | None) -> None:
        self._update(name, "users.disable", {"disabled": 1}, actor, actor_role)

    def enable(self, name: str, *, actor: str, actor_role: str | None) -> None:
        """Re-enable: clears the disabled flag, the lockout and the inactivity clock."""
        changes = {"disabled": 0, "failed": 0, "locked_until": None, "last_used": self.store.now().timestamp()}
        self._update(name, "users.enable", changes, actor, actor_role)

    def set_training(self, name: str, training_date: date, *, actor: str, actor_role: str | None) -> None:
        self._update(name, "users.training", {"training_date": training_date.isoformat()}, actor, actor_role,
                     {"training_date": training_date.isoformat()})

    # -- login ----------------------------------------------------------------------

    def authenticate(self, name: str, password: str, totp_code: str | None = None) -> User:
        """The user, or AuthError saying why not. Audited either way."""
        now = self.store.now()
        row = self._row(name)
        try:
            user = self._check(row, name, password, totp_code, now)
        except AuthError as error:
            self.store.audit(name, row["role"] if row else None, "login.failed", data={"code": error.code},
                             outcome=f"refused: {error.reason}")
            raise
        self.store.audit(name, user.role, "login")
        return user

    def _fail(self, row: dict, now: datetime, reason: str, code: str) -> AuthError:
        failed = (row["failed"] or 0) + 1
        changes = {"failed": failed}
        if failed >= self.settings.max_failed_logins:
            changes["locked_until"] = (now + timedelta(minutes=self.settings.lockout_minutes)).timestamp()
            reason += f"; account locked for {self.settings.lockout_minutes:g} minutes after {failed} failed attempts"
            code = "locked_out"
        with self.store.write() as db:
            db["users"].update(row["name"], changes)
        return AuthError(reason, code)

    def _check(self, row, name, password, totp_code, now: datetime) -> User:
        if row is None:
            raise AuthError("unknown user or wrong password", "wrong_secret")
        if row["disabled"]:
            raise AuthError("account disabled: ask an admin", "disabled")
        if row["locked_until"] and row["locked_until"] > now.timestamp():
            raise AuthError(f"account locked after repeated failures until {_iso(row['locked_until'])}", "locked_out")
        try:
            self.hasher.verify(row["secret_hash"], password or "")
        except (VerificationError, InvalidHashError):
            raise self._fail(row, now, "unknown user or wrong password", "wrong_secret") from None
        step = None
        if row["totp"] is not None:
            if not totp_code:
                raise AuthError(f"role {row['role']} needs a second factor: give the code from the authenticator app", "totp_needed")
            step = self._totp_step(row, totp_code.strip(), now)
            if step is None:
                raise self._fail(row, now, "wrong or expired second-factor code", "totp_wrong")
            if row["totp_last_step"] is not None and step <= row["totp_last_step"]:
                raise self._fail(row, now, "second-factor code already used: wait for the next one", "totp_wrong")
        last = row["last_used"] or row["created_at"]
        if now.timestamp() - last > self.settings.inactive_days * 86400:
            raise AuthError(f"account unused since {_iso(last)[:10]} (more than {self.settings.inactive_days} days): an admin must re-enable it", "expired_account")
        trained = date.fromisoformat(row["training_date"]) if row["training_date"] else None
        if trained is None or (now.date() - trained).days > self.settings.training_valid_days:
            raise AuthError(f"training dated {trained} is more than {self.settings.training_valid_days} days old: "
                            "renew the training, then an admin records the new date", "training_out_of_date")
        changes = {"failed": 0, "locked_until": None, "last_used": now.timestamp()}
        if step is not None:
            changes["totp_last_step"] = step
        if self.hasher.check_needs_rehash(row["secret_hash"]):
            changes["secret_hash"] = self.hasher.hash(password)
        with self.store.write() as db:
            db["users"].update(row["name"], changes)
        return User(row["name"], row["role"], row["totp"] is not None, trained)

    def _totp_step(self, row: dict, code: str, now: datetime) -> int | None:
        secret = self.store.unseal(f"user:{row['name']}", None, row["totp"]).decode()
        totp = pyotp.TOTP(secret)
        base = int(now.timestamp()) // totp.interval
        for step in (base, base - 1, base + 1):  # one step of clock drift either way
            if totp.at(step * totp.interval) == code:
                return step
        return None


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None
