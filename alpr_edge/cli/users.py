"""`alpr-edge users add|list|disable|enable|training|delete|enrol-totp|identity`: individual accounts.

The first account of a device must be an admin and needs no login (that is
how provisioning creates it); every later change needs an admin (`--as`, or
the admin's `alpr-edge login` session). With ``--password-stdin`` the new
user's password is the first line of stdin and the acting admin's password
the second. A re-enabled account works again only once `users training`
records current training. Every change is audited; a deleted user's name
stays in the audit trail.
"""

from __future__ import annotations

from datetime import date

from alpr_edge.accounts.permissions import ROLES
from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError
from alpr_edge.cli.store_access import add_login_options, login, open_store, read_secret, require_terminal


def _as_admin(parser) -> None:
    parser.add_argument("--as", dest="user", metavar="ADMIN",
                        help="the admin making the change (default: your `alpr-edge login` session; not needed for a device's first account)")
    parser.add_argument("--password-stdin", action="store_true", help="read passwords from stdin (new user's first, then the admin's)")
    parser.add_argument("--totp", metavar="CODE", help="the admin's second-factor code")


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("users", help="manage accounts")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[common], help="create an account (prints the TOTP enrolment once)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--training-date", type=date.fromisoformat, metavar="DATE", help="date of the user's ALPR training (default today)")
    add.add_argument("--agency", metavar="ID", help="the user's agency (ORI or name), kept in every audit record")
    add.add_argument("--badge", metavar="NUMBER", help="the user's badge number, kept in every audit record")
    add.add_argument("--second-factor", action="store_true", help="enrol a TOTP second factor for any role (supervisors and admins always have one)")
    _as_admin(add)
    add.set_defaults(handler=add_user)
    listing = actions.add_parser("list", parents=[common], help="accounts, roles and states (no secrets)")
    add_login_options(listing)
    listing.set_defaults(handler=list_users)
    _change(actions, common, "disable", "refuse all logins of an account")
    _change(actions, common, "enable", "re-enable an account (also clears lockout and inactivity)")
    training = _change(actions, common, "training", "record a user's new training date")
    training.add_argument("date", type=date.fromisoformat, metavar="DATE")
    _change(actions, common, "delete", "delete an account (the audit trail keeps its name)")
    _change(actions, common, "enrol-totp", "enrol a new second factor for an account (prints the URI once)")
    identity = _change(actions, common, "identity", "set a user's agency and badge number")
    identity.add_argument("--agency", metavar="ID")
    identity.add_argument("--badge", metavar="NUMBER")


def _change(actions, common, action: str, helptext: str):
    """A `users ACTION NAME` subcommand an admin runs, handled by `change_user`."""
    sub = actions.add_parser(action, parents=[common], help=helptext)
    sub.add_argument("name", metavar="NAME")
    _as_admin(sub)
    sub.set_defaults(handler=change_user)
    return sub


def add_user(args) -> int:
    import getpass

    from alpr_edge.accounts import Accounts, AuthError
    from alpr_edge.accounts.permissions import FIRST_ACCOUNT_ROLE

    config, store = open_store(args)
    with store:
        accounts = Accounts(store, config.accounts)
        if args.password_stdin:
            password = read_secret(args, "")
        else:
            require_terminal()
            password = getpass.getpass(f"new password or PIN for {args.name}: ")
            if getpass.getpass("again: ") != password:
                raise CliError("the two entries differ")
        if accounts.count() == 0:
            if args.role != FIRST_ACCOUNT_ROLE:
                raise CliError(f"the first account of a device must be an {FIRST_ACCOUNT_ROLE}")
            actor, actor_role = f"os:{getpass.getuser()}", None
        else:
            admin = login(args, store, config, "users.manage")
            actor, actor_role = admin.name, admin.role
        try:
            uri = accounts.add(args.name, args.role, password, args.training_date, actor=actor, actor_role=actor_role,
                               agency=args.agency, badge=args.badge, second_factor=args.second_factor)
        except AuthError as error:
            raise CliError(error.reason, EXIT_FAILED) from None
    print(f"user {args.name} ({args.role}) created")
    if uri:
        print("second factor: enrol this URI in an authenticator app now; it is not shown again:")
        print(uri)
    return EXIT_OK


def list_users(args) -> int:
    from alpr_edge.accounts import Accounts

    config, store = open_store(args)
    with store:
        user = login(args, store, config, "users.list")
        rows = Accounts(store, config.accounts).list()
        store.audit(user.name, user.role, "users.list")
    for u in rows:
        flags = ",".join(f for f, on in (("disabled", u["disabled"]), ("locked", u["locked"]), ("totp", u["second_factor"]),
                                         ("needs-training", u["needs_training"])) if on) or "-"
        who = " ".join(x for x in (u["agency"], f"#{u['badge']}" if u["badge"] else None) if x) or "-"
        print(f"{u['name']:<20} {u['role']:<11} {who:<20} {flags:<20} last used {u['last_used'] or 'never'}  training {u['training_date']}")
    return EXIT_OK


def change_user(args) -> int:
    from alpr_edge.accounts import Accounts, AuthError

    config, store = open_store(args)
    uri = None
    with store:
        admin = login(args, store, config, "users.manage", asked={"data": {"name": args.name, "change": args.action}})
        accounts = Accounts(store, config.accounts)
        who = {"actor": admin.name, "actor_role": admin.role}
        try:
            if args.action == "disable":
                accounts.disable(args.name, **who)
            elif args.action == "enable":
                accounts.enable(args.name, **who)
            elif args.action == "delete":
                accounts.delete(args.name, **who)
            elif args.action == "enrol-totp":
                uri = accounts.enrol_second_factor(args.name, **who)
            elif args.action == "identity":
                accounts.set_identity(args.name, agency=args.agency, badge=args.badge, **who)
            else:
                accounts.set_training(args.name, args.date, **who)
        except AuthError as error:
            raise CliError(error.reason, EXIT_FAILED) from None
    print(f"user {args.name}: {args.action} done")
    if args.action == "enable":
        print(f"record the user's current training before the account works: alpr-edge users training {args.name} DATE")
    if uri:
        print("second factor: enrol this URI in an authenticator app now; it is not shown again:")
        print(uri)
    return EXIT_OK
