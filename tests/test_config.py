from pathlib import Path

import pytest

from alpr_edge.config import Config, load_config
from alpr_edge.schema import SchemaError
from tests.conftest import run_cli


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_run_the_sim_profile_when_no_file_exists(monkeypatch):
    monkeypatch.setattr("alpr_edge.config.DEFAULT_CONFIG_PATH", Path("/nonexistent/config.toml"))
    config = load_config(None)
    assert config.device.profile == "sim"
    assert config == Config()


def test_a_valid_file_is_typed(tmp_path):
    config = load_config(write(tmp_path, '[gps]\nstale_after_s = 5\n[device]\nid = "car-12"\n'))
    assert config.gps.stale_after_s == 5.0 and isinstance(config.gps.stale_after_s, float)
    assert config.device.id == "car-12"


def test_unknown_key_names_file_key_and_the_known_keys(tmp_path):
    path = write(tmp_path, '[uplink]\nbrokr = "mqtts://x"\n')
    with pytest.raises(SchemaError) as error:
        load_config(path)
    assert error.value.source == str(path)
    assert error.value.problems == [
        "uplink.brokr: unknown key (known keys here: allow_plaintext, broker, ca_file, cert_file, hotlist_public_key,"
        " in_flight, keepalive_s, key_file, receipt_timeout_s, reconnect_max_s, reconnect_min_s, require_receipts,"
        " seal_public_key, session_expiry_s,"
        " topic_prefix)"
    ]


def test_unknown_section_is_refused(tmp_path):
    with pytest.raises(SchemaError) as error:
        load_config(write(tmp_path, "[camera]\nfps = 3\n"))
    assert error.value.problems[0].startswith("camera: unknown key")


def test_wrong_type_says_what_was_expected(tmp_path):
    with pytest.raises(SchemaError) as error:
        load_config(write(tmp_path, '[ui]\nport = "eighty"\n[ignition]\nupload_grace_s = true\n'))
    assert sorted(error.value.problems) == [
        "ignition.upload_grace_s: expected a number, got true (a boolean)",
        "ui.port: expected an integer, got 'eighty' (a string)",
    ]


def test_every_error_is_listed_not_just_the_first(tmp_path):
    with pytest.raises(SchemaError) as error:
        load_config(write(tmp_path, '[device]\nagency = "a b"\n[recognition]\nthreads = 0\nmin_confidence = 2\n'))
    assert len(error.value.problems) == 3


def test_missing_file(tmp_path):
    with pytest.raises(SchemaError) as error:
        load_config(tmp_path / "absent.toml")
    assert error.value.problems == ["file not found"]


def test_invalid_toml_syntax(tmp_path):
    with pytest.raises(SchemaError) as error:
        load_config(write(tmp_path, "[device\n"))
    assert "not valid TOML" in error.value.problems[0]


def test_command_line_overrides_apply_after_validation(tmp_path):
    config = load_config(write(tmp_path, '[device]\nprofile = "usb-v4l2"\n'), data_dir=tmp_path / "d", profile="sim")
    assert config.data_dir == tmp_path / "d"
    assert config.device.profile == "sim"


def test_config_check_lists_every_error_and_exits_1(tmp_path):
    path = write(tmp_path, '[device]\nprofil = "sim"\n[gps]\nstale_after_s = "x"\n')
    result = run_cli("config", "check", "--config", str(path))
    assert result.returncode == 1
    assert "2 error(s)" in result.stderr
    assert f"{path}: device.profil: unknown key" in result.stderr
    assert f"{path}: gps.stale_after_s: expected a number" in result.stderr


def test_config_check_refuses_plates_in_logs_outside_sim(tmp_path):
    path = write(tmp_path, '[device]\nprofile = "pole-rtsp"\n[logging]\nplates_in_logs = true\n')
    result = run_cli("config", "check", "--config", str(path))
    assert result.returncode == 1
    assert "plates_in_logs: allowed only with the sim profile" in result.stderr


def test_config_check_passes_on_a_good_file(tmp_path):
    path = write(tmp_path, '[device]\nprofile = "pole-rtsp"\n')
    result = run_cli("config", "check", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert "profile pole-rtsp" in result.stdout


def test_config_check_with_a_missing_file_exits_1(tmp_path):
    result = run_cli("config", "check", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 1
    assert "nope.toml: file not found" in result.stderr
