import pytest

from gps_samples import PtyDevice


@pytest.fixture
def device(tmp_path):
    pty = PtyDevice(tmp_path)
    yield pty
    pty.close()
