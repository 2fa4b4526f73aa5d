"""Command-line sessions: `alpr-edge login` once, then commands run as that user for a while.

An analyst who logs in with password and second factor gets a session for
``accounts.cli_session_minutes`` (default 15): a file
``DATA_DIR/sessions/cli-UID.json`` (0600, the folder 0700) that only the same
Unix user on the same device can use:

- bound to the device: the file carries an HMAC under a key derived from the
  device's records key (which never leaves the device), so a copy on another
  device, or a file written by hand, is refused;
- bound to the Unix user: the uid (and, under sudo, the invoking ``SUDO_UID``)
  is inside the signed part and the file must belong to the caller and be 0600;
- revocable: the store keeps only the hash of the session's random token;
  `close` (``alpr-edge logout``), deleting the user, or the expiry removes it,
  and a file whose token is not in the store is refused.

Every use re-checks the account (disabled, locked, expired, untrained: refused)
and is audited as that user (``login.session``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from alpr_edge.accounts.accounts import Accounts, AuthError, User
from alpr_edge.store.keys import RECORDS, write_secret

SESSION_DIR = "sessions"


@dataclass(frozen=True)
class Caller:
    """Who runs the command, as the kernel says (sudo passes the invoking user along)."""

    uid: int
    sudo_uid: int | None = None

    @classmethod
    def current(cls) -> Caller:
        sudo = os.environ.get("SUDO_UID", "")
        return cls(os.getuid(), int(sudo) if sudo.isdigit() else None)

    @property
    def label(self) -> str:
        return f"{self.uid}" if self.sudo_uid is None else f"{self.uid}-sudo{self.sudo_uid}"


class CliSessions:
    def __init__(self, accounts: Accounts, caller: Caller | None = None):
        self.accounts = accounts
        self.store = accounts.store
        self.caller = caller or Caller.current()
        self.path = Path(self.store.data_dir) / SESSION_DIR / f"cli-{self.caller.label}.json"

    def _mac(self, fields: dict) -> str:
        records_key = self.store.keys.raw_key(self.store.keys.key_for(RECORDS))
        session_key = hmac.new(records_key, b"alpr-edge cli session", hashlib.sha256).digest()
        return hmac.new(session_key, json.dumps(fields, sort_keys=True, allow_nan=False).encode(), hashlib.sha256).hexdigest()

    def open(self, user: User) -> float:
        """Start a session for ``user`` (already authenticated with every factor); returns its expiry."""
        now = self.store.now().timestamp()
        token = secrets.token_hex(32)
        expires = now + self.accounts.settings.cli_session_minutes * 60
        fields = {"user": user.name, "uid": self.caller.uid, "sudo_uid": self.caller.sudo_uid,
                  "issued_at": now, "expires_at": expires, "token": token}
        with self.store.write() as db:
            db.execute("DELETE FROM cli_sessions WHERE uid = ? OR expires_at <= ?", [self.caller.uid, now])
            db["cli_sessions"].insert({"token_hash": _digest(token), "name": user.name, "uid": self.caller.uid,
                                       "created_at": now, "expires_at": expires})
            self.store.audit(user.name, user.role, "login.session_start", data={"uid": self.caller.uid,
                             "sudo_uid": self.caller.sudo_uid, "expires_at": expires})
        self.path.parent.mkdir(mode=0o700, exist_ok=True)
        write_secret(self.path, json.dumps({**fields, "mac": self._mac(fields)}, allow_nan=False).encode())
        return expires

    def current(self) -> User | None:
        """The session's user, None without a session file; AuthError for a file that is not (or no
        longer) a valid session, which is then removed."""
        try:
            info = self.path.stat()
            fields = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self._drop(None)
            raise AuthError("the session file cannot be read: run alpr-edge login again") from None
        token = fields.get("token") if isinstance(fields, dict) else None
        problem = self._problem(info, fields)
        if problem:
            self._drop(token if isinstance(token, str) else None)
            raise AuthError(f"{problem}: run alpr-edge login again")
        user = self.accounts.standing_user(fields["user"])
        self.store.audit(user.name, user.role, "login.session", data={"uid": self.caller.uid, "expires_at": fields["expires_at"]})
        return user

    def _problem(self, info: os.stat_result, fields) -> str | None:
        if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            return f"session file {self.path} is not yours alone (owner or mode): not used, removed"
        mac = fields.pop("mac", None) if isinstance(fields, dict) else None
        if not isinstance(mac, str) or not hmac.compare_digest(mac, self._mac(fields)):
            return "the session was not made by this device"
        if (fields.get("uid"), fields.get("sudo_uid")) != (self.caller.uid, self.caller.sudo_uid):
            return "the session belongs to another Unix user"
        now = self.store.now().timestamp()
        if not fields.get("issued_at", now + 1) <= now < fields.get("expires_at", 0):
            return "the session has expired"
        with self.store.read() as db:
            row = db.execute("SELECT name, uid, expires_at FROM cli_sessions WHERE token_hash = ?",
                             [_digest(fields["token"])]).fetchone()
        if row is None or row != (fields["user"], self.caller.uid, fields["expires_at"]):
            return "the session was ended (logout, or the account was deleted)"
        return None

    def close(self) -> str | None:
        """End the caller's session (logout); returns the user it belonged to, or None."""
        try:
            fields = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            fields = {}
        name = fields.get("user") if isinstance(fields, dict) else None
        self._drop(fields.get("token") if isinstance(fields, dict) else None)
        if isinstance(name, str):
            self.store.audit(name, None, "logout", data={"uid": self.caller.uid})
            return name
        return None

    def _drop(self, token: str | None) -> None:
        if token:
            with self.store.write() as db:
                db.execute("DELETE FROM cli_sessions WHERE token_hash = ?", [_digest(token)])
        self.path.unlink(missing_ok=True)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
