"""The [gps] section of the device configuration."""

import pytest

from alpr_edge.config import GpsSection, load_config
from alpr_edge.schema import SchemaError


def test_defaults_match_the_issue():
    assert GpsSection().stale_after_s == 3.0 and GpsSection().max_clock_offset_s == 2.0


@pytest.mark.parametrize("key", ["stale_after_s", "max_clock_offset_s"])
def test_non_positive_limits_are_refused_with_file_and_key(tmp_path, key):
    path = tmp_path / "config.toml"
    path.write_text(f"[gps]\n{key} = -1\n")
    with pytest.raises(SchemaError) as error:
        load_config(path)
    assert str(path) in error.value.source
    assert any(key in problem for problem in error.value.problems)
