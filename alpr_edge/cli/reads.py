"""`alpr-edge reads search|show|export|purposes`: look up stored reads, for an authorised purpose and a case.

Needs an account allowed to search (supervisor or admin, with its TOTP code,
or their `alpr-edge login` session). A search names one of the agency's
authorised purposes (`reads purposes` lists them), a detail and the case
number; the rule is `alpr_edge.accounts.purposes`. Every search is written to
the audit trail, refused ones too, with the plate, purpose and case asked for.
"""

from __future__ import annotations

import json
from pathlib import Path
from datetime import UTC, datetime

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError, load_config_or_exit
from alpr_edge.cli.store_access import add_login_options, login, open_store


def when(text: str) -> datetime:
    """An ISO date or date-time; naive values are UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _add_query_options(parser) -> None:
    parser.add_argument("--plate", required=True, help="plate, or with --partial a pattern: ? one character, * any run")
    parser.add_argument("--partial", action="store_true", help="match a partial plate (decrypts the reads of the time range; narrow it)")
    parser.add_argument("--purpose", required=True, metavar="PURPOSE", help="one of the agency's authorised purposes (see `reads purposes`)")
    parser.add_argument("--detail", required=True, metavar="TEXT", help="which incident or report (no names, dates of birth or criminal history)")
    parser.add_argument("--case", required=True, dest="case_number", metavar="N", help="case number")
    parser.add_argument("--since", type=when, metavar="DATE", help="captured at or after (UTC)")
    parser.add_argument("--until", type=when, metavar="DATE", help="captured before (UTC)")
    add_login_options(parser)


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("reads", help="search or export stored reads (audited)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    search = actions.add_parser("search", parents=[common], help="find reads of a plate")
    _add_query_options(search)
    search.add_argument("--json", action="store_true", help="one JSON array")
    search.set_defaults(handler=search_reads)
    export = actions.add_parser("export", parents=[common], help="export reads of a plate for a map")
    _add_query_options(export)
    export.add_argument("--format", required=True, choices=("geojson", "kml", "csv", "package"),
                        help="package: a signed evidence folder (needs --recipient and --output DIR)")
    export.add_argument("--output", metavar="FILE", help="write here instead of stdout (package: a new folder)")
    export.add_argument("--recipient", metavar="\"AGENCY / PERSON\"", help="package: who receives it (a permitted public agency)")
    export.set_defaults(handler=export_reads)
    purposes = actions.add_parser("purposes", parents=[common], help="the purposes a search may be for")
    purposes.set_defaults(handler=list_purposes)
    from alpr_edge.cli.corrections import add_correct_parser
    from alpr_edge.cli.show import add_show_parser

    add_show_parser(actions, common)
    add_correct_parser(actions, common)


def _query(args, config) -> dict:
    return dict(purpose=args.purpose, detail=args.detail, case_number=args.case_number, purposes=config.accounts.search_purposes,
                partial=args.partial, since=args.since, until=args.until)


def asked(args, data: dict | None = None) -> dict:
    """What a refused login keeps in the audit trail: what was looked up (``data``, default the plate),
    purpose and case, never personal data."""
    from alpr_edge.accounts.purposes import sensitive_problems, stored_text

    personal = bool(sensitive_problems(f"{args.purpose} {args.detail} {args.case_number}"))
    return {"data": data or {"plate": args.plate, "partial": args.partial},
            "purpose": stored_text(args.purpose, args.detail, personal=personal), "case_number": None if personal else args.case_number}


def write_export(path: str, text: str) -> None:
    """Plates and positions (or audit details): readable by the exporting user only, 0600 also when the
    file existed, and never a torn file."""
    from alpr_edge.fileio import write_output

    try:
        write_output(Path(path), text.encode("utf-8"), mode=0o600)
    except OSError as error:
        raise CliError(f"--output {path}: {error.strerror or error}", EXIT_FAILED) from None


def list_purposes(args) -> int:
    from alpr_edge.accounts.purposes import BARRED_LAW, describe

    config = load_config_or_exit(args)
    for key in config.accounts.search_purposes:
        print(f"{key:36} {describe(key)}")
    print(f"never: civil immigration enforcement, or any request for a federal or out-of-state agency ({BARRED_LAW})")
    return EXIT_OK


def search_reads(args) -> int:
    from alpr_edge.store import AccessRefused

    config, store = open_store(args)
    with store:
        user = login(args, store, config, "reads.search", asked=asked(args))
        try:
            results = store.search(args.plate, user=user.name, role=user.role, **_query(args, config))
        except AccessRefused as refusal:
            raise CliError(f"search refused: {refusal}", EXIT_FAILED) from None
    if args.json:
        print(json.dumps(results, indent=1, allow_nan=False))
        return EXIT_OK
    for r in results:
        position = r["position"] or {}
        where = f"{position.get('lat'):.5f},{position.get('lon'):.5f}" if position.get("lat") is not None else "no fix"
        print(f"{r['id']}  {r['captured_at']}  {r['text']:<10} {r['confidence']:.2f}  {r['state'] or '-':<3} {r['camera']:<10} {where}")
        if r.get("corrections"):
            first = r["corrections"][0]["from"]
            print(f"    corrected from {first['text']} {first['state'] or '-'}: {r['corrections'][-1]['reason']}")
    print(f"{len(results)} read(s)")
    return EXIT_OK


def export_reads(args) -> int:
    from alpr_edge import progress
    from alpr_edge.store import AccessRefused

    if args.format == "package":
        from alpr_edge.cli.evidence import export_package

        return export_package(args, _query(args, load_config_or_exit(args)))
    config, store = open_store(args)
    with store:
        user = login(args, store, config, "reads.export", asked=asked(args))
        try:
            with progress.counting("exporting", "read") as report:
                text = store.export(args.format, args.plate, user=user.name, role=user.role, progress=report, **_query(args, config))
        except AccessRefused as refusal:
            raise CliError(f"export refused: {refusal}", EXIT_FAILED) from None
    if args.output:
        write_export(args.output, text)
    else:
        print(text, end="")
    return EXIT_OK
