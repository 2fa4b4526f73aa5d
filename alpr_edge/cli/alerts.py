"""`alpr-edge alerts ls|step`: alerts and their lifecycle from the command line.

Both go through the alert desk (``alpr_edge.alerts.AlertDesk``), as the touchscreen does:
covert alerts are listed only for supervisors and admins, and each step is
written to the store's audit trail, and so is every listing. (The car's buzzer
and light belong to the running daemon; a step taken here is heard there at its
next change.)
"""

from __future__ import annotations

import argparse
import json
import time

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError
from alpr_edge.cli.store_access import add_login_options


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "alerts", parents=[common], help="list alerts and record their steps",
        description="Without ACTION, the open alerts (as `alerts ls`).")
    _list_options(parser)
    parser.set_defaults(handler=list_alerts)
    # An action's options default to "not given", so that what came before the action stays
    # (`alerts --data-dir D ls`): argparse would otherwise overwrite D with the action's default.
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    ls = actions.add_parser("ls", aliases=["list"], argument_default=argparse.SUPPRESS, help="open alerts, most urgent first")
    _common_again(ls, common)
    _list_options(ls)
    ls.set_defaults(handler=list_alerts)
    step = actions.add_parser("step", argument_default=argparse.SUPPRESS,
                              help="move an alert one step (verified, misread, confirmed, ...)")
    _common_again(step, common)
    step.add_argument("alert_id")
    step.add_argument("step")
    step.add_argument("--note", default=None)
    step.add_argument("--disposition", default=None)
    step.add_argument("--reason", default=None, help="why a closing step (alpr_edge.alerts.lifecycle.REASONS): "
                      "misread: characters_differ | not_a_plate; wrong_state: state_differs; "
                      "not_confirmed: no_longer_wanted | not_on_file")
    add_login_options(step)
    step.set_defaults(handler=step_alert)


def _list_options(parser) -> None:
    parser.add_argument("--all", action="store_true", help="recent alerts, closed ones too")
    parser.add_argument("--json", action="store_true")
    add_login_options(parser)


def _common_again(parser, common) -> None:
    """The options every command takes, added afresh (parents would share them, defaults and all)."""
    for option in common._actions:
        if option.option_strings and option.dest != "help":
            parser.add_argument(*option.option_strings, dest=option.dest, type=option.type, metavar=option.metavar, help=option.help)


def _desk(args):
    """(the device's alert desk over the encrypted store, the logged-in user, the store); steps are audited there."""
    import atexit

    from alpr_edge.alerts import AlertDesk
    from alpr_edge.cli.store_access import login, open_store

    config, store = open_store(args)
    atexit.register(store.close)
    user = login(args, store, config, "alerts.verify")  # alerts carry case numbers and reasons
    return AlertDesk(store, settings=config.alerts), user, store


def list_alerts(args) -> int:
    desk, user, store = _desk(args)
    alerts = desk.recent_for(user.role, 200) if args.all else desk.open_for(user.role)
    store.audit(user.name, user.role, "alerts.browse", data={"all": args.all, "alerts": [a.alert_id for a in alerts]})
    if args.json:
        print(json.dumps([{**a.__dict__, "other_lists": list(a.other_lists)} for a in alerts], indent=2, allow_nan=False))
        return EXIT_OK
    print(f"{'ALERT':36}  {'CREATED (UTC)':19}  PRI  {'LIST':12} {'KIND':10} {'STATE':13} CASE")
    for a in alerts:
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(a.created_at))
        flags = "".join([" STALE" if a.stale else "", " covert" if a.covert else "", f" x{a.repeats + 1}" if a.repeats else ""])
        print(f"{a.alert_id}  {created}  P{a.priority}   {a.list_name:12} {a.match_kind:10} {a.state:13} {a.case_number or '-'}{flags}")
        if a.match_kind == "historical":
            print(f"    {_past_read(store, a.read_id)}")
    return EXIT_OK


def _past_read(store, read_id: str) -> str:
    """When and where a historical alert's read was made: the alert itself is only as old as the list entry."""
    read = store.get_read(read_id, images=False)
    if read is None:
        return f"NOT A LIVE SIGHTING: read {read_id} is no longer stored"
    when = (read.captured_at or "?").replace("T", " ").split(".")[0].rstrip("Z") + " UTC"
    where = read.position or {}
    place = f"{where['lat']:.5f},{where['lon']:.5f}" if where.get("lat") is not None else "no position"
    return f"NOT A LIVE SIGHTING: read {when} at {place} ({read_id})"


def step_alert(args) -> int:
    from alpr_edge.alerts import AlertError

    desk, user, _ = _desk(args)
    try:
        alert = desk.step(args.alert_id, args.step, user.name, user.role, note=args.note, disposition=args.disposition,
                           reason=args.reason)
    except AlertError as error:
        raise CliError(str(error), EXIT_FAILED) from None
    print(f"{alert.alert_id}: {alert.state}")
    return EXIT_OK
