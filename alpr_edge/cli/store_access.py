"""Shared by the store's commands (reads, hold, purge, audit, users): open the
store for the configured data dir, and log a user in for one action.

Not a command itself (not in COMMAND_MODULES).
"""

from __future__ import annotations

import getpass
import sys

from alpr_edge.cli import EXIT_FAILED, CliError, load_config_or_exit


def add_login_options(parser, *, required: bool = True) -> None:
    parser.add_argument("--user", required=required, metavar="NAME", help="your account")
    parser.add_argument("--password-stdin", action="store_true", help="read the password or PIN from the first line of stdin instead of the terminal")
    parser.add_argument("--totp", metavar="CODE", help="second-factor code (supervisor and admin)")


def open_store(args):
    """(config, store) for the command's data dir; CliError when keys are missing."""
    from alpr_edge.profiles import load_profile
    from alpr_edge.schema import SchemaError
    from alpr_edge.store import KeysMissing, Store

    config = load_config_or_exit(args)
    try:
        sim = load_profile(config.device.profile).kind == "sim"
    except SchemaError:
        sim = False
    try:
        store = Store.open(config.data_dir, config.store, dev_keys=sim, uplink_enabled=bool(config.uplink.broker))
    except KeysMissing as error:
        raise CliError(str(error)) from None
    return config, store


def read_secret(args, prompt: str) -> str:
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline()
        if not line:
            raise CliError("--password-stdin: nothing on stdin")
        return line.rstrip("\r\n")
    return getpass.getpass(prompt)


def login(args, store, config, action: str):
    """Authenticate ``--user`` and check it may do ``action``; the User or CliError."""
    from alpr_edge.accounts import Accounts, AuthError, can

    accounts = Accounts(store, config.accounts)
    password = read_secret(args, f"password or PIN for {args.user}: ")
    try:
        user = accounts.authenticate(args.user, password, args.totp)
    except AuthError as error:
        raise CliError(f"login refused: {error.reason}", EXIT_FAILED) from None
    if not can(user.role, action):
        store.audit(user.name, user.role, action, outcome=f"refused: role {user.role} may not {action}")
        raise CliError(f"role {user.role} may not {action}", EXIT_FAILED)
    return user
