"""Standard-issue plate formats per US state, used for format gating and by the generator.

A pattern is written with ``L`` for a letter, ``9`` for a digit and ``?`` for
either; spaces and dashes in a pattern mark where the plate shows a gap (the
read text carries no separators). The lists cover the common passenger series
of each state, not every special or vanity series: a reading that matches none
of them is flagged (``format_ok=False``), never dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

STATE_FORMATS: dict[str, tuple[str, ...]] = {
    "AL": ("99L 999L", "9L999 9L", "99 L999L"),
    "AK": ("LLL 999",),
    "AZ": ("LLL9999", "LLL 9999", "999 LLL"),
    "AR": ("999 LLL", "999-LLL", "LLL 99L"),
    "CA": ("9LLL999", "9LLL 999"),
    "CO": ("LLL-999", "999-LLL", "LLL-L99", "LL 99999"),
    "CT": ("LL-99999", "999-LLL", "LL 9999", "9LL LL9"),
    "DE": ("999999", "99999", "9999999"),
    "DC": ("LL-9999", "LL 9999"),
    "FL": ("LLL L99", "999 LLL", "LLL9999", "99L LLL", "LLLL99"),
    "GA": ("LLL9999", "LLL 9999", "999 9LL"),
    "HI": ("LLL 999", "999 LLL"),
    "ID": ("9L 99999", "9L L9999", "L 999999", "99L 9999", "LLLL99"),
    "IL": ("LL 99999", "L99 9999", "999 9999", "LLL 999"),
    "IN": ("999L", "999LL", "999LLL", "LLL999"),
    "IA": ("LLL 999", "999 LLL"),
    "KS": ("999 LLL", "LLL 999"),
    "KY": ("999 LLL", "LLL 999"),
    "LA": ("999 LLL", "LLL 999"),
    "ME": ("9999 LL", "999 LLL", "9999LL"),
    "MD": ("9LL9999", "9LL 9999", "LLL999", "999L999"),
    "MA": ("999 LL9", "9LL 999", "9LLL99", "99L L99"),
    "MI": ("LLL 9999", "9LLL99", "LLL 999", "999 L999"),
    "MN": ("999 LLL", "LLL 999"),
    "MS": ("LLL 9999", "LLL 999", "LL9 9999"),
    "MO": ("LL9 L9L", "LL9L9L", "999 LLL"),
    "MT": ("9-99999L", "99-9999L", "9 9999L"),
    "NE": ("LLL 999", "99-L999", "9-L9999"),
    "NV": ("999 L99", "99L 999", "999-LLL", "LL9 L99"),
    "NH": ("999 9999", "9999999", "LLL 999"),
    "NJ": ("L99 LLL", "LLL 99L", "LLL-99L"),
    "NM": ("LLL-999", "999-LLL", "LLL 999"),
    "NY": ("LLL-9999", "LLL 9999"),
    "NC": ("LLL-9999", "LLL 9999"),
    "ND": ("999 LLL", "LLL 999"),
    "OH": ("LLL 9999", "LL 99LL"),
    "OK": ("LLL-999", "999-LLL"),
    "OR": ("999 LLL", "LLL 999"),
    "PA": ("LLL-9999", "LLL 9999"),
    "RI": ("999-999", "LL-999", "99-9999", "999999"),
    "SC": ("LLL 999", "999 LLL"),
    "SD": ("9L 999", "99L 999", "9 999"),
    "TN": ("999-LLL", "L99-99L", "999 LLL"),
    "TX": ("LLL-9999", "LL9-L999", "999-LLL"),
    "UT": ("L99 9LL", "999 LLL", "L99 9LL"),
    "VT": ("LLL 999", "999L999"),
    "VA": ("LLL-9999", "LLL 9999", "LLL 999"),
    "WA": ("LLL9999", "999-LLL", "LLL 9999"),
    "WV": ("9LL 999", "LLL 999", "L 99999"),
    "WI": ("999-LLL", "LLL-9999", "999 LLL"),
    "WY": ("9-99999", "99-9999", "9 9999"),
}

STATES: tuple[str, ...] = tuple(sorted(STATE_FORMATS))
STATE_CLASSES: tuple[str, ...] = STATES + ("unknown",)  # the state head's classes, in order

STATE_NAMES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "Washington DC", "FL": "Florida",
    "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}


def _regex(pattern: str) -> str:
    parts = {"L": "[A-Z]", "9": "[0-9]", "?": "[A-Z0-9]"}
    return "".join(parts.get(c, "") for c in pattern)


@lru_cache(maxsize=None)
def _compiled(state: str | None) -> re.Pattern:
    states = [state] if state in STATE_FORMATS else list(STATE_FORMATS)
    alternatives = sorted({_regex(p) for s in states for p in STATE_FORMATS[s]})
    return re.compile("^(?:" + "|".join(alternatives) + ")$")


def fits_format(text: str, state: str | None) -> bool:
    """Whether ``text`` fits a standard format of ``state`` (any state's when None/unknown)."""
    return bool(_compiled(state).match(text))


def plausible_plate_text(text: str) -> bool:
    """Cheap gate against signs and stickers: 2 to 8 characters of A-Z/0-9."""
    return 2 <= len(text) <= 8 and all(c in ALPHABET for c in text)
