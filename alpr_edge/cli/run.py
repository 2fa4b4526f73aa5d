"""`alpr-edge run`: the daemon in the foreground (systemd runs exactly this)."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError, load_config_or_exit


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("run", parents=[common], help="run the daemon in the foreground")
    parser.add_argument("--profile", help="firmware profile name or file (overrides the config)")
    parser.add_argument("--source", type=Path, metavar="PATH", help="replay this folder of images or video file instead of the camera")
    parser.add_argument("--fps", type=float, metavar="N", help="pace of a replay (default: the profile's)")
    parser.add_argument("--max-frames", type=int, metavar="N", help="stop cleanly after N frames")
    parser.add_argument("--json-summary", action="store_true", help="print the summary as one JSON object on the last line")
    parser.add_argument("--ui-port", type=int, metavar="PORT", help="port of the touchscreen UI (overrides the config)")
    parser.add_argument("--no-ui", action="store_true", help="do not serve the touchscreen UI")
    parser.add_argument("--broker", metavar="URL", help="MQTT broker (overrides the config; plain mqtt:// only to loopback)")
    parser.set_defaults(handler=run_daemon)


def run_daemon(args) -> int:
    import dataclasses

    from alpr_edge import logs
    from alpr_edge.assembly import StartupError, build_daemon, check_policy, plates_in_logs
    from alpr_edge.profiles import load_profile
    from alpr_edge.schema import SchemaError

    config = load_config_or_exit(args)
    if args.ui_port is not None:
        config = dataclasses.replace(config, ui=dataclasses.replace(config.ui, port=args.ui_port))
    if args.no_ui:
        config = dataclasses.replace(config, ui=dataclasses.replace(config.ui, enabled=False))
    try:
        profile = load_profile(config.device.profile)
        problems = check_policy(config)
    except SchemaError as error:
        raise CliError("\n".join(f"{error.source}: {p}" for p in error.problems)) from None
    if problems:
        raise CliError("\n".join(problems))
    if args.source is not None and not args.source.exists():
        raise CliError(f"--source {args.source}: no such file or folder")
    logs.configure(config.logging.level, plates=plates_in_logs(config, profile))
    try:
        daemon = build_daemon(
            config, profile, source_override=args.source, fps_override=args.fps, max_frames=args.max_frames,
            broker_override=args.broker,
        )
    except StartupError as error:
        raise CliError(f"cannot start with profile {profile.name!r}: {error}") from None

    def on_signal(signum, _frame):
        daemon.stop(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print_first_account_hint(daemon, config, args.config)
    try:
        summary = daemon.run()
    except StartupError as error:
        raise CliError(f"cannot start with profile {profile.name!r}: {error}") from None
    print_summary(summary, as_json=args.json_summary)
    return EXIT_OK if not summary.get("errors") else EXIT_FAILED


def print_first_account_hint(daemon, config, config_file=None) -> None:
    """A device with no account yet: say how to make the first one (nobody can log in to the touchscreen until then)."""
    from alpr_edge.accounts import Accounts

    if daemon.store is None or Accounts(daemon.store, config.accounts).count() > 0:
        return
    print("No accounts on this device yet: nobody can log in to the touchscreen or export data.\n"
          "Create the first one (an admin) with:\n"
          f"    {first_account_command(config, config_file)}\n"
          "It prints a one-time TOTP enrolment for the admin's authenticator app.", flush=True)


def first_account_command(config, config_file=None) -> str:
    """`users add` for this run's data folder: the quick start's `--data-dir data/sim` once got a command that
    made the account in /var/lib/alpr-edge instead, as root (sudo), where the sim run never looks."""
    import shlex

    from alpr_edge.config import DEFAULT_DATA_DIR

    where = f" --config {shlex.quote(str(config_file))}" if config_file else ""
    if Path(config.data_dir) != Path(DEFAULT_DATA_DIR):
        where += f" --data-dir {shlex.quote(str(config.data_dir))}"
        return f"alpr-edge users add NAME --role admin{where}"  # the caller's own folder: no sudo (root would own its files)
    return f"sudo alpr-edge users add NAME --role admin{where}"


def touchscreen_lines(ui: dict | None) -> list[str]:
    """The touchscreen's state, set apart: a port already in use must not hide among the log lines."""
    if not ui:
        return []
    if ui.get("serving"):
        return [f"touchscreen       serving {ui.get('url') or ''}".rstrip()]
    return [
        "touchscreen       NOT SERVING: " + str(ui.get("error") or "did not start"),
        "                  another program holds the port: find it with `sudo ss -ltnp`, stop it or set",
        "                  ui.port in /etc/alpr-edge/config.toml, then `sudo systemctl restart alpr-edge`",
    ]


def print_summary(summary: dict, as_json: bool) -> None:
    lines = [
        f"profile           {summary['profile']}",
        f"duration          {summary['duration_s']} s  ({summary['stop_reason']})",
        f"frames in         {summary['frames_in']}  ({summary['fps_in']} fps)",
        f"frames processed  {summary['frames_processed']}  ({summary['fps_processed']} fps, {summary['recognition_ms_mean']} ms each)",
        f"frames dropped    {summary['frames_dropped']}",
        f"reads             {summary['reads']}  (stored {summary['reads_stored']})",
        f"alerts            {summary['alerts']}",
    ]
    gps = summary.get("gps")
    if gps:
        lines.append(f"gps               {_gps_line(gps)}")
    clock = summary.get("clock")
    if clock:
        lines.append(
            f"clock             {clock.get('time_source', '?')}"
            f" (system clock minus GPS {clock.get('offset_s')} s, ok {clock.get('clock_ok')})"
        )
    uplink = summary.get("uplink")
    if uplink:
        lines.append(f"uplink            {uplink.get('state', '?')} backlog {uplink.get('backlog', '?')}")
    ui = summary.get("ui")
    touchscreen = touchscreen_lines(ui)
    # A touchscreen that never served is the first thing said; a serving one the last.
    lines = touchscreen + lines if ui and not ui.get("serving") else lines + touchscreen
    print("\n".join(lines))
    if as_json:
        print(json.dumps(summary, default=str, separators=(",", ":"), allow_nan=False))
    sys.stdout.flush()


def _gps_line(gps: dict) -> str:
    if not gps.get("has_fix"):
        return f"{gps.get('source', '?')}: no fix"
    stale = " (stale)" if gps.get("stale") else ""
    return f"{gps.get('source', '?')}: fix, {gps.get('satellites', '?')} satellites{stale}"
