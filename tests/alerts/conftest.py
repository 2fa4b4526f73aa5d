"""The alert tests use the hot list tests' samples, clock and audit recorder."""

import pytest

from alpr_edge.hotlist import HotListEngine, MemoryListStorage, parse_clew, parse_ncic
from tests.hotlist.conftest import NOW, SAMPLES, AuditRecorder, Clock, audit, clock  # noqa: F401


@pytest.fixture
def engine(clock):  # noqa: F811 (clock is the fixture imported above)
    """The NCIC extract and the covert CLEW list (a module's own `engine` fixture overrides this one)."""
    engine = HotListEngine(MemoryListStorage(), clock=clock, audit=lambda *a, **k: None)
    engine.replace(parse_ncic(SAMPLES / "ncic-extract.txt", clock=clock))
    engine.replace(parse_clew(SAMPLES / "ca-clew-stolen.txt", clock=clock, name="covert", covert=True))
    return engine
