"""The start-of-shift self-test: small checks, each passing, warning or failing with a reason.

Each check is a function ``check(ctx) -> CheckResult`` (or a list of them);
they look at the hardware and the system only through ``Probes``, so tests
swap one seam at a time (a missing camera, an absent GPS device, a clock an
hour off, a nearly full disk, a stale hot list) and run the rest for real.

When the daemon is running (its status file is fresh), the camera and GPS
receiver are in its hands: opening them a second time would disturb it (a
serial port read by two processes splits the sentences between them), so
those checks read the daemon's own figures instead.
"""

from __future__ import annotations

import os
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from alpr_edge.ops.layout import SERVICE_USER, Layout

Status = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str

    def to_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "detail": self.detail}


def passed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "pass", detail)


def warned(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "warn", detail)


def failed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "fail", detail)


def _open_frame_source(profile):
    from alpr_edge.capture import open_frame_source

    return open_frame_source(profile)


def _open_position_source(settings, stale_after_s, tracker, resolve):
    from alpr_edge.gps import open_position_source

    return open_position_source(settings, stale_after_s, tracker, resolve)


def _system_clock():
    from alpr_edge.gps import SystemClock

    return SystemClock()


def _load_models(config) -> dict:
    """Load the models and run them once on a blank frame (an interpreter that loads may still fail to run)."""
    import numpy as np

    from alpr_edge.ops.status import model_files
    from alpr_edge.vision import load_recognizer

    recognizer = load_recognizer(config.recognition.models_dir, config.recognition.threads)
    recognizer.recognize(np.zeros((720, 1280), np.uint8))
    return {item["file"]: f"sha256:{item['sha256']}" for item in model_files(config.recognition.models_dir)} or {
        "recognizer": type(recognizer).__name__}


def _systemctl_show(unit: str) -> dict | None:
    """systemd's view of the service, or None where systemd is not running."""
    import subprocess

    if not Path("/run/systemd/system").is_dir() or shutil.which("systemctl") is None:
        return None
    result = subprocess.run(
        ["systemctl", "show", unit, "-p", "ActiveState,SubState,WatchdogUSec,NRestarts,LoadState"],
        capture_output=True, text=True, timeout=10, check=False,
    )
    if result.returncode != 0:
        return None
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


@dataclass
class Probes:
    """Every seam the checks look through. Defaults are the real thing."""

    frame_source: Callable[[Any], Any] = _open_frame_source
    position_source: Callable[..., Any] = _open_position_source
    clock: Callable[[], Any] = _system_clock
    free_bytes: Callable[[Path], int] = lambda path: shutil.disk_usage(path).free
    hotlists: Callable[[Any, Layout], list[dict]] | None = None  # None: alpr_edge.ops.checks_system.hotlist_summaries
    load_models: Callable[[Any], dict] = _load_models
    systemctl_show: Callable[[str], dict | None] = _systemctl_show
    systemd_units: Path = Path("/etc/systemd/system")  # where install.sh puts and enables units
    broker_timeout_s: float = 3.0
    camera_seconds: float = 2.0
    gps_wait_s: float = 6.0
    service_user: str = SERVICE_USER
    now: Callable[[], float] = time.time


@dataclass
class Context:
    config: Any
    profile: Any
    layout: Layout
    probes: Probes
    daemon_status: dict | None = None  # the running daemon's status file, when fresh
    frames: list = field(default_factory=list)  # sampled by the camera check for the image checks
    camera_error: str | None = None


def run_selftest(config, profile, probes: Probes | None = None, layout: Layout | None = None) -> list[CheckResult]:
    """Run every check in order; a check that crashes fails with its error, the rest still run."""
    from alpr_edge.ops import checks_hardware as hw
    from alpr_edge.ops import checks_system as sysc
    from alpr_edge.ops.status import read_daemon_status

    probes = probes or Probes()
    layout = layout or Layout(config_path=Path(config.source), data_dir=config.data_dir)
    ctx = Context(config, profile, layout, probes)
    ctx.daemon_status = read_daemon_status(layout.status_file, now=probes.now()).get("daemon")
    checks = [
        ("camera", hw.check_camera), ("ir_colour", hw.check_ir_colour), ("exposure", hw.check_exposure),
        ("gps", hw.check_gps_and_clock), ("storage", sysc.check_storage), ("database", sysc.check_database),
        ("keys", sysc.check_keys), ("key_protection", sysc.check_key_protection), ("hotlists", sysc.check_hotlists), ("broker", sysc.check_broker),
        ("models", sysc.check_models), ("watchdog", sysc.check_watchdog), ("kiosk", sysc.check_kiosk),
    ]
    results: list[CheckResult] = []
    for name, check in checks:
        try:
            outcome = check(ctx)
        except PermissionError as error:
            outcome = failed(name, f"permission denied on {error.filename or error}: run it with sudo (the data is the service user's)")
        except Exception as error:  # noqa: BLE001 - a broken check is a failed check, not a crashed self-test
            last = traceback.extract_tb(error.__traceback__)[-1]
            outcome = failed(name, f"check crashed: {type(error).__name__}: {error} ({Path(last.filename).name}:{last.lineno})")
        results.extend(outcome if isinstance(outcome, list) else [outcome])
    return results


def report(results: list[CheckResult]) -> dict:
    return {"ok": all(r.status != "fail" for r in results), "checks": [r.to_dict() for r in results]}


def env_under_systemd(environ=os.environ) -> bool:
    return bool(environ.get("INVOCATION_ID") or environ.get("NOTIFY_SOCKET"))
