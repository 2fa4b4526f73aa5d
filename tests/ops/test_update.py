"""Signed updates: refusal of unsigned or tampered software, kept previous release, rollback on a failed self-test."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from alpr_edge.ops.update import (
    STEPS,
    Installer,
    UpdateError,
    apply_update,
    sign_artifact,
    verify_artifact,
)
from tests.conftest import run_cli
from tests.ops.conftest import ed25519_pair


@pytest.fixture
def keys(tmp_path):
    folder = tmp_path / "signing"
    folder.mkdir()
    return {"vendor": ed25519_pair(folder, "vendor"), "rogue": ed25519_pair(folder, "rogue")}


def wheel(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"alpr_edge-{version}-py3-none-any.whl"
    path.write_bytes(b"PK\x03\x04 stand-in wheel " + version.encode() + os.urandom(16))
    return path


class FakeSystem:
    """Runs the installer's commands against the staging root: builds stand-in venvs, records restarts,
    and answers systemctl and the self-test as set for each release: ``failing`` fails its self-test,
    ``unstartable`` fails its restart, ``silent`` never reports READY, ``dying`` is gone right after READY."""

    def __init__(self, install_dir: Path):
        self.install_dir = install_dir
        self.commands: list[list[str]] = []
        self.failing: set[str] = set()
        self.unstartable: set[str] = set()
        self.silent: set[str] = set()
        self.dying: set[str] = set()

    def active(self) -> str:
        return Path(os.readlink(self.install_dir / "venv")).parent.name

    def __call__(self, command, **kwargs):
        self.commands.append([str(c) for c in command])
        if list(command[1:3]) == ["-m", "venv"]:
            bin_dir = Path(command[3]) / "bin"
            bin_dir.mkdir(parents=True)
            (bin_dir / "alpr-edge").write_text("#!/bin/sh\n")
            (bin_dir / "alpr-edge").chmod(0o755)
        if command[:2] == ["systemctl", "restart"]:
            if self.active() in self.silent:
                raise subprocess.TimeoutExpired(command, kwargs.get("timeout"))
            if self.active() in self.unstartable:
                return subprocess.CompletedProcess(command, 1, "", "Job for alpr-edge.service failed because the control process exited with error code.\n")
        if command[:2] == ["systemctl", "is-active"]:
            dead = self.active() in self.unstartable | self.dying
            return subprocess.CompletedProcess(command, 3 if dead else 0, "failed\n" if dead else "active\n", "")
        if str(command[0]).endswith("bin/alpr-edge"):
            release = self.active()
            bad = release in self.failing
            report = {"ok": not bad, "checks": [{"name": "camera", "status": "fail" if bad else "pass", "detail": f"release {release}"}]}
            return subprocess.CompletedProcess(command, 1 if bad else 0, json.dumps(report) + "\n", "")
        return subprocess.CompletedProcess(command, 0, "", "")

    def restarts(self) -> int:
        return sum(c[:2] == ["systemctl", "restart"] for c in self.commands)


def installer(tmp_path) -> tuple[Installer, FakeSystem]:
    install_dir = tmp_path / "root/opt/alpr-edge"
    install_dir.mkdir(parents=True)
    system = FakeSystem(install_dir)
    return Installer(install_dir, run=system, settle_s=0.0), system


def test_unsigned_tampered_or_foreign_updates_are_refused(tmp_path, keys):
    public = keys["vendor"][1]
    artifact = wheel(tmp_path / "dist", "0.2.0")
    with pytest.raises(UpdateError, match="no signature next to the update"):
        verify_artifact(artifact, public)
    sign_artifact(artifact, keys["rogue"][0])
    with pytest.raises(UpdateError, match="does not match .* and the pinned update key"):
        verify_artifact(artifact, public)
    sign_artifact(artifact, keys["vendor"][0])
    verify_artifact(artifact, public)
    artifact.write_bytes(artifact.read_bytes() + b"\x00")  # one byte appended after signing
    with pytest.raises(UpdateError, match="does not match"):
        verify_artifact(artifact, public)
    with pytest.raises(UpdateError, match="no update key pinned"):
        verify_artifact(artifact, tmp_path / "missing.pub")


def test_a_signed_folder_covers_every_file(tmp_path, keys):
    folder = tmp_path / "wheelhouse"
    wheel(folder, "0.2.0")
    wheel(folder / "deps", "numpy")
    sign_artifact(folder, keys["vendor"][0])
    verify_artifact(folder, keys["vendor"][1])
    (folder / "deps" / "extra.whl").write_bytes(b"slipped in")
    with pytest.raises(UpdateError, match="does not match"):
        verify_artifact(folder, keys["vendor"][1])


def test_refused_update_installs_nothing(tmp_path, keys):
    inst, system = installer(tmp_path)
    artifact = wheel(tmp_path / "dist", "0.2.0")
    sign_artifact(artifact, keys["rogue"][0])
    audit = []
    with pytest.raises(UpdateError):
        apply_update(artifact, keys["vendor"][1], inst, lambda action, data: audit.append(action))
    assert system.commands == [] and not (inst.install_dir / "releases").exists()
    assert audit == ["update.refused"]


def test_update_keeps_the_previous_release_and_rolls_back_when_the_selftest_fails(tmp_path, keys):
    inst, system = installer(tmp_path)
    first = wheel(tmp_path / "dist", "0.1.0")
    sign_artifact(first, keys["vendor"][0])
    good = apply_update(first, keys["vendor"][1], inst)
    assert not good.rolled_back and good.previous is None and inst.current() == good.installed

    second = wheel(tmp_path / "dist", "0.2.0")
    sign_artifact(second, keys["vendor"][0])
    original_install = inst.install

    def install_and_mark_bad(artifact, release):  # the new release's id is known only now
        system.failing.add(release)
        return original_install(artifact, release)

    inst.install = install_and_mark_bad
    audit = []
    outcome = apply_update(second, keys["vendor"][1], inst, lambda action, data: audit.append((action, data)))
    assert outcome.rolled_back and outcome.previous == good.installed
    assert inst.current() == good.installed  # back on the release that passed
    assert os.readlink(inst.link) == f"releases/{good.installed}/venv"
    assert (inst.releases / outcome.installed).exists()  # the failed release is kept for inspection
    assert system.restarts() == 3  # first install, the bad one, the rollback
    actions = [action for action, _ in audit]
    assert actions == ["update.failed", "update.rolled_back", "update.rollback_restarted"]
    assert audit[1][1]["failures"][0]["name"] == "camera" and "self-test failed: camera" in audit[1][1]["reason"]


def bad_release_after(inst: Installer, mark: set[str]) -> None:
    """The next release installed is put in ``mark`` (its id is known only once it is installed)."""
    original = inst.install

    def install_and_mark(artifact, release):
        mark.add(release)
        return original(artifact, release)

    inst.install = install_and_mark


@pytest.mark.parametrize("failure, reason", [
    ("unstartable", "restarting alpr-edge.service failed (exit 1): Job for alpr-edge.service failed"),
    ("silent", "alpr-edge.service did not report READY within 120 s"),
    ("dying", "alpr-edge.service is failed, not active"),
])
def test_a_release_that_does_not_start_is_rolled_back_restarted_and_audited(tmp_path, keys, failure, reason):
    inst, system = installer(tmp_path)
    first = wheel(tmp_path / "dist", "0.1.0")
    sign_artifact(first, keys["vendor"][0])
    good = apply_update(first, keys["vendor"][1], inst)
    second = wheel(tmp_path / "dist", "0.2.0")
    sign_artifact(second, keys["vendor"][0])
    bad_release_after(inst, getattr(system, failure))
    audit = []
    outcome = apply_update(second, keys["vendor"][1], inst, lambda action, data: audit.append((action, data)))
    assert outcome.rolled_back and reason in outcome.failure
    assert inst.current() == good.installed and system.active() == good.installed
    assert system.restarts() == 3  # the first install, the release that would not run, the rollback
    assert sum(c[0].endswith("bin/alpr-edge") for c in system.commands) == 1  # only the first release got as far as its self-test
    assert [action for action, _ in audit] == ["update.failed", "update.rolled_back", "update.rollback_restarted"]
    assert reason in audit[0][1]["reason"] and audit[1][1]["previous"] == good.installed == audit[2][1]["release"]


def test_a_rollback_that_will_not_start_either_says_so_and_is_audited(tmp_path, keys):
    inst, system = installer(tmp_path)
    first = wheel(tmp_path / "dist", "0.1.0")
    sign_artifact(first, keys["vendor"][0])
    good = apply_update(first, keys["vendor"][1], inst)
    system.dying.add(good.installed)  # the old release stopped working meanwhile (a broken disk, say)
    second = wheel(tmp_path / "dist", "0.2.0")
    sign_artifact(second, keys["vendor"][0])
    bad_release_after(inst, system.unstartable)
    audit = []
    with pytest.raises(UpdateError, match=f"rolled back to {good.installed}, but it does not run either"):
        apply_update(second, keys["vendor"][1], inst, lambda action, data: audit.append(action))
    assert inst.current() == good.installed
    assert audit == ["update.failed", "update.rolled_back", "update.rollback_restart_failed"]


def test_steps_are_reported_in_order(tmp_path, keys):
    inst, _ = installer(tmp_path)
    artifact = wheel(tmp_path / "dist", "0.1.0")
    sign_artifact(artifact, keys["vendor"][0])
    seen = []
    apply_update(artifact, keys["vendor"][1], inst, step=seen.append)
    assert seen == STEPS


def test_successful_updates_keep_exactly_one_release_to_go_back_to(tmp_path, keys):
    inst, _ = installer(tmp_path)
    installed = []
    for version in ("0.1.0", "0.2.0", "0.3.0"):
        artifact = wheel(tmp_path / "dist", version)
        sign_artifact(artifact, keys["vendor"][0])
        installed.append(apply_update(artifact, keys["vendor"][1], inst).installed)
    assert sorted(p.name for p in inst.releases.iterdir()) == sorted(installed[1:])
    assert inst.current() == installed[2]


def test_cli_verifies_against_the_pinned_key(tmp_path, keys):
    data_dir = tmp_path / "data"
    (data_dir / "keys").mkdir(parents=True)
    (data_dir / "keys" / "update-signing.pub").write_bytes(keys["vendor"][1].read_bytes())
    config = tmp_path / "config.toml"
    config.write_text(f'[device]\ndata_dir = "{data_dir}"\n')
    artifact = wheel(tmp_path / "dist", "0.2.0")
    sign_artifact(artifact, keys["vendor"][0])
    ok = run_cli("update", "--from", str(artifact), "--verify-only", "--config", str(config))
    assert ok.returncode == 0 and "signature ok" in ok.stdout, ok.stderr
    sign_artifact(artifact, keys["rogue"][0])
    refused = run_cli("update", "--from", str(artifact), "--verify-only", "--config", str(config))
    assert refused.returncode == 1 and "refusing to install it" in refused.stderr


def test_the_update_key_pair_is_made_with_the_cli(tmp_path):
    """`provision --update-key` needs a key a vendor can make: keygen offered only seal and hot list keys."""
    made = run_cli("uplink", "keygen", "update-signing", str(tmp_path / "vendor-update"))
    assert made.returncode == 0 and "keep it where releases are signed" in made.stdout, made.stderr
    artifact = wheel(tmp_path / "dist", "0.2.0")
    sign_artifact(artifact, tmp_path / "vendor-update.key")
    assert verify_artifact(artifact, tmp_path / "vendor-update.pub")


def test_the_same_update_twice_never_builds_over_the_live_release(tmp_path, keys):
    inst, _ = installer(tmp_path)
    artifact = wheel(tmp_path / "dist", "0.2.0")
    sign_artifact(artifact, keys["vendor"][0])
    first = apply_update(artifact, keys["vendor"][1], inst)
    second = apply_update(artifact, keys["vendor"][1], inst)
    assert second.installed != first.installed and second.previous == first.installed
    assert (inst.releases / first.installed / "venv/bin/alpr-edge").exists()


def build_wheel(folder: Path, version: str, selftest_ok: bool, module: str | None = None) -> Path:
    """A tiny real wheel named alpr-edge whose `alpr-edge selftest --json` answers as told (or runs ``module``)."""
    import base64
    import hashlib
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    dist = f"alpr_edge-{version}.dist-info"
    files = {
        "alpr_edge_standin.py": module or f"import json\ndef main():\n    print(json.dumps({{'ok': {selftest_ok}, 'checks': [{{'name': 'camera', 'status': '{'pass' if selftest_ok else 'fail'}', 'detail': 'stand-in {version}'}}]}}))\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: alpr-edge\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}/entry_points.txt": "[console_scripts]\nalpr-edge = alpr_edge_standin:main\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    path = folder / f"alpr_edge-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")
    return path


@pytest.mark.slow
def test_real_virtualenvs_offline_install_and_rollback(tmp_path, keys):
    """Real venv + pip (offline, from signed wheelhouses) and the real self-test command; only systemctl is stood in."""
    install_dir = tmp_path / "root/opt/alpr-edge"
    install_dir.mkdir(parents=True)
    restarts = []

    def run(command, **kwargs):
        if command[:2] == ["systemctl", "is-active"]:
            return subprocess.CompletedProcess(command, 0, "active\n", "")
        if command[0] == "systemctl":
            restarts.append(command)
            return subprocess.CompletedProcess(command, 0, "", "")
        return subprocess.run(command, **kwargs, timeout=300, check=False)

    inst = Installer(install_dir, run=run, settle_s=0.0, own_pip=False)  # own_pip=True adds ensurepip's ~20 s per venv
    good = tmp_path / "wheelhouse-0.2.0"
    build_wheel(good, "0.2.0", selftest_ok=True)
    sign_artifact(good, keys["vendor"][0])
    first = apply_update(good, keys["vendor"][1], inst)
    assert not first.rolled_back and first.selftest["checks"][0]["detail"] == "stand-in 0.2.0"
    bad = tmp_path / "wheelhouse-0.3.0"
    build_wheel(bad, "0.3.0", selftest_ok=False)
    sign_artifact(bad, keys["vendor"][0])
    second = apply_update(bad, keys["vendor"][1], inst)
    assert second.rolled_back and inst.current() == first.installed
    back = subprocess.run([str(inst.link / "bin" / "alpr-edge")], capture_output=True, text=True, check=False)
    assert json.loads(back.stdout)["checks"][0]["detail"] == "stand-in 0.2.0"
    assert len(restarts) == 3


def test_models_travel_with_their_release_and_roll_back_with_it(tmp_path, keys):
    inst, system = installer(tmp_path)
    releases = []
    for version, model in (("0.2.0", b"detector v2"), ("0.3.0", b"detector v3 (bad)")):
        folder = tmp_path / f"wheelhouse-{version}"
        wheel(folder, version)
        (folder / "models").mkdir()
        (folder / "models" / "plate_detector_int8.tflite").write_bytes(model)
        sign_artifact(folder, keys["vendor"][0])
        if version == "0.3.0":
            original = inst.install

            def install_and_mark_bad(artifact, release, original=original):
                system.failing.add(release)
                return original(artifact, release)

            inst.install = install_and_mark_bad
        releases.append(apply_update(folder, keys["vendor"][1], inst))
    assert releases[1].rolled_back
    assert (inst.models_link / "plate_detector_int8.tflite").read_bytes() == b"detector v2"
    assert os.readlink(inst.models_link) == f"releases/{releases[0].installed}/models"
    # A wheel brings no models: the release keeps the ones in force.
    plain = wheel(tmp_path / "dist", "0.4.0")
    sign_artifact(plain, keys["vendor"][0])
    inst.install = original
    fourth = apply_update(plain, keys["vendor"][1], inst)
    assert (inst.releases / fourth.installed / "models" / "plate_detector_int8.tflite").read_bytes() == b"detector v2"


# systemctl for the CLI test: `restart` runs the active release's command as the unit's ExecStart would
# (so a release that cannot start fails its restart), `is-active` says what became of it.
FAKE_SYSTEMCTL = """#!/bin/sh
state="{state}"
case "$1" in
  restart)
    if "{link}/bin/alpr-edge" --version >/dev/null 2>"$state.log"; then echo active > "$state"; exit 0; fi
    echo failed > "$state"
    echo "Job for $2 failed because the control process exited with error code." >&2
    exit 1 ;;
  is-active) now=$(cat "$state" 2>/dev/null || echo inactive); echo "$now"; [ "$now" = active ] ;;
  *) exit 0 ;;
esac
"""

GOOD_RELEASE = """#!/bin/sh
case "$1" in
  --version) echo "alpr-edge 0.1.0" ;;
  selftest) echo '{"ok": true, "checks": []}' ;;
esac
"""


@pytest.mark.slow
def test_cli_update_that_cannot_start_rolls_back_and_the_audit_export_shows_it(tmp_path, agency_keys):
    """As a technician would: a signed release whose service cannot start; the device goes back and says so."""
    import re

    import pyotp

    from tests.ops.conftest import ADMIN_PASSWORD, provision_args, run_here

    keys = agency_keys
    root = tmp_path / "root"
    provisioned = run_here(*provision_args(root, None, keys, admin="chief", non_interactive=True), input=ADMIN_PASSWORD + "\n")
    assert provisioned.returncode == 0, provisioned.stderr
    secret = re.search(r"secret=([A-Z2-7]+)", provisioned.stdout).group(1)
    install_dir = root / "opt/alpr-edge"
    old = install_dir / "releases/0.1.0/venv/bin/alpr-edge"  # what scripts/install.sh laid down
    old.parent.mkdir(parents=True)
    old.write_text(GOOD_RELEASE)
    old.chmod(0o755)
    (install_dir / "venv").symlink_to("releases/0.1.0/venv")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text(FAKE_SYSTEMCTL.format(state=tmp_path / "service-state", link=install_dir / "venv"))
    (bin_dir / "systemctl").chmod(0o755)

    broken = tmp_path / "wheelhouse-0.2.0"  # its first import fails: the service cannot start
    build_wheel(broken, "0.2.0", selftest_ok=True, module="import alpr_edge_dependency_left_out\ndef main():\n    pass\n")
    sign_artifact(broken, keys["update"][0])
    where = ["--config", str(root / "etc/alpr-edge/config.toml"), "--data-dir", str(root / "var/lib/alpr-edge")]
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    result = run_cli("update", "--from", str(broken), "--root", str(root), "--technician", "tech.jo", *where, env=env, timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ROLLED BACK: release" in result.stdout and "restarting alpr-edge.service failed" in result.stdout
    assert "back on 0.1.0, restarted" in result.stdout and "Traceback" not in result.stderr
    assert os.readlink(install_dir / "venv") == "releases/0.1.0/venv"
    assert (tmp_path / "service-state").read_text().strip() == "active"  # the old release runs again

    exported = run_here("audit", "export", "--format", "json", "--user", "chief", "--totp", pyotp.TOTP(secret).now(),
                        "--password-stdin", *where, input=ADMIN_PASSWORD + "\n")
    assert exported.returncode == 0, exported.stderr
    records = [r for r in json.loads(exported.stdout) if r["action"].startswith("update.")]
    assert [r["action"] for r in records] == ["update.failed", "update.rolled_back", "update.rollback_restarted"]
    assert all(r["user"] == "tech.jo" and r["role"] == "technician" for r in records)
    # An auditor filtering on the outcome sees the failure (it read "ok" next to update.failed).
    assert [r["outcome"].split(":")[0] for r in records] == ["failed", "ok", "ok"]
    assert "restarting alpr-edge.service failed" in records[0]["outcome"]
    # The log line says what was rolled back (it was a bare "update_rolled_back").
    assert " warning alpr_edge.ops.update update_rolled_back release=" in result.stderr, result.stderr
