"""The investigator's tools on the touchscreen: look-ups, evidence packages, holds, corrections.

Used by ``DeviceServices`` (``alpr_edge.ui.services``); each method is a thin
adapter over the rule's owner: ``Store.search`` (purpose, case number, the
audit), ``store.evidence.write_package`` (permitted recipients, the signed
package), ``store.retention`` (holds), ``store.corrections`` (corrections
and who may make them) and ``accounts.permissions`` (who may export or hold).
A refusal decided here is audited as the command line's would be; errors
come back in the screen's words (``Refused``, ``NotFound``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alpr_edge.accounts.permissions import can, describe
from alpr_edge.accounts.permissions import refusal as role_refusal
from alpr_edge.config import Config
from alpr_edge.ids import uuid7
from alpr_edge.store.corrections import says_why
from alpr_edge.types import StoredRead
from alpr_edge.ui.backend import CorrectionView, ExportResult, HoldView, NotFound, Refused, SearchHit, SessionUser

if TYPE_CHECKING:
    from alpr_edge.store import Store


def sentence(text: object) -> str:
    text = str(text).strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def map_link(pattern: str, latitude: float | None, longitude: float | None) -> str | None:
    """The agency's map address for a position (the pattern was checked at load: ``config.map_url_problems``)."""
    if not pattern or latitude is None or longitude is None:
        return None
    return pattern.replace("{lat}", f"{float(latitude):.6f}").replace("{lon}", f"{float(longitude):.6f}")


class Investigations:
    """What a supervisor does with stored reads from the screen."""

    def __init__(self, config: Config, store: Store):
        self.config = config
        self.store = store

    def _role_refused(self, user: SessionUser, action: str, audited_as: str | None = None, **asked: Any) -> Refused:
        """Audit ``user``'s role refused ``action`` (as ``audited_as``, with what was ``asked``) in the command
        line's words (`permissions.refusal`); the error to raise."""
        why = role_refusal(user.role, action)
        self.store.audit(user.name, user.role, audited_as or action, outcome=f"refused: {why}", **asked)
        return Refused(f"Your role ({user.role}) may not {describe(action)}.")

    # -- look-ups ------------------------------------------------------------------

    def search(self, plate: str, partial: bool, purpose: str, case_number: str, user: SessionUser) -> list[SearchHit]:
        from alpr_edge.store import AccessRefused

        if not can(user.role, "reads.search"):  # decided here, above the store; audited as the store would
            raise self._role_refused(user, "reads.search", data={"plate": plate, "partial": partial}, purpose=purpose,
                                     case_number=case_number)
        try:
            rows = self.store.search(plate, user=user.name, role=user.role, purpose=purpose, case_number=case_number,
                                     purposes=self.config.accounts.search_purposes, partial=partial)
        except AccessRefused as refusal:
            raise Refused(sentence(refusal)) from None
        holds = self._holds()
        return [self._hit(row, holds.get(row["id"], ())) for row in rows]

    def lookup_read(self, read_id: str, user: SessionUser) -> SearchHit:
        from alpr_edge.store.corrections import full_read

        if not can(user.role, "reads.search"):
            raise NotFound(f"No stored read {read_id}.")
        row = full_read(self.store, read_id, images=False)
        if row is None:
            raise NotFound(f"No stored read {read_id} (purged, or never stored).")
        return self._hit(row, self._holds().get(read_id, ()))

    def _hit(self, row: dict[str, Any], holds: tuple[HoldView, ...]) -> SearchHit:
        read = StoredRead.from_dict(row)
        position = read.position or {}
        lat, lon = position.get("lat"), position.get("lon")
        return SearchHit(read.read_id, read.captured_epoch_s, read.text, read.state, read.confidence, read.camera, lat, lon,
                         map_link(self.config.ui.map_url, lat, lon), holds,
                         tuple(_correction(c) for c in row.get("corrections") or ()))

    def _holds(self) -> dict[str, tuple[HoldView, ...]]:
        from alpr_edge.store import list_holds

        by_read: dict[str, tuple[HoldView, ...]] = {}
        for h in list_holds(self.store):
            view = HoldView(h["id"], h["case_number"], h["reason"], h["created_by"], h["created_at"])
            by_read[h["read_id"]] = (*by_read.get(h["read_id"], ()), view)
        return by_read

    # -- evidence packages -----------------------------------------------------------

    def recipients(self, user: SessionUser) -> list[str]:
        return list(self.config.evidence.permitted_recipients) if can(user.role, "reads.export") else []

    def export_package(self, read_ids: list[str], plate: str, partial: bool, purpose: str, case_number: str,
                       recipient: str, user: SessionUser) -> ExportResult:
        from alpr_edge.store import AccessRefused
        from alpr_edge.store.evidence import PackageError, write_package

        if not can(user.role, "reads.export"):
            raise self._role_refused(user, "reads.export", "evidence.export", data={"read_ids": read_ids[:200], "recipient": recipient},
                                     case_number=case_number)
        folder = self._package_folder(case_number)
        try:
            case = write_package(self.store, folder, plate, recipient=recipient,
                                 permitted=list(self.config.evidence.permitted_recipients), user=user.name, role=user.role,
                                 purpose=purpose, case_number=case_number, purposes=self.config.accounts.search_purposes,
                                 partial=partial, chosen=read_ids)
        except AccessRefused as refusal:
            raise Refused(sentence(f"export refused: {refusal}")) from None
        except PackageError as error:
            raise Refused(sentence(error)) from None
        return ExportResult(str(folder), case["case_number"], case["recipient"], tuple(case["reads"]))

    def _package_folder(self, case_number: str) -> Path:
        """A new folder under the export folder, named by case and time (never an existing one)."""
        root = self.config.ui.export_dir or self.config.data_dir / "exports"
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        case = re.sub(r"[^A-Za-z0-9_-]+", "_", case_number)[:40] or "case"
        return root / f"{case}-{self.store.now():%Y%m%dT%H%M%SZ}-{uuid7()[-8:]}"

    # -- holds and corrections ---------------------------------------------------------

    def place_hold(self, read_id: str, case_number: str, reason: str, user: SessionUser) -> SearchHit:
        from alpr_edge.store import HoldError, add_hold

        if not can(user.role, "hold.add"):
            raise self._role_refused(user, "hold.add", data={"read_id": read_id}, case_number=case_number or None)
        try:
            add_hold(self.store, read_id, case_number=case_number, reason=reason, user=user.name, role=user.role)
        except HoldError as error:
            raise Refused(sentence(error)) from None
        return self.lookup_read(read_id, user)

    def release_hold(self, read_id: str, hold_id: str, reason: str, user: SessionUser) -> SearchHit:
        from alpr_edge.store import HoldError, release_hold

        if not can(user.role, "hold.release"):
            raise self._role_refused(user, "hold.release", data={"id": hold_id, "read_id": read_id, "reason": reason})
        refusal = None
        if not says_why(reason):  # as for a correction
            refusal = "A reason is required: say why the hold is no longer needed."
        elif hold_id not in {h.hold_id for h in self._holds().get(read_id, ())}:
            refusal = f"No active hold {hold_id} on read {read_id}."
        if refusal:
            self.store.audit(user.name, user.role, "hold.release", data={"id": hold_id, "read_id": read_id, "reason": reason},
                             outcome=f"refused: {refusal}")
            raise Refused(refusal)
        try:
            release_hold(self.store, hold_id, user=user.name, role=user.role, reason=reason)
        except HoldError as error:
            raise Refused(sentence(error)) from None
        return self.lookup_read(read_id, user)

    def correct_read(self, read_id: str, text: str | None, state: str | None, reason: str, user: SessionUser) -> SearchHit:
        from alpr_edge.store.corrections import CorrectionError, correct_read

        try:  # the role, the reason and the values are judged (and refusals audited) by the store's rule
            correct_read(self.store, read_id, text=text, state=state, reason=reason, user=user.name, role=user.role)
        except CorrectionError as refusal:
            raise Refused(sentence(f"correction refused: {refusal}")) from None
        return self.lookup_read(read_id, user)


def _correction(record: dict[str, Any]) -> CorrectionView:
    before, after = record.get("from") or {}, record.get("to") or {}
    return CorrectionView(at=record.get("at", ""), by=record.get("by", ""), reason=record.get("reason", ""),
                          from_text=before.get("text", ""), from_state=before.get("state"),
                          to_text=after.get("text", ""), to_state=after.get("state"))
