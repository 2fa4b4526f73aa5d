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


# -- retention inside the policy bounds (issue 20) ------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("retention_days = 0",
     "store.retention_days = 0: below the floor of 1 day (agency policy floor, alpr_edge/config.py RETENTION_BOUNDS)"),
    ("hit_retention_days = 1826",
     "store.hit_retention_days = 1826: above the ceiling of 1825 days (agency policy ceiling, alpr_edge/config.py RETENTION_BOUNDS)"),
    ("audit_retention_days = 729",
     "store.audit_retention_days = 729: below the floor of 730 days (agency policy floor, alpr_edge/config.py RETENTION_BOUNDS)"),
    ("audit_retention_days = 3651",
     "store.audit_retention_days = 3651: above the ceiling of 3650 days (agency policy ceiling, alpr_edge/config.py RETENTION_BOUNDS)"),
    ("hit_retention_days = 10",
     "store.hit_retention_days = 10: below retention_days (30); reads with a hit are kept at least as long as reads "
     "without (agency policy rule, alpr_edge/config.py RETENTION_BOUNDS)"),
    ("image_retention_days = 31",
     "store.image_retention_days = 31: above retention_days (30); an image is kept no longer than its read "
     "(agency policy rule, alpr_edge/config.py RETENTION_BOUNDS)"),
    ("image_retention_days = -1",
     "store.image_retention_days = -1: below the floor of 0 days (agency policy floor, alpr_edge/config.py RETENTION_BOUNDS)"),
])
def test_retention_outside_the_policy_bounds_is_refused_naming_bound_and_source(tmp_path, text, expected):
    with pytest.raises(SchemaError) as error:
        load_config(write(tmp_path, f"[store]\n{text}\n"))
    assert error.value.problems == [expected]


def test_retention_at_the_bounds_is_accepted_and_the_defaults_stay():
    from alpr_edge.config import StoreSection

    assert StoreSection().retention() == {"retention_days": 30, "hit_retention_days": 365,
                                          "image_retention_days": None, "audit_retention_days": 1095}
    at_bounds = [StoreSection(retention_days=1, hit_retention_days=1, image_retention_days=0, audit_retention_days=730),
                 StoreSection(retention_days=1825, hit_retention_days=1825, image_retention_days=1825, audit_retention_days=3650)]
    for settings in at_bounds:
        assert settings.validate() == []


def test_config_check_refuses_retention_outside_the_bounds_and_names_them(tmp_path):
    path = write(tmp_path, "[store]\nretention_days = 0\naudit_retention_days = 30\n")
    result = run_cli("config", "check", "--config", str(path))
    assert result.returncode == 1
    assert "2 error(s)" in result.stderr
    assert f"{path}: store.retention_days = 0: below the floor of 1 day (agency policy floor, alpr_edge/config.py RETENTION_BOUNDS)" in result.stderr
    assert f"{path}: store.audit_retention_days = 30: below the floor of 730 days" in result.stderr


# -- hostile documents (issue 21) -----------------------------------------------------------


@pytest.mark.parametrize("key, value", [
    ("accounts.lockout_minutes", "nan"), ("accounts.lockout_minutes", "+inf"), ("gps.stale_after_s", "-inf"),
    ("ui.session_hours", "nan"), ("store.on_device_hours", "inf"),
])
def test_nan_and_infinity_are_refused_for_float_keys(tmp_path, key, value):
    section, name = key.split(".")
    path = write(tmp_path, f"[{section}]\n{name} = {value}\n")
    with pytest.raises(SchemaError) as error:
        load_config(path)
    assert error.value.source == str(path)
    assert error.value.problems == [f"{key}: expected a finite number, got {float(value)} (nan and inf are refused)"]


def test_an_integer_too_large_for_a_float_is_refused_not_a_traceback(tmp_path):
    with pytest.raises(SchemaError) as error:
        load_config(write(tmp_path, f"[accounts]\nlockout_minutes = {10 ** 400}\n"))
    assert error.value.problems == ["accounts.lockout_minutes: expected a finite number, got 10000000000000000000...(401 characters) (nan and inf are refused)"]


def test_config_check_refuses_nan_naming_file_and_key(tmp_path):
    path = write(tmp_path, "[accounts]\nlockout_minutes = nan\n")
    result = run_cli("config", "check", "--config", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{path}: accounts.lockout_minutes: expected a finite number, got nan" in result.stderr


def test_invalid_utf8_is_refused_naming_file_and_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'[device]\nid = "car\xff12"\n')
    with pytest.raises(SchemaError) as error:
        load_config(path)
    assert error.value.problems == ["line 2: not valid UTF-8 (byte 0xff); TOML files are UTF-8"]
    result = run_cli("config", "check", "--config", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{path}: line 2: not valid UTF-8" in result.stderr


def test_a_directory_as_the_config_path_is_refused(tmp_path):
    with pytest.raises(SchemaError) as error:
        load_config(tmp_path)
    assert error.value.problems == ["is a directory, not a TOML file"]
    result = run_cli("config", "check", "--config", str(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{tmp_path}: is a directory" in result.stderr


# -- a second factor for every role (issue 20) ------------------------------------------------


def test_second_factor_requirement_is_validated(tmp_path):
    assert load_config(write(tmp_path, '[accounts]\nrequire_second_factor = "all"\n')).accounts.require_second_factor == "all"
    assert Config().accounts.require_second_factor == "privileged"
    with pytest.raises(SchemaError) as error:
        load_config(write(tmp_path, '[accounts]\nrequire_second_factor = "everyone"\n'))
    assert error.value.problems == ["accounts.require_second_factor: expected one of 'privileged', 'all', got 'everyone' (a string)"]


# -- the look-up screen's map link (issue 23) ---------------------------------------------------


def test_a_map_url_pattern_with_lat_and_lon_is_accepted(tmp_path):
    config = load_config(write(tmp_path, '[ui]\nmap_url = "https://maps.example.gov/?q={lat},{lon}&z=17"\n'))
    assert config.ui.map_url == "https://maps.example.gov/?q={lat},{lon}&z=17"
    assert Config().ui.map_url == ""  # no pattern: coordinates only


@pytest.mark.parametrize("pattern, words", [
    ("javascript:alert({lat},{lon})", "http or https only"),
    ("ftp://maps.example.gov/{lat}/{lon}", "http or https only"),
    ("https:///?q={lat},{lon}", "http or https only"),
    ("https://maps.example.gov/?q={lat}", "no other placeholder"),
    ("https://maps.example.gov/?q={lat},{lon}&k={api_key}", "no other placeholder"),
    ("https://maps.example.gov/?q={0}{lat},{lon}", "no other placeholder"),
    ("https://maps.example.gov/?q={lat},{lon}\" onclick=\"x", "without spaces, quotes"),
])
def test_a_bad_map_url_pattern_is_refused_naming_file_and_key(tmp_path, pattern, words):
    path = write(tmp_path, f"[ui]\nmap_url = '{pattern}'\n")
    with pytest.raises(SchemaError) as error:
        load_config(path)
    assert error.value.source == str(path)
    [problem] = error.value.problems
    assert problem.startswith("ui.map_url: expected an http(s) address with {lat} and {lon}") and words in problem
    result = run_cli("config", "check", "--config", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert str(path) in result.stderr and "ui.map_url" in result.stderr
