"""Strict, typed loading of TOML documents into frozen dataclasses.

Used for both the device configuration and the firmware profiles, so the rules
are the same everywhere: unknown keys are refused, every value is checked
against its declared type (numbers must be finite: TOML's nan and inf are
refused), and every error names the file, the key and what was expected; a
file that is not UTF-8 is refused naming the line. All errors of a document are collected, not just the first.

A section is a frozen dataclass; each field's type annotation is the schema.
Supported annotations: str, int, float, bool, Path, Literal[...], list[T],
tuple[T, ...], dict[str, T], T | None, and nested section dataclasses.
A field's ``metadata={"help": ...}`` documents it.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints


class SchemaError(Exception):
    """Raised with every problem found in one document."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning I/O, encoding and syntax errors into SchemaError."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise SchemaError(str(path), ["file not found"]) from None
    except PermissionError:
        raise SchemaError(str(path), ["permission denied"]) from None
    except IsADirectoryError:
        raise SchemaError(str(path), ["is a directory, not a TOML file"]) from None
    except OSError as error:
        raise SchemaError(str(path), [f"cannot be read: {error.strerror or error}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise SchemaError(str(path), [f"line {line}: not valid UTF-8 (byte {raw[error.start]:#04x}); TOML files are UTF-8"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SchemaError(str(path), [f"not valid TOML: {error}"]) from None


def load_section(cls: type, data: dict[str, Any], source: str, prefix: str = ""):
    """Build dataclass ``cls`` from ``data`` or raise SchemaError listing every problem."""
    problems: list[str] = []
    value = _convert_section(cls, data, prefix, problems)
    if problems:
        raise SchemaError(source, problems)
    return value


def _key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _convert_section(cls: type, data: Any, prefix: str, problems: list[str]):
    where = prefix or "top level"
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a table, got {_describe(data)}")
        return None
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and not f.metadata.get("internal")}
    for unknown in sorted(set(data) - set(fields)):
        known = ", ".join(sorted(fields)) or "none"
        problems.append(f"{_key(prefix, unknown)}: unknown key (known keys here: {known})")
    kwargs = {}
    for name, field in fields.items():
        key = _key(prefix, name)
        if name not in data:
            has_default = (
                field.default is not dataclasses.MISSING
                or field.default_factory is not dataclasses.MISSING
            )
            if has_default:
                continue
            if dataclasses.is_dataclass(hints[name]):
                kwargs[name] = _convert_section(hints[name], {}, key, problems)
                continue
            problems.append(f"{key}: missing; expected {_expect(hints[name])}")
            continue
        kwargs[name] = _convert(hints[name], data[name], key, problems)
    if len(problems) and any(v is _INVALID for v in kwargs.values()):
        return None
    try:
        section = cls(**kwargs)
    except (TypeError, ValueError) as error:
        problems.append(f"{where}: {error}")
        return None
    check = getattr(section, "validate", None)
    if check is not None:
        for problem in check() or ():
            problems.append(f"{prefix}.{problem}" if prefix else problem)
    return section


_INVALID = object()


def _convert(hint: Any, value: Any, key: str, problems: list[str]) -> Any:
    origin = get_origin(hint)
    args = get_args(hint)
    if dataclasses.is_dataclass(hint):
        result = _convert_section(hint, value, key, problems)
        return _INVALID if result is None else result
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        if value is None:
            return None
        if len(non_none) == 1:
            return _convert(non_none[0], value, key, problems)
        for option in non_none:
            trial: list[str] = []
            result = _convert(option, value, key, trial)
            if not trial:
                return result
        problems.append(f"{key}: expected {_expect(hint)}, got {_describe(value)}")
        return _INVALID
    if origin is Literal:
        if value in args:
            return value
        choices = ", ".join(repr(a) for a in args)
        problems.append(f"{key}: expected one of {choices}, got {_describe(value)}")
        return _INVALID
    if origin in (list, tuple):
        if not isinstance(value, list):
            problems.append(f"{key}: expected {_expect(hint)}, got {_describe(value)}")
            return _INVALID
        item_hint = args[0] if args else Any
        items = [_convert(item_hint, v, f"{key}[{i}]", problems) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(f"{key}: expected a table, got {_describe(value)}")
            return _INVALID
        return {k: _convert(args[1], v, f"{key}.{k}", problems) for k, v in value.items()}
    if hint is Any:
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value) if isinstance(value, float) or abs(value) < 2**1000 else math.inf
            if not math.isfinite(number):
                # TOML allows nan and inf; every bound check is false for nan,
                # so one would slip through validation and disable a limit.
                problems.append(f"{key}: expected a finite number, got {_short(value)} (nan and inf are refused)")
                return _INVALID
            return number
    elif hint is str:
        if isinstance(value, str):
            return value
    elif hint is Path:
        if isinstance(value, str) and value:
            return Path(value)
    problems.append(f"{key}: expected {_expect(hint)}, got {_describe(value)}")
    return _INVALID


def _expect(hint: Any) -> str:
    origin = get_origin(hint)
    args = get_args(hint)
    if dataclasses.is_dataclass(hint):
        return "a table"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_expect(a) for a in args if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (list, tuple):
        return f"a list of {_expect(args[0]) if args else 'values'}"
    if origin is dict:
        return "a table"
    return {
        bool: "true or false",
        int: "an integer",
        float: "a number",
        str: "a string",
        Path: "a path (a non-empty string)",
    }.get(hint, str(hint))


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    return f"{value!r} (a {type(value).__name__})"


def describe_section(cls: type, prefix: str = "") -> list[tuple[str, str, Any, str]]:
    """(key, expected type, default, help) for every field, for docs and `config show`."""
    rows = []
    hints = get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if field.metadata.get("internal"):
            continue
        key = _key(prefix, field.name)
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            rows.extend(describe_section(hint, key))
            continue
        default = field.default
        if field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        rows.append((key, _expect(hint), default, field.metadata.get("help", "")))
    return rows
