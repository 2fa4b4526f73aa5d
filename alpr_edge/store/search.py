"""Searching and exporting stored reads, under the access rules, always audited.

A search needs a purpose that says why (not empty, not just "investigation")
and a case number. Refused searches are audited too, with the reason. Who may
search at all is decided above the store (the command line's login, the
touchscreen's services, from ``alpr_edge.accounts.permissions``): the store
only stores, searches and records who asked.

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
from datetime import datetime
from xml.sax.saxutils import escape

from alpr_edge.plates import normalise_plate
from alpr_edge.store.records import payload_dict

VAGUE_PURPOSES = {"investigation", "investigations", "investigative purposes", "law enforcement"}
MIN_KNOWN_CHARACTERS = 3
EXPORT_FORMATS = ("geojson", "kml", "csv")


class AccessRefused(Exception):
    """A look-up refused by policy; the message says why."""


def check_purpose(purpose: str | None, case_number: str | None) -> None:
    text = " ".join((purpose or "").split())
    bare = re.sub(r"[^a-z ]", "", text.lower()).strip()
    if not text:
        raise AccessRefused("a purpose is required: say why these reads are needed")
    if bare in VAGUE_PURPOSES:
        raise AccessRefused(f"purpose {text!r} is too vague: describe the specific investigation (e.g. 'stolen vehicle report 24-1187')")
    if len(bare.replace(" ", "")) < 4:
        raise AccessRefused(f"purpose {text!r} is too short to say why these reads are needed")
    if not (case_number or "").strip():
        raise AccessRefused("a case number is required for every search of stored reads")


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


def _authorise(store, action: str, plate_pattern, *, user, role, purpose, case_number, partial, since, until):
    data = {"plate": plate_pattern, "partial": partial, "since": since, "until": until}
    try:
        check_purpose(purpose, case_number)
        pattern = _pattern(plate_pattern, partial)
    except AccessRefused as refusal:
        store.audit(user, role, action, data=data, purpose=purpose, case_number=case_number, outcome=f"refused: {refusal}")
        raise
    return data, pattern


def _matches(store, plate_pattern: str, pattern, since, until) -> list[dict]:
    if pattern is None:
        rows = store.iter_reads(since=since, until=until, plate_hmacs=store.read_hmacs(plate_pattern))
        want = normalise_plate(plate_pattern)
    else:
        rows = store.iter_reads(since=since, until=until)
    results = []
    for row in rows:
        payload = json.loads(store.unseal(row["id"], None, row["payload"]))
        texts = [payload["text"], *(t for t, _ in payload.get("candidates", []))]
        if pattern is None:
            hit = normalise_plate(payload["text"]) == want  # guards against an HMAC collision
        else:
            hit = any(pattern.fullmatch(normalise_plate(t)) for t in texts)
        if hit:
            result = payload_dict({**row, "crop": None, "overview": None}, payload, None, None)
            del result["crop_jpeg"], result["overview_jpeg"]
            results.append(result)
    return results


def search(store, plate_pattern: str, *, user: str, role: str, purpose: str, case_number: str,
           partial: bool = False, since: datetime | None = None, until: datetime | None = None,
           action: str = "reads.search") -> list[dict]:
    data, pattern = _authorise(store, action, plate_pattern, user=user, role=role, purpose=purpose,
                               case_number=case_number, partial=partial, since=since, until=until)
    results = _matches(store, plate_pattern, pattern, since, until)
    data.update(results=len(results), read_ids=[r["id"] for r in results[:200]])
    store.audit(user, role, action, data=data, purpose=purpose, case_number=case_number)
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
    return json.dumps({"type": "FeatureCollection", "features": features}, indent=1)


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
