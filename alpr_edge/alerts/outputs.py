"""In-car alert outputs: a buzzer and a light, a pattern per priority.

One seam (`AlertOutput`), chosen by the firmware profile's ``[outputs]``
driver through `open_outputs`: "gpio" drives real pins through gpiozero
(imported only then), "sim" records every change like gpiozero's MockPin
history, "none" does nothing. Covert hits never reach a buzzer or a light.
`AlertSignals` keeps the outputs going while any in-car alert is
unacknowledged, for the most urgent one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from alpr_edge.logs import log

logger = logging.getLogger(__name__)

# (on seconds, off seconds) per priority: faster means more urgent, so the
# officer can tell an Amber alert from a stolen plate without looking.
BUZZER_PATTERNS = {1: (0.1, 0.1), 2: (0.25, 0.25), 3: (0.5, 1.0), 4: (0.3, 2.7), 5: (0.2, 4.8)}
LIGHT_PATTERNS = {1: (0.15, 0.15), 2: (0.3, 0.3), 3: (0.5, 0.5), 4: (1.0, 1.0), 5: (1.0, 2.0)}


def _pattern(table: dict, priority: int) -> tuple[float, float]:
    return table[min(max(priority, 1), 5)]


class AlertOutput(Protocol):
    def alert(self, priority: int, covert: bool) -> None: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...


class NullOutput:
    """No outputs fitted (fixed sites, the UI-only setups)."""

    def alert(self, priority: int, covert: bool) -> None:
        pass

    def clear(self) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class OutputChange:
    at: float  # monotonic seconds
    device: str  # "buzzer", "light", or "none" for a covert alert that changed nothing
    state: str  # "off", or "beep 0.1/0.1" (on/off seconds)
    priority: int | None
    covert: bool = False


class RecordingOutput:
    """The simulated buzzer and light: remembers and logs every change."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.history: list[OutputChange] = []
        self._state = {"buzzer": "off", "light": "off"}

    def _set(self, device: str, state: str, priority: int | None) -> None:
        if self._state[device] == state:
            return
        self._state[device] = state
        self.history.append(OutputChange(self._clock(), device, state, priority))
        log(logger, logging.INFO, "alert_output", device=device, state=state, priority=priority if priority else "")

    def alert(self, priority: int, covert: bool) -> None:
        if covert:
            self.history.append(OutputChange(self._clock(), "none", "covert alert: no in-car output", priority, True))
            log(logger, logging.INFO, "alert_output_covert", priority=priority)
            return
        on, off = _pattern(BUZZER_PATTERNS, priority)
        self._set("buzzer", f"beep {on:g}/{off:g}", priority)
        on, off = _pattern(LIGHT_PATTERNS, priority)
        self._set("light", f"blink {on:g}/{off:g}", priority)

    def clear(self) -> None:
        self._set("buzzer", "off", None)
        self._set("light", "off", None)

    def close(self) -> None:
        self.clear()

    @property
    def state(self) -> dict[str, str]:
        return dict(self._state)


class GpioOutput:
    """A buzzer and a light on GPIO pins (BCM numbers), through gpiozero."""

    def __init__(self, buzzer_pin: int | None, light_pin: int | None, pin_factory=None):
        from gpiozero import LED, Buzzer  # only on hardware that has it

        self._buzzer = Buzzer(buzzer_pin, pin_factory=pin_factory) if buzzer_pin is not None else None
        self._light = LED(light_pin, pin_factory=pin_factory) if light_pin is not None else None
        self._priority: int | None = None

    def alert(self, priority: int, covert: bool) -> None:
        if covert:
            log(logger, logging.INFO, "alert_output_covert", priority=priority)
            return
        if priority == self._priority:
            return  # already signalling this priority: restarting would stutter
        self._priority = priority
        if self._buzzer is not None:
            on, off = _pattern(BUZZER_PATTERNS, priority)
            self._buzzer.beep(on_time=on, off_time=off, background=True)
        if self._light is not None:
            on, off = _pattern(LIGHT_PATTERNS, priority)
            self._light.blink(on_time=on, off_time=off, background=True)
        log(logger, logging.INFO, "alert_output", device="gpio", state="on", priority=priority)

    def clear(self) -> None:
        self._priority = None
        for device in (self._buzzer, self._light):
            if device is not None:
                device.off()

    def close(self) -> None:
        self.clear()
        for device in (self._buzzer, self._light):
            if device is not None:
                device.close()


class MultiOutput:
    """Several outputs driven as one (the GPIO buzzer and light, and the speaker)."""

    def __init__(self, outputs: Iterable[AlertOutput]):
        self.outputs = tuple(outputs)

    def alert(self, priority: int, covert: bool) -> None:
        for output in self.outputs:
            output.alert(priority, covert)

    def clear(self) -> None:
        for output in self.outputs:
            output.clear()

    def close(self) -> None:
        for output in self.outputs:
            output.close()


def open_outputs(settings, clock: Callable[[], float] = time.monotonic, pin_factory=None, sound: bool | None = None) -> AlertOutput:
    """The outputs a firmware profile's ``[outputs]`` section declares.

    With the gpio driver the tones also play through ALSA when ``sound`` is
    true, or (None) when the board has a sound card and ``aplay``.
    """
    if settings.driver == "none":
        return NullOutput()
    if settings.driver == "sim":
        return RecordingOutput(clock)
    if settings.driver == "gpio":
        from alpr_edge.alerts.tones import AlsaOutput, sound_device_present

        gpio = GpioOutput(settings.buzzer_pin, settings.light_pin, pin_factory=pin_factory)
        if sound if sound is not None else sound_device_present():
            return MultiOutput([gpio, AlsaOutput()])
        return gpio
    raise ValueError(f"outputs.driver: unknown driver {settings.driver!r} (known: none, sim, gpio)")


class AlertSignals:
    """Drives one output from the open alerts: the most urgent sounding one wins."""

    def __init__(self, output: AlertOutput):
        self._output = output
        self._priority: int | None = None
        self._announced: set[str] = set()

    def close(self) -> None:
        self._output.close()

    def update(self, open_alerts: Iterable) -> None:
        """Call after each new alert and each step; idempotent."""
        open_alerts = list(open_alerts)
        self._announced &= {alert.alert_id for alert in open_alerts}  # forget closed ones
        for alert in open_alerts:
            if alert.covert and alert.alert_id not in self._announced:
                self._output.alert(alert.priority, True)  # recorded, no in-car output
                self._announced.add(alert.alert_id)
        sounding = [alert.priority for alert in open_alerts if alert.sounding]
        wanted = min(sounding) if sounding else None
        if wanted == self._priority:
            return
        self._priority = wanted
        if wanted is None:
            self._output.clear()
        else:
            self._output.alert(wanted, False)
