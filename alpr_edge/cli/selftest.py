"""`alpr-edge selftest`: the start-of-shift check; exit 0 only when no check fails."""

from __future__ import annotations

import json
import shutil

from alpr_edge.cli import CLI_LOG_HANDLER, EXIT_FAILED, EXIT_OK, CliError, load_config_or_exit

def register(subparsers, common) -> None:
    parser = subparsers.add_parser("selftest", parents=[common], help="check camera, GPS, clock, storage, keys, hot lists, broker, models, watchdog")
    parser.add_argument("--profile", help="firmware profile name or file (overrides the config)")
    parser.add_argument("--json", action="store_true", help='one JSON object {"ok": bool, "checks": [...]}')
    parser.add_argument("--camera-seconds", type=float, default=2.0, metavar="S", help="how long to measure the frame rate (default 2)")
    parser.add_argument("--gps-wait", type=float, default=6.0, metavar="S", help="how long to wait for a GPS fix (default 6)")
    parser.set_defaults(handler=selftest)


def selftest(args) -> int:
    import logging

    from alpr_edge.ops.selftest import Probes, report, run_selftest, table
    from alpr_edge.profiles import load_profile
    from alpr_edge.schema import SchemaError

    for handler in logging.getLogger().handlers:  # the checks' findings are the output, not the stages' logs
        if handler.get_name() == CLI_LOG_HANDLER:
            handler.setLevel(logging.ERROR)
    config = load_config_or_exit(args)
    try:
        profile = load_profile(config.device.profile)
    except SchemaError as error:
        raise CliError("\n".join(f"{error.source}: {p}" for p in error.problems)) from None
    results = run_selftest(config, profile, Probes(camera_seconds=args.camera_seconds, gps_wait_s=args.gps_wait))
    outcome = report(results)
    if args.json:
        print(json.dumps(outcome, allow_nan=False))
    else:
        print("\n".join(table(results, width=shutil.get_terminal_size().columns)))  # COLUMNS, the tty, or 80
        failures = sum(r.status == "fail" for r in results)
        warnings = sum(r.status == "warn" for r in results)
        print(f"\n{'ok' if outcome['ok'] else 'FAILED'}: {failures} failed, {warnings} warning(s), profile {profile.name}")
    return EXIT_OK if outcome["ok"] else EXIT_FAILED
