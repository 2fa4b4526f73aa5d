"""A device killed mid-drain (SIGKILL, no goodbye) loses nothing: the next run sends the rest."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import cli_env

from .conftest import RealOutbox, wait_for



def start_device(data_dir: Path, broker, pki) -> subprocess.Popen:
    tls = pki.device
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("uplink_child.py")), str(data_dir), broker.url,
         str(tls.ca), str(tls.cert), str(tls.key)],
        env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def test_a_device_killed_mid_drain_resumes_without_loss(broker, receiver, pki, tmp_path):
    data_dir = tmp_path / "data"
    outbox = RealOutbox(data_dir)
    ids = set(outbox.add(400, crop=4000, overview=30000)) | set(outbox.add(5, hit=True))
    first = start_device(data_dir, broker, pki)
    try:
        assert wait_for(lambda: len(receiver.reads()) >= 60, timeout=30), first.stderr.read1().decode()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        left = outbox.upload_backlog()
        assert 0 < left < 405, "killed mid-drain"
        # Everything marked uploaded was acknowledged by the broker, which delivers it to the receiver.
        assert wait_for(lambda: outbox.uploaded <= {m["read_id"] for m in receiver.reads()}, timeout=10)
        second = start_device(data_dir, broker, pki)
        try:
            assert wait_for(lambda: outbox.upload_backlog() == 0, timeout=30)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(10)
        assert wait_for(lambda: {m["read_id"] for m in receiver.reads()} == ids, timeout=10)
        assert outbox.uploaded == ids
    finally:
        if first.poll() is None:
            first.kill()
        outbox.close()
