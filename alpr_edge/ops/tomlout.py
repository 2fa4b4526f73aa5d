"""Writing the config back as TOML (tomllib only reads).

Enough for the config's value types: strings, numbers, booleans, lists of
those, and nested tables. Comments in an existing file are not kept, which is
why provisioning rewrites the file only when a value actually changes.
"""

from __future__ import annotations

import json
import math
from pathlib import PurePath


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"cannot write {value!r} to TOML")
        return repr(value)
    if isinstance(value, (str, PurePath)):
        # JSON string escapes are valid TOML basic-string escapes.
        return json.dumps(str(value), ensure_ascii=False, allow_nan=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} to TOML")


def dumps(document: dict, header: str = "") -> str:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    if lines:
        lines.append("")
    _table(document, [], lines)
    return "\n".join(lines).rstrip() + "\n"


def _table(table: dict, path: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if path and (scalars or not tables):
        lines.append(f"[{'.'.join(path)}]")
    for key, value in scalars.items():
        lines.append(f"{key} = {_value(value)}")
    if path and (scalars or not tables):
        lines.append("")
    for key, value in tables.items():
        _table(value, path + [key], lines)
