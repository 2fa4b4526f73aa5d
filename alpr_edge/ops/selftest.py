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
import traceback
from pathlib import Path

from alpr_edge.ops import checks_hardware as hw
from alpr_edge.ops import checks_system as sysc
from alpr_edge.ops.checks_base import (  # noqa: F401 - the self-test's names, as before the split
    CheckResult, Context, Probes, Status, failed, passed, warned,
)
from alpr_edge.ops.layout import Layout


def run_selftest(config, profile, probes: Probes | None = None, layout: Layout | None = None) -> list[CheckResult]:
    """Run every check in order; a check that crashes fails with its error, the rest still run."""
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
