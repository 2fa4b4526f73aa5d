"""`alpr-edge evidence verify DIR`, and the package form of `reads export` (`--format package`).

The logic lives in `alpr_edge.store.evidence`; this turns its errors into
messages and exit statuses: 0 intact, 1 changed or refused, 2 bad usage.
"""

from __future__ import annotations

from pathlib import Path

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from alpr_edge.cli.store_access import login, open_store


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("evidence", help="check an evidence package (reads export --format package)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", parents=[common], help="check every file and the device signature of a package")
    verify.add_argument("folder", type=Path, metavar="DIR", help="the package folder")
    verify.add_argument("--public-key", type=Path, metavar="FILE",
                        help="the device's public key as the agency recorded it (PEM); default: the package's own device.pub")
    verify.set_defaults(handler=verify_package)


def export_package(args, query: dict) -> int:
    """`reads export --format package`: login, recipient check, search, signed folder."""
    from alpr_edge import progress
    from alpr_edge.store import AccessRefused
    from alpr_edge.store.evidence import PackageError, check_free, write_package

    if not args.recipient or not args.output:
        raise CliError("--format package needs --recipient \"AGENCY / person\" and --output DIR (a new folder)", EXIT_USAGE)
    try:  # before the login: a password and a one-time code are not spent on a folder that cannot be used
        check_free(Path(args.output))
    except PackageError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    config, store = open_store(args)
    with store:
        user = login(args, store, config, "reads.export")
        try:
            with progress.counting("searching", "read") as searched, progress.counting("writing", "read") as written:
                case = write_package(store, Path(args.output), args.plate, recipient=args.recipient,
                                     permitted=list(config.evidence.permitted_recipients), user=user.name, role=user.role,
                                     searched=searched, written=written, **query)
        except AccessRefused as refusal:
            raise CliError(f"export refused: {refusal}", EXIT_FAILED) from None
        except PackageError as error:
            raise CliError(str(error), EXIT_USAGE) from None
    print(f"{len(case['reads'])} read(s) for case {case['case_number']} to {case['recipient']}: {args.output}")
    return EXIT_OK


def verify_package(args) -> int:
    from alpr_edge.store.evidence import load_ed25519_public
    from alpr_edge.store.evidence import verify_package as check

    expected = None
    if args.public_key is not None:
        expected, problem = load_ed25519_public(args.public_key)
        if problem:
            raise CliError(f"--public-key {args.public_key}: {problem}")
    if not args.folder.is_dir():
        raise CliError(f"{args.folder}: no such folder")
    intact, problems, signer = check(args.folder, expected)
    for problem in problems:
        print(f"{args.folder}: {problem}")
    if not intact:
        print(f"{args.folder}: NOT INTACT ({len(problems)} problem(s))")
        return EXIT_FAILED
    print(f"{args.folder}: intact; every file matches the manifest, signed by device key {signer}")
    return EXIT_OK
