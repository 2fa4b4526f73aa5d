"""What every self-test check shares: its result, the seams it looks through, its context.

Split from ``alpr_edge.ops.selftest`` so the checks (``checks_hardware``,
``checks_system``) and the runner import this module, not each other.
"""

from __future__ import annotations

import shutil
import time
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
    broker_timeout_s: float = 3.0
    camera_seconds: float = 2.0
    gps_wait_s: float = 6.0
    service_user: str = SERVICE_USER
    now: Callable[[], float] = time.time
    systemd_units: Path = Path("/etc/systemd/system")  # where install.sh puts and enables units


@dataclass
class Context:
    config: Any
    profile: Any
    layout: Layout
    probes: Probes
    daemon_status: dict | None = None  # the running daemon's status file, when fresh
    frames: list = field(default_factory=list)  # sampled by the camera check for the image checks
    camera_error: str | None = None
