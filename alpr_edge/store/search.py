"""Searching and exporting stored reads, under the access rules, always audited.

A search needs one of the agency's authorised purposes with a detail, and a
case number (`alpr_edge.accounts.purposes`). Refused searches are audited
too, with the reason, the plate, the purpose and the case (sealed), unless
they held personal data. Who may search at all is decided above the store
(the command line's login, the touchscreen's services, from
``alpr_edge.accounts.permissions``): the store only stores, searches and
records who asked.

Exact plates go through the HMAC column: the plate's keyed hash under each
day key is computed (one HMAC per stored day, microseconds) and matched by
index, nothing is decrypted but the hits. Partial plates (``?`` one
character, ``*`` any run) cannot use a keyed hash, so the rows of the
requested time range are decrypted one by one (only the small payload blob,
never the images) and matched in memory: about 40 to 55 µs a row on the
2-core development box (scripts/bench_store.py), so a 30-day range of 10,000
reads a day costs 12 to 16 seconds there, more on a Pi. Narrow it with
``since``/``until``. A partial pattern needs at least three known
characters so it cannot be used to list every vehicle.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from xml.sax.saxutils import escape

from alpr_edge.accounts.purposes import SearchPurpose, stored_text
from alpr_edge.plates import normalise_plate
from alpr_edge.progress import Report
from alpr_edge.store.records import payload_dict, recorded_text

MIN_KNOWN_CHARACTERS = 3
EXPORT_FORMATS = ("geojson", "kml", "csv")


class AccessRefused(Exception):
    """A look-up refused by policy; the message says why. ``personal``: the request held personal
    data (not stored); ``barred``: a use the law forbids (immigration, federal or out-of-state)."""

    def __init__(self, message: str, *, personal: bool = False, barred: bool = False):
        super().__init__(message)
        self.personal = personal
        self.barred = barred


def check_purpose(purpose: str | None, case_number: str | None, detail: str | None = None,
                  authorised: Sequence[str] | None = None) -> SearchPurpose:
    """The request's purpose as a SearchPurpose, or AccessRefused saying why not.

    The rule is `alpr_edge.accounts.purposes.screen`; ``detail=None`` reads
    ``purpose`` as one field, ``"KEY: detail"`` (the touchscreen's form).
    """
    from alpr_edge.accounts.purposes import DEFAULT_PURPOSES, PurposeRefused, screen, split_purpose

    one_field = detail is None
    if one_field:
        purpose, detail = split_purpose(purpose or "")
    try:
        return screen(purpose, detail, case_number, authorised or DEFAULT_PURPOSES)
    except PurposeRefused as refusal:
        hint = " (write it as PURPOSE: detail)" if one_field and "authorised purposes" in str(refusal) else ""
        raise AccessRefused(f"{refusal}{hint}", personal=refusal.personal, barred=refusal.barred) from None


def _pattern(plate_pattern: str, partial: bool) -> re.Pattern | None:
    cleaned = normalise_plate(plate_pattern or "")
    stray = next((c for c in cleaned if not (c.isascii() and c.isalnum()) and c not in "?*"), None)
    if stray is not None:
        raise AccessRefused(f"character {stray!r} cannot be in a plate (letters, digits, ? and * only)")
    known = sum(c.isalnum() for c in cleaned)
    if not partial:
        if "?" in cleaned or "*" in cleaned:
            raise AccessRefused("wildcards ? and * need --partial")
        if not known:
            raise AccessRefused("a plate is required")
        return None
    if known < MIN_KNOWN_CHARACTERS:
        raise AccessRefused(f"a partial plate needs at least {MIN_KNOWN_CHARACTERS} known characters, got {plate_pattern!r}")
    regex = "".join("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in cleaned)
    return re.compile(regex)


@contextmanager
def refusals_audited(store, action: str, data: dict, *, user, role, purpose, detail, case_number) -> Iterator[None]:
    """An AccessRefused raised inside is audited as ``action`` (with ``data``, what was asked), then raised on.

    A refusal keeps what was asked, the purpose and the case (sealed), except text that holds personal data.
    """
    try:
        yield
    except AccessRefused as refusal:
        kept_case = None if refusal.personal else case_number
        store.audit(user, role, action, data={**data, "barred": refusal.barred} if refusal.barred else data,
                    purpose=stored_text(purpose, detail, personal=refusal.personal), case_number=kept_case, outcome=f"refused: {refusal}")
        raise


def _authorise(store, action: str, plate_pattern, *, user, role, purpose, detail, purposes, case_number, partial, since, until):
    data = {"plate": plate_pattern, "partial": partial, "since": since, "until": until}
    with refusals_audited(store, action, data, user=user, role=role, purpose=purpose, detail=detail, case_number=case_number):
        request = check_purpose(purpose, case_number, detail, purposes)
        pattern = _pattern(plate_pattern, partial)
    return data, pattern, request


def _matches(store, plate_pattern: str, pattern, since, until, progress: Report | None = None) -> list[dict]:
    if pattern is None:
        rows = store.iter_reads(since=since, until=until, plate_hmacs=store.read_hmacs(plate_pattern))
        want = normalise_plate(plate_pattern)
    else:
        rows = store.iter_reads(since=since, until=until)
    results = []
    for done, row in enumerate(rows, 1):
        if progress is not None:  # a partial plate decrypts every read of the range: long on a big store
            progress(done, len(rows))
        payload = json.loads(store.unseal(row["id"], None, row["payload"]))
        # A corrected read answers to its corrected text and to the text the camera read.
        read_as = {payload["text"], recorded_text(payload)}
        texts = [*read_as, *(t for t, _ in payload.get("candidates", []))]
        if pattern is None:
            hit = want in {normalise_plate(t) for t in read_as}  # guards against an HMAC collision
        else:
            hit = any(pattern.fullmatch(normalise_plate(t)) for t in texts)
        if hit:
            result = payload_dict({**row, "crop": None, "overview": None}, payload, None, None)
            del result["crop_jpeg"], result["overview_jpeg"]
            results.append(result)
    return results


def search(store, plate_pattern: str, *, user: str, role: str, purpose: str, case_number: str, detail: str | None = None,
           purposes: Sequence[str] | None = None, partial: bool = False, since: datetime | None = None,
           until: datetime | None = None, action: str = "reads.search", progress: Report | None = None) -> list[dict]:
    """Reads matching ``plate_pattern`` for ``purpose`` (one of ``purposes``, the agency's list) and
    ``detail``; AccessRefused otherwise. Audited either way. ``progress`` is told (reads checked, reads to check)."""
    data, pattern, request = _authorise(store, action, plate_pattern, user=user, role=role, purpose=purpose, detail=detail,
                                        purposes=purposes, case_number=case_number, partial=partial, since=since, until=until)
    results = _matches(store, plate_pattern, pattern, since, until, progress)
    data.update(results=len(results), read_ids=[r["id"] for r in results[:200]])
    store.audit(user, role, action, data=data, purpose=request.text, case_number=request.case_number)
    return results


def export(store, fmt: str, plate_pattern: str, **kwargs) -> str:
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: expected one of {', '.join(EXPORT_FORMATS)}")
    results = search(store, plate_pattern, action=f"reads.export.{fmt}", **kwargs)
    return {"geojson": to_geojson, "kml": to_kml, "csv": to_csv}[fmt](results)


def _lat_lon(result: dict):
    position = result.get("position") or {}
    lat, lon = position.get("lat"), position.get("lon")
    return (lat, lon) if lat is not None and lon is not None else (None, None)


PROPERTIES = ("id", "captured_at", "clock_source", "text", "confidence", "state", "camera", "has_hit")


def to_geojson(results: list[dict]) -> str:
    features = []
    for r in results:
        lat, lon = _lat_lon(r)
        geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None else None
        features.append({"type": "Feature", "geometry": geometry, "properties": {k: r[k] for k in PROPERTIES}})
    return json.dumps({"type": "FeatureCollection", "features": features}, indent=1, allow_nan=False)


def to_kml(results: list[dict]) -> str:
    marks = []
    for r in results:
        lat, lon = _lat_lon(r)
        point = f"<Point><coordinates>{lon},{lat}</coordinates></Point>" if lat is not None else ""
        description = escape(f"{r['camera']}, confidence {r['confidence']:.2f}, read {r['id']}")
        marks.append(
            f"  <Placemark><name>{escape(r['text'])}</name><description>{description}</description>"
            f"<TimeStamp><when>{r['captured_at']}</when></TimeStamp>{point}</Placemark>"
        )
    body = "\n".join(marks)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>\n{body}\n</Document></kml>\n'


def to_csv(results: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*PROPERTIES, "lat", "lon"])
    for r in results:
        writer.writerow([*(r[k] for k in PROPERTIES), *_lat_lon(r)])
    return buffer.getvalue()
