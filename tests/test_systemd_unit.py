import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "alpr-edge.service"


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_unit_is_a_hardened_notify_service_with_a_watchdog():
    d = directives()
    assert d["Type"] == ["notify"]
    assert d["Restart"] == ["on-failure"]
    assert int(d["WatchdogSec"][0]) > 0
    assert d["User"] == ["alpr-edge"]
    assert d["ProtectSystem"] == ["strict"]
    assert d["ReadWritePaths"] == ["/var/lib/alpr-edge"]
    assert d["PrivateTmp"] == ["yes"] and d["NoNewPrivileges"] == ["yes"]
    assert {"video", "dialout", "gpio"} <= set(d["SupplementaryGroups"][0].split())
    assert d["ExecStart"][0].endswith("alpr-edge run --config /etc/alpr-edge/config.toml")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_passes(tmp_path):
    # verify checks that ExecStart exists; point it at this interpreter's alpr-edge stand-in.
    unit = tmp_path / "alpr-edge.service"
    unit.write_text(UNIT.read_text().replace("/opt/alpr-edge/venv/bin/alpr-edge", sys.executable))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "alpr-edge.service" not in result.stderr, result.stderr


def test_unit_hands_the_sealed_key_encryption_key_to_the_service():
    from alpr_edge.ops.layout import DATA_DIR
    from alpr_edge.store.kek import CREDENTIAL_NAME, SEALED

    # The name must be the one sealed into the file (systemd refuses another) and the one the store reads.
    assert directives()["LoadCredentialEncrypted"] == [f"{CREDENTIAL_NAME}:{DATA_DIR / 'keys' / SEALED}"]
    assert "LoadCredential" not in directives()  # never the plain key
