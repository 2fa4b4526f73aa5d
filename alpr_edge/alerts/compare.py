"""Where a read and the hot list entry it matched differ, character by character.

A lenient, candidate or edit-distance match can raise an alert on a plate
that is not quite the listed one; the officer must see at a glance which
characters to check on the vehicle. The entry may hold the hot list's
wildcards (``?`` one character, ``*`` any run), which differ from nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Difference:
    read: tuple[int, ...]  # positions in the read's text that the entry does not have
    entry: tuple[int, ...]  # positions in the entry's plate that the read does not have


def differences(read: str, entry: str) -> Difference:
    """The fewest characters to mark so that the rest line up (an edit-distance alignment)."""
    cost = _costs(read, entry)
    read_marks: set[int] = set()
    entry_marks: set[int] = set()
    i, j = len(read), len(entry)
    while i or j:  # walk back along one cheapest alignment
        here = cost[i][j]
        if j and entry[j - 1] == "*":
            if i and cost[i - 1][j] == here:
                i -= 1  # the star takes this read character
            else:
                j -= 1  # the star ends here (takes nothing more)
        elif i and j and cost[i - 1][j - 1] + _unlike(read[i - 1], entry[j - 1]) == here:
            if _unlike(read[i - 1], entry[j - 1]):
                read_marks.add(i - 1)
                entry_marks.add(j - 1)
            i, j = i - 1, j - 1
        elif i and cost[i - 1][j] + 1 == here:
            read_marks.add(i - 1)
            i -= 1
        else:
            entry_marks.add(j - 1)
            j -= 1
    return Difference(tuple(sorted(read_marks)), tuple(sorted(entry_marks)))


def _unlike(read_char: str, entry_char: str) -> int:
    return 0 if entry_char in (read_char, "?") else 1


def _costs(read: str, entry: str) -> list[list[int]]:
    """cost[i][j]: the fewest marks aligning read[:i] with entry[:j]."""
    cost = [[0] * (len(entry) + 1) for _ in range(len(read) + 1)]
    for i in range(len(read) + 1):
        for j in range(len(entry) + 1):
            if not i and not j:
                continue
            options = []
            if j and entry[j - 1] == "*":
                options.append(cost[i][j - 1])  # the star takes nothing
                if i:
                    options.append(cost[i - 1][j])  # the star takes read[i - 1]
            else:
                if i and j:
                    options.append(cost[i - 1][j - 1] + _unlike(read[i - 1], entry[j - 1]))
                if j:
                    options.append(cost[i][j - 1] + 1)  # an entry character the read lacks
            if i:
                options.append(cost[i - 1][j] + 1)  # a read character the entry lacks
            cost[i][j] = min(options)
    return cost
