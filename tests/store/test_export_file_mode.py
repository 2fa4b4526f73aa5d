"""`reads export --output` writes plates and positions readable by the owner only."""

from __future__ import annotations

import json
import stat

from tests.store.test_cli import Codes, device, run  # noqa: F401  (fixtures)

EXPORT = ["reads", "export", "--plate", "7ABC123", "--purpose", "stolen-wanted-or-suspect-vehicle",
          "--detail", "stolen vehicle report", "--case", "24-1",
          "--format", "csv", "--password-stdin", "--user", "sue"]


def test_the_export_file_is_0600_even_when_it_existed(run, device, tmp_path):  # noqa: F811
    fresh, existing = tmp_path / "fresh.csv", tmp_path / "existing.csv"
    existing.write_text("old")
    existing.chmod(0o644)
    for path in (fresh, existing):
        status, _, err = run(*EXPORT, "--totp", device["sue"].next(), "--output", str(path), stdin="sue-pass\n")
        assert status == 0, err
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "7ABC123" in path.read_text()


def test_the_audit_export_file_is_0600_too(run, device, tmp_path):  # noqa: F811
    """The audit details hold plates, purposes and case numbers: the file was written with the umask's 0644."""
    path = tmp_path / "audit.json"
    status, _, err = run("audit", "export", "--format", "json", "--output", str(path), "--user", "root",
                         "--totp", device["root"].next(), "--password-stdin", stdin="root-pass\n")
    assert status == 0, err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [r["action"] for r in json.loads(path.read_text())][:3] == ["users.add", "login", "users.add"]


def test_an_export_to_a_pipe_is_written_in_place(run, device, tmp_path):  # noqa: F811
    """--output may name a FIFO (or /dev/stdout): it is written, never replaced by a regular file."""
    import os
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    status, _, err = run(*EXPORT, "--totp", device["sue"].next(), "--output", str(fifo), stdin="sue-pass\n")
    reader.join(10)
    assert status == 0, err
    assert stat.S_ISFIFO(fifo.stat().st_mode) and b"7ABC123" in received[0]
