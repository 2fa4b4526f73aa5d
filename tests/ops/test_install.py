"""scripts/install.sh and uninstall.sh in a staging root (never on this host), and systemd-analyze verify."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "scripts" / "install.sh"
UNINSTALL = REPO / "scripts" / "uninstall.sh"


def sh(script: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, timeout=120, check=False)


def snapshot(root: Path) -> dict:
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        content = os.readlink(path) if path.is_symlink() else (path.read_bytes() if path.is_file() else None)
        found[str(path.relative_to(root))] = (oct(info.st_mode), content)
    return found


@pytest.fixture
def staged(tmp_path) -> Path:
    root = tmp_path / "root"
    result = sh(INSTALL, "--root", str(root))
    assert result.returncode == 0, result.stderr + result.stdout
    return root


def test_install_into_a_staging_root_lays_out_everything(staged):
    root = staged
    unit = root / "etc/systemd/system/alpr-edge.service"
    assert unit.read_text() == (REPO / "systemd/alpr-edge.service").read_text()
    assert (root / "etc/udev/rules.d/60-alpr-edge-gps.rules").exists()
    journald = (root / "etc/systemd/journald.conf.d/60-alpr-edge.conf").read_text()
    assert "[Journal]" in journald and "SystemMaxUse=" in journald
    assert (root / "etc/polkit-1/rules.d/50-alpr-edge-poweroff.rules").exists()
    assert (root / "usr/share/alpr-edge/firmware_profiles/sim.toml").exists()
    assert (root / "var/lib/alpr-edge").stat().st_mode & 0o777 == 0o700
    link = root / "opt/alpr-edge/venv"
    assert link.is_symlink() and os.readlink(link) == "releases/0.1.0/venv"
    assert os.access(link / "bin/alpr-edge", os.X_OK)
    assert os.readlink(root / "usr/local/bin/alpr-edge") == "/opt/alpr-edge/venv/bin/alpr-edge"
    if list((REPO / "models").glob("*.tflite")):  # the models belong to the release, behind a link
        assert os.readlink(root / "opt/alpr-edge/models") == "releases/0.1.0/models"
        assert {p.name for p in (root / "opt/alpr-edge/models").glob("*.tflite")} == {p.name for p in (REPO / "models").glob("*.tflite")}
    if shutil.which("systemctl"):
        assert (root / "etc/systemd/system/multi-user.target.wants/alpr-edge.service").is_symlink()
    plan = (root / "opt/alpr-edge/install-plan.sh").read_text()
    assert "useradd --system --user-group --home-dir /var/lib/alpr-edge" in plan and "alpr-edge\n" in plan
    assert "usermod --append --groups video,dialout,gpio alpr-edge" in plan
    assert "getent group gpio >/dev/null || groupadd --system gpio" in plan
    assert str(root) not in plan  # the plan runs on the device: in-system paths only
    assert subprocess.run(["sh", "-n", str(root / "opt/alpr-edge/install-plan.sh")], check=False).returncode == 0


def test_install_is_safe_to_run_twice(staged):
    before = snapshot(staged)
    again = sh(INSTALL, "--root", str(staged))
    assert again.returncode == 0, again.stderr
    assert "installed /" not in again.stdout  # nothing needed installing
    assert snapshot(staged) == before


def test_dry_run_changes_nothing(tmp_path):
    root = tmp_path / "root"
    result = sh(INSTALL, "--dry-run", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert "+ (host) getent passwd alpr-edge >/dev/null || useradd" in result.stdout
    assert "+ install -D -m 0644" in result.stdout and "alpr-edge.service" in result.stdout
    assert not root.exists()


def test_udev_rule_gives_the_gps_a_stable_name():
    rules = [line for line in (REPO / "systemd/60-alpr-edge-gps.rules").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules
    for rule in rules:
        assert 'SUBSYSTEM=="tty"' in rule and 'SYMLINK+="gps0"' in rule and 'GROUP="dialout"' in rule


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_passes_on_the_installed_unit(staged):
    # A Debian root has systemd's own units (sysinit.target, ...): give the staging root this host's.
    system_units = Path("/lib/systemd/system")
    shutil.copytree(system_units, staged / "usr/lib/systemd/system", symlinks=True, dirs_exist_ok=True)
    result = subprocess.run(["systemd-analyze", f"--root={staged}", "verify", "alpr-edge.service"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "alpr-edge.service" not in result.stderr, result.stderr
    # And verify really looks at the staged ExecStart: without it, it fails.
    (staged / "opt/alpr-edge/releases/0.1.0/venv/bin/alpr-edge").unlink()
    broken = subprocess.run(["systemd-analyze", f"--root={staged}", "verify", "alpr-edge.service"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert broken.returncode != 0 and "/opt/alpr-edge/venv/bin/alpr-edge" in broken.stderr


def fake_data(root: Path, holds: list[tuple[str, str | None]] = ()) -> None:
    """Keys, a database with the store's holds table (``holds``: (case number, released at or None)), a config."""
    import sqlite3

    keys = root / "var/lib/alpr-edge/keys"
    keys.mkdir(parents=True, exist_ok=True)
    for name in ("kek", "device.key", "datakeys"):
        (keys / name).write_bytes(os.urandom(32))
    conn = sqlite3.connect(root / "var/lib/alpr-edge/alpr.db")
    conn.execute("CREATE TABLE holds (id TEXT PRIMARY KEY, read_id TEXT NOT NULL, case_number TEXT NOT NULL, reason TEXT NOT NULL,"
                 " created_by TEXT NOT NULL, created_at TEXT NOT NULL, released_at TEXT, released_by TEXT)")
    for index, (case, released) in enumerate(holds):
        conn.execute("INSERT INTO holds VALUES (?, ?, ?, 'evidence', 'sgt.lee', '2026-11-02T10:00:00Z', ?, NULL)",
                     (f"h{index}", f"r{index}", case, released))
    conn.commit()
    conn.close()
    (root / "etc/alpr-edge/config.toml").write_text("[device]\n")


def test_uninstall_keeps_data_unless_wipe(staged):
    fake_data(staged)
    kept = sh(UNINSTALL, "--root", str(staged))
    assert kept.returncode == 0, kept.stderr
    assert not (staged / "opt/alpr-edge").exists() and not (staged / "etc/systemd/system/alpr-edge.service").exists()
    assert (staged / "var/lib/alpr-edge/keys/kek").exists() and (staged / "etc/alpr-edge/config.toml").exists()
    assert "kept the configuration" in kept.stdout
    wiped = sh(UNINSTALL, "--root", str(staged), "--wipe", "--yes")
    assert wiped.returncode == 0, wiped.stderr
    lines = wiped.stdout.splitlines()
    assert lines.index("uninstall.sh: destroyed the keys in /var/lib/alpr-edge/keys") < lines.index("uninstall.sh: removed the data /var/lib/alpr-edge")
    assert not (staged / "var/lib/alpr-edge").exists() and not (staged / "etc/alpr-edge").exists()


def test_uninstall_dry_run_wipes_nothing(staged):
    fake_data(staged)
    before = snapshot(staged)
    result = sh(UNINSTALL, "--root", str(staged), "--wipe", "--dry-run")
    assert result.returncode == 0 and "+ shred" in result.stdout
    assert snapshot(staged) == before


def image_root(tmp_path: Path) -> Path:
    """An OS image's root with only its own user database: what `useradd/userdel --root` edit."""
    root = tmp_path / "image"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/group").write_text("root:x:0:\nvideo:x:44:\ndialout:x:20:\n")
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    (root / "etc/gshadow").write_text("root:*::\nvideo:!::\ndialout:!::\n")
    return root


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("useradd") is None, reason="useradd --root needs root")
def test_an_image_root_gets_the_service_user_in_its_own_user_database(tmp_path):
    root = image_root(tmp_path)
    for _ in range(2):  # twice: the second run finds the user and changes nothing
        result = sh(INSTALL, "--root", str(root))
        assert result.returncode == 0, result.stderr
    passwd = (root / "etc/passwd").read_text()
    assert sum(line.startswith("alpr-edge:") for line in passwd.splitlines()) == 1 and ":/var/lib/alpr-edge:/usr/sbin/nologin" in passwd
    groups = {line.split(":")[0]: line.split(":")[3] for line in (root / "etc/group").read_text().splitlines()}
    assert all("alpr-edge" in groups[g] for g in ("video", "dialout", "gpio"))
    uid = int(next(line for line in passwd.splitlines() if line.startswith("alpr-edge:")).split(":")[2])
    assert (root / "var/lib/alpr-edge").stat().st_uid == uid
    assert "useradd" not in (root / "opt/alpr-edge/install-plan.sh").read_text()


# The interpreter the image's virtualenv is built on: the system one, at the same path inside the image.
SYSTEM_PYTHON = Path("/usr/bin/python3")


def in_chroot(root: Path, *command: str) -> subprocess.CompletedProcess:
    """``command`` run inside ``root`` as its /, with this host's /usr/bin and /usr/lib standing in for the
    image's system packages (the plan's `apt-get install python3 ...`), in a private mount namespace."""
    mounts = []
    for folder in ("usr/bin", "usr/lib", "usr/lib64"):
        if Path("/", folder).is_dir() and not Path("/", folder).is_symlink():
            (root / folder).mkdir(parents=True, exist_ok=True)
            mounts.append(f"mount --bind /{folder} '{root / folder}'")
    for link in ("bin", "lib", "lib64"):
        if not (root / link).exists():
            (root / link).symlink_to(f"usr/{link}")
    script = " && ".join(mounts + [f'exec {shutil.which("chroot") or "chroot"} "$0" "$@"'])
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(root), *command],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"})


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not SYSTEM_PYTHON.exists(),
                    reason="chroot in a private mount namespace needs root, unshare and /usr/bin/python3")
def test_a_staged_virtualenv_runs_once_the_root_is_in_place(tmp_path):
    root = tmp_path / "image"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # Its dependencies are not what is tested here (and would take minutes to fetch): the CLI alone.
    env.update(PYTHON=str(SYSTEM_PYTHON), PIP_NO_DEPS="1")
    built = subprocess.run(["bash", str(INSTALL), "--root", str(root), "--venv"], capture_output=True, text=True,
                           timeout=600, check=False, env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    release = root / "opt/alpr-edge/releases/0.1.0/venv"
    assert (release / "bin/alpr-edge").read_text().splitlines()[0] == "#!/opt/alpr-edge/releases/0.1.0/venv/bin/python"
    staged = str(root).encode()
    leaks = [str(p.relative_to(root)) for p in (root / "opt/alpr-edge").rglob("*")
             if p.is_file() and not p.is_symlink() and staged in p.read_bytes()]
    assert leaks == []  # not in a #! line, pyvenv.cfg, the activate scripts, RECORD files or bytecode
    try:
        probe = in_chroot(root, "/usr/bin/true")
    except OSError as error:
        pytest.skip(f"no chroot here: {error}")
    if probe.returncode != 0:
        pytest.skip(f"no bind mounts here: {probe.stderr.strip()}")

    version = in_chroot(root, "/usr/local/bin/alpr-edge", "--version")
    assert version.returncode == 0 and version.stdout.strip() == "alpr-edge 0.1.0", version.stderr
    where = in_chroot(root, "/opt/alpr-edge/venv/bin/python", "-c", "import alpr_edge; print(alpr_edge.__file__)")
    assert where.stdout.startswith("/opt/alpr-edge/") and "/site-packages/alpr_edge/" in where.stdout, where.stdout + where.stderr
    shown = in_chroot(root, "/usr/local/bin/alpr-edge", "config", "show")  # a command that reads the image's files
    assert shown.returncode == 0 and "built-in defaults" in shown.stdout.splitlines()[0], shown.stderr
    # And the way it was before: without the rewrite, the script's #! line names the staging folder.
    (release / "bin/alpr-edge").write_text(f"#!{release}/bin/python\nprint('staged')\n")
    assert in_chroot(root, "/usr/local/bin/alpr-edge", "--version").returncode != 0


def test_wipe_without_a_terminal_needs_yes_and_changes_nothing(staged):
    fake_data(staged)
    before = snapshot(staged)
    refused = sh(UNINSTALL, "--root", str(staged), "--wipe")
    assert refused.returncode == 2 and "pass --yes" in refused.stderr
    assert snapshot(staged) == before  # not even the software was removed


def on_a_terminal(*args: str, answer: str) -> tuple[int, str]:
    """uninstall.sh ARGS with a pseudo-terminal for stdin, answering its question with ``answer``."""
    master, slave = os.openpty()
    try:
        os.write(master, (answer + "\n").encode())
        result = subprocess.run(["bash", str(UNINSTALL), *args], stdin=slave, capture_output=True, text=True, timeout=60, check=False)
    finally:
        os.close(slave)
        os.close(master)
    return result.returncode, result.stdout + result.stderr


def test_wipe_on_a_terminal_asks_to_type_wipe(staged):
    fake_data(staged)
    before = snapshot(staged)
    status, said = on_a_terminal("--root", str(staged), "--wipe", answer="y")
    assert status == 1 and "Type WIPE to go on" in said and "not wiped; nothing was changed" in said
    assert snapshot(staged) == before
    status, said = on_a_terminal("--root", str(staged), "--wipe", answer="WIPE")
    assert status == 0 and "uninstall.sh: wiped" in said, said
    assert not (staged / "var/lib/alpr-edge").exists()


def test_wipe_refuses_while_evidence_is_held_unless_told_explicitly(staged):
    fake_data(staged, holds=[("24-001234", None), ("24-000777", "2026-11-20T09:00:00Z")])
    before = snapshot(staged)
    refused = sh(UNINSTALL, "--root", str(staged), "--wipe", "--yes")
    assert refused.returncode == 1 and "evidence holds are in force (1 hold(s), case(s) 24-001234)" in refused.stderr
    assert "24-000777" not in refused.stderr  # released: no longer holds anything
    assert snapshot(staged) == before
    unasked = sh(UNINSTALL, "--root", str(staged), "--wipe", "--including-held-evidence")  # no terminal, no --yes
    assert unasked.returncode == 2 and "(held evidence too: 1 hold(s), case(s) 24-001234)" in unasked.stderr
    assert "destroying" not in unasked.stdout and snapshot(staged) == before  # it once said "destroying" and stopped
    told = sh(UNINSTALL, "--root", str(staged), "--wipe", "--yes", "--including-held-evidence")
    assert told.returncode == 0, told.stderr
    assert "destroying held evidence as told" in told.stdout and not (staged / "var/lib/alpr-edge").exists()


def test_wipe_proceeds_once_every_hold_is_released(staged):
    fake_data(staged, holds=[("24-000777", "2026-11-20T09:00:00Z")])
    wiped = sh(UNINSTALL, "--root", str(staged), "--wipe", "--yes")
    assert wiped.returncode == 0, wiped.stderr
    assert not (staged / "var/lib/alpr-edge").exists()


def test_wipe_refuses_when_it_cannot_tell_whether_evidence_is_held(staged):
    fake_data(staged)
    (staged / "var/lib/alpr-edge/alpr.db").write_bytes(b"not a database")
    refused = sh(UNINSTALL, "--root", str(staged), "--wipe", "--yes")
    assert refused.returncode == 1 and "the database cannot be read" in refused.stderr


def test_steps_are_announced_on_a_terminal_only(tmp_path):
    piped = sh(INSTALL, "--dry-run", "--venv", "--root", str(tmp_path / "a"))
    assert piped.returncode == 0 and "[1/7]" not in piped.stdout and "--quiet" in piped.stdout
    master, slave = os.openpty()
    try:
        result = subprocess.run(["bash", str(INSTALL), "--dry-run", "--venv", "--root", str(tmp_path / "b")], stdout=slave,
                                stderr=subprocess.PIPE, timeout=120, check=False)
        os.close(slave)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other side is closed and drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
    text = shown.decode()
    assert result.returncode == 0, result.stderr
    assert "install.sh: [1/7] system packages" in text and "install.sh: [4/7] virtualenv" in text
    assert "--progress-bar on" in text  # pip draws its bars for a person watching
