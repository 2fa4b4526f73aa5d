"""`alpr-edge config show --config FILE`: the settings in force from that file, not only the defaults."""

from __future__ import annotations

from tests.conftest import run_cli


def test_show_gives_the_files_values_marked_and_the_defaults_elsewhere(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[device]\nid = "unit-4411"\n[store]\nretention_days = 7\n')
    result = run_cli("config", "show", "--config", str(path))
    assert result.returncode == 0, result.stderr
    rows = {line.split()[1] if line.startswith("*") else line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert result.stdout.splitlines()[0] == f"# settings in force from {path}; * differs from the default"
    assert rows["store.retention_days"].split()[:3] == ["*", "store.retention_days", "7"]
    assert rows["device.id"].split()[:3] == ["*", "device.id", "'unit-4411'"]
    assert rows["store.hit_retention_days"].split()[:2] == ["store.hit_retention_days", "365"]  # a default, unmarked
    assert "default 30" in rows["store.retention_days"]


def test_show_without_a_file_says_it_shows_the_defaults(tmp_path):
    result = run_cli("config", "show", "--data-dir", str(tmp_path))
    assert result.returncode == 0
    assert "built-in defaults (no config file)" in result.stdout.splitlines()[0]
    assert "* device.data_dir" in result.stdout  # --data-dir is in force too


def test_show_of_a_bad_file_names_the_problem_without_a_traceback(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[store]\nretention_days = \"a week\"\n")
    result = run_cli("config", "show", "--config", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(path) in result.stderr and "retention_days" in result.stderr
