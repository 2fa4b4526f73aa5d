"""Alerts: a hot list hit as the officer handles it, stored and audited at each step.

`AlertDesk` is the one entry point for the daemon, the touchscreen and the
command line: it owns the book, the outputs and who may see what.
`AlertBook` raises alerts from the hot list engine's matches (a plate's
re-sightings join its alert while it is open or settled, `lifecycle.settles`,
within ``alerts.suppress_window_s``) and moves them through the lifecycle in
`alpr_edge.alerts.lifecycle`; `AlertSignals` drives the in-car buzzer and
light (`open_outputs`) from the open alerts.
"""

from alpr_edge.alerts.book import AlertBook, read_text_hash
from alpr_edge.alerts.desk import AlertDesk, may_handle_alerts, may_see, may_see_covert
from alpr_edge.alerts.lifecycle import (
    ACKNOWLEDGED, CLOSED, CONFIRMED, DISMISSED, DISPOSED, DISPOSITIONS, MISREAD, NOT_CONFIRMED, RAISED, STATES,
    TIMED_OUT, TRANSITIONS, VERIFIED, WRONG_STATE, Alert, AlertError, AlertStep, UnknownAlert,
)
from alpr_edge.alerts.outputs import (
    AlertOutput, AlertSignals, GpioOutput, MultiOutput, NullOutput, OutputChange, RecordingOutput, open_outputs,
)
from alpr_edge.alerts.tones import AlsaOutput, sound_device_present, tone_wav

__all__ = [
    "ACKNOWLEDGED", "CLOSED", "CONFIRMED", "DISMISSED", "DISPOSED", "DISPOSITIONS", "MISREAD", "NOT_CONFIRMED", "RAISED",
    "STATES", "TIMED_OUT", "TRANSITIONS", "VERIFIED", "WRONG_STATE", "Alert", "AlertBook", "AlertDesk", "AlertError",
    "AlertOutput", "UnknownAlert", "may_handle_alerts", "may_see", "may_see_covert",
    "AlertSignals", "AlertStep", "AlsaOutput", "GpioOutput", "MultiOutput", "NullOutput", "OutputChange", "RecordingOutput", "open_outputs",
    "read_text_hash", "sound_device_present", "tone_wav",
]
