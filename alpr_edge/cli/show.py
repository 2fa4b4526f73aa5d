"""`alpr-edge reads show READ_ID --purpose ... --detail ... --case ...`: open one stored read by its id.

Registered under `reads` by `alpr_edge.cli.reads`. The same login, purpose and
case rule as `reads search` (permission ``reads.search``); the look-up and its
audit record are `alpr_edge.store.show`. Prints the whole record: time and
the clock it trusted, position, camera, plate and state (the text as first
read and every correction), confidence and format check, holds, alerts;
``--json`` for machines. Images stay in the store (the screen or an evidence
package shows them).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError
from alpr_edge.cli.reads import asked
from alpr_edge.cli.store_access import add_login_options, login, open_store

PERMISSION = "reads.search"  # opening a read by its id is a look-up of stored reads, as a search is


def add_show_parser(actions, common) -> None:
    show = actions.add_parser("show", parents=[common], help="open one stored read by its id (audited, like a search)")
    show.add_argument("read_id", metavar="READ_ID", help="the read's id (from a search, an export, an alert or a hold)")
    show.add_argument("--purpose", required=True, metavar="PURPOSE", help="one of the agency's authorised purposes (see `reads purposes`)")
    show.add_argument("--detail", required=True, metavar="TEXT", help="which incident or report (no names, dates of birth or criminal history)")
    show.add_argument("--case", required=True, dest="case_number", metavar="N", help="case number")
    show.add_argument("--json", action="store_true", help="the record as one JSON object")
    add_login_options(show)
    show.set_defaults(handler=show_read)


def show_read(args) -> int:
    from alpr_edge.accounts.permissions import may_see_covert
    from alpr_edge.store import AccessRefused
    from alpr_edge.store.show import ACTION, ReadNotFound
    from alpr_edge.store.show import show_read as show

    config, store = open_store(args)
    with store:
        user = login(args, store, config, PERMISSION, asked=asked(args, {"read_id": args.read_id}), audited_as=ACTION)
        try:
            read = show(store, args.read_id, user=user.name, role=user.role, purpose=args.purpose, detail=args.detail,
                        case_number=args.case_number, purposes=config.accounts.search_purposes)
        except AccessRefused as refusal:
            raise CliError(f"look-up refused: {refusal}", EXIT_FAILED) from None
        except ReadNotFound as missing:
            raise CliError(str(missing), EXIT_FAILED) from None
    # Covert alerts exist only for the roles that may see them (today every role that may look up).
    read["alerts"] = [a for a in read["alerts"] if not a.get("covert") or may_see_covert(user.role)]
    if args.json:
        print(json.dumps(read, indent=1, default=str, allow_nan=False))
    else:
        print("\n".join(describe(read)))
    return EXIT_OK


def _epoch(value) -> str:
    """An alert's epoch seconds as ISO 8601 UTC (reads and holds are stored as text already)."""
    return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z") if isinstance(value, (int, float)) else str(value)


def _plate(value: dict) -> str:
    return f"{value['text']} {value.get('state') or '-'}"


def describe(read: dict) -> list[str]:
    """The record as lines a person reads, one fact a line."""
    stamp = read.get("timestamp") or {}
    offset = f", offset {stamp['offset_s']} s" if stamp.get("offset_s") is not None else ""
    position = read.get("position") or {}
    where = (f"{position['lat']:.5f},{position['lon']:.5f}" if position.get("lat") is not None else "no fix")
    score = f", state confidence {read['state_confidence']:.2f}" if read.get("state_confidence") is not None else ""
    format_ok = {True: "yes", False: "no", None: "not checked"}[read.get("format_ok")]
    images = read.get("images") or {}
    lines = [
        f"read      {read['id']}",
        f"captured  {read['captured_at']} (clock: {read['clock_source']}{offset}); stored {read['stored_at']}",
        f"position  {where}",
        f"camera    {read['camera']}, {read['frames']} frame(s)",
        f"plate     {_plate(read)}  confidence {read['confidence']:.2f}{score}  format ok: {format_ok}",
        f"images    plate {'kept' if images.get('plate') else 'none'}, overview {'kept' if images.get('overview') else 'none'}",
        f"hit       {'yes' if read['has_hit'] else 'no'}; uploaded {read['uploaded_at'] or 'not yet'}",
    ]
    corrections = read.get("corrections") or []
    if corrections:
        lines.append(f"read as   {_plate(corrections[0]['from'])} (the camera's reading; corrected since)")
    for c in corrections:
        lines.append(f"corrected {c['at']} by {c['by']} ({c['role']}): {_plate(c['from'])} -> {_plate(c['to'])}: {c['reason']}")
    for h in read["holds"]:
        state = f"released {h['released_at']} by {h['released_by']}" if h.get("released_at") else "active"
        lines.append(f"hold      {h['id']} case {h['case_number']} by {h['created_by']} {h['created_at']}, {state}: {h['reason']}")
    for a in read["alerts"]:
        lines.append(f"alert     {a['alert_id']} {a['list_name']} ({a['list_type']}): {a['reason']}, case {a['case_number']};"
                     f" {a['state']}{' ' + a['disposition'] if a.get('disposition') else ''}, raised {_epoch(a['created_at'])}")
        for s in a.get("steps", []):
            note = f": {s['note']}" if s.get("note") else ""
            lines.append(f"  step    {_epoch(s['at'])} {s.get('from_state') or '-'} -> {s['to_state']} by {s['user']} ({s['role']}){note}")
    lines.append(f"{len(read['holds'])} hold(s), {len(read['alerts'])} alert(s)")
    return lines
