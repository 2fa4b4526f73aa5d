"""The stored reads a historical hit check looks at, found with as little decrypting as possible.

Two plans, chosen by cost:

- ``index``: for entries that are whole plates, their keyed hash under each
  day key of the window is computed and looked up in the ``plate_hmac``
  column (the same index an exact search uses); only the reads found are
  decrypted. About a microsecond per plate and day key.
- ``decrypt``: every read of the window is decrypted (the small payload
  blob, never the images; about 50 µs a read here) and handed over whole.
  Needed for partial entries (``?``, ``*``), which no keyed hash can find,
  and cheaper when so many plates arrive at once (a whole new two-million
  list) that hashing each under every day key would cost more than reading
  the window.

Either way the reads go back to `alpr_edge.hotlist.history`, which applies
the live matching rules; the index only narrows down which reads to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from alpr_edge.store.keys import KeyShredded

HMAC_COST_S = 1.5e-6  # one keyed hash, measured on the development box
DECRYPT_COST_S = 50e-6  # one read's payload, scripts/bench_store.py


@dataclass(frozen=True)
class PastRead:
    """A stored read as the matcher needs it; ``position`` has ``latitude``/``longitude`` or is None."""

    read_id: str
    text: str
    state: str | None
    candidates: tuple = ()
    captured_at: float = 0.0
    position: object | None = None
    raw_position: dict | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _Candidate:
    text: str
    confidence: float


@dataclass(frozen=True)
class _Position:
    latitude: float
    longitude: float


def _past_read(store, read_id: str, captured_at: float, blob: bytes) -> PastRead | None:
    try:
        payload = json.loads(store.unseal(read_id, None, blob))
    except (KeyShredded, ValueError):  # purged meanwhile: nothing to match
        return None
    position = payload.get("position") or None
    lat, lon = (position or {}).get("lat"), (position or {}).get("lon")
    return PastRead(
        read_id=read_id, text=payload["text"], state=payload.get("state"),
        candidates=tuple(_Candidate(t, c) for t, c in payload.get("candidates", [])), captured_at=captured_at,
        position=_Position(float(lat), float(lon)) if lat is not None and lon is not None else None, raw_position=position,
    )


CHUNK = 5000  # rows per query: the store's lock is let go between chunks, so reading goes on


def _window_rows(store, since: datetime, columns: str) -> Iterator[tuple]:
    """(id, captured_at, *columns) of the window's reads, oldest first, in chunks."""
    after = (since.timestamp(), "")
    while True:
        with store.lock:
            rows = store.db.execute(
                f"SELECT id, captured_at, {columns} FROM reads WHERE (captured_at, id) > (?, ?)"
                " ORDER BY captured_at, id LIMIT ?", [*after, CHUNK]).fetchall()
        yield from rows
        if len(rows) < CHUNK:
            return
        after = (rows[-1][1], rows[-1][0])


def _decrypted(store, rows: Iterable[tuple]) -> Iterator[PastRead]:
    for row in rows:
        read = _past_read(store, *row)
        if read is not None:
            yield read


def choose_plan(whole_plates: int, partial: int, day_keys: int, reads: int) -> str:
    if partial:
        return "decrypt"
    return "index" if whole_plates * day_keys * HMAC_COST_S <= reads * DECRYPT_COST_S else "decrypt"


def window_reads(store, since: datetime, plates: list[str], partial: int) -> tuple[str, int, Iterator[PastRead]]:
    """(plan, reads in the window, the reads to match, decrypted as they are taken): see the module's notes."""
    days: dict[str, list[str]] = {}  # day -> its key ids (two only while a re-key is under way)
    for key_id, use in store.keys.key_ids().items():
        if use.startswith("day:") and use[4:] >= since.date().isoformat():
            days.setdefault(use[4:], []).append(key_id)
    with store.lock:
        total = store.db.execute("SELECT count(*) FROM reads WHERE captured_at >= ?", [since.timestamp()]).fetchone()[0]
    plan = choose_plan(len(plates), partial, sum(len(ids) for ids in days.values()), total)
    if plan == "decrypt":
        return plan, total, _decrypted(store, _window_rows(store, since, "payload"))
    by_day: dict[str, dict[str, list[str]]] = {}  # day -> plate_hmac -> read ids: the window's index, no plate
    for read_id, _, day, plate_hmac in _window_rows(store, since, "day, plate_hmac"):
        by_day.setdefault(day, {}).setdefault(plate_hmac, []).append(read_id)
    found: set[str] = set()
    for day, index in by_day.items():
        for key_id in days.get(day, ()):
            for plate in plates:
                found.update(index.get(store._hmac(key_id, plate), ()))
    rows, found_ids = [], sorted(found)
    for chunk in range(0, len(found_ids), 500):
        ids = found_ids[chunk:chunk + 500]
        with store.lock:
            rows += store.db.execute(f"SELECT id, captured_at, payload FROM reads WHERE id IN ({','.join('?' * len(ids))})",
                                     ids).fetchall()
    return plan, total, _decrypted(store, sorted(rows, key=lambda r: (r[1], r[0])))
