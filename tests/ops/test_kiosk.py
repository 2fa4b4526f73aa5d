"""The in-car kiosk: the unit starts Chromium so that alerts sound from the first second; install.sh ships and
enables it; selftest checks it is installed, enabled and carries its flags."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from alpr_edge.config import Config, UiSection
from alpr_edge.ops.checks_system import KIOSK_UNIT, check_kiosk
from alpr_edge.ops.layout import Layout
from alpr_edge.ops.selftest import Context, Probes
from alpr_edge.profiles import load_profile
from tests.ops.test_install import INSTALL, REPO, UNINSTALL, sh

UNIT = REPO / "systemd" / KIOSK_UNIT


def exec_start(text: str) -> list[str]:
    joined = text.replace("\\\n", " ")
    return next(line.split("=", 1)[1] for line in joined.splitlines() if line.startswith("ExecStart=")).split()


def test_the_unit_runs_chromium_as_a_kiosk_that_may_sound_at_once():
    text = UNIT.read_text()
    command = exec_start(text)
    assert command[:4] == ["/usr/bin/cage", "-s", "--", "chromium"]
    assert {"--kiosk", "--autoplay-policy=no-user-gesture-required", "--noerrdialogs", "--no-first-run"} <= set(command)
    assert command[-1] == "${ALPR_EDGE_UI_URL}"
    assert f"Environment=ALPR_EDGE_UI_URL=http://127.0.0.1:{UiSection().port}/" in text  # the UI's default address
    assert "User=alpr-kiosk" in text and "TTYPath=/dev/tty1" in text and "PAMName=login" in text
    assert "After=alpr-edge.service" in text and "WantedBy=multi-user.target" in text


@pytest.fixture
def kiosk_root(tmp_path) -> Path:
    root = tmp_path / "root"
    result = sh(INSTALL, "--root", str(root), "--kiosk")
    assert result.returncode == 0, result.stderr + result.stdout
    return root


def test_install_ships_and_enables_the_kiosk_and_uninstall_removes_it(kiosk_root):
    installed = kiosk_root / "etc/systemd/system" / KIOSK_UNIT
    assert installed.read_text() == UNIT.read_text()
    plan = (kiosk_root / "opt/alpr-edge/install-plan.sh").read_text()
    assert "useradd --system --user-group --home-dir /var/lib/alpr-edge-kiosk" in plan and "alpr-kiosk" in plan
    assert "cage" in plan and "chromium" in plan
    if shutil.which("systemctl"):
        assert (kiosk_root / "etc/systemd/system/multi-user.target.wants" / KIOSK_UNIT).is_symlink()
    removed = sh(UNINSTALL, "--root", str(kiosk_root))
    assert removed.returncode == 0, removed.stderr
    assert not installed.exists() and not (kiosk_root / "etc/systemd/system/multi-user.target.wants" / KIOSK_UNIT).is_symlink()


def test_without_kiosk_install_leaves_it_out(tmp_path):
    root = tmp_path / "root"
    assert sh(INSTALL, "--root", str(root)).returncode == 0
    assert not (root / "etc/systemd/system" / KIOSK_UNIT).exists()


def kiosk_check(root: Path, profile: str = "usb-v4l2", ui: UiSection | None = None, active: str | None = None):
    config = Config(ui=ui or UiSection())
    probes = Probes(systemd_units=root / "etc/systemd/system",
                    systemctl_show=lambda unit: None if active is None else {"ActiveState": active})
    layout = Layout.for_root(root)
    return check_kiosk(Context(config, load_profile(profile), layout, probes))


def test_selftest_passes_an_installed_enabled_kiosk(kiosk_root):
    if not shutil.which("systemctl"):
        pytest.skip("systemctl --root enables the unit in the staging root")
    result = kiosk_check(kiosk_root, active="active")
    assert result.status == "pass", result.detail


def test_selftest_fails_a_car_without_its_kiosk_and_only_warns_elsewhere(tmp_path):
    car = kiosk_check(tmp_path)
    assert car.status == "fail" and "is not installed" in car.detail and "install.sh --kiosk" in car.detail
    assert kiosk_check(tmp_path, profile="usb-desk").status == "warn"
    assert kiosk_check(tmp_path, ui=UiSection(enabled=False)).status == "pass"  # no touchscreen at all


def test_selftest_fails_a_kiosk_that_would_be_silent_until_touched(kiosk_root):
    unit = kiosk_root / "etc/systemd/system" / KIOSK_UNIT
    unit.write_text(unit.read_text().replace("    --autoplay-policy=no-user-gesture-required \\\n", ""))
    result = kiosk_check(kiosk_root)
    assert result.status == "fail" and "lacks --autoplay-policy=no-user-gesture-required" in result.detail


def test_selftest_fails_a_kiosk_that_is_not_enabled(kiosk_root):
    for target in ("multi-user.target", "graphical.target"):
        (kiosk_root / "etc/systemd/system" / f"{target}.wants" / KIOSK_UNIT).unlink(missing_ok=True)
    result = kiosk_check(kiosk_root)
    assert result.status == "fail" and "not enabled" in result.detail


def test_selftest_fails_a_kiosk_that_opens_another_port_than_the_ui(kiosk_root):
    if not shutil.which("systemctl"):
        pytest.skip("needs the unit enabled in the staging root")
    moved = UiSection(port=8443)
    result = kiosk_check(kiosk_root, ui=moved)
    assert result.status == "fail" and "opens port 8080 but the UI listens on 8443" in result.detail
    (kiosk_root / "etc/alpr-edge/kiosk.env").write_text("ALPR_EDGE_UI_URL=http://127.0.0.1:8443/\n")
    assert kiosk_check(kiosk_root, ui=moved).status == "pass"
    stopped = kiosk_check(kiosk_root, ui=moved, active="failed")
    assert stopped.status == "warn" and "journalctl -u alpr-edge-kiosk" in stopped.detail


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_passes_on_the_kiosk_unit(kiosk_root):
    shutil.copytree(Path("/lib/systemd/system"), kiosk_root / "usr/lib/systemd/system", symlinks=True, dirs_exist_ok=True)
    cage = kiosk_root / "usr/bin/cage"  # the image's cage (apt-get install cage in the plan), stood in
    cage.parent.mkdir(parents=True, exist_ok=True)
    cage.write_text("#!/bin/sh\n")
    cage.chmod(0o755)
    result = subprocess.run(["systemd-analyze", f"--root={kiosk_root}", "verify", KIOSK_UNIT],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert KIOSK_UNIT not in result.stderr, result.stderr

