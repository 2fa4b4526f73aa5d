"""`alpr-edge hotlist import|list|add|remove|rm|match`: hot lists from the command line.

Lists live under ``<data-dir>/hotlists/``. An import that finds any problem
prints every one (file:line: field: why), applies nothing and exits 1: the
list in force stays.

Every command needs a login (an `alpr-edge login` session, or ``--user``)
with a role that may do it: officers browse, match and add hot plates;
supervisors also remove them and see covert lists; admins import and delete
lists. Who entered or changed what is the login, never free text. Officers
never see covert lists or entries (`alpr_edge.accounts.visible_to`). Lists
signed by the agency arrive over the uplink, authenticated by their signature.
Browsing and matching are audited like every other look-up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError
from alpr_edge.cli.store_access import add_login_options


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("hotlist", help="import, list, edit and match hot lists")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    imp = actions.add_parser("import", parents=[common], help="import a list file, replacing the list's older version")
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", required=True, choices=("ncic", "clew", "csv"))
    imp.add_argument("--name", "--list", dest="name", required=True, help="list name (letters, digits, '-', '_')")
    imp.add_argument("--priority", type=int, help="1 (most urgent) to 5; default: 2 for ncic/clew, 3 for csv")
    imp.add_argument("--covert", action="store_true", help="hits are recorded but raise no in-car alert")
    imp.add_argument("--max-age-hours", "--max-age", dest="max_age_hours", type=float, help="stale after this (default: the config's; 0: never)")
    imp.add_argument("--match-mode", choices=("lenient", "exact"), default="lenient")
    imp.add_argument("--one-char", action="store_true", help="lenient lists: also match one missing or extra character")
    imp.add_argument("--active-hours", metavar="HH:MM-HH:MM", help="alert only between these local times")
    imp.add_argument("--list-version", type=int, help="version number (default: from the file's header or the clock)")
    add_login_options(imp)
    imp.set_defaults(handler=import_list)

    ls = actions.add_parser("list", aliases=["ls"], parents=[common], help="the lists in force, their age and health")
    ls.add_argument("--json", action="store_true")
    add_login_options(ls)
    ls.set_defaults(handler=list_lists)

    add = actions.add_parser("add", aliases=["add-plate"], parents=[common], help="add a hand-entered hot plate (partial: ? and *)")
    add.add_argument("plate")
    add.add_argument("--state", help="two-letter state or province; omit for any")
    add.add_argument("--reason", required=True)
    add.add_argument("--case", dest="case_number", required=True)
    add.add_argument("--synopsis", required=True)
    add.add_argument("--expires", required=True, metavar="YYYY-MM-DD")
    add.add_argument("--vehicle", default="")
    add.add_argument("--type", dest="list_type", default="BOLO", help="list type shown in the alert (default BOLO)")
    add.add_argument("--list", dest="name", help="manual list (default: the config's hotlist.manual_list)")
    add_login_options(add)
    add.set_defaults(handler=add_plate)

    remove = actions.add_parser("remove", aliases=["remove-plate"], parents=[common], help="remove a hand-entered hot plate")
    remove.add_argument("plate")
    remove.add_argument("--state")
    remove.add_argument("--list", dest="name")
    add_login_options(remove)
    remove.set_defaults(handler=remove_plate)

    rm = actions.add_parser("rm", aliases=["delete"], parents=[common], help="delete a whole list")
    rm.add_argument("name")
    add_login_options(rm)
    rm.set_defaults(handler=delete_list)

    match = actions.add_parser("match", parents=[common], help="which entries a plate matches, and how")
    match.add_argument("plate")
    match.add_argument("--state")
    match.add_argument("--candidate", action="append", default=[], metavar="TEXT[:CONFIDENCE]", help="an OCR alternative (repeatable)")
    match.add_argument("--json", action="store_true")
    add_login_options(match)
    match.set_defaults(handler=match_plate)


def _engine(args, action: str, asked: dict | None = None):
    """(the device's hot lists, config, the logged-in user allowed ``action``, the store);
    every change is written to the store's audit trail as that user."""
    import atexit

    from alpr_edge.cli.store_access import login, open_store
    from alpr_edge.hotlist import HotListEngine, device_list_storage
    from alpr_edge.hotlist.historical import describe, for_device

    config, store = open_store(args)
    atexit.register(store.close)
    user = login(args, store, config, action, asked=asked)
    # A list or plate added here is checked against the stored reads at once, and what the check
    # found is said, no hit included: whoever adds a plate learns whether it was seen lately.
    historical = for_device(store, config, clock=args.clock, notify=lambda report: print("\n".join(describe(report))))
    engine = HotListEngine(device_list_storage(config.data_dir, store), clock=args.clock, settings=config.hotlist, audit=store.audit,
                           on_new_version=historical)
    historical.would_alert = engine.would_alert
    return engine, config, user, store


def _refused(what: str, error) -> CliError:
    return CliError(f"{what} refused:\n" + "\n".join(f"  {p}" for p in error.problems), EXIT_FAILED)


IMPORT_STEPS = ["check", "index and store"]
READ_BLOCK = 1 << 20


def _read_with_progress(path: Path) -> bytes:
    """The list file's bytes, read in blocks that move a bar (millions of lines take a while off an SD card)."""
    from alpr_edge import progress

    try:
        with progress.reading(path, f"reading {path.name}") as handle:
            return b"".join(iter(lambda: handle.read(READ_BLOCK), b""))
    except OSError as error:
        raise CliError(f"{path}: cannot read: {error.strerror or error}") from None


def import_list(args) -> int:
    from alpr_edge import progress
    from alpr_edge.hotlist import PARSERS, ActiveHours, HotListError

    engine, config, user, _ = _engine(args, "hotlist.manage")
    if not args.file.is_file():
        raise CliError(f"{args.file}: no such file")
    options = {
        "clock": args.clock, "name": args.name, "covert": args.covert, "match_mode": args.match_mode, "one_char_tolerance": args.one_char,
    }
    max_age_hours = args.max_age_hours if args.max_age_hours is not None else config.hotlist.max_age_hours
    options["max_age_s"] = max_age_hours * 3600 if max_age_hours > 0 else None  # 0: entries expire, the list never goes stale
    if args.priority is not None:
        options["priority"] = args.priority
    if args.list_version is not None:
        options["version"] = args.list_version
    try:
        data = _read_with_progress(args.file)
        with progress.steps(IMPORT_STEPS, f"import {args.name}") as step:  # on a terminal only: stdout stays the summary
            step("check")
            hotlist = PARSERS[args.format](data, filename=str(args.file), **options)
            if args.active_hours:
                from dataclasses import replace

                hotlist = replace(hotlist, active_hours=ActiveHours.parse(args.active_hours))
            step("index and store")
            summary = engine.replace(hotlist, actor=user.name, role=user.role)
    except HotListError as error:
        raise _refused(f"import of {args.file} (the list in force stays)", error) from None
    except ValueError as error:
        raise CliError(str(error)) from None
    for line in hotlist.skipped:
        print(line, file=sys.stderr)
    skipped = f", {len(hotlist.skipped)} expired skipped" if hotlist.skipped else ""
    print(f"imported {summary.entries} entries into {summary.name!r} (version {summary.version}, {summary.source}, "
          f"priority {summary.priority}{', covert' if summary.covert else ''}){skipped}")
    return EXIT_OK


def list_lists(args) -> int:
    from alpr_edge.accounts.permissions import visible_hotlists

    engine, _, user, store = _engine(args, "hotlist.browse")
    summaries, health = visible_hotlists(user.role, engine)
    store.audit(user.name, user.role, "hotlist.browse", data={"lists": [s.name for s in summaries]})
    if args.json:
        print(json.dumps({"lists": [s.__dict__ for s in summaries], "ok": health.ok,
                          "problems": list(health.problems), "warnings": list(health.warnings)}, indent=2, allow_nan=False))
    else:
        print(f"{'NAME':16} {'SOURCE':7} {'VERSION':>15} {'ENTRIES':>9} {'AGE':>8} {'PRI':>3}  STATUS")
        for s in summaries:
            status = "not alerting" if not s.alerting else "stale" if s.stale else "ok"
            flags = " covert" if s.covert else ""
            print(f"{s.name:16} {s.source:7} {s.version:>15} {s.entries:>9} {s.age_s / 3600:>7.1f}h {s.priority:>3}  {status}{flags}")
        for line in health.problems:
            print(f"problem: {line}", file=sys.stderr)
        for line in health.warnings:
            print(f"warning: {line}", file=sys.stderr)
    return EXIT_OK if health.ok else EXIT_FAILED


def add_plate(args) -> int:
    from alpr_edge.hotlist import HotListError

    engine, _, user, _ = _engine(args, "hotplate.add", {"data": {"plate": args.plate}, "case_number": args.case_number})
    try:
        entry = engine.add_manual(args.plate, args.state, args.reason, user.name, args.case_number, args.synopsis,
                                  args.expires, list_name=args.name, vehicle=args.vehicle, list_type=args.list_type, role=user.role)
    except HotListError as error:
        raise _refused(f"hot plate {args.plate}", error) from None
    print(f"added {entry.plate} ({entry.state or 'any state'}) until {entry.expires}, case {entry.case_number}")
    return EXIT_OK


def remove_plate(args) -> int:
    from alpr_edge.hotlist import HotListError

    engine, _, user, _ = _engine(args, "hotplate.remove", {"data": {"plate": args.plate}})
    try:
        count = engine.remove_manual(args.plate, args.state, list_name=args.name, actor=user.name, role=user.role)
    except HotListError as error:
        raise _refused(f"removal of {args.plate}", error) from None
    print(f"removed {count} entr{'y' if count == 1 else 'ies'}")
    return EXIT_OK


def delete_list(args) -> int:
    from alpr_edge.hotlist import HotListError

    engine, _, user, _ = _engine(args, "hotlist.manage", {"data": {"list": args.name}})
    try:
        engine.remove_list(args.name, actor=user.name, role=user.role)
    except HotListError as error:
        raise _refused("delete", error) from None
    print(f"deleted list {args.name!r}")
    return EXIT_OK


def match_plate(args) -> int:
    from alpr_edge.accounts import visible_to
    from alpr_edge.vision.types import Candidate

    engine, _, user, store = _engine(args, "hotlist.browse", {"data": {"plate": args.plate}})
    candidates = []
    for item in args.candidate:
        text, _, confidence = item.partition(":")
        try:
            candidates.append(Candidate(text, float(confidence) if confidence else 0.0))
        except ValueError:
            raise CliError(f"--candidate {item!r}: expected TEXT or TEXT:CONFIDENCE") from None
    matches = visible_to(user.role, engine.match(args.plate, args.state, candidates))
    store.audit(user.name, user.role, "hotlist.match", data={"plate": args.plate, "state": args.state,
                "candidates": [c.text for c in candidates], "matches": [(m.list_name, m.entry.plate) for m in matches]})
    if args.json:
        print(json.dumps([{
            "list": m.list_name, "version": m.list_version, "kind": m.kind, "priority": m.priority, "covert": m.covert,
            "stale": m.stale, "plate": m.entry.plate, "state": m.entry.state, "list_type": m.list_type,
            "reason": m.entry.reason, "vehicle": m.entry.vehicle, "entered_by": m.entry.entered_by,
            "case_number": m.entry.case_number, "matched_text": m.matched_text, "state_differs": m.state_differs,
        } for m in matches], indent=2, allow_nan=False))
    else:
        for m in matches:
            notes = "".join([" STALE" if m.stale else "", " covert" if m.covert else "", " state differs" if m.state_differs else "",
                             f" via candidate {m.matched_text}" if m.matched_text != m.read_text else ""])
            print(f"{m.list_name}\t{m.kind}\tP{m.priority}\t{m.entry.plate}\t{m.entry.state or '-'}\t{m.list_type}\t"
                  f"{m.entry.reason}\tcase {m.entry.case_number or '-'}{notes}")
        if not matches:
            print("no match")
    return EXIT_OK
