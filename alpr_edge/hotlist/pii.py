"""Refuse personal data in hot list text fields.

Agency policy (and SB 34) keeps hot lists to plates and the reason for the
interest: no names, addresses, dates of birth, licence or social security
numbers. These checks look for the shapes such data takes; each returns a
reason a person can act on. They err towards refusing: an officer can
rephrase a synopsis, a leaked identity cannot be taken back.
"""

from __future__ import annotations

import re

_SSN = re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b|\bSSN\b|\bsocial security\b", re.IGNORECASE)
_DOB = re.compile(
    r"\bDOB\b|\bD\.O\.B\b|\bdate of birth\b|\bborn\b|\bbirth ?date\b|\bbday\b",
    re.IGNORECASE,
)
_FULL_DATE = re.compile(r"\b\d{1,2}[/-]\d{1,2}[/-](?:19|20)\d{2}\b|\b(?:19|20)\d{2}-\d{2}-\d{2}\b")
_LICENCE = re.compile(
    r"\b(?:C?DL|OLN|DLN|driver'?s? ?licen[cs]e|licen[cs]e (?:no|number|#))\b\.?:?\s*#?\s*[A-Z]{0,2}\d{4,}",
    re.IGNORECASE,
)
_STREET_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Ter|Circle|Cir|Highway|Hwy|Parkway|Pkwy|Apt|Unit)"
)
_ADDRESS = re.compile(rf"\b\d{{1,6}}\s+(?:[A-Z][A-Za-z]*\.?\s+){{1,3}}{_STREET_SUFFIX}\b\.?")
# Two or three capitalised words, optionally with a middle initial: "John Q. Public".
_NAME = re.compile(r"\b[A-Z][a-z]+\s+(?:[A-Z]\.?\s+)?[A-Z][a-z]+\b")
_PERSON_WORDS = re.compile(
    r"\b(?:driver|owner|registered owner|RO|suspect named|name|named|Mr|Mrs|Ms|aka|resides|lives at|home)\b",
    re.IGNORECASE,
)
# A reason must say why; these alone do not (Cal. DOJ ALPR guidance).
_EMPTY_REASONS = {"investigation", "investigative", "investigations", "law enforcement", "le purpose", "n/a", "na", "none", "other", "unknown", "misc"}


def personal_data_problems(text: str) -> list[str]:
    """Why ``text`` looks like it carries personal data (empty when it does not)."""
    problems = []
    if _SSN.search(text):
        problems.append("looks like a social security number")
    if _LICENCE.search(text):
        problems.append("looks like a driver licence number")
    if _DOB.search(text) or (_FULL_DATE.search(text) and _PERSON_WORDS.search(text)):
        problems.append("looks like a date of birth")
    address = _ADDRESS.search(text)
    if address:
        outside = text[: address.start()] + " " + text[address.end():]
        if _NAME.search(outside) or _PERSON_WORDS.search(text):
            problems.append("looks like a person's name with an address")
    return problems


def reason_problem(text: str) -> str | None:
    """Why ``text`` does not state a reason for the interest, or None."""
    cleaned = re.sub(r"[^a-z ]", "", text.lower()).strip()
    if not cleaned:
        return "empty: say why the plate is of interest"
    if cleaned in _EMPTY_REASONS:
        return f"{text.strip()!r} alone is not a reason: say what the vehicle is wanted for"
    return None
