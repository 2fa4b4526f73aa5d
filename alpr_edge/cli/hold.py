"""`alpr-edge hold add|list|release`: evidence holds keep a read past retention."""

from __future__ import annotations

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError
from alpr_edge.cli.store_access import add_login_options, login, open_store


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("hold", help="evidence holds on stored reads")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[common], help="keep a read (and its images) past retention")
    add.add_argument("read_id", metavar="READ_ID")
    add.add_argument("--case", required=True, dest="case_number", metavar="N")
    add.add_argument("--reason", required=True)
    add_login_options(add)
    add.set_defaults(handler=add_hold)
    listing = actions.add_parser("list", parents=[common], help="active holds (no plates shown)")
    listing.add_argument("--all", action="store_true", help="include released holds")
    add_login_options(listing)
    listing.set_defaults(handler=list_holds)
    release = actions.add_parser("release", parents=[common], help="release a hold by hold id or read id")
    release.add_argument("hold_id", metavar="HOLD_OR_READ_ID")
    release.add_argument("--reason", required=True, help="why the evidence may now go (kept in the audit trail)")
    add_login_options(release)
    release.set_defaults(handler=release_hold)


def add_hold(args) -> int:
    from alpr_edge.store import HoldError
    from alpr_edge.store import add_hold as add

    config, store = open_store(args)
    with store:
        user = login(args, store, config, "hold.add")
        try:
            hold_id = add(store, args.read_id, case_number=args.case_number, reason=args.reason, user=user.name, role=user.role)
        except HoldError as error:
            raise CliError(str(error), EXIT_FAILED) from None
    print(f"hold {hold_id} on read {args.read_id}")
    return EXIT_OK


def list_holds(args) -> int:
    from alpr_edge.store import list_holds as holds

    config, store = open_store(args)
    with store:
        user = login(args, store, config, "hold.list")
        rows = holds(store, include_released=args.all)
        store.audit(user.name, user.role, "hold.list", data={"count": len(rows)})
    for h in rows:
        state = f"released {h['released_at']} by {h['released_by']}" if h["released_at"] else "active"
        print(f"{h['id']}  read {h['read_id']}  case {h['case_number']}  by {h['created_by']} {h['created_at']}  {state}  {h['reason']}")
    print(f"{len(rows)} hold(s)")
    return EXIT_OK


def release_hold(args) -> int:
    from alpr_edge.store import HoldError
    from alpr_edge.store import release_hold as release
    from alpr_edge.store.corrections import says_why

    config, store = open_store(args)
    with store:
        reason = args.reason.strip()
        if not says_why(reason):  # the screen's rule; checked before the login, so no one-time code is spent on it
            raise CliError("hold release: --reason must say why the evidence may now go (a few words)", EXIT_FAILED)
        user = login(args, store, config, "hold.release")
        try:
            count = release(store, args.hold_id, user=user.name, role=user.role, reason=reason)
        except HoldError as error:
            raise CliError(str(error), EXIT_FAILED) from None
    print(f"released {count} hold(s)")
    return EXIT_OK
