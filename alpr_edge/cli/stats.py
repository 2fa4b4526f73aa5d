"""`alpr-edge stats`: counts for transparency reports (reads, hits by list, alert outcomes); no plates.

Needs a login (supervisor, admin or technician); every look is audited.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alpr_edge.cli import EXIT_OK, CliError
from alpr_edge.cli.store_access import add_login_options, login, open_store


def _date(text: str, flag: str = "--since") -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"{flag} {text!r}: expected a date like 2026-01-31 or 2026-01-31T08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("stats", parents=[common], help="counts for transparency reports; no plates")
    parser.add_argument("--since", metavar="DATE", help="count from this date (ISO 8601, UTC unless a zone is given)")
    parser.add_argument("--until", metavar="DATE", help="count up to this date, excluded (daily counts: whole UTC days)")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="one JSON object")
    shape.add_argument("--csv", action="store_true", help="the daily counts as CSV: day, counter, value, then totals")
    add_login_options(parser)
    parser.set_defaults(handler=show_stats)


def show_stats(args) -> int:
    from alpr_edge.ops.stats import stored_counts, transparency_counts
    from alpr_edge.store.counts import to_csv

    since = _date(args.since) if args.since else None
    until = _date(args.until, "--until") if args.until else None
    if since and until and until <= since:  # an empty period would read as a year with nothing to report
        raise CliError(f"--until {args.until} is not after --since {args.since}: nothing could be counted")
    config, store = open_store(args)
    with store:
        user = login(args, store, config, "stats.view")
        store.audit(user.name, user.role, "stats.view", data={"since": args.since, "until": args.until})
    try:
        # Both parts count the same period: a month's report must not take in the days after it.
        counts = transparency_counts(config.data_dir, since, until, now=datetime.fromtimestamp(args.clock(), UTC))
        counts["daily_counts"] = stored_counts(config.data_dir, since, until)
    except FileNotFoundError as error:
        raise CliError(f"{error} (has the daemon run on this device?)") from None
    if args.csv:
        print(to_csv(counts["daily_counts"]), end="")
        return EXIT_OK
    if args.json:
        print(json.dumps(counts, allow_nan=False))
        return EXIT_OK
    counts["daily_counts"] = counts["daily_counts"]["totals"]  # the text form shows the period's totals
    for key, value in counts.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for name, count in value.items():
                print(f"  {name:30} {count}")
        else:
            print(f"{key:32} {value}")
    return EXIT_OK
