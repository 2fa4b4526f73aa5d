import pytest

from tests.gps.gps_samples import PtyDevice


@pytest.fixture
def device(tmp_path):
    pty = PtyDevice(tmp_path)
    yield pty
    pty.close()
