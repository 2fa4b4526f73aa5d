"""What a search of stored reads may be for: the one rule every search path applies.

A search names one of the agency's authorised purposes (configuration:
``accounts.search_purposes``), a free-text detail and a case number. The
default list is the six lawful purposes of the California DOJ ALPR FAQ.
"investigation" alone is no purpose, and the detail must say something.

The purpose and detail end up in the audit trail, so they are screened like
hot-list synopses (`alpr_edge.hotlist.pii`) plus names and criminal-history
(CII, CLETS) text: such a request is refused and its text is not stored.

Civil immigration enforcement, and any request made for a federal or
out-of-state agency, is refused outright: California Civil Code
1798.90.55(b) lets an agency share ALPR information only with California
public agencies, and SB 54 (Government Code 7284.6) bars using agency
resources for immigration enforcement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_PURPOSES: tuple[str, ...] = (
    "stolen-wanted-or-suspect-vehicle",
    "criminal-suspect-or-arrest-warrant",
    "violent-crime-witness-or-victim",
    "missing-child-or-elder",
    "special-event",
    "critical-infrastructure",
)  # California DOJ, ALPR FAQ (SB 34): the lawful purposes of a look-up

DESCRIPTIONS = {
    "stolen-wanted-or-suspect-vehicle": "locate stolen, wanted or suspect vehicles",
    "criminal-suspect-or-arrest-warrant": "locate suspects of a criminal investigation or subjects of an arrest warrant",
    "violent-crime-witness-or-victim": "locate witnesses or victims of a violent crime",
    "missing-child-or-elder": "locate missing children or elderly people (AMBER and Silver alerts)",
    "special-event": "protect the public during a special event",
    "critical-infrastructure": "protect critical infrastructure",
}

# A purpose says what it is for in a few words: "investigation" alone is no purpose.
PURPOSE_KEY = re.compile(r"^(?=.{3,64}$)[a-z0-9]+(?:-[a-z0-9]+)+$")
MAX_DETAIL = 500
MIN_DETAIL_LETTERS = 4

BARRED_LAW = ("California Civil Code 1798.90.55(b) allows ALPR data to go only to California public agencies, "
              "and SB 54 (Government Code 7284.6) bars its use for immigration enforcement")
_IMMIGRATION = re.compile(
    r"\bimmigra\w*|\bdeport\w*|\bundocumented\b|\billegal aliens?\b|\baliens?\b|\bvisa overstay\w*|\bremoval order\b"
    r"|\b287 ?\(g\)|\bborder patrol\b|\bcustoms and border\b|\bhomeland security\b",
    re.IGNORECASE,
)
_IMMIGRATION_AGENCIES = re.compile(r"\b(?:ICE|ERO|HSI|CBP|USCIS|DHS)\b")  # capitals only: "ice" is also frozen water
_FEDERAL_OR_OUT_OF_STATE = re.compile(
    r"\bfederal\w*|\bout[- ]of[- ]state\b|\bother state\b|\bFBI\b|\bDEA\b|\bATF\b|\bU\.?S\.? Marshals?\b|\bUSMS\b"
    r"|\bU\.?S\.? Attorney\b|\bSecret Service\b",
    re.IGNORECASE,
)
_CRIMINAL_HISTORY = re.compile(
    r"\bCII\b|\bCLETS\b|\brap ?sheets?\b|\bcriminal (?:history|record)\b|\bCORI\b|\bFBI ?(?:no|number|#)"
    r"|\bSID ?(?:no|number|#)|\bbooking (?:no|number|#)|\bprior (?:arrests|convictions)\b|\bNCIC (?:QH|QR|III)\b",
    re.IGNORECASE,
)
_PERSON_NAME = re.compile(
    r"\b(?:named|name|Mr|Mrs|Ms|Miss|aka|suspect|victim|witness|driver|owner|child|subject)\.?:?\s+"
    r"[A-Z][a-z]+(?:\s+[A-Z]\.?)?\s+[A-Z][a-z]+\b"
    r"|\b[A-Z]{2,},\s?[A-Z]{2,}\b",  # SMITH,JOHN: the CLETS/DOJ way of writing a name
)


class PurposeRefused(ValueError):
    """A search purpose refused by policy. ``barred``: a use the law forbids (immigration,
    federal or out-of-state requests); ``personal``: the text holds personal or
    criminal-history data and must not be stored."""

    def __init__(self, message: str, *, barred: bool = False, personal: bool = False):
        super().__init__(message)
        self.barred = barred
        self.personal = personal


@dataclass(frozen=True)
class SearchPurpose:
    purpose: str  # one of the authorised purposes
    detail: str
    case_number: str

    @property
    def text(self) -> str:
        """How the audit trail records it."""
        return f"{self.purpose}: {self.detail}"


def describe(purpose: str) -> str:
    return DESCRIPTIONS.get(purpose, purpose.replace("-", " "))


def split_purpose(text: str) -> tuple[str, str]:
    """``"KEY: detail"`` (one field, as a form or an older client sends it) as (key, detail)."""
    key, _, detail = (text or "").partition(":")
    return key.strip(), detail.strip()


def sensitive_problems(text: str) -> list[str]:
    """Personal or criminal-history data in a purpose or detail (empty when there is none)."""
    from alpr_edge.hotlist.pii import personal_data_problems  # the hot lists' rule; loaded at search time only

    problems = list(personal_data_problems(text))
    if _PERSON_NAME.search(text):
        problems.append("looks like a person's name")
    if _CRIMINAL_HISTORY.search(text):
        problems.append("looks like criminal-history (CII) or CLETS-derived text")
    return problems


def barred_problem(text: str) -> str | None:
    """Why a request is one the law forbids, or None."""
    if _IMMIGRATION.search(text) or _IMMIGRATION_AGENCIES.search(text):
        return "civil immigration enforcement is not a permitted use"
    if _FEDERAL_OR_OUT_OF_STATE.search(text):
        return "searches for a federal or out-of-state agency are not permitted"
    return None


def screen(purpose: str | None, detail: str | None, case_number: str | None,
           authorised: Sequence[str] = DEFAULT_PURPOSES) -> SearchPurpose:
    """The request as a SearchPurpose, or PurposeRefused saying why not."""
    from alpr_edge.hotlist.pii import reason_problem

    key = " ".join((purpose or "").split()).lower()
    detail = " ".join((detail or "").split())
    whole = f"{purpose or ''} {detail}"
    if personal := sensitive_problems(whole):
        raise PurposeRefused(f"purpose or detail refused ({'; '.join(personal)}): personal data and criminal-history "
                             "text are not allowed in a search request and were not stored", personal=True)
    if barred := barred_problem(whole):
        raise PurposeRefused(f"search refused: {barred}. {BARRED_LAW}.", barred=True)
    if key not in authorised:
        said = f"{purpose!r} is not" if key else "no purpose given: a search needs"
        raise PurposeRefused(f"{said} one of this agency's authorised purposes: {', '.join(authorised)}")
    if not detail:
        raise PurposeRefused("a detail is required: say which incident or report the search is for")
    if (why := reason_problem(detail)) or sum(c.isalpha() for c in detail) < MIN_DETAIL_LETTERS:
        raise PurposeRefused(f"detail {detail!r} does not say why these reads are needed" + (f": {why}" if why else ""))
    if len(detail) > MAX_DETAIL:
        raise PurposeRefused(f"detail: {len(detail)} characters, at most {MAX_DETAIL}")
    case = (case_number or "").strip()
    if not case:
        raise PurposeRefused("a case number is required for every search of stored reads")
    if sensitive_problems(case) or barred_problem(case):
        raise PurposeRefused(f"case number {case!r} refused: give the agency's case number only", personal=True)
    return SearchPurpose(key, detail, case)


def stored_text(purpose: str | None, detail: str | None, *, personal: bool = False) -> str:
    """What the audit trail may keep of a request's purpose: nothing personal (``personal``: the request held some)."""
    if personal:
        return "[withheld: personal or criminal-history data]"
    return " ".join(f"{purpose or ''}: {detail or ''}".split()) if detail else " ".join((purpose or "").split())


def purpose_list_problems(purposes: Sequence[str]) -> list[str]:
    """Configuration check of an agency's purpose list (``accounts.search_purposes``)."""
    problems = []
    if not purposes:
        problems.append("search_purposes: expected at least one authorised purpose")
    if len(set(purposes)) != len(purposes):
        problems.append("search_purposes: each purpose at most once")
    for key in purposes:
        if not PURPOSE_KEY.match(key):
            problems.append(f"search_purposes: {key!r}: expected a few words in lower-case letters and digits joined by '-' "
                            "(like stolen-wanted-or-suspect-vehicle): one word alone, such as 'investigation', says too little")
        elif barred_problem(key.replace("-", " ")):
            problems.append(f"search_purposes: {key!r}: {barred_problem(key.replace('-', ' '))} ({BARRED_LAW})")
    return problems
