"""`alpr-edge update --from WHEEL_OR_DIR`: signed update, previous release kept, rollback on any failure after the switch."""

from __future__ import annotations

import sys
from pathlib import Path

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError, load_config_or_exit


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "update", parents=[common], help="install a signed update; roll back if it does not start or fails its self-test",
        description="Verify WHEEL_OR_DIR.sig against the pinned update key, install beside the current release, "
                    "restart, self-test, and go back to the previous release (and restart it) if the service does not "
                    "start, does not report READY in time, or fails its self-test. Every step is audited.",
    )
    parser.add_argument("--from", dest="artifact", type=Path, required=True, metavar="WHEEL_OR_DIR", help="a wheel, or a wheelhouse folder (offline install)")
    parser.add_argument("--verify-only", action="store_true", help="check the signature and stop")
    parser.add_argument("--technician", metavar="NAME", help="name recorded in the audit trail (default $SUDO_USER or $USER)")
    parser.add_argument("--root", type=Path, metavar="DIR", help="prefix of /opt/alpr-edge (staging root)")
    parser.set_defaults(handler=update)


def update(args) -> int:
    from alpr_edge import progress
    from alpr_edge.ops.layout import INSTALL_DIR, UPDATE_KEY, under_root
    from alpr_edge.ops.provision import technician_name
    from alpr_edge.ops.update import (
        STEPS,
        Installer,
        UpdateError,
        apply_update,
        audit_outcome,
        verify_artifact,
    )

    config = load_config_or_exit(args)
    key = config.data_dir / UPDATE_KEY
    technician = technician_name(args.technician)

    def audit(action: str, data: dict) -> None:
        from alpr_edge.ops.provision import give_to_service_user
        from alpr_edge.store import Store

        try:
            with Store.open(config.data_dir, config.store) as store:
                store.audit(technician, "technician", action, data=data, outcome=audit_outcome(action, data))
        except Exception as error:  # noqa: BLE001 - a rollback under way must finish whatever the audit does
            print(f"alpr-edge update: WARNING: {action} could not be audited: {error}", file=sys.stderr)
            return
        give_to_service_user(config.data_dir)  # files the store made as root

    if not args.verify_only:
        _check_audit_trail(config)  # no update that could not be audited

    try:
        if args.verify_only:
            digest = verify_artifact(args.artifact, key)
            print(f"signature ok: {args.artifact} (sha256 {digest})")
            return EXIT_OK
        with progress.steps(STEPS, "update") as step:
            outcome = apply_update(args.artifact, key, Installer(under_root(args.root, INSTALL_DIR)), audit, step)
    except UpdateError as error:
        raise CliError(str(error), EXIT_FAILED) from None
    if outcome.rolled_back:
        failed = [c for c in outcome.selftest.get("checks", []) if c.get("status") == "fail"]
        print(f"ROLLED BACK: release {outcome.installed} failed ({outcome.failure}); back on {outcome.previous}, restarted")
        for check in failed:
            print(f"  FAIL {check.get('name')}: {check.get('detail')}")
        print("  the failed release is kept for inspection; its log: journalctl -u alpr-edge")
        return EXIT_FAILED
    print(f"updated to {outcome.installed} (previous {outcome.previous or 'none'} kept for rollback)")
    return EXIT_OK


def _check_audit_trail(config) -> None:
    """CliError unless the store (and so the audit trail) opens: an unprovisioned device takes no update."""
    from alpr_edge.store import KeysMissing, Store

    if not config.data_dir.is_dir():
        raise CliError(f"cannot record the update in the audit trail: no data folder {config.data_dir} (run alpr-edge provision)")
    from alpr_edge.ops.provision import give_to_service_user

    try:
        Store.open(config.data_dir, config.store).close()
    except KeysMissing as error:
        raise CliError(f"cannot record the update in the audit trail: {error}") from None
    give_to_service_user(config.data_dir)  # files the store may have made as root
