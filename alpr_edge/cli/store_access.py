"""Shared by the store's commands (reads, hold, purge, audit, users, hotlist, alerts, stats): open
the store for the configured data dir, and log a user in for one action.

A command runs as the user of the caller's `alpr-edge login` session when
there is one (and ``--user`` names nobody else); otherwise it asks for
``--user``'s password (and second factor) itself. Without either it refuses
and says how to log in. Every refusal is audited, with what was asked for.

Not a command itself (not in COMMAND_MODULES).
"""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime

from alpr_edge.cli import EXIT_FAILED, CliError, load_config_or_exit

HOW_TO_LOG_IN = "log in first: `alpr-edge login --user NAME` (a session for this Unix user), or give --user NAME"


def add_login_options(parser, *, required: bool = False) -> None:
    parser.add_argument("--user", required=required, metavar="NAME",
                        help="your account (default: the user of your `alpr-edge login` session)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password or PIN from the first line of stdin instead of the terminal")
    parser.add_argument("--totp", metavar="CODE", help="second-factor code (supervisor and admin, or any enrolled account)")


def open_store(args):
    """(config, store) for the command's data dir, on the command's clock; CliError when keys are missing."""
    from alpr_edge.profiles import load_profile
    from alpr_edge.schema import SchemaError
    from alpr_edge.store import KeysMissing, Store

    config = load_config_or_exit(args)
    try:
        sim = load_profile(config.device.profile).kind == "sim"
    except SchemaError:
        sim = False
    clock = getattr(args, "clock", None)
    try:
        store = Store.open(config.data_dir, config.store, dev_keys=sim, uplink_enabled=bool(config.uplink.broker),
                           clock=(lambda: datetime.fromtimestamp(clock(), UTC)) if clock else None)
    except KeysMissing as error:
        raise CliError(str(error)) from None
    return config, store


def read_secret(args, prompt: str) -> str:
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline()
        if not line:
            raise CliError("--password-stdin: nothing on stdin")
        return line.rstrip("\r\n")
    require_terminal()
    return getpass.getpass(prompt)


def require_terminal() -> None:
    """CliError saying how to pass a password when there is no terminal to ask on (scripts, pipes)."""
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the password on: pass it as the first line of stdin with --password-stdin")


def login(args, store, config, action: str, *, asked: dict | None = None, audited_as: str | None = None):
    """The user (from the session, or ``--user`` and a password) if it may do ``action``; else CliError.

    ``asked``: what the command was asked for (``data``, ``purpose``, ``case_number``), kept in the
    audit record of a refusal, under ``audited_as`` (default ``action``: the permission is the act).
    """
    from alpr_edge.accounts import Accounts, AuthError, can
    from alpr_edge.accounts.permissions import describe, refusal
    from alpr_edge.accounts.sessions import CliSessions

    accounts = Accounts(store, config.accounts)
    name = getattr(args, "user", None)
    try:
        try:
            user, session_problem = CliSessions(accounts).current(), None
        except AuthError as error:
            user, session_problem = None, error.reason
        if user is not None and name not in (None, user.name):
            user = None  # --user names someone else: that user must give a password
        if user is None:
            if not name:
                raise CliError(f"a login is needed to {describe(action)}: {session_problem or HOW_TO_LOG_IN}", EXIT_FAILED)
            user = accounts.authenticate(name, read_secret(args, f"password or PIN for {name}: "), getattr(args, "totp", None))
    except (AuthError, CliError) as error:
        reason = f"login refused: {error.reason}" if isinstance(error, AuthError) else str(error)
        _audit_refusal(store, name or "(no login)", None, audited_as or action, asked, reason)
        raise CliError(reason, EXIT_FAILED) from None
    if not can(user.role, action):
        why = refusal(user.role, action)
        _audit_refusal(store, user.name, user.role, audited_as or action, asked, why)
        raise CliError(why, EXIT_FAILED)
    return user


def _audit_refusal(store, user: str, role: str | None, action: str, asked: dict | None, reason: str) -> None:
    asked = asked or {}
    store.audit(user, role, action, data=asked.get("data"), purpose=asked.get("purpose"),
                case_number=asked.get("case_number"), outcome=f"refused: {reason}")
