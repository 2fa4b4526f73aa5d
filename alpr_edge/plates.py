"""The one way a plate's text is normalised, wherever it is compared, indexed or hashed."""

from __future__ import annotations

_SEPARATORS = str.maketrans("", "", " -.·\t")


def normalise_plate(text: str) -> str:
    """Upper case without the separators people and OCR put in plates: "7abc-123" becomes "7ABC123".

    Any other character stays, so that a hot list or a search can refuse it
    by name instead of silently matching something else. (``?`` and ``*`` stay
    too: they are the wildcards of hot plates and partial searches.)
    """
    return text.upper().translate(_SEPARATORS)
