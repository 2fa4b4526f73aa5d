"""uninstall.sh --root DIR: everything it reads, removes or reports lies under DIR, named as on the device.

The root sits in a folder with a stand-in host beside it (its own keys, units and data): nothing there may
change, and the host's service commands are stand-ins on PATH that record any call (there must be none).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.ops.test_install import INSTALL, UNINSTALL, fake_data, image_root, sh, snapshot

HOST_COMMANDS = ("systemctl", "udevadm", "userdel", "useradd", "usermod", "groupadd", "getent", "journalctl")


@pytest.fixture
def world(tmp_path) -> dict[str, Path]:
    root, host = tmp_path / "root", tmp_path / "host"
    installed = sh(INSTALL, "--root", str(root), "--kiosk")
    assert installed.returncode == 0, installed.stderr + installed.stdout
    (host / "etc/alpr-edge").mkdir(parents=True)
    fake_data(host)  # keys, a database and a config that are not the root's
    (host / "etc/systemd/system").mkdir(parents=True)
    (host / "etc/systemd/system/alpr-edge.service").write_text("[Unit]\n")
    (host / "opt/alpr-edge").mkdir(parents=True)
    (host / "opt/alpr-edge/README.md").write_text("the host's own\n")
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name in HOST_COMMANDS:  # a host command run would show here
        (stubs / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{tmp_path}/host-commands.log"\n')
        (stubs / name).chmod(0o755)
    return {"root": root, "host": host, "stubs": stubs, "log": tmp_path / "host-commands.log", "top": tmp_path}


def uninstall(world, *args: str):
    import subprocess

    env = {**os.environ, "PATH": f"{world['stubs']}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", str(UNINSTALL), "--root", str(world["root"]), *args],
                          capture_output=True, text=True, timeout=120, check=False, env=env)


def ours(root: Path) -> list[str]:
    """What of alpr-edge's is left in ``root``: any file or link, any folder named for it (system folders stay)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir() or p.is_symlink() or "alpr" in p.name)


def test_uninstall_and_wipe_touch_only_the_root_and_speak_in_device_paths(world):
    root = world["root"]
    fake_data(root, holds=[("24-001234", None)])
    host = snapshot(world["host"])
    kept = uninstall(world)
    assert kept.returncode == 0, kept.stderr
    assert ours(root) == ["etc/alpr-edge", "etc/alpr-edge/config.toml", "var/lib/alpr-edge", "var/lib/alpr-edge/alpr.db",
                          "var/lib/alpr-edge/keys/datakeys", "var/lib/alpr-edge/keys/device.key",
                          "var/lib/alpr-edge/keys/kek"]  # the data and configuration stay for a reinstall
    refused = uninstall(world, "--wipe", "--yes")  # held evidence stays unless asked
    assert refused.returncode == 1 and "evidence holds are in force" in refused.stderr
    assert (root / "var/lib/alpr-edge/keys/kek").exists()
    wiped = uninstall(world, "--wipe", "--yes", "--including-held-evidence")
    assert wiped.returncode == 0, wiped.stderr
    assert ours(root) == []
    assert snapshot(world["host"]) == host  # nothing beside the root changed
    assert not world["log"].exists(), world["log"].read_text()  # no host command ran
    said = kept.stdout + kept.stderr + refused.stdout + refused.stderr + wiped.stdout + wiped.stderr
    assert str(world["top"]) not in said  # paths as they are on the device
    assert "removed /etc/systemd/system/alpr-edge-kiosk.service" in said and "removed the data /var/lib/alpr-edge" in said


def test_a_dry_run_says_what_it_would_do_and_does_nothing(world):
    fake_data(world["root"])
    before = snapshot(world["top"])
    result = uninstall(world, "--wipe", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert snapshot(world["top"]) == before and not world["log"].exists()
    said = [line for line in result.stdout.splitlines() if line.startswith("uninstall.sh:")]
    assert "uninstall.sh: would remove /opt/alpr-edge" in said and not [line for line in said if " removed " in line]


@pytest.mark.parametrize("link, to", [
    ("var/lib/alpr-edge", "var/lib/alpr-edge"),  # the data folder a link to the host's
    ("var/lib/alpr-edge/keys", "var/lib/alpr-edge/keys"),
    ("var/lib/alpr-edge/keys/kek", "var/lib/alpr-edge/keys/kek"),  # one key a link out
    ("etc/systemd", "etc/systemd"),  # a folder above a file it removes
    ("etc/alpr-edge", "etc/alpr-edge"),
])
def test_a_link_leading_out_of_the_root_is_refused_before_anything_changes(world, link, to):
    root = world["root"]
    fake_data(root)
    path = root / link
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    path.symlink_to(world["host"] / to)  # absolute: as an image's own links read from outside it
    before = snapshot(world["top"])
    result = uninstall(world, "--wipe", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"/{link} leads out of the root" in result.stderr and "nothing was changed" in result.stderr
    assert snapshot(world["top"]) == before and not world["log"].exists()


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("userdel") is None, reason="userdel --root needs root")
def test_a_wipe_takes_the_users_out_of_an_image_roots_own_user_database(tmp_path):
    root = image_root(tmp_path)
    installed = sh(INSTALL, "--root", str(root), "--kiosk")
    assert installed.returncode == 0, installed.stderr
    assert "alpr-edge:" in (root / "etc/passwd").read_text() and "alpr-kiosk:" in (root / "etc/passwd").read_text()
    host_users = Path("/etc/passwd").read_text()
    wiped = sh(UNINSTALL, "--root", str(root), "--wipe", "--yes")
    assert wiped.returncode == 0, wiped.stderr
    assert "uninstall.sh: removed the user alpr-edge" in wiped.stdout and str(tmp_path) not in wiped.stdout
    assert [line.split(":")[0] for line in (root / "etc/passwd").read_text().splitlines()] == ["root"]
    assert Path("/etc/passwd").read_text() == host_users
