"""The hot list engine: the lists in force, their replacement, and matching reads.

Readers never wait: `match` works on a snapshot (a dict swapped whole by each
change), so a two-million-entry list can be replaced while the camera keeps
reading. Writers are serialised, store the new version before it takes
effect, and audit what they did.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple


from alpr_edge.config import HotlistSection
from alpr_edge.hotlist.csv_list import entry_from_fields, entry_problems
from alpr_edge.hotlist.lookup import Probe, local_minute, match_list
from alpr_edge.hotlist.matching import ListIndex, Match
from alpr_edge.hotlist.model import EntryTable, HotList, HotListEntry, HotListError, list_name_problem, normalise_plate
from alpr_edge.hotlist.sources import clock_version
from alpr_edge.hotlist.storage import ListStorage, decode, encode
from alpr_edge.logs import log
from alpr_edge.memory import release_freed_memory

logger = logging.getLogger(__name__)

Audit = Callable[..., object]
# (previous, new, new_index, actor, role): who put the version in force, for whatever it sets off.
NewVersion = Callable[[HotList | None, HotList, ListIndex, str, str], object]


def log_audit(user, role, action, data=None, purpose=None, case_number=None, outcome=None):
    """The audit callable used when none is given (CLI, tools): a log line, not the store's trail."""
    log(logger, logging.INFO, "audit", user=user, role=role, action=action, case_number=case_number or "", outcome=outcome or "")


@dataclass(frozen=True)
class ListSummary:
    name: str
    source: str
    version: int
    entries: int
    received_at: float
    age_s: float
    max_age_s: float | None
    stale: bool
    alerting: bool
    why_not_alerting: str | None
    priority: int
    covert: bool
    match_mode: str


@dataclass(frozen=True)
class Health:
    ok: bool
    problems: tuple[str, ...]  # reads are not being checked as they should
    warnings: tuple[str, ...]  # still working, but someone should look


MAX_SKIPPED_AUDITED = 50  # lines named in the audit row; the count is always exact
_RELEASE_AFTER_ENTRIES = 100_000  # lists this large leave MB of freed temporaries behind; manual edits do not


class _Loaded(NamedTuple):
    hotlist: HotList
    index: ListIndex


def _latitude_longitude(position) -> tuple[float, float] | None:
    """(lat, lon) of an `alpr_edge.gps.Position` (its ``fix.lat``/``fix.lon``) or any
    object with ``latitude``/``longitude``; None when unknown or stale."""
    if position is None or getattr(position, "stale", False):
        return None
    fix = getattr(position, "fix", None)
    latitude = getattr(fix, "lat", None) if fix is not None else getattr(position, "latitude", None)
    longitude = getattr(fix, "lon", None) if fix is not None else getattr(position, "longitude", None)
    if latitude is None or longitude is None:
        return None
    return float(latitude), float(longitude)


class HotListEngine:
    def __init__(self, storage: ListStorage, clock: Callable[[], float] = time.time,
                 settings: HotlistSection | None = None, audit: Audit | None = None,
                 on_new_version: NewVersion | None = None):
        # on_new_version(previous, new, new_index, actor, role): told after each version takes effect, outside
        # the write lock (historical hits, alpr_edge.hotlist.historical); it must return quickly.
        self._on_new_version = on_new_version
        self._storage = storage
        self._clock = clock
        self._settings = settings or HotlistSection()
        self._audit = audit or log_audit
        self._write_lock = threading.Lock()
        self._lists: dict[str, _Loaded] = {}
        self._load_problems: dict[str, str] = {}
        self._skip = frozenset(normalise_plate(p) for p in self._settings.skip_plates)
        for name in storage.names():
            self._load_stored(name)
        release_freed_memory()  # the loads' temporaries (decrypted copies, sort orders): tens of MB

    def _load_stored(self, name: str) -> None:
        try:
            data = self._storage.load(name)
            if data is None:
                return
            hotlist = decode(data)
            if hotlist.name != name:
                raise ValueError(f"holds list {hotlist.name!r}")
            self._lists[name] = _Loaded(hotlist, ListIndex(hotlist))
            log(logger, logging.INFO, "hotlist_loaded", list=name, version=hotlist.version, entries=len(hotlist))
        except Exception as error:  # a broken file must not stop the others loading
            self._load_problems[name] = f"stored list {name!r} could not be loaded ({error}); skipped"
            log(logger, logging.ERROR, "hotlist_load_failed", list=name, error=str(error))

    # --- changing lists -------------------------------------------------

    def replace(self, hotlist: HotList, actor: str = "system", role: str = "system") -> ListSummary:
        """Put ``hotlist`` in force instead of its older version (atomic, audited)."""
        details = {"list": hotlist.name, "version": hotlist.version, "entries": len(hotlist), "source": hotlist.source}
        if hotlist.skipped:  # entries the importer left out (already expired): which lines, for the auditor
            details["skipped"] = len(hotlist.skipped)
            details["skipped_lines"] = list(hotlist.skipped[:MAX_SKIPPED_AUDITED])
        try:
            previous = self._install(hotlist, actor=actor, role=role)
        except HotListError as error:
            self._audit(actor, role, "hotlist_replace", data={**details, "why": error.problems}, outcome="refused")
            raise
        self._audit(actor, role, "hotlist_replace", data={**details, "previous_version": previous}, outcome="applied")
        return self._summary(self._lists[hotlist.name], self._clock())

    def _install(self, hotlist: HotList, expected_version: int | None = None, *, actor: str, role: str) -> int | None:
        with self._write_lock:
            current = self._lists.get(hotlist.name)
            previous = current.hotlist.version if current else None
            if expected_version is not None and previous != expected_version:
                raise HotListError([f"list {hotlist.name!r} changed meanwhile (version {previous}); try again"])
            if previous is not None and hotlist.version <= previous:
                raise HotListError([
                    f"list {hotlist.name!r}: version {hotlist.version} is not newer than version {previous} in force; the list in force stays"
                ])
            index = ListIndex(hotlist)
            self._storage.save(hotlist.name, encode(hotlist))  # stored before it takes effect
            lists = dict(self._lists)
            lists[hotlist.name] = _Loaded(hotlist, index)
            self._lists = lists
            self._load_problems.pop(hotlist.name, None)
        log(logger, logging.INFO, "hotlist_replaced", list=hotlist.name, version=hotlist.version, previous=previous, entries=len(hotlist))
        if len(hotlist) >= _RELEASE_AFTER_ENTRIES:
            release_freed_memory()  # the old version and the index's temporaries
        if self._on_new_version is not None:
            self._on_new_version(current.hotlist if current else None, hotlist, index, actor, role)
        return previous

    def remove_list(self, name: str, actor: str, role: str = "admin") -> None:
        with self._write_lock:
            if name not in self._lists and name not in self._load_problems:
                raise HotListError([f"no list named {name!r}"])
            self._storage.delete(name)
            lists = dict(self._lists)
            removed = lists.pop(name, None)
            self._lists = lists
            self._load_problems.pop(name, None)
        self._audit(actor, role, "hotlist_delete", data={"list": name, "version": removed.hotlist.version if removed else None}, outcome="deleted")

    def add_manual(self, plate: str, state: str | None, reason: str, entered_by: str, case_number: str, synopsis: str,
                   expires: date | str, list_name: str | None = None, vehicle: str = "", list_type: str = "BOLO",
                   role: str = "officer") -> HotListEntry:
        """Add an officer's hot plate (partial allowed) to the manual list; it must expire."""
        list_name = list_name or self._settings.manual_list
        now = self._clock()
        fields = {
            "plate": plate, "state": state or "", "list": list_type, "reason": reason, "vehicle": vehicle,
            "entered_by": entered_by, "case_number": case_number, "synopsis": synopsis,
            "expires": expires.isoformat() if isinstance(expires, date) else (expires or ""),
        }
        found = entry_problems(fields, date.fromtimestamp(now), self._settings.manual_max_days)
        problems = [f"manual entry: {field}: {why}" for field, why in found]
        if (why := list_name_problem(list_name)) is not None:
            problems.append(f"manual entry: list: {why}")
        if problems:
            self._audit(entered_by or "unknown", role, "hotlist_plate_add", data={"list": list_name, "why": problems},
                        case_number=case_number, outcome="refused")
            raise HotListError(problems)
        entry = entry_from_fields(fields)
        current = self._lists.get(list_name)
        if current is not None and current.hotlist.source != "manual":
            raise HotListError([f"manual entry: list: {list_name!r} is an imported list; manual plates go to a manual list"])
        kept = self._unexpired(current, now)
        if any(e.plate == entry.plate and e.state == entry.state for e in kept):
            raise HotListError([f"manual entry: plate: already on {list_name!r} for {entry.state or 'any state'}"])
        self._put_manual(list_name, kept + [entry], current, now, actor=entered_by, role=role)
        self._audit(entered_by, role, "hotlist_plate_add", data={"list": list_name, "partial": entry.is_partial, "expires": fields["expires"]},
                    case_number=entry.case_number, outcome="added")
        return entry

    def remove_manual(self, plate: str, state: str | None = None, list_name: str | None = None,
                      actor: str = "system", role: str = "officer") -> int:
        """Remove a manual plate (every state unless ``state`` is given); how many went."""
        list_name = list_name or self._settings.manual_list
        now = self._clock()
        current = self._lists.get(list_name)
        if current is None or current.hotlist.source != "manual":
            raise HotListError([f"no manual list named {list_name!r}"])
        wanted, state = normalise_plate(plate), (state or "").upper() or None
        kept = [e for e in self._unexpired(current, now) if not (e.plate == wanted and (state is None or e.state == state))]
        removed = [e for e in current.hotlist.entries if e.plate == wanted and (state is None or e.state == state)]
        if not removed:
            raise HotListError([f"plate: not on {list_name!r}" + (f" for {state}" if state else "")])
        self._put_manual(list_name, kept, current, now, actor=actor, role=role)
        self._audit(actor, role, "hotlist_plate_delete", data={"list": list_name, "removed": len(removed)},
                    case_number=removed[0].case_number, outcome="deleted")
        return len(removed)

    @staticmethod
    def _unexpired(current: _Loaded | None, now: float) -> list[HotListEntry]:
        today = date.fromtimestamp(now)
        return [] if current is None else [e for e in current.hotlist.entries if e.expires is None or e.expires >= today]

    def _put_manual(self, name: str, entries: list[HotListEntry], current: _Loaded | None, now: float, *,
                    actor: str, role: str) -> None:
        previous = current.hotlist.version if current else None
        hotlist = HotList(
            name=name, source="manual", entries=EntryTable.from_entries(entries),
            version=max((previous or 0) + 1, clock_version(now)), received_at=now,
            priority=self._settings.manual_priority, match_mode="lenient", max_age_s=None,
        )
        self._install(hotlist, expected_version=previous, actor=actor, role=role)

    # --- reading --------------------------------------------------------

    def get(self, name: str) -> HotList | None:
        loaded = self._lists.get(name)
        return loaded.hotlist if loaded else None

    def lists(self) -> list[ListSummary]:
        now = self._clock()
        return [self._summary(loaded, now) for _, loaded in sorted(self._lists.items())]

    def _summary(self, loaded: _Loaded, now: float) -> ListSummary:
        hotlist = loaded.hotlist
        why = self._why_not_alerting(hotlist, now, None)
        return ListSummary(
            name=hotlist.name, source=hotlist.source, version=hotlist.version, entries=len(hotlist),
            received_at=hotlist.received_at, age_s=hotlist.age_s(now), max_age_s=hotlist.max_age_s,
            stale=hotlist.is_stale(now), alerting=why is None, why_not_alerting=why, priority=hotlist.priority,
            covert=hotlist.covert, match_mode=hotlist.match_mode,
        )

    def would_alert(self, hotlist: HotList, position, at: float) -> bool:
        """Whether ``hotlist`` alerts now for a read made at ``at`` in ``position`` (historical hits)."""
        return self._why_not_alerting(hotlist, self._clock(), position, at) is None

    def _why_not_alerting(self, hotlist: HotList, now: float, position, at: float | None = None) -> str | None:
        """Why the list raises no alert now for a read at ``position`` made at ``at`` (default: now)."""
        limit_s = self._settings.stop_alerting_after_hours * 3600
        if hotlist.max_age_s is not None and hotlist.age_s(now) > limit_s:
            return (f"list {hotlist.name!r} is {hotlist.age_s(now) / 3600:.1f} h old, beyond the "
                    f"{self._settings.stop_alerting_after_hours:g} h limit: it raises no alerts until a new version arrives")
        if hotlist.active_hours is not None:
            if not hotlist.active_hours.contains(local_minute(now if at is None else at).minute_of_day):
                return f"list {hotlist.name!r} is outside its active hours"
        if hotlist.area is not None:
            where = _latitude_longitude(position)
            if where is not None and not hotlist.area.contains(*where):
                return f"list {hotlist.name!r} is outside its area"
        return None

    def match(self, text: str, state: str | None = None, candidates: Iterable = (), position=None) -> list[Match]:
        """Every alerting entry the read matches, most urgent first.

        ``candidates`` are the OCR's alternatives (objects with ``.text`` and
        ``.confidence``); ``position`` (an `alpr_edge.gps.Position`) applies
        lists limited to an area, which alert anywhere when it is unknown or stale.
        """
        lists = self._lists  # one snapshot for the whole read
        if not lists:
            return []
        probe = Probe(text, state, candidates)
        if not probe.top or probe.top in self._skip:
            return []
        now = self._clock()
        matches: list[Match] = []
        for loaded in lists.values():
            if self._why_not_alerting(loaded.hotlist, now, position) is None:
                matches += match_list(loaded.hotlist, loaded.index, probe, now)
        return sorted(matches, key=lambda m: m.sort_key)

    def health(self, names: Collection[str] | None = None) -> Health:
        """Problems and warnings about the lists named in ``names`` (None: every list).

        A viewer who may not see covert lists passes the names they may see, so
        that no message names a list whose existence they must not learn.
        """
        now = self._clock()
        if names is None:
            problems = list(self._load_problems.values())
        else:  # whether a list that did not load is covert is unknown: say so without its name
            problems = [f"{len(self._load_problems)} stored hot list(s) could not be loaded; a supervisor can see which"] \
                if self._load_problems else []
        warnings = []
        if not self._lists:
            problems.append("no hot list loaded: reads are not being checked")
        for name, loaded in self._lists.items():
            if names is not None and name not in names:
                continue
            hotlist = loaded.hotlist
            limit_s = self._settings.stop_alerting_after_hours * 3600
            if hotlist.max_age_s is not None and hotlist.age_s(now) > limit_s:
                problems.append(self._why_not_alerting(hotlist, now, None))
            elif hotlist.is_stale(now):
                warnings.append(f"list {hotlist.name!r} is stale: {hotlist.age_s(now) / 3600:.1f} h old, "
                                f"maximum {hotlist.max_age_s / 3600:g} h; its alerts say so")
        return Health(ok=not problems, problems=tuple(problems), warnings=tuple(warnings))
