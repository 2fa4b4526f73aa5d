"""`alpr-edge cert install FILE`: install the broker client certificate signed by the agency CA."""

from __future__ import annotations

from pathlib import Path

from alpr_edge.cli import EXIT_OK, CliError, load_config_or_exit


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("cert", help="manage the device's MQTT client certificate")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = actions.add_parser("install", parents=[common], help="install a signed certificate after checking it matches the device key and CA")
    install.add_argument("file", type=Path, metavar="FILE", help="the signed certificate (PEM or DER)")
    install.add_argument("--technician", metavar="NAME", help="name recorded in the audit trail (default $SUDO_USER or $USER)")
    install.set_defaults(handler=install_cert)


def install_cert(args) -> int:
    from alpr_edge.ops.certs import CertificateError, install_certificate
    from alpr_edge.ops.layout import uplink_files
    from alpr_edge.ops.provision import technician_name

    config = load_config_or_exit(args)
    try:
        installed = install_certificate(uplink_files(config, config.data_dir), args.file)
    except CertificateError as error:
        raise CliError(str(error)) from None
    _audit(config, technician_name(args.technician), installed)
    print(f"installed {installed['path']}")
    print(f"  subject     {installed['subject']}")
    print(f"  valid until {installed['not_after']}")
    print(f"  CA checked  {'yes' if installed['ca_checked'] else 'no (no agency CA pinned)'}")
    if installed["not_yet_valid"]:
        print("  warning: not valid yet; is the clock right?")
    return EXIT_OK


def _audit(config, technician: str, installed: dict) -> None:
    from alpr_edge.ops.provision import give_to_service_user
    from alpr_edge.store import Store

    with Store.open(config.data_dir, config.store) as store:
        store.audit(technician, "technician", "cert.install", data={
            "subject": installed["subject"], "fingerprint": installed["fingerprint"], "not_after": installed["not_after"],
        })
    give_to_service_user(config.data_dir)  # files the store made as root
