"""`alpr-edge alerts ls|step`: alerts and their lifecycle from the command line.

Both go through the alert desk (``alpr_edge.alerts.AlertDesk``), as the touchscreen does:
covert alerts are listed only for supervisors and admins, and each step is
written to the store's audit trail, and so is every listing. (The car's buzzer
and light belong to the running daemon; a step taken here is heard there at its
next change.)
"""

from __future__ import annotations

import json
import time

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError
from alpr_edge.cli.store_access import add_login_options


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("alerts", help="list alerts and record their steps")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = actions.add_parser("ls", aliases=["list"], parents=[common], help="open alerts, most urgent first")
    ls.add_argument("--all", action="store_true", help="recent alerts, closed ones too")
    ls.add_argument("--json", action="store_true")
    add_login_options(ls)
    ls.set_defaults(handler=list_alerts)
    step = actions.add_parser("step", parents=[common], help="move an alert one step (verified, misread, confirmed, ...)")
    step.add_argument("alert_id")
    step.add_argument("step")
    step.add_argument("--note")
    step.add_argument("--disposition")
    step.add_argument("--reason", help="why a closing step (alpr_edge.alerts.lifecycle.REASONS): "
                      "misread: characters_differ | not_a_plate; wrong_state: state_differs; "
                      "not_confirmed: no_longer_wanted | not_on_file")
    add_login_options(step)
    step.set_defaults(handler=step_alert)


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
    print(f"{'ALERT':36}  {'CREATED (UTC)':19}  PRI  {'LIST':12} {'KIND':9} {'STATE':13} CASE")
    for a in alerts:
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(a.created_at))
        flags = "".join([" STALE" if a.stale else "", " covert" if a.covert else "", f" x{a.repeats + 1}" if a.repeats else ""])
        print(f"{a.alert_id}  {created}  P{a.priority}   {a.list_name:12} {a.match_kind:9} {a.state:13} {a.case_number or '-'}{flags}")
    return EXIT_OK


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
