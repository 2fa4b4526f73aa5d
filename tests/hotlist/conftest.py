"""Fixtures for the hot list tests: the sample files, a settable clock, an audit recorder.

The samples are copies of /work/shared/hotlists (invented plates in real
layouts), kept here so the tests run wherever the repository does.
"""

from __future__ import annotations

import calendar
import time
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent / "samples"
# 2026-11-22 12:00 UTC: the day the samples were extracted.
NOW = float(calendar.timegm((2026, 11, 22, 12, 0, 0)))


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self, now: float = NOW):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class AuditRecorder:
    """Stands in for the store's audit trail: keeps every call."""

    def __init__(self):
        self.records: list[dict] = []

    def __call__(self, user, role, action, *, data=None, purpose=None, case_number=None, outcome="ok"):
        self.records.append({"user": user, "role": role, "action": action, "data": data or {},
                             "purpose": purpose, "case_number": case_number, "outcome": outcome})

    def actions(self) -> list[str]:
        return [r["action"] for r in self.records]


@pytest.fixture(autouse=True)
def agency_zone(monkeypatch):
    """Extracts are stamped in the agency's local time, read in the device's zone: the tests pin
    it to the samples' (California; a POSIX rule, no zone database needed)."""
    monkeypatch.setenv("TZ", "PST8PDT,M3.2.0,M11.1.0")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def audit() -> AuditRecorder:
    return AuditRecorder()
