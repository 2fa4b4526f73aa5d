"""`reads export --output` writes plates and positions readable by the owner only."""

from __future__ import annotations

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
