"""The [hotlist] and [alerts] config sections load strictly."""

import pytest

from alpr_edge.config import Config
from alpr_edge.schema import SchemaError, load_section


def test_sections_load_with_their_settings():
    config = load_section(Config, {
        "hotlist": {"max_age_hours": 12, "stop_alerting_after_hours": 48, "skip_plates": ["ABC123"], "manual_priority": 1},
        "alerts": {"suppress_window_s": 60, "unattended_timeout_s": 0},
    }, "c.toml")
    assert config.hotlist.skip_plates == ["ABC123"] and config.hotlist.max_age_hours == 12
    assert config.alerts.suppress_window_s == 60


def test_bad_values_are_named():
    with pytest.raises(SchemaError) as caught:
        load_section(Config, {
            "hotlist": {"max_age_hours": 30, "stop_alerting_after_hours": 24, "manual_priority": 9},
            "alerts": {"suppress_window_s": -1, "colour": "red"},
        }, "c.toml")
    text = "\n".join(caught.value.problems)
    assert "stop_alerting_after_hours: expected at least max_age_hours (30.0), got 24.0" in text
    assert "manual_priority: expected 1 to 5, got 9" in text
    assert "suppress_window_s: expected 0 or more, got -1.0" in text
    assert "alerts.colour: unknown key" in text
