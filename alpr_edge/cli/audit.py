"""`alpr-edge audit verify|export`: check the chain (no account needed) or export it (admin)."""

from __future__ import annotations

import sys

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError
from alpr_edge.cli.reads import when, write_export
from alpr_edge.cli.store_access import add_login_options, login, open_store


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("audit", help="verify or export the audit trail")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", parents=[common], help="exit 0 if the hash chain and signatures are intact, else name the first bad record")
    verify.set_defaults(handler=verify_audit)
    export = actions.add_parser("export", parents=[common], help="export records (admin)")
    export.add_argument("--since", type=when, metavar="DATE", help="records at or after this date (UTC)")
    export.add_argument("--format", default="csv", choices=("csv", "json"), help="csv (default; a spreadsheet opens it) or json")
    export.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    add_login_options(export)
    export.set_defaults(handler=export_audit)


def verify_audit(args) -> int:
    """Reads the database and the device's public key only: no data key is used."""
    import sqlite3

    from sqlite_utils import Database

    from alpr_edge.cli import load_config_or_exit
    from alpr_edge.store import DB_NAME
    from alpr_edge.store.audit import verify

    config = load_config_or_exit(args)
    path = config.data_dir / DB_NAME
    if not path.exists():
        raise CliError(f"no database at {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        ok, bad, message = verify(Database(conn), config.data_dir)
    except sqlite3.DatabaseError as error:
        raise CliError(f"{path}: {error}", EXIT_FAILED) from None
    finally:
        conn.close()
    if ok:
        print(message)
        return EXIT_OK
    print(f"audit trail broken at record {bad.get('seq')}: {message}", file=sys.stderr)
    if bad.get("id"):
        print(f"  record {bad['seq']}: id {bad['id']} at {bad.get('at')} user {bad.get('user')} action {bad.get('action')}", file=sys.stderr)
    return EXIT_FAILED


def export_audit(args) -> int:
    from alpr_edge import progress
    from alpr_edge.store.audit import export

    config, store = open_store(args)
    with store:
        user = login(args, store, config, "audit.export")
        with progress.counting("exporting", "record") as report:
            text = export(store, args.since, args.format, report)
        store.audit(user.name, user.role, "audit.export", data={"since": args.since, "format": args.format})
    if args.output:
        write_export(args.output, text)  # the details hold plates and purposes: 0600, as reads export
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return EXIT_OK
