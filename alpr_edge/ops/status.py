"""`alpr-edge status`: what the running daemon says about itself, plus what the system says.

The daemon writes ``DATA_DIR/run/status.json`` every few seconds (atomically).
This module reads it, says plainly when the daemon is not running or the file
is stale, and adds what only the system knows: disk use of the data folder,
board temperature, the software version and the model files' hashes. Nothing
here ever holds plate text: keys that could carry it are dropped on reading.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

STALE_AFTER_S = 30.0
# Keys that may carry plate text in a future status file; never shown.
PLATE_KEYS = {"plate", "plates", "text", "candidates", "recent_reads", "read_text", "matched_text"}
THERMAL_ROOT = Path("/sys/class/thermal")


def strip_plates(value):
    if isinstance(value, dict):
        return {k: strip_plates(v) for k, v in value.items() if k not in PLATE_KEYS}
    if isinstance(value, list):
        return [strip_plates(v) for v in value]
    return value


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)  # Python 3.11 reads a trailing Z
    except (AttributeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pid_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by the service user
    return True


def read_daemon_status(path: Path, now: float | None = None, stale_after_s: float = STALE_AFTER_S) -> dict:
    """{"running": bool, "reason": str, "daemon": the status (fresh only), "last": the stale one}."""
    now = datetime.now(UTC).timestamp() if now is None else now
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return {"running": False, "reason": f"not running (no {path})", "daemon": None}
    except (OSError, ValueError) as error:
        return {"running": False, "reason": f"status file {path} unreadable: {error}", "daemon": None}
    if not isinstance(data, dict):
        return {"running": False, "reason": f"status file {path} is not a JSON object", "daemon": None}
    data = strip_plates(data)
    updated = _parse_time(data.get("updated_at", ""))
    if updated is None:
        return {"running": False, "reason": f"status file {path} has no valid updated_at", "daemon": None, "last": data}
    age = now - updated.timestamp()
    if age > stale_after_s:
        alive = _pid_alive(data.get("pid"))
        why = "the process is alive but not reporting (hung?)" if alive else "the process is gone"
        return {"running": False, "reason": f"not running: status is {age:.0f} s old; {why}", "daemon": None,
                "last": data, "age_s": round(age, 1)}
    if data.get("running") is False:
        why = data.get("stop_reason") or "no reason given"
        return {"running": False, "reason": f"stopped ({why})", "daemon": None, "last": data, "age_s": round(age, 1)}
    return {"running": True, "reason": "running", "daemon": data, "age_s": round(age, 1)}


def disk_usage(data_dir: Path) -> dict:
    used = 0
    for folder, _dirs, files in os.walk(data_dir):
        for name in files:
            try:
                used += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    result = {"data_dir": str(data_dir), "data_bytes": used}
    try:
        total, _, free = shutil.disk_usage(data_dir)
        result.update(fs_total_bytes=total, fs_free_bytes=free, fs_used_percent=round(100 * (total - free) / total, 1) if total else None)
    except OSError:
        pass
    return result


def temperatures(root: Path = THERMAL_ROOT) -> dict:
    """Degrees Celsius per thermal zone, where the board reports them."""
    found = {}
    for zone in sorted(root.glob("thermal_zone*")):
        try:
            millidegrees = int((zone / "temp").read_text().strip())
        except (OSError, ValueError):
            continue
        try:
            kind = (zone / "type").read_text().strip()
        except OSError:
            kind = zone.name
        found[f"{zone.name}:{kind}"] = round(millidegrees / 1000.0, 1)
    return found


def default_models_dir() -> Path:
    from alpr_edge import SHIPPED_MODELS_DIR  # the one default: the package's models (no OpenCV needed)

    return SHIPPED_MODELS_DIR


def model_files(models_dir: Path | None) -> list[dict]:
    folder = Path(models_dir) if models_dir else default_models_dir()
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.glob("*.tflite")):
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        files.append({"file": path.name, "bytes": path.stat().st_size, "sha256": digest.hexdigest()[:16]})
    return files


def reads_today(data_dir: Path, now: float | None = None) -> dict | None:
    """Reads and reads with a hit since local midnight, from the store's clear columns (read-only)."""
    import sqlite3

    path = Path(data_dir) / "alpr.db"
    if not path.exists():
        return None
    moment = datetime.fromtimestamp(now, UTC) if now is not None else datetime.now(UTC)
    midnight = moment.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            reads, hits = conn.execute(
                "SELECT count(*), coalesce(sum(has_hit), 0) FROM reads WHERE captured_at >= ?", [midnight.timestamp()]
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return {"since": midnight.isoformat(timespec="seconds"), "reads": reads, "hits": hits}


def receipts_stalled(daemon: dict | None) -> bool:
    """The broker acknowledges reads but the agency's receipts stopped (uplink.Uplink.status decides)."""
    uplink = (daemon or {}).get("uplink")
    return bool(isinstance(uplink, dict) and uplink.get("receipts_stalled"))


def collect_status(config, data_dir: Path, now: float | None = None, thermal_root: Path = THERMAL_ROOT) -> dict:
    from alpr_edge import __version__
    from alpr_edge.ops.layout import read_last_purge

    daemon = read_daemon_status(Path(data_dir) / "run" / "status.json", now)
    return {
        # A warning, not a figure: reads pile up on the car while the broker says all is well.
        "uplink_receipts_stalled": receipts_stalled(daemon.get("daemon")),
        "running": daemon["running"],
        "state": daemon["reason"],
        "daemon": daemon.get("daemon") or daemon.get("last"),
        "status_age_s": daemon.get("age_s"),
        "today": reads_today(Path(data_dir), now),
        "last_purge": read_last_purge(Path(data_dir)),
        "software_version": __version__,
        "model_files": model_files(config.recognition.models_dir),
        "disk": disk_usage(Path(data_dir)),
        "temperature_c": temperatures(thermal_root),
    }
