"""Reading bytes that came over the broker, and writing strict JSON.

Anything on a downlink topic may have been written by whoever can publish
there, so it is read under bounds before Python's JSON parser sees it: a size
limit, and a nesting limit checked in one linear pass (the parser recurses
once per ``[`` or ``{``; 100 KB of ``[`` used to raise RecursionError and stop
the uplink). The signed hot list envelope is not parsed as JSON at all: it is
a flat object of plain strings, cut apart with one linear-time pattern, so
that the signature is checked before any of its content is parsed.

What the device writes is strict JSON: ``NaN`` and ``Infinity`` are not JSON
and agency receivers reject them (``dumps_strict``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any


class WireError(ValueError):
    """Bytes from the broker that are not what the topic carries; the message says why."""


def dumps_strict(value: Any, **options) -> str:
    """json.dumps that refuses NaN and infinities (ValueError) instead of writing non-JSON."""
    return json.dumps(value, allow_nan=False, **options)


def finite_only(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (in dicts, lists and tuples).

    For rows stored before the GPS refused such values: they go out as null
    rather than stopping the uplink at an unencodable read.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_only(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_only(item) for item in value]
    return value


def _refuse_constant(name: str):
    raise WireError(f"{name} is not JSON")


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects, strings skipped (one pass, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads_bounded(payload: bytes, *, max_bytes: int, max_depth: int) -> Any:
    """JSON from the broker: at most ``max_bytes``, nested at most ``max_depth``, no NaN/Infinity.

    WireError for anything else, whatever went wrong (never RecursionError).
    """
    if len(payload) > max_bytes:
        raise WireError(f"{len(payload)} bytes, at most {max_bytes}")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise WireError(f"not UTF-8 (byte {error.start + 1})") from None
    # Counting brackets runs at C speed; the walk is needed only when there are enough of them
    # (a 64 MiB signed hot list document holds one).
    if text.count("[") + text.count("{") > max_depth and (depth := nesting_depth(text)) > max_depth:
        raise WireError(f"nested {depth} deep, at most {max_depth}")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except WireError:
        raise
    except (ValueError, RecursionError) as error:
        raise WireError(f"not JSON ({error})") from None


# "key": "value" with values restricted to what the envelope holds (a schema
# name and base64). The one escape allowed is "\/" (some JSON encoders write
# every "/" so), so no other JSON string decoding is needed. Possessive
# quantifiers: a value without its closing quote fails at once, without
# backtracking through every shorter prefix.
_FLAT_MEMBER = re.compile(rb'\s*"([a-z_]{1,32})"\s*:\s*"((?:[A-Za-z0-9+/=._-]++|\\/)*+)"\s*([,}])')
_OPEN = re.compile(rb"\s*\{\s*")


def flat_strings(payload: bytes, *, max_bytes: int, max_members: int = 8) -> dict[str, bytes]:
    """A JSON object of plain strings (letters, digits, ``+/=._-``), cut apart without a JSON parser.

    Linear time and no recursion whatever the bytes; WireError for anything
    that is not such an object (other value types, escapes, duplicate keys).
    """
    if len(payload) > max_bytes:
        raise WireError(f"{len(payload)} bytes, at most {max_bytes}")
    opened = _OPEN.match(payload)
    if opened is None:
        raise WireError("not a JSON object")
    members: dict[str, bytes] = {}
    position = opened.end()
    if payload[position:position + 1] == b"}":
        position += 1
    else:
        while True:
            member = _FLAT_MEMBER.match(payload, position)
            if member is None or len(members) >= max_members:
                raise WireError(f"expected an object of at most {max_members} plain string members (at byte {position + 1})")
            key = member.group(1).decode("ascii")
            if key in members:
                raise WireError(f"member {key!r} appears twice")
            members[key] = member.group(2).replace(b"\\/", b"/")
            position = member.end()
            if member.group(3) == b"}":
                break
    if len(payload[position:].strip()) != 0:
        raise WireError(f"unexpected bytes after the object (at byte {position + 1})")
    return members
