import pytest

from alpr_edge.profiles import available_profiles, load_profile
from alpr_edge.schema import SchemaError


def test_the_shipped_profiles_are_all_valid():
    names = available_profiles()
    assert {"sim", "pi5-dual-camera", "usb-v4l2", "pole-rtsp"} <= set(names)
    for name in names:
        assert load_profile(name).name == name


def test_sim_profile_is_all_local():
    profile = load_profile("sim")
    assert profile.is_sim
    assert profile.camera.driver == "replay"
    assert profile.gps.driver == "nmea-replay"
    assert profile.resolve(profile.camera.source).parent.name == "sim-data"


def test_pole_site_has_surveyed_coordinates_and_no_receiver():
    profile = load_profile("pole-rtsp")
    assert profile.kind == "fixed"
    assert profile.gps.driver == "fixed"
    assert profile.gps.latitude == pytest.approx(37.8719)
    assert profile.camera.source.startswith("rtsp://")


def test_vehicle_profiles_declare_ignition_sense():
    for name in ("pi5-dual-camera", "usb-v4l2"):
        assert load_profile(name).ignition.driver == "gpio"


def test_unknown_profile_lists_the_available_ones():
    with pytest.raises(SchemaError) as error:
        load_profile("pi9-laser")
    assert "no such firmware profile" in error.value.problems[0]
    assert "sim" in error.value.problems[0]


def test_a_vehicle_profile_without_ignition_is_refused(tmp_path):
    path = tmp_path / "car.toml"
    path.write_text(
        'name = "car"\ndescription = "x"\nkind = "vehicle"\n'
        '[camera]\ndriver = "opencv"\nsource = "/dev/video0"\n'
        '[gps]\ndriver = "serial"\ndevice = "/dev/ttyACM0"\n'
    )
    with pytest.raises(SchemaError) as error:
        load_profile(str(path))
    assert error.value.problems == ["ignition.driver: an in-vehicle profile must declare an ignition-sense input"]


def test_profile_errors_name_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "bad"\ndescription = "x"\nkind = "fixed"\n'
        '[camera]\ndriver = "webcam"\n'
        '[gps]\ndriver = "fixed"\nlatitude = 123.0\nlongitude = 0.0\n'
    )
    with pytest.raises(SchemaError) as error:
        load_profile(str(path))
    assert any(p.startswith("camera.driver: expected one of 'replay', 'opencv', 'picamera2'") for p in error.value.problems)
    assert any(p.startswith("gps.latitude: expected -90 to 90") for p in error.value.problems)


def _vehicle_profile(extra_camera: str = "") -> str:
    return ('name = "car"\ndescription = "x"\nkind = "vehicle"\n'
            f'[camera]\ndriver = "opencv"\nsource = "/dev/video0"\n{extra_camera}'
            '[gps]\ndriver = "serial"\ndevice = "/dev/ttyACM0"\n[ignition]\ndriver = "gpio"\npin = 17\n')


def test_a_profile_with_nan_or_inf_is_refused_naming_file_and_key(tmp_path):
    path = tmp_path / "car.toml"
    path.write_text(_vehicle_profile("fps = nan\n"))
    with pytest.raises(SchemaError) as error:
        load_profile(str(path))
    assert error.value.source == str(path)
    assert error.value.problems == ["camera.fps: expected a finite number, got nan (nan and inf are refused)"]
    path.write_text(_vehicle_profile("fps = inf\n"))
    with pytest.raises(SchemaError) as error:
        load_profile(str(path))
    assert error.value.problems == ["camera.fps: expected a finite number, got inf (nan and inf are refused)"]


def test_a_profile_that_is_not_utf8_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "car.toml"
    path.write_bytes(_vehicle_profile().encode().replace(b'"x"', b'"\xc3\x28"'))
    with pytest.raises(SchemaError) as error:
        load_profile(str(path))
    assert error.value.problems == ["line 2: not valid UTF-8 (byte 0xc3); TOML files are UTF-8"]
