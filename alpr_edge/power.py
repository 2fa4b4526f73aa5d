"""Ignition sense and clean shutdown: the two ends of a car's power.

Cars cut power; SD cards written to at that moment get corrupted. In-vehicle
profiles wire the ignition-switched supply to a GPIO through an opto-isolator
(and keep the Pi alive on a supervised supply for a few minutes). When the
ignition goes off the daemon keeps uploading for a grace period, flushes the
store, and asks the system to power off cleanly.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Protocol

logger = logging.getLogger(__name__)


class IgnitionSense(Protocol):
    def is_on(self) -> bool: ...


class AlwaysOn:
    """Fixed sites and profiles without an ignition input."""

    def is_on(self) -> bool:
        return True


class SimIgnition:
    """The sim's ignition: on, until `switch(False)` or a control file appears.

    Creating ``<data-dir>/sim-ignition-off`` lets a test or a demo turn the
    ignition off from outside the process.
    """

    def __init__(self, control_file: Path | None = None):
        self._on = True
        self._control_file = control_file

    def switch(self, on: bool) -> None:
        self._on = on

    def is_on(self) -> bool:
        if self._control_file is not None and self._control_file.exists():
            return False
        return self._on


class GpioIgnition:
    def __init__(self, pin: int, active_low: bool):
        try:
            from gpiozero import DigitalInputDevice  # type: ignore[import-not-found]
        except ImportError as error:
            raise RuntimeError("gpiozero is not installed (the 'pi' extra) but the profile asks for GPIO ignition sense") from error
        # Debounce: cranking the engine makes the supply dip for a moment.
        try:
            self._input = DigitalInputDevice(pin, pull_up=active_low, bounce_time=0.5)
        except Exception as error:  # gpiozero's BadPinFactory and friends: no GPIO here
            raise RuntimeError(f"GPIO {pin} is not available ({error})") from error

    def is_on(self) -> bool:
        return bool(self._input.value)


class PowerControl(Protocol):
    def shutdown(self) -> None: ...


class SystemPowerOff:
    def __init__(self, command: list[str]):
        self.command = command

    def shutdown(self) -> None:
        logger.warning("system_poweroff_requested", extra={"fields": {"command": " ".join(self.command)}})
        subprocess.run(self.command, check=False, timeout=30)


class RecordingPowerOff:
    """Sim and tests: remember the request instead of powering the machine off."""

    def __init__(self) -> None:
        self.requests = 0

    def shutdown(self) -> None:
        self.requests += 1
        logger.info("sim_poweroff_requested", extra={"fields": {"requests": self.requests}})


def open_ignition(settings, data_dir: Path) -> IgnitionSense:
    """Registry by the profile's ``[ignition].driver``."""
    if settings.driver == "none":
        return AlwaysOn()
    if settings.driver == "sim":
        return SimIgnition(data_dir / "sim-ignition-off")
    if settings.driver == "gpio":
        return GpioIgnition(settings.pin, settings.active_low)
    raise ValueError(f"unknown ignition driver {settings.driver!r}")
