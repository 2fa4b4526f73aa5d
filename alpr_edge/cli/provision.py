"""`alpr-edge provision`: make a fresh device this agency's device (safe to run again)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from alpr_edge.cli import EXIT_OK, CliError


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "provision", parents=[common],
        help="write the config, create keys and the TLS request, pin agency keys, create the first admin",
        description="Provision this device. Safe to run again: existing keys are kept unless --rotate.",
    )
    parser.add_argument("--agency", required=True, help="agency identifier (letters, digits, '-', '_')")
    parser.add_argument("--device-id", required=True, help="this device's identifier")
    parser.add_argument("--profile", required=True, help="firmware profile name or file")
    parser.add_argument("--broker", required=True, metavar="URL", help="mqtts://host:port of the agency broker")
    parser.add_argument("--ca", type=Path, metavar="FILE", help="agency CA certificate (PEM) to pin")
    parser.add_argument("--hotlist-key", type=Path, metavar="FILE", help="Ed25519 public key (PEM) that signs hot lists")
    parser.add_argument("--seal-key", type=Path, metavar="FILE", help="agency X25519 public key (PEM) reads are sealed to end to end")
    parser.add_argument("--update-key", type=Path, metavar="FILE", help="Ed25519 public key (PEM) that signs software updates")
    parser.add_argument("--admin", metavar="USER", help="create this first admin account (password asked)")
    parser.add_argument("--non-interactive", action="store_true", help="read the admin password from the first line of stdin")
    parser.add_argument("--rotate", action="store_true", help="re-wrap the data keys under a new key-encryption key; allow replacing pinned keys")
    parser.add_argument("--technician", metavar="NAME", help="name recorded in the audit trail (default $SUDO_USER or $USER)")
    parser.add_argument("--root", type=Path, metavar="DIR", help="prefix every system path (staging root, image building)")
    parser.set_defaults(handler=provision_device)


def read_password(non_interactive: bool):
    def ask() -> str:
        if non_interactive:
            line = sys.stdin.readline()
            if not line:
                raise CliError("--non-interactive: no password on stdin")
            return line.rstrip("\r\n")
        if not sys.stdin.isatty():
            raise CliError("no terminal to ask the admin password on; use --non-interactive and pipe it in")
        first = getpass.getpass("Admin password: ")
        if first != getpass.getpass("Again: "):
            raise CliError("the two passwords differ")
        return first

    return ask


def provision_device(args) -> int:
    from alpr_edge.ops.certs import CertificateError
    from alpr_edge.ops.layout import CSR
    from alpr_edge.ops.provision import (
        ProvisionError,
        ProvisionRequest,
        provision,
        technician_name,
    )

    if args.config is not None or args.data_dir is not None:
        raise CliError("provision writes the standard locations; use --root DIR to stage them elsewhere")
    request = ProvisionRequest(
        agency=args.agency, device_id=args.device_id, profile=args.profile, broker=args.broker,
        technician=technician_name(args.technician), ca=args.ca, hotlist_key=args.hotlist_key,
        seal_key=args.seal_key, update_key=args.update_key, admin=args.admin, rotate=args.rotate, root=args.root,
    )
    try:
        result = provision(request, read_password(args.non_interactive))
    except (ProvisionError, CertificateError) as error:
        raise CliError(str(error)) from None
    except PermissionError as error:
        raise CliError(f"{error.filename}: permission denied (run it with sudo, or stage it with --root DIR)") from None
    for what, outcome in result.steps:
        print(f"{what:28} {outcome}")
    print(f"{'config file':28} {result.layout.config_path}")
    print(f"{'certificate request':28} {result.layout.file(CSR)}  (have the agency CA sign it, then: alpr-edge cert install FILE)")
    if result.totp_uri:
        print()
        print("One-time TOTP enrolment for the admin (scan or type it into an authenticator now; it is not shown again):")
        print(f"  {result.totp_uri}")
    return EXIT_OK
