"""The alert tests use the hot list tests' samples, clock and audit recorder."""

from tests.hotlist.conftest import NOW, SAMPLES, AuditRecorder, Clock, audit, clock  # noqa: F401
