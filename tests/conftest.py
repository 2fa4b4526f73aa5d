"""Shared fixtures: small rendered images and a run helper for the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI_CLOCK_ENV: dict[str, str] = {}  # set by _days_ahead: the CLI's clock moved with the tests'


def cli_env(env: dict | None = None) -> dict[str, str]:
    """The environment of a CLI command a test starts: the checkout's code, the tests' clock, ``env``."""
    path = f"{ROOT}{os.pathsep}{ROOT / 'tests' / 'clock_ahead'}" if CLI_CLOCK_ENV else str(ROOT)
    return {**os.environ, **CLI_CLOCK_ENV, "PYTHONPATH": path, **(env or {})}


def run_cli(*args: str, timeout: float = 120, env: dict | None = None, input: str | None = None, **popen):
    """Run `python -m alpr_edge ARGS` from the checkout, as a user would run alpr-edge
    (``popen``: more of subprocess.run's arguments, e.g. ``preexec_fn``)."""
    return subprocess.run(
        [sys.executable, "-m", "alpr_edge", *args],
        capture_output=True, text=True, timeout=timeout, env=cli_env(env), cwd=ROOT, input=input, **popen,
    )


@pytest.fixture(autouse=True)
def _temporary_files_stay_in_pytests_tree(tmp_path_factory, monkeypatch):
    """What the code under test makes with ``tempfile`` (a daemon's data folder, alert tone files) and
    what CLI subprocesses make in $TMPDIR lands in pytest's own temporary tree, which pytest prunes,
    instead of piling up in /tmp (test_daemon.py and the tone tests left a folder per test there)."""
    folder = tmp_path_factory.mktemp("tempfile")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))


@pytest.fixture(scope="session", autouse=True)
def _days_ahead():
    """ALPR_EDGE_TEST_DAYS_AHEAD=365 scripts/test.sh runs the suite with this process's clock a year
    ahead: no test may depend on today's date (a hot list test with fixed expiry dates once failed
    on every day after 2026-12-06)."""
    days = float(os.environ.get("ALPR_EDGE_TEST_DAYS_AHEAD") or 0)
    if not days:
        yield
        return
    import time

    import time_machine

    # The CLI commands the tests start see the same day: tests/clock_ahead/sitecustomize.py moves their
    # wall clock with time-machine too (libfaketime faked the monotonic clock as well, and thread waits hung).
    CLI_CLOCK_ENV.update(ALPR_EDGE_CLI_DAYS_AHEAD=f"{days:g}")
    with time_machine.travel(time.time() + days * 86400, tick=True):
        yield


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """Five numbered 320x240 colour images, each with its index drawn on it."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for index in range(5):
        image = np.full((240, 320, 3), 40 * index, np.uint8)
        cv2.putText(image, str(index), (100, 150), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 5)
        cv2.imwrite(str(folder / f"frame-{index:03d}.png"), image)
    return folder


@pytest.fixture
def video_file(tmp_path: Path) -> Path:
    """An 8-frame MJPEG video file written by OpenCV."""
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for index in range(8):
        writer.write(np.full((240, 320, 3), 20 * index, np.uint8))
    writer.release()
    return path


@pytest.fixture
def systemd_host_key(tmp_path, monkeypatch):
    """A systemd host key of this test's own ($SYSTEMD_CREDENTIAL_SECRET), for real `systemd-creds` runs;
    skips where systemd-creds is absent or does not work (it needs no running systemd, but root)."""
    from alpr_edge.store.kek import CredsError, SystemdCreds

    if not SystemdCreds().available():
        pytest.skip("systemd-creds is not installed")
    path = tmp_path / "systemd-host" / "credential.secret"
    path.parent.mkdir()
    monkeypatch.setenv("SYSTEMD_CREDENTIAL_SECRET", str(path))
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    try:
        SystemdCreds().encrypt(b"probe", "probe")
    except CredsError as error:
        pytest.skip(f"systemd-creds does not work here: {error}")
    return path
