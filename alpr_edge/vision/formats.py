"""Serial formats of US plates (data in ``us_formats.toml``), used for the format check, the
re-ranking of the OCR's candidates, and by the generator.

Two notations live in the table, each kept as its source wrote it:

- the project's: ``L`` a letter, ``9`` a digit, ``?`` either; a space or a dash marks where the
  plate shows a gap (the read text carries no separators);
- OpenALPR's (``runtime_data/postprocess/us.patterns``): ``@`` a letter, ``#`` a digit,
  ``[..]`` one of the listed characters, ``?`` a position OpenALPR reads and then drops (an
  emblem between groups), so here a gap.

The lists cover the common passenger series of each state, not every special or vanity series:
a reading that matches none of them is flagged (``format_ok=False``), never dropped.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FORMATS_FILE = Path(__file__).with_name("us_formats.toml")


def _load(path: Path = FORMATS_FILE) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


_TABLE = _load()
STATE_FORMATS: dict[str, tuple[str, ...]] = {code: tuple(entry["project"]) for code, entry in _TABLE["states"].items()}
OPENALPR_FORMATS: dict[str, tuple[str, ...]] = {code: tuple(entry["openalpr"]) for code, entry in _TABLE["states"].items()}
COMMON_FORMATS: tuple[str, ...] = tuple(_TABLE["common"]["openalpr"])  # OpenALPR's "base": any US plate
STATE_NAMES: dict[str, str] = {code: entry["name"] for code, entry in _TABLE["states"].items()}

STATES: tuple[str, ...] = tuple(sorted(STATE_FORMATS))
STATE_CLASSES: tuple[str, ...] = STATES + ("unknown",)  # the state head's classes, in order


def project_regex(pattern: str) -> str:
    parts = {"L": "[A-Z]", "9": "[0-9]", "?": "[A-Z0-9]"}
    return "".join(parts.get(c, "") for c in pattern)


def openalpr_regex(pattern: str) -> str:
    """OpenALPR's notation as a regex over the read text (its ``?`` positions are not in the text)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "[":
            end = pattern.index("]", i)
            out.append(pattern[i:end + 1])
            i = end + 1
            continue
        out.append({"@": "[A-Z]", "#": "[0-9]", "?": ""}.get(c, re.escape(c) if c.isalnum() else ""))
        i += 1
    return "".join(out)


def state_regexes(state: str) -> set[str]:
    return {project_regex(p) for p in STATE_FORMATS[state]} | {openalpr_regex(p) for p in OPENALPR_FORMATS[state]}


@cache
def _compiled(state: str | None) -> re.Pattern:
    states = [state] if state in STATE_FORMATS else list(STATE_FORMATS)
    alternatives = sorted(set().union(*(state_regexes(s) for s in states)))
    return re.compile("^(?:" + "|".join(alternatives) + ")$")


def fits_format(text: str, state: str | None) -> bool:
    """Whether ``text`` fits a standard format of ``state`` (any state's when None/unknown)."""
    return bool(_compiled(state).match(text))


@cache
def _common() -> re.Pattern:
    return re.compile("^(?:" + "|".join(sorted({openalpr_regex(p) for p in COMMON_FORMATS})) + ")$")


def fits_common_format(text: str) -> bool:
    """Whether ``text`` fits one of the formats most US states issue (three letters and three
    or four digits, or three digits and three letters)."""
    return bool(_common().match(text))


def plausible_plate_text(text: str) -> bool:
    """Cheap gate against signs and stickers: 2 to 8 characters of A-Z/0-9."""
    return 2 <= len(text) <= 8 and all(c in ALPHABET for c in text)
