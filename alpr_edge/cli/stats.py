"""`alpr-edge stats`: counts for transparency reports (reads, hits by list, alert outcomes); no plates.

Needs a login (supervisor, admin or technician); every look is audited.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alpr_edge.cli import EXIT_OK, CliError
from alpr_edge.cli.store_access import add_login_options, login, open_store


def _date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"--since {text!r}: expected a date like 2026-01-31 or 2026-01-31T08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("stats", parents=[common], help="counts for transparency reports; no plates")
    parser.add_argument("--since", metavar="DATE", help="count from this date (ISO 8601, UTC unless a zone is given)")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    add_login_options(parser)
    parser.set_defaults(handler=show_stats)


def show_stats(args) -> int:
    from alpr_edge.ops.stats import transparency_counts

    since = _date(args.since) if args.since else None
    config, store = open_store(args)
    with store:
        user = login(args, store, config, "stats.view")
        store.audit(user.name, user.role, "stats.view", data={"since": args.since})
    try:
        counts = transparency_counts(config.data_dir, since)
    except FileNotFoundError as error:
        raise CliError(f"{error} (has the daemon run on this device?)") from None
    if args.json:
        print(json.dumps(counts))
        return EXIT_OK
    for key, value in counts.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for name, count in value.items():
                print(f"  {name:30} {count}")
        else:
            print(f"{key:32} {value}")
    return EXIT_OK
