"""`alpr-edge login|logout`: one short command-line session for this Unix user.

`login` asks once for the password (and the second factor) and lets the
following commands run as that user for ``accounts.cli_session_minutes``
(default 15), so an analyst does not spend one authenticator code per
command. `logout` ends it. The rules live in `alpr_edge.accounts.sessions`.
"""

from __future__ import annotations

import time

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError
from alpr_edge.cli.store_access import add_login_options, open_store, read_secret


def register(subparsers, common) -> None:
    login = subparsers.add_parser("login", parents=[common], help="start a short session for this Unix user (password + second factor once)")
    add_login_options(login, required=True)
    login.set_defaults(handler=start_session)
    logout = subparsers.add_parser("logout", parents=[common], help="end this Unix user's session")
    logout.set_defaults(handler=end_session)


def start_session(args) -> int:
    from alpr_edge.accounts import Accounts, AuthError
    from alpr_edge.accounts.sessions import CliSessions

    config, store = open_store(args)
    with store:
        accounts = Accounts(store, config.accounts)
        try:
            user = accounts.authenticate(args.user, read_secret(args, f"password or PIN for {args.user}: "), args.totp)
        except AuthError as error:
            raise CliError(f"login refused: {error.reason}", EXIT_FAILED) from None
        expires = CliSessions(accounts).open(user)
    until = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(expires))
    print(f"logged in as {user.name} ({user.role}) until {until}; `alpr-edge logout` ends it")
    return EXIT_OK


def end_session(args) -> int:
    from alpr_edge.accounts import Accounts
    from alpr_edge.accounts.sessions import CliSessions

    config, store = open_store(args)
    with store:
        name = CliSessions(Accounts(store, config.accounts)).close()
    print(f"logged out {name}" if name else "no session to end")
    return EXIT_OK
