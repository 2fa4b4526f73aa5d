"""Evidence packages: the reads of a case as a folder a court can check.

A package holds, per read, its JSON (with any correction next to the
original), the plate crop and the overview at the resolution they were
stored, and the alerts it raised with every step taken on them (the hot list
entry's summary is part of each alert). ``case.json`` says who exported what,
for which case and purpose, to whom. ``manifest.json`` lists every file with
its SHA-256; ``manifest.sig`` is the device's Ed25519 signature of the
manifest's bytes, and ``device.pub`` the public key it verifies with.
`verify_package` re-hashes every file, refuses a missing or an added file,
and checks the signature; a court compares ``device.pub``'s fingerprint with
the one the agency recorded for the device (or passes that key in).

Who may receive it (SB 34, Civil Code 1798.90.55(b)): only another public
agency of this state. The agency's permitted recipients are configuration
(``[evidence] permitted_recipients``); any other recipient is refused, and
the refusal is audited like a refused search.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from alpr_edge.accounts.purposes import sensitive_problems, stored_text
from alpr_edge.progress import Report
from alpr_edge.store import audit as audit_trail
from alpr_edge.store.corrections import full_read
from alpr_edge.store.keys import load_device_key
from alpr_edge.store.search import AccessRefused, search

PACKAGE_SCHEMA = "alpr-edge/evidence-package/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "device.pub"
ENVELOPE = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY})  # the files the manifest cannot list
ACTION = "reads.export.package"


class PackageError(Exception):
    """A package that cannot be written (output folder in the way, no device key)."""


@dataclass(frozen=True)
class Recipient:
    agency: str
    person: str

    def __str__(self) -> str:
        return f"{self.agency} / {self.person}"


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


def check_recipient(recipient: str, permitted: list[str]) -> Recipient:
    """The recipient as (agency, person), or AccessRefused saying why it may not receive reads."""
    agency, slash, person = (recipient or "").partition("/")
    agency, person = " ".join(agency.split()), " ".join(person.split())
    if not slash or not agency or not person:
        raise AccessRefused(f"recipient {recipient!r}: expected \"AGENCY / person\" (the receiving agency and who receives it)")
    if not permitted:
        raise AccessRefused("no recipients are permitted on this device: set [evidence] permitted_recipients to the"
                            " public agencies of this state the agency shares reads with")
    for name in permitted:
        if _folded(name) == _folded(agency):
            return Recipient(name, person)
    raise AccessRefused(f"recipient agency {agency!r} is not a permitted recipient (SB 34: reads go only to public"
                        f" agencies of this state; permitted: {', '.join(permitted)})")


def _write(path: Path, data: bytes) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return hashlib.sha256(data).hexdigest()


def _json(value) -> bytes:
    return (json.dumps(value, indent=1, sort_keys=True, default=str, allow_nan=False) + "\n").encode()


def alert_history(store, read_id: str) -> list[dict]:
    """Alerts this read raised or repeated (any sighting they absorbed), each with its steps (none without alerts)."""
    with store.lock:
        tables = set(store.db.table_names())
        if "alerts" not in tables:
            return []
        columns = {c.name for c in store.db["alerts"].columns}
        where = "read_id = ?" + (" OR last_read_id = ?" if "last_read_id" in columns else "")
        if "alert_sightings" in tables:  # every re-sighting the alert absorbed, not only its first and last
            where += " OR alert_id IN (SELECT alert_id FROM alert_sightings WHERE read_id = ?)"
        params = [read_id] * where.count("?")
        alerts = list(store.db.query(f"SELECT * FROM alerts WHERE {where} ORDER BY created_at", params))
        for alert in alerts:
            alert.pop("suppress_key", None)  # a keyed plate hash: of no use to a court
            alert["steps"] = (list(store.db.query("SELECT * FROM alert_steps WHERE alert_id = ? ORDER BY at", [alert["alert_id"]]))
                              if "alert_steps" in tables else [])
    return alerts


def check_free(out_dir: Path) -> None:
    """PackageError unless ``out_dir`` is absent or an empty folder (the CLI asks before the login, too)."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise PackageError(f"{out_dir} exists and is not an empty folder: a package is never written over another")


def write_package(store, out_dir: Path, plate_pattern: str, *, recipient: str, permitted: list[str], user: str, role: str,
                  purpose: str, case_number: str, detail: str | None = None, purposes=None, partial: bool = False,
                  since=None, until=None, reads_of=None, chosen=None, searched: Report | None = None,
                  written: Report | None = None) -> dict:
    """Search (authorised and audited as a search), then write and sign the package; returns case.json's content.

    A refused recipient is audited and raises AccessRefused before anything is searched.
    ``reads_of(read_id)`` gives a read with images and corrections (default `corrections.full_read`).
    ``chosen``: only these read ids of the search's results (the touchscreen's chosen ones); one the
    search did not return is refused (audited), so a choice never reaches past the look-up.
    ``searched`` and ``written`` are told (done, total) of the reads checked, then of the reads written.
    """
    out_dir = Path(out_dir)
    try:
        to = check_recipient(recipient, permitted)
    except AccessRefused as refusal:
        personal = bool(sensitive_problems(f"{purpose} {detail or ''} {case_number}"))  # never stored (issue 20)
        store.audit(user, role, "evidence.export", data={"plate": plate_pattern, "recipient": recipient},
                    purpose=stored_text(purpose, detail, personal=personal), case_number=None if personal else case_number,
                    outcome=f"refused: {refusal}")
        raise
    key = load_device_key(store.data_dir)
    if key is None:
        raise PackageError(f"no device signing key in {store.data_dir / 'keys'}: run alpr-edge provision")
    check_free(out_dir)
    results = search(store, plate_pattern, user=user, role=role, purpose=purpose, detail=detail, purposes=purposes,
                     case_number=case_number, partial=partial, since=since, until=until, action=ACTION, progress=searched)
    purpose = stored_text(purpose, detail)  # the screened request, as the search recorded it
    if chosen is not None:
        results = _chosen(store, results, list(chosen), user=user, role=role, purpose=purpose, case_number=case_number)
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(out_dir, 0o700)
    reads_of = reads_of or (lambda read_id: full_read(store, read_id))
    files: dict[str, str] = {}
    for done, result in enumerate(results, 1):
        files.update(_write_read(store, out_dir, reads_of(result["id"]) or result))
        if written is not None:
            written(done, len(results))
    read_ids = [r["id"] for r in results]
    case = {
        "schema": PACKAGE_SCHEMA, "case_number": case_number, "purpose": purpose, "recipient": str(to),
        "recipient_agency": to.agency, "exported_by": user, "role": role, "exported_at": audit_trail.timestamp(store.now()),
        "query": {"plate": plate_pattern, "partial": partial, "since": since, "until": until},
        "reads": read_ids,
    }
    files["case.json"] = _write(out_dir / "case.json", _json(case))
    manifest = _json({"schema": PACKAGE_SCHEMA, "algorithm": "sha256", "files": dict(sorted(files.items()))})
    _write(out_dir / MANIFEST, manifest)
    _write(out_dir / SIGNATURE, base64.b64encode(key.sign(manifest)) + b"\n")
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _write(out_dir / PUBLIC_KEY, public)
    store.audit(user, role, "evidence.export",
                data={"recipient": str(to), "recipient_agency": to.agency, "reads": len(results),
                      "read_ids": read_ids[:200], "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
                      "folder": str(out_dir)},
                purpose=purpose, case_number=case_number)
    return case


def _chosen(store, results: list[dict], chosen: list[str], *, user: str, role: str, purpose: str, case_number: str) -> list[dict]:
    """The results whose ids are in ``chosen``; AccessRefused (audited) for a chosen read the search did not return."""
    found = {r["id"] for r in results}
    outside = [read_id for read_id in chosen if read_id not in found]
    if outside or not chosen:
        why = f"read {outside[0]} is not among this look-up's results" if outside else "no read chosen"
        store.audit(user, role, "evidence.export", data={"read_ids": chosen[:200]}, purpose=purpose, case_number=case_number,
                    outcome=f"refused: {why}")
        raise AccessRefused(why)
    return [r for r in results if r["id"] in set(chosen)]


def _write_read(store, out_dir: Path, read: dict) -> dict[str, str]:
    folder = out_dir / "reads" / read["id"]
    folder.mkdir(mode=0o700, parents=True)
    os.chmod(folder.parent, 0o700)
    prefix = f"reads/{read['id']}"
    document = {k: v for k, v in read.items() if k not in ("crop_jpeg", "overview_jpeg")}
    files = {}
    for name, blob in (("plate.jpg", read.get("crop_jpeg")), ("overview.jpg", read.get("overview_jpeg"))):
        if blob:
            files[f"{prefix}/{name}"] = _write(folder / name, blob)
            document[name.split(".")[0] + "_image"] = name
    files[f"{prefix}/read.json"] = _write(folder / "read.json", _json(document))
    alerts = alert_history(store, read["id"])
    if alerts:
        files[f"{prefix}/alerts.json"] = _write(folder / "alerts.json", _json(alerts))
    return files


# -- verification -------------------------------------------------------------------


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def load_ed25519_public(path: Path) -> tuple[Ed25519PublicKey | None, str | None]:
    """(the Ed25519 public key in a PEM file, None) or (None, why not)."""
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as error:
        return None, f"missing or unreadable ({error})"
    if not isinstance(key, Ed25519PublicKey):
        return None, "not an Ed25519 public key"
    return key, None


def _present(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


def verify_package(folder: Path, public_key: Ed25519PublicKey | None = None) -> tuple[bool, list[str], str | None]:
    """(intact, problems, fingerprint of the key that signed it). Problems name each file."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        return False, [f"{folder / MANIFEST}: missing: not an evidence package, or its manifest was removed"], None
    manifest = (folder / MANIFEST).read_bytes()
    problems: list[str] = []
    try:
        listed = json.loads(manifest)["files"]
    except (ValueError, KeyError, TypeError) as error:
        return False, [f"{MANIFEST}: unreadable ({error})"], None
    signer, problem = load_ed25519_public(folder / PUBLIC_KEY)
    if problem:
        problems.append(f"{PUBLIC_KEY}: {problem}")
    if public_key is not None:
        if signer is not None and fingerprint(signer) != fingerprint(public_key):
            problems.append(f"{PUBLIC_KEY}: not the expected device key (fingerprint {fingerprint(signer)})")
        signer = public_key
    if signer is not None:
        try:
            signer.verify(base64.b64decode((folder / SIGNATURE).read_bytes().strip(), validate=True), manifest)
        except (OSError, ValueError, InvalidSignature):
            problems.append(f"{SIGNATURE}: the signature does not match {MANIFEST} (changed, or signed by another key)")
    for name, digest in sorted(listed.items()):
        path = folder / name
        if not path.is_file() or path.is_symlink():
            problems.append(f"{name}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{name}: changed (SHA-256 differs from the manifest)")
    for name in sorted(_present(folder) - set(listed) - ENVELOPE):
        problems.append(f"{name}: added (not in the manifest)")
    return not problems, problems, fingerprint(signer) if signer is not None else None
