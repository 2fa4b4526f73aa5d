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
- re-enabled by an admin: refused until an admin records current training
  (a training date in the future is refused).

Guessing is bounded even under parallel logins: each attempt is counted (and
the account locked when it reaches the limit) in one write transaction
*before* the password hash is checked, so at most ``max_failed_logins``
guesses are ever checked before the lock; a right password refunds its count.
Unknown names are checked against a dummy hash, so they take as long as
known ones.
"""

from __future__ import annotations

import re
import secrets
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
    "enrolment_needed",      # the policy requires a second factor this account has not enrolled
    "no_such_user",          # an account change named no existing user
    "invalid",               # an account change with a bad name, role or password
)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    second_factor: bool
    training_date: date | None
    agency: str | None = None
    badge: str | None = None


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


def _v2_identity_training_sessions(db) -> None:
    # Agency and badge number identify a user in the audit trail (the trail copies them);
    # needs_training: re-enabled, refused until an admin records current training.
    db["users"].add_column("agency", str)
    db["users"].add_column("badge", str)
    db["users"].add_column("needs_training", int, not_null_default=0)
    # `alpr-edge login`: one row per command-line session; the token itself is only in the user's file.
    db.create_table("cli_sessions", {"token_hash": str, "name": str, "uid": int, "created_at": float, "expires_at": float},
                    pk="token_hash", not_null=["name", "uid", "created_at", "expires_at"])


ACCOUNT_STEPS: list[Step] = [_v1_users, _v2_identity_training_sessions]


class Accounts:
    def __init__(self, store, settings: AccountsSection | None = None, *, hasher: PasswordHasher | None = None):
        self.store = store
        self.settings = settings or AccountsSection()
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None
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
                "needs_training": bool(r["needs_training"]), "agency": r["agency"], "badge": r["badge"],
            }
            for r in rows
        ]

    def needs_second_factor(self, role: str) -> bool:
        return needs_second_factor(role, every_role=self.settings.require_second_factor == "all")

    # -- changes --------------------------------------------------------------------

    def _training_problem(self, training_date: date | None) -> str | None:
        if training_date is not None and training_date > self.store.now().date():
            return f"training date {training_date} is in the future: record the date the training was completed"
        return None

    def add(self, name: str, role: str, password: str, training_date: date | None = None, *,
            actor: str = "bootstrap", actor_role: str | None = None, agency: str | None = None, badge: str | None = None,
            second_factor: bool = False) -> str | None:
        """Create an account; returns the TOTP enrolment URI (shown once) or None.

        A second factor is enrolled when the role or the policy requires one, or when ``second_factor`` asks for it.
        """
        problem = None
        if not NAME_PATTERN.match(name or ""):
            problem = f"user name {name!r}: expected lower-case letters, digits, '.', '_' or '-' (at most 64)"
        elif role not in ROLES:
            problem = f"role {role!r}: expected one of {', '.join(ROLES)}"
        elif len(password or "") < MIN_SECRET_LENGTH:
            problem = f"password or PIN too short: at least {MIN_SECRET_LENGTH} characters"
        elif self._row(name) is not None:
            problem = f"user {name!r} already exists"
        else:
            problem = self._training_problem(training_date) or _identity_problem(agency, badge)
        if problem:
            self.store.audit(actor, actor_role, "users.add", data={"name": name, "role": role}, outcome=f"refused: {problem}")
            raise AuthError(problem)
        now = self.store.now()
        secret = pyotp.random_base32() if second_factor or self.needs_second_factor(role) else None
        trained = (training_date or now.date()).isoformat()
        with self.store.write() as db:
            db["users"].insert({
                "name": name, "role": role, "secret_hash": self.hasher.hash(password),
                "totp": self.store.seal(f"user:{name}", None, secret.encode()) if secret else None,
                "totp_last_step": None, "failed": 0, "locked_until": None, "last_used": None,
                "created_at": now.timestamp(), "training_date": trained, "disabled": 0,
                "agency": agency, "badge": badge, "needs_training": 0,
            })
            self.store.audit(actor, actor_role, "users.add", data={"name": name, "role": role, "training_date": trained,
                                                                   "agency": agency, "badge": badge})
        return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=TOTP_ISSUER) if secret else None

    def _update(self, name: str, action: str, changes: dict, actor: str, actor_role: str | None, data: dict | None = None) -> None:
        with self.store.write() as db:
            found = self._row(name) is not None
            if found:
                db["users"].update(name, changes)
                self.store.audit(actor, actor_role, action, data={"name": name, **(data or {})})
        if not found:  # audited outside the transaction, which a raise inside would roll back
            self.store.audit(actor, actor_role, action, data={"name": name}, outcome="refused: no such user")
            raise AuthError(f"no user {name!r}", "no_such_user")

    def disable(self, name: str, *, actor: str, actor_role: str | None) -> None:
        self._update(name, "users.disable", {"disabled": 1}, actor, actor_role)

    def enable(self, name: str, *, actor: str, actor_role: str | None) -> None:
        """Re-enable: clears the disabled flag, the lockout and the inactivity clock. The user is
        still refused until an admin records current training (`set_training`)."""
        changes = {"disabled": 0, "failed": 0, "locked_until": None, "last_used": self.store.now().timestamp(), "needs_training": 1}
        self._update(name, "users.enable", changes, actor, actor_role)

    def set_training(self, name: str, training_date: date, *, actor: str, actor_role: str | None) -> None:
        problem = self._training_problem(training_date)  # an old date may be recorded; logins then refuse it
        if problem:
            self.store.audit(actor, actor_role, "users.training", data={"name": name, "training_date": training_date.isoformat()},
                             outcome=f"refused: {problem}")
            raise AuthError(problem)
        self._update(name, "users.training", {"training_date": training_date.isoformat(), "needs_training": 0}, actor, actor_role,
                     {"training_date": training_date.isoformat()})

    def set_identity(self, name: str, *, agency: str | None, badge: str | None, actor: str, actor_role: str | None) -> None:
        if problem := _identity_problem(agency, badge):
            raise AuthError(problem)
        self._update(name, "users.identity", {"agency": agency, "badge": badge}, actor, actor_role, {"agency": agency, "badge": badge})

    def enrol_second_factor(self, name: str, *, actor: str, actor_role: str | None) -> str:
        """A new TOTP secret for ``name`` (any role); returns the enrolment URI, shown once."""
        secret = pyotp.random_base32()
        sealed = self.store.seal(f"user:{name}", None, secret.encode())
        self._update(name, "users.enrol_totp", {"totp": sealed, "totp_last_step": None}, actor, actor_role)
        return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=TOTP_ISSUER)

    def delete(self, name: str, *, actor: str, actor_role: str | None) -> None:
        """Remove the account and its command-line sessions; the audit trail keeps its name and history."""
        with self.store.write() as db:
            row = self._row(name)
            refusal = _delete_refusal(db, name, row)
            if refusal is None and row is not None:
                self.store.audit(actor, actor_role, "users.delete", data={"name": name, "role": row["role"],
                                                                          "agency": row["agency"], "badge": row["badge"]})
                db.execute("DELETE FROM cli_sessions WHERE name = ?", [name])
                db["users"].delete(name)
        if refusal is not None:  # audited outside the transaction, which a raise inside would roll back
            self.store.audit(actor, actor_role, "users.delete", data={"name": name}, outcome=f"refused: {refusal.reason}")
            raise refusal

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

    def _dummy(self) -> str:
        """A hash with the real parameters, so an unknown name costs one Argon2 check like a known one."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_hex(16))
        return self._dummy_hash

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash, password or "")
        except (VerificationError, InvalidHashError):
            return False

    def _reserve(self, name: str, now: datetime) -> int:
        """Count this attempt as a failure before checking it (one write transaction, so parallel
        attempts cannot all slip in under the limit); lock the account when it reaches the limit.
        Returns the new count; AuthError when the account is already locked."""
        with self.store.write() as db:
            failed, locked_until = db.execute("SELECT failed, locked_until FROM users WHERE name = ?", [name]).fetchone()
            if locked_until and locked_until > now.timestamp():
                raise AuthError(f"account locked after repeated failures until {_iso(locked_until)}", "locked_out")
            failed = (failed or 0) + 1
            changes: dict = {"failed": failed}
            if failed >= self.settings.max_failed_logins:
                changes["locked_until"] = (now + timedelta(minutes=self.settings.lockout_minutes)).timestamp()
            db["users"].update(name, changes)
        return failed

    def _refund(self, name: str) -> None:
        """The password was right: this attempt was no guess, take its count back (and the lock it set)."""
        with self.store.write() as db:
            db.execute("UPDATE users SET failed = max(coalesce(failed, 1) - 1, 0),"
                       " locked_until = CASE WHEN coalesce(failed, 1) - 1 < ? THEN NULL ELSE locked_until END WHERE name = ?",
                       [self.settings.max_failed_logins, name])

    def _failed(self, failed: int, reason: str, code: str) -> AuthError:
        if failed >= self.settings.max_failed_logins:
            reason += f"; account locked for {self.settings.lockout_minutes:g} minutes after {failed} failed attempts"
            code = "locked_out"
        return AuthError(reason, code)

    def _check(self, row, name, password, totp_code, now: datetime) -> User:
        if row is None or row["disabled"]:
            self._verify(self._dummy(), password)  # same cost as a real check: the time tells nothing
            if row is None:
                raise AuthError("unknown user or wrong password", "wrong_secret")
            raise AuthError("account disabled: ask an admin", "disabled")
        failed = self._reserve(row["name"], now)
        if not self._verify(row["secret_hash"], password):
            raise self._failed(failed, "unknown user or wrong password", "wrong_secret")
        step = None
        if row["totp"] is not None:
            if not totp_code:
                self._refund(row["name"])
                raise AuthError(f"role {row['role']} needs a second factor: give the code from the authenticator app", "totp_needed")
            step = self._totp_step(row, totp_code.strip(), now)
            if step is None:
                raise self._failed(failed, "wrong or expired second-factor code", "totp_wrong")
            if row["totp_last_step"] is not None and step <= row["totp_last_step"]:
                raise self._failed(failed, "second-factor code already used: wait for the next one", "totp_wrong")
        try:
            trained = self._standing(row, now)
        except AuthError:
            self._refund(row["name"])
            raise
        changes: dict = {"failed": 0, "locked_until": None, "last_used": now.timestamp()}
        if step is not None:
            changes["totp_last_step"] = step
        if self.hasher.check_needs_rehash(row["secret_hash"]):
            changes["secret_hash"] = self.hasher.hash(password)
        with self.store.write() as db:
            db["users"].update(row["name"], changes)
        return _user(row, trained)

    def _standing(self, row: dict, now: datetime) -> date:
        """Refusals that do not depend on the credentials (checked after them); the training date."""
        if row["totp"] is None and self.needs_second_factor(row["role"]):
            raise AuthError("this agency requires a second factor for every account: ask an admin to enrol one "
                            f"(alpr-edge users enrol-totp {row['name']})", "enrolment_needed")
        last = row["last_used"] or row["created_at"]
        if now.timestamp() - last > self.settings.inactive_days * 86400:
            raise AuthError(f"account unused since {(_iso(last) or '')[:10]} (more than {self.settings.inactive_days} days): an admin must re-enable it", "expired_account")
        if row["needs_training"]:
            raise AuthError("account re-enabled: an admin must record the user's current training date first", "training_out_of_date")
        trained = date.fromisoformat(row["training_date"]) if row["training_date"] else None
        if trained is None or (now.date() - trained).days > self.settings.training_valid_days:
            raise AuthError(f"training dated {trained} is more than {self.settings.training_valid_days} days old: "
                            "renew the training, then an admin records the new date", "training_out_of_date")
        return trained

    def standing_user(self, name: str) -> User:
        """``name`` as a User if the account may still work now (not deleted, disabled, locked, expired or
        untrained), else AuthError. For a command-line session, which holds no password."""
        now = self.store.now()
        row = self._row(name)
        if row is None:
            raise AuthError(f"no user {name!r}", "no_such_user")
        if row["disabled"]:
            raise AuthError("account disabled: ask an admin", "disabled")
        if row["locked_until"] and row["locked_until"] > now.timestamp():
            raise AuthError(f"account locked after repeated failures until {_iso(row['locked_until'])}", "locked_out")
        trained = self._standing(row, now)
        with self.store.write() as db:
            db["users"].update(name, {"last_used": now.timestamp()})
        return _user(row, trained)

    def _totp_step(self, row: dict, code: str, now: datetime) -> int | None:
        secret = self.store.unseal(f"user:{row['name']}", None, row["totp"]).decode()
        totp = pyotp.TOTP(secret)
        base = int(now.timestamp()) // totp.interval
        for step in (base, base - 1, base + 1):  # one step of clock drift either way
            if totp.at(step * totp.interval) == code:
                return step
        return None


def _delete_refusal(db, name: str, row: dict | None) -> AuthError | None:
    """Why ``name`` cannot be deleted (unknown, or the last admin), or None."""
    if row is None:
        return AuthError(f"no user {name!r}", "no_such_user")
    if row["role"] == "admin" and db.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0] == 1:
        return AuthError("the last admin cannot be deleted: create another admin first", "invalid")
    return None


def _user(row: dict, trained: date | None) -> User:
    return User(row["name"], row["role"], row["totp"] is not None, trained, row.get("agency"), row.get("badge"))


IDENTITY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .#/-]{0,39}$")


def _identity_problem(agency: str | None, badge: str | None) -> str | None:
    for what, value in (("agency", agency), ("badge number", badge)):
        if value is not None and not IDENTITY_PATTERN.match(value):
            return f"{what} {value!r}: expected letters, digits, spaces, '.', '#', '/' or '-' (at most 40)"
    return None


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None
