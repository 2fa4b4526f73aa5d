"""`alpr-edge reads export --format package` as a supervisor types it."""

from __future__ import annotations

import io

from alpr_edge import cli
from alpr_edge.config import StoreSection
from alpr_edge.store import Store, audit as audit_trail


def test_an_output_folder_in_use_is_refused_before_the_login(tmp_path, monkeypatch, capsys):
    """It was refused only after the password and TOTP code were taken (the code then spent for 30 s)."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["alpr_edge.cli.reads", "alpr_edge.cli.evidence"])
    data = tmp_path / "data"
    Store.open(data, StoreSection(), dev_keys=True).close()
    used = tmp_path / "case-24-1"
    used.mkdir()
    (used / "case.json").write_text("{}")
    monkeypatch.setattr("sys.stdin", io.StringIO("sue-pass\n"))
    status = cli.main(["reads", "export", "--plate", "7ABC123", "--purpose", "stolen-wanted-or-suspect-vehicle",
                       "--detail", "stolen vehicle report", "--case", "24-1", "--format", "package",
                       "--recipient", "Oakland Police Department / Det. Ortiz", "--output", str(used),
                       "--user", "sue", "--password-stdin", "--data-dir", str(data)])
    _, err = capsys.readouterr()
    assert status == 2 and f"{used} exists and is not an empty folder" in err, err
    with Store.open(data, StoreSection(), dev_keys=True) as store:
        assert not [r for r in audit_trail.records(store) if r["action"].startswith("login")]  # no login was tried
