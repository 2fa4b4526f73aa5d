"""Firmware profiles: one TOML data file per hardware setup, selected by name.

A profile says which camera, GPS, ignition input and alert outputs the
hardware has, and how to drive them. It is data, not code: the daemon picks
the implementation for each seam from the ``driver`` values here through the
explicit registries in each stage package.

Profiles are looked up by name in, in order: $ALPR_EDGE_PROFILES,
/etc/alpr-edge/firmware_profiles, /usr/share/alpr-edge/firmware_profiles, and
the checkout's firmware_profiles/. Relative paths inside a profile are
relative to the profile file's folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from alpr_edge.schema import SchemaError, load_section, read_toml

CHECKOUT_PROFILES = Path(__file__).resolve().parent.parent / "firmware_profiles"


def _help(text: str) -> dict:
    return {"help": text}


@dataclass(frozen=True)
class Picamera2Settings:
    ir_camera: int = field(default=0, metadata=_help("libcamera index of the IR (NoIR) camera"))
    colour_camera: int | None = field(default=1, metadata=_help("Index of the colour camera; none: one camera, two streams"))
    exposure_us: int = field(default=1000, metadata=_help("Fixed shutter: short, to freeze moving plates"))
    analogue_gain: float = field(default=8.0, metadata=_help("Fixed gain; the IR illuminator supplies the light"))
    ir_strobe: bool = field(default=True, metadata=_help("Pulse the IR illuminator in step with the exposure"))


@dataclass(frozen=True)
class CameraSettings:
    driver: Literal["replay", "opencv", "picamera2"]
    source: str = field(default="", metadata=_help("replay: folder or video; opencv: V4L2 index, device path, URL or file"))
    fps: float = field(default=15.0, metadata=_help("Frames per second (replay: the pace; cameras: requested rate)"))
    width: int = 1280
    height: int = 720
    loop: bool = field(default=False, metadata=_help("replay: start again at the end"))
    name: str = field(default="main", metadata=_help("Camera name recorded with each read"))
    reconnect_max_s: float = field(default=30.0, metadata=_help("Longest wait between reconnection attempts"))
    picamera2: Picamera2Settings = field(default_factory=Picamera2Settings)

    def validate(self) -> list[str]:
        problems = []
        if self.driver in ("replay", "opencv") and not self.source:
            problems.append(f"source: the {self.driver} driver needs a source")
        if self.fps <= 0:
            problems.append(f"fps: expected a positive number, got {self.fps}")
        return problems


@dataclass(frozen=True)
class GpsSettings:
    driver: Literal["serial", "nmea-replay", "fixed", "none"]
    device: str = field(default="", metadata=_help("serial: the receiver's device path"))
    baud: int = 9600
    replay: str = field(default="", metadata=_help("nmea-replay: NMEA log replayed through a pseudo-terminal"))
    latitude: float | None = field(default=None, metadata=_help("fixed: surveyed latitude (WGS84 degrees)"))
    longitude: float | None = field(default=None, metadata=_help("fixed: surveyed longitude"))
    altitude_m: float | None = None

    def validate(self) -> list[str]:
        problems = []
        if self.driver == "serial" and not self.device:
            problems.append("device: the serial driver needs a device path")
        if self.driver == "nmea-replay" and not self.replay:
            problems.append("replay: the nmea-replay driver needs an NMEA log")
        if self.driver == "fixed":
            if self.latitude is None or not -90 <= self.latitude <= 90:
                problems.append(f"latitude: expected -90 to 90 for a fixed site, got {self.latitude}")
            if self.longitude is None or not -180 <= self.longitude <= 180:
                problems.append(f"longitude: expected -180 to 180 for a fixed site, got {self.longitude}")
        return problems


@dataclass(frozen=True)
class IgnitionSettings:
    driver: Literal["none", "gpio", "sim"] = "none"
    pin: int | None = field(default=None, metadata=_help("gpio: BCM pin wired to the ignition-sense opto-isolator"))
    active_low: bool = False

    def validate(self) -> list[str]:
        if self.driver == "gpio" and self.pin is None:
            return ["pin: the gpio driver needs a pin"]
        return []


@dataclass(frozen=True)
class OutputSettings:
    driver: Literal["none", "gpio", "sim"] = "none"
    buzzer_pin: int | None = None
    light_pin: int | None = None
    ir_strobe_pin: int | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    kind: Literal["vehicle", "fixed", "desk", "sim"]  # desk: a PC without GPIO (trials, training, camera checks)
    camera: CameraSettings
    gps: GpsSettings
    ignition: IgnitionSettings = field(default_factory=IgnitionSettings)
    outputs: OutputSettings = field(default_factory=OutputSettings)
    demo_hotlist: str = field(default="", metadata=_help("sim only: a CSV hot list put in force at start, so the demo raises alerts"))
    path: Path = field(default=Path("."), metadata={"internal": True})

    def validate(self) -> list[str]:
        problems = []
        if self.kind == "vehicle" and self.ignition.driver == "none":
            problems.append("ignition.driver: an in-vehicle profile must declare an ignition-sense input")
        if self.demo_hotlist and self.kind != "sim":
            problems.append("demo_hotlist: only the sim profile may carry a demo hot list")
        if self.kind == "fixed" and self.gps.driver not in ("fixed", "serial"):
            problems.append("gps.driver: a fixed site needs surveyed coordinates ('fixed') or a receiver")
        if self.kind == "desk":
            problems += [f"{part}.driver: a desk profile runs on a PC without GPIO; use another driver than 'gpio'"
                         for part, driver in (("ignition", self.ignition.driver), ("outputs", self.outputs.driver)) if driver == "gpio"]
        return problems

    @property
    def is_sim(self) -> bool:
        return self.kind == "sim"

    def resolve(self, relative: str) -> Path:
        """A path from the profile, relative to the profile file's folder."""
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else (self.path.parent / candidate)


def search_path() -> list[Path]:
    folders = []
    if os.environ.get("ALPR_EDGE_PROFILES"):
        folders.append(Path(os.environ["ALPR_EDGE_PROFILES"]))
    folders += [
        Path("/etc/alpr-edge/firmware_profiles"),
        Path("/usr/share/alpr-edge/firmware_profiles"),
        CHECKOUT_PROFILES,
    ]
    return folders


def available_profiles() -> list[str]:
    names: set[str] = set()
    for folder in search_path():
        if folder.is_dir():
            names.update(p.stem for p in folder.glob("*.toml"))
    return sorted(names)


def find_profile(name_or_path: str) -> Path:
    """The file of a profile given by name, or by path to a .toml file."""
    if name_or_path.endswith(".toml") or os.sep in name_or_path:
        path = Path(name_or_path)
        if not path.is_file():
            raise SchemaError(name_or_path, ["profile file not found"])
        return path
    for folder in search_path():
        path = folder / f"{name_or_path}.toml"
        if path.is_file():
            return path
    known = ", ".join(available_profiles()) or "none"
    raise SchemaError(
        f"profile {name_or_path!r}", [f"no such firmware profile (available: {known})"]
    )


def load_profile(name_or_path: str) -> Profile:
    path = find_profile(name_or_path)
    data = read_toml(path)
    profile = load_section(Profile, data, str(path))
    return replace(profile, path=path.resolve())
