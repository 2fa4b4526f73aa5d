"""Configuration documents: any TOML text, any values under the real keys, give a Config or a
SchemaError naming the file, never another exception. (Non-finite numbers and invalid UTF-8
are refused by the config's own tests.)"""

from __future__ import annotations

import dataclasses
import typing

from hypothesis import given, settings
from hypothesis import strategies as st

from alpr_edge.config import Config, ConfigError, load_config
from alpr_edge.schema import load_section

from .conftest import FUZZ


def _keys(cls, prefix=()) -> list[tuple[str, ...]]:
    out = []
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if not field.init or field.metadata.get("internal"):
            continue
        if dataclasses.is_dataclass(hints[field.name]):
            out += _keys(hints[field.name], (*prefix, field.name))
        else:
            out.append((*prefix, field.name))
    return out


KEYS = _keys(Config)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=30),
    st.sampled_from(["", "mqtts://", "mqtt://127.0.0.1:1883", "sim", "/nonexistent", "-1", "nan", "1e999"]),
)
VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=3) | st.dictionaries(
    st.text(max_size=8), children, max_size=3), max_leaves=8)


@st.composite
def documents(draw) -> dict:
    document: dict = {}
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=8)):
        table = document
        for part in key[:-1]:
            child = table.setdefault(part, {})
            if not isinstance(child, dict):
                break
            table = child
        else:
            table[key[-1]] = draw(VALUES)
    if draw(st.booleans()):
        document[draw(st.text(max_size=8))] = draw(VALUES)
    return document


@settings(FUZZ, max_examples=150)
@given(documents())
def test_any_values_under_the_real_keys_load_or_are_refused(document):
    try:
        config = load_section(Config, document, "config.toml")
    except ConfigError as error:
        assert error.problems and all(isinstance(p, str) for p in error.problems)
        return
    assert isinstance(config, Config)


TOML_PIECES = st.sampled_from(["[uplink]\n", "[device]\n", "[[x]]\n", "a = 1\n", "broker = 'mqtt://h'\n", "=\n",
                               "in_flight = nan\n", "keepalive_s = inf\n", "x = [1, [2, [3]]]\n", "[uplink.x]\n",
                               "'''\n", '"\\u0000"\n', "a.b.c = 1\n", "{\n", "id = \"car\"\n", "\n"])


@settings(FUZZ, max_examples=80)
@given(st.lists(st.one_of(TOML_PIECES, st.text(max_size=20)), max_size=10))
def test_any_toml_text_loads_or_is_refused_with_the_file(tmp_path_factory, pieces):
    path = tmp_path_factory.mktemp("config") / "config.toml"
    path.write_text("".join(pieces), encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as error:
        assert str(path) in str(error)
