"""`alpr-edge status`: the running daemon's figures, disk, temperature and versions; no plates."""

from __future__ import annotations

import json

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, load_config_or_exit


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("status", parents=[common], help="uptime, frame rates, reads, GPS, clock, uplink, hot lists, disk, temperature, versions")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(handler=show_status)


def show_status(args) -> int:
    from alpr_edge.ops.status import collect_status

    config = load_config_or_exit(args)
    status = collect_status(config, config.data_dir)
    if args.json:
        print(json.dumps(status, default=str))
    else:
        print("\n".join(format_status(status)))
    return EXIT_OK if status["running"] else EXIT_FAILED


def _mb(value) -> str:
    return "?" if value is None else f"{value / 1e6:,.0f} MB"


def format_status(status: dict) -> list[str]:
    lines = [f"daemon        {status['state']}"]
    daemon = status.get("daemon") or {}
    if daemon:
        if not status["running"]:
            lines.append("              (figures below are from its last status file)")
        lines += [
            f"updated       {daemon.get('updated_at')}  (pid {daemon.get('pid')}, up {daemon.get('uptime_s', 0):.0f} s, profile {daemon.get('profile')})",
            f"frames        in {daemon.get('frames_in')} ({daemon.get('fps_in')} fps), processed {daemon.get('frames_processed')} ({daemon.get('fps_processed')} fps), dropped {daemon.get('frames_dropped')}",
            f"reads         {daemon.get('reads')}, alerts {daemon.get('alerts')}",
        ]
        for key in ("camera", "gps", "clock", "uplink", "models"):
            if daemon.get(key) is not None:
                lines.append(f"{key:13} {_brief(daemon[key])}")
        for item in daemon.get("hotlists") or []:
            lines.append(f"hot list      {_brief(item)}")
    if status.get("today"):
        today = status["today"]
        lines.append(f"today         {today['reads']} reads, {today['hits']} with a hit (since {today['since']})")
    disk = status["disk"]
    lines.append(f"disk          data {_mb(disk.get('data_bytes'))} in {disk['data_dir']}; {_mb(disk.get('fs_free_bytes'))} free ({disk.get('fs_used_percent')}% used)")
    temps = status["temperature_c"]
    lines.append("temperature   " + (", ".join(f"{k.split(':', 1)[-1]} {v} °C" for k, v in temps.items()) or "not reported by this board"))
    lines.append(f"software      alpr-edge {status['software_version']}")
    for model in status["model_files"]:
        lines.append(f"model         {model['file']} sha256:{model['sha256']} ({model['bytes']:,} bytes)")
    return lines


def _brief(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_brief(v)}" for k, v in value.items() if not isinstance(v, (dict, list)))
    return str(value)
