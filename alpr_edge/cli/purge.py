"""`alpr-edge purge [--as-of DATE]`: apply retention now (the daemon does it daily)."""

from __future__ import annotations

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError
from alpr_edge.cli.reads import when
from alpr_edge.cli.store_access import add_login_options, login, open_store


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("purge", parents=[common], help="purge reads and audit records past retention, shred day keys")
    parser.add_argument("--as-of", type=when, metavar="DATE", help="apply retention as if it were this date (UTC); default now; a future date needs an admin")
    add_login_options(parser)
    parser.set_defaults(handler=run_purge)


def run_purge(args) -> int:
    from alpr_edge import progress
    from alpr_edge.accounts import can
    from alpr_edge.store.retention import PURGE_STEPS, purge

    config, store = open_store(args)
    with store:
        user = login(args, store, config, "purge")
        if args.as_of and args.as_of > store.now() and not can(user.role, "purge.ahead"):
            # A date in the future would purge data early: only an admin may.
            store.audit(user.name, user.role, "purge", data={"as_of": args.as_of}, outcome="refused: future --as-of needs an admin")
            raise CliError(f"--as-of {args.as_of.date()} is in the future: only an admin may purge ahead of time", EXIT_FAILED)
        with progress.steps(PURGE_STEPS, "purge") as step:  # on a terminal only: stdout stays the report
            report = purge(store, args.as_of or store.now(), user=user.name, role=user.role, step=step)
    for key, value in report.to_dict().items():
        print(f"{key:22} {', '.join(value) if isinstance(value, list) else value}")
    return EXIT_OK
