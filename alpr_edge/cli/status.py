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
    status = collect_status(config, config.data_dir, now=args.clock())
    if args.json:
        print(json.dumps(status, default=str, allow_nan=False))
    else:
        print("\n".join(format_status(status, now=args.clock())))
    return EXIT_OK if status["running"] else EXIT_FAILED


# -- for a person: dates, durations and words; never "None" ---------------------------

UNIT = "alpr-edge"


def format_status(status: dict, now: float) -> list[str]:
    daemon = status.get("daemon") or {}
    lines = [f"daemon        {_state(status)}"]
    if not status["running"]:
        lines += _down_hints(status["state"])
    lines += _touchscreen(daemon.get("ui"), status["running"])
    if daemon:
        if not status["running"]:
            lines.append("              (the figures below are from its last status)")
        lines += _daemon_lines(daemon, now)
    if status.get("today"):
        today = status["today"]
        lines.append(f"today         {today['reads']} reads, {today['hits']} with a hit (since {_date(today['since'], now)})")
    if status.get("last_purge"):
        lines.append(f"last purge    {_last_purge(status['last_purge'], now)}")
    lines.append(_disk(status["disk"]))
    temps = status["temperature_c"]
    lines.append("temperature   " + (", ".join(f"{k.split(':', 1)[-1]} {v} °C" for k, v in temps.items()) or "not reported by this board"))
    lines.append(f"software      alpr-edge {status['software_version']}")
    for model in status["model_files"]:
        lines.append(f"model         {model['file']} sha256:{model['sha256']} ({model['bytes']:,} bytes)")
    return lines


def _state(status: dict) -> str:
    state = status["state"]
    if status["running"]:
        return "running"
    if state.startswith("not running (no "):
        return f"NOT RUNNING: it has not run with this data folder (no {state[len('not running (no '):-1]})"
    return "NOT RUNNING: " + state.removeprefix("not running: ")


def _down_hints(state: str) -> list[str]:
    if "alive but not reporting" in state:
        action = f"restart it:   sudo systemctl restart {UNIT}"
    else:
        action = f"start it:     sudo systemctl start {UNIT}   (or in the foreground: alpr-edge run)"
    return [f"              {action}",
            f"              its log:      journalctl -u {UNIT} -e   (unit state: systemctl status {UNIT})"]


def _touchscreen(ui: dict | None, running: bool) -> list[str]:
    if not ui:
        return []
    if ui.get("serving"):
        return [f"touchscreen   {'serving' if running else 'was serving'} {ui.get('url') or ''}".rstrip()]
    return ["touchscreen   NOT SERVING: " + str(ui.get("error") or "it did not start"),
            "              another program holds the port: find it with `sudo ss -ltnp`, stop it or set ui.port",
            f"              in /etc/alpr-edge/config.toml, then: sudo systemctl restart {UNIT}"]


def _daemon_lines(daemon: dict, now: float) -> list[str]:
    lines = [
        f"last status   {_date(daemon.get('updated_at'), now)}; up {_duration(daemon.get('uptime_s'))}, "
        f"profile {_word(daemon.get('profile'))}, process {_word(daemon.get('pid'))}",
        f"frames        in {_word(daemon.get('frames_in'))} ({_word(daemon.get('fps_in'))} fps), "
        f"processed {_word(daemon.get('frames_processed'))} ({_word(daemon.get('fps_processed'))} fps), "
        f"dropped {_word(daemon.get('frames_dropped'))}",
        f"reads         {_word(daemon.get('reads'))}, alerts {_word(daemon.get('alerts'))}",
    ]
    for key in ("camera", "gps", "clock", "uplink", "models"):
        if daemon.get(key) is not None:
            lines.append(f"{key:13} {_brief(daemon[key], now)}")
    for item in daemon.get("hotlists") or []:
        lines.append(f"hot list      {_hotlist(item, now)}")
    return lines


def _hotlist(item: dict, now: float) -> str:
    entries = item.get("entries")
    text = f"{_word(item.get('name'))}: {_word(entries)} {'entry' if entries == 1 else 'entries'}"
    if item.get("received_at") is not None:
        text += f", received {_date(item['received_at'], now)}"
    if item.get("stale"):
        text += ", STALE"
    if item.get("alerting") is False:
        text += f", NOT ALERTING ({_word(item.get('why_not_alerting'))})"
    return text


def _last_purge(record: dict, now: float) -> str:
    if record.get("error"):
        return f"record unreadable: {record['error']}"
    removed = record.get("removed") or {}
    counts = [f"{key.replace('_', ' ')} {value}" for key, value in removed.items()
              if isinstance(value, int) and not isinstance(value, bool) and value and key != "as_of"]
    return (f"{_date(record.get('at'), now)} ({_word(record.get('trigger'))}, by {_word(record.get('by'))}): "
            + (", ".join(counts) or "nothing was due"))


def _disk(disk: dict) -> str:
    text = f"disk          data {_mb(disk.get('data_bytes'))} in {disk['data_dir']}"
    if disk.get("fs_free_bytes") is None:
        return text + "; free space unknown (the folder does not exist yet?)"
    return text + f"; {_mb(disk['fs_free_bytes'])} free ({disk.get('fs_used_percent')}% used)"


def _mb(value) -> str:
    return "unknown" if value is None else f"{value / 1e6:,.0f} MB"


def _word(value) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _date(value, now: float) -> str:
    """An ISO text or epoch seconds as a local date and time, with how long ago."""
    from datetime import datetime

    if value is None:
        return "unknown"
    try:
        moment = datetime.fromtimestamp(float(value)).astimezone() if isinstance(value, (int, float)) else datetime.fromisoformat(str(value)).astimezone()
    except (ValueError, OverflowError, OSError):
        return str(value)
    ago = now - moment.timestamp()
    when = moment.strftime("%Y-%m-%d %H:%M:%S %Z")
    return f"{when} ({_duration(ago)} ago)" if ago >= 0 else when


def _duration(seconds) -> str:
    if seconds is None:
        return "unknown"
    seconds = int(round(float(seconds)))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} days"


DATE_KEYS = ("_at", "since")  # keys whose numbers or texts are moments


def _brief(value, now: float) -> str:
    """A component's flat fields as words: moments as dates, ages as durations, nothing unknown shown as None."""
    if not isinstance(value, dict):
        return _word(value)
    parts = []
    for key, item in value.items():
        if isinstance(item, (dict, list)) or item is None:
            continue
        if key.endswith(DATE_KEYS):
            parts.append(f"{key}={_date(item, now)}")
        elif key.endswith("age_s"):
            parts.append(f"{key[:-2] or 'age'}={_duration(item)}")
        else:
            parts.append(f"{key}={_word(item)}")
    return ", ".join(parts) or "no figures"
