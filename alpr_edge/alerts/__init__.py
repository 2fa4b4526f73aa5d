"""Alerts: a hot list hit as the officer handles it, stored and audited at each step.

`AlertBook` raises alerts from the hot list engine's matches (with a
suppression window) and moves them through the lifecycle in
`alpr_edge.alerts.lifecycle`; `AlertSignals` drives the in-car buzzer and
light (`open_outputs`) from the open alerts.
"""

from alpr_edge.alerts.book import AlertBook, read_text_hash
from alpr_edge.alerts.lifecycle import (
    ACKNOWLEDGED, CLOSED, CONFIRMED, DISMISSED, DISPOSED, DISPOSITIONS, MISREAD, NOT_CONFIRMED, RAISED, STATES,
    TIMED_OUT, TRANSITIONS, VERIFIED, WRONG_STATE, Alert, AlertError, AlertStep,
)
from alpr_edge.alerts.outputs import (
    AlertOutput, AlertSignals, GpioOutput, MultiOutput, NullOutput, OutputChange, RecordingOutput, open_outputs,
)
from alpr_edge.alerts.tones import AlsaOutput, sound_device_present, tone_wav

__all__ = [
    "ACKNOWLEDGED", "CLOSED", "CONFIRMED", "DISMISSED", "DISPOSED", "DISPOSITIONS", "MISREAD", "NOT_CONFIRMED", "RAISED",
    "STATES", "TIMED_OUT", "TRANSITIONS", "VERIFIED", "WRONG_STATE", "Alert", "AlertBook", "AlertError", "AlertOutput",
    "AlertSignals", "AlertStep", "AlsaOutput", "GpioOutput", "MultiOutput", "NullOutput", "OutputChange", "RecordingOutput", "open_outputs",
    "read_text_hash", "sound_device_present", "tone_wav",
]
