"""`alpr-edge agency ingest|migrate|stats`: the agency's ingest service and its database.

These run at the agency, not on a device. The agency's key tools stay where
they were (`alpr-edge uplink keygen|sign-hotlist|open-sealed`).
"""

from __future__ import annotations

import json
import signal

from alpr_edge.cli import EXIT_OK, CliError, load_config_or_exit


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("agency", help="agency side: ingest reads into a database and receipt them")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    ingest = actions.add_parser("ingest", parents=[common], help="serve: shared-subscription worker, commit, receipt")
    ingest.add_argument("--worker", default="ingest-1", metavar="NAME",
                        help="this worker's name; keep it across restarts (its broker session holds its reads)")
    ingest.add_argument("--broker", metavar="URL", help="broker instead of agency.broker (mqtt:// only to loopback)")
    ingest.add_argument("--database", metavar="URL", help="sqlite:///PATH or postgresql://... instead of agency.database_url")
    ingest.set_defaults(handler=run_ingest)

    migrate = actions.add_parser("migrate", parents=[common], help="create or update the database schema")
    migrate.add_argument("--database", metavar="URL")
    migrate.set_defaults(handler=migrate_database)

    stats = actions.add_parser("stats", parents=[common], help="reads committed, distinct ids, rejected messages")
    stats.add_argument("--database", metavar="URL")
    stats.add_argument("--json", action="store_true", help="one JSON object")
    stats.set_defaults(handler=show_stats)


def _database(args, config):
    from alpr_edge.agency import DatabaseError, database_url, open_database

    try:
        database = open_database(args.database or database_url(config))
        database.migrate()
    except DatabaseError as error:
        raise CliError(str(error)) from None
    return database


def run_ingest(args) -> int:
    from alpr_edge import logs
    from alpr_edge.agency import DatabaseError, build_ingest
    from alpr_edge.uplink import UplinkConfigError

    config = load_config_or_exit(args)
    logs.configure(config.logging.level)
    try:
        worker = build_ingest(config, worker=args.worker, broker_override=args.broker, database_override=args.database)
    except (UplinkConfigError, DatabaseError) as error:
        raise CliError(str(error)) from None
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    try:
        worker.run()
    finally:
        worker.db.close()
    counts = worker.counts
    print(json.dumps({"worker": args.worker, "received": counts.received, "committed": counts.committed,
                      "duplicates": counts.duplicates, "rejected": counts.rejected, "receipts": counts.receipts,
                      "reconnects": counts.reconnects, "last_error": counts.last_error}, allow_nan=False))
    return EXIT_OK


def migrate_database(args) -> int:
    from alpr_edge.agency import DatabaseError, database_url, open_database

    config = load_config_or_exit(args)
    try:
        database = open_database(args.database or database_url(config))
        ran = database.migrate()
    except DatabaseError as error:
        raise CliError(str(error)) from None
    database.close()
    print(f"{database.kind} schema up to date ({ran} step(s) applied)")
    return EXIT_OK


def show_stats(args) -> int:
    config = load_config_or_exit(args)
    database = _database(args, config)
    try:
        counts = database.counts()
    finally:
        database.close()
    if args.json:
        print(json.dumps(counts, allow_nan=False))
    else:
        for key, value in counts.items():
            print(f"{key:18} {value}")
    return EXIT_OK
