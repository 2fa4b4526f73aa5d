"""The usb-desk profile: alpr-edge on a PC without GPIO (no gpiozero pins), loaded, built and run."""

from __future__ import annotations

import json

import pytest

from alpr_edge.profiles import load_profile
from alpr_edge.schema import SchemaError
from tests.conftest import ROOT, run_cli
from tests.ops.conftest import provision_args, run_here

FRAMES = ROOT / "firmware_profiles" / "sim-data" / "frames"


def test_the_desk_profile_asks_for_no_gpio():
    profile = load_profile("usb-desk")
    assert profile.kind == "desk" and not profile.is_sim  # real keys, no plates in the logs
    assert profile.camera.driver == "opencv" and profile.camera.source == "/dev/video0"
    assert (profile.ignition.driver, profile.outputs.driver, profile.gps.driver) == ("none", "sim", "none")


def test_a_desk_profile_with_gpio_is_refused(tmp_path):
    path = tmp_path / "desk.toml"
    path.write_text('name = "desk"\ndescription = "x"\nkind = "desk"\n[camera]\ndriver = "opencv"\nsource = "/dev/video0"\n'
                    '[gps]\ndriver = "none"\n[outputs]\ndriver = "gpio"\nbuzzer_pin = 27\n')
    with pytest.raises(SchemaError) as error:
        load_profile(str(path))
    assert "outputs.driver: a desk profile runs on a PC without GPIO" in error.value.problems[0]


def test_the_desk_profile_builds_without_pins(tmp_path):
    """Each seam the profile names opens on a machine without GPIO; the alert outputs remember and log."""
    from alpr_edge.alerts import open_outputs
    from alpr_edge.alerts.outputs import RecordingOutput
    from alpr_edge.gps import open_position_source
    from alpr_edge.power import AlwaysOn, open_ignition

    profile = load_profile("usb-desk")
    assert isinstance(open_ignition(profile.ignition, tmp_path), AlwaysOn)
    outputs = open_outputs(profile.outputs)
    assert isinstance(outputs, RecordingOutput)
    outputs.alert(2, covert=False)
    assert {change.device for change in outputs.history} == {"buzzer", "light"}
    position = open_position_source(profile.gps, 5.0, None, profile.resolve)
    assert position.status()["has_fix"] is False


@pytest.mark.slow
def test_the_desk_profile_runs_on_this_pc(tmp_path):
    """A provisioned PC (real keys) runs the profile end to end, its webcam stood in by a folder of frames."""
    root = tmp_path / "root"
    assert run_here(*provision_args(root, None, None, profile="usb-desk")).returncode == 0
    result = run_cli("run", "--config", str(root / "etc/alpr-edge/config.toml"), "--data-dir", str(root / "var/lib/alpr-edge"),
                     "--source", str(FRAMES), "--max-frames", "20", "--no-ui", "--json-summary", timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["profile"] == "usb-desk" and summary["frames_in"] == 20 and summary["errors"] == 0
    assert "gpiozero" not in result.stderr and "GPIO" not in result.stderr
