"""An alert and the only ways it may move: an unverified hit never looks confirmed.

    raised --(acknowledged)--> verified --> confirmed --> disposed
      |                          |             (arrest, citation, ...)
      +-> misread / wrong_state  +-> not_confirmed            (closed)
    dismissed (supervisor, with a note) and timed_out (nobody acted) close it too.

"verified" means the officer compared the plate characters AND the state
with the captured image; "confirmed" means dispatch/CLETS said the vehicle
is still wanted. Only then is a disposition recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from alpr_edge.accounts.permissions import ROLES, can

RAISED = "raised"
ACKNOWLEDGED = "acknowledged"  # seen and silenced, not yet compared
VERIFIED = "verified"
MISREAD = "misread"
WRONG_STATE = "wrong_state"
CONFIRMED = "confirmed"
NOT_CONFIRMED = "not_confirmed"
DISPOSED = "disposed"
DISMISSED = "dismissed"
TIMED_OUT = "timed_out"

STATES = (RAISED, ACKNOWLEDGED, VERIFIED, MISREAD, WRONG_STATE, CONFIRMED, NOT_CONFIRMED, DISPOSED, DISMISSED, TIMED_OUT)
CLOSED = frozenset({MISREAD, WRONG_STATE, NOT_CONFIRMED, DISPOSED, DISMISSED, TIMED_OUT})
UNACKNOWLEDGED = frozenset({RAISED})  # still sounding
UNVERIFIED = frozenset({RAISED, ACKNOWLEDGED})  # nobody has compared it yet: a locked screen still shows it

TRANSITIONS = {
    RAISED: {ACKNOWLEDGED, VERIFIED, MISREAD, WRONG_STATE, DISMISSED, TIMED_OUT},
    ACKNOWLEDGED: {VERIFIED, MISREAD, WRONG_STATE, DISMISSED, TIMED_OUT},
    VERIFIED: {CONFIRMED, NOT_CONFIRMED, DISMISSED, TIMED_OUT},
    CONFIRMED: {DISPOSED},  # a confirmed hit always gets a disposition
}

DISPOSITIONS = (
    "arrest", "citation", "contact", "stop_made", "vehicle_recovered", "no_action", "unable_to_locate", "lost_sight",
)

DISPOSITION_LABELS = {
    "arrest": "Arrest", "citation": "Citation", "contact": "Contact / interview", "stop_made": "Stop made, released",
    "vehicle_recovered": "Vehicle recovered", "no_action": "No action", "unable_to_locate": "Unable to locate",
    "lost_sight": "Lost sight",
}

# Why an officer closed an alert: a small vocabulary, stored with the step and audited. The stored
# state ids stay what they were (``misread``, ``wrong_state``: older books read the same); the reason
# says which check failed, and the label is the words on the button (one copy: the screen asks for it).
REASONS: dict[str, dict[str, str]] = {
    MISREAD: {
        "characters_differ": "Camera misread: characters differ",
        "not_a_plate": "Camera misread: not a plate",
    },
    WRONG_STATE: {"state_differs": "Same characters, wrong state"},
    NOT_CONFIRMED: {
        "no_longer_wanted": "Dispatch: no longer wanted",
        "not_on_file": "Dispatch: not on file",
    },
}

# What a closed alert's state says on the screen (and in the note shown after closing it).
STATE_LABELS = {
    MISREAD: "Closed: camera misread", WRONG_STATE: "Closed: wrong state", NOT_CONFIRMED: "Closed: not confirmed by dispatch",
    DISPOSED: "Closed: disposition recorded", DISMISSED: "Dismissed", TIMED_OUT: "Closed: nobody acted in time",
}


@dataclass(frozen=True)
class Banner:
    """How the screen heads an alert in one state: its look, its words and the question put to the officer."""

    look: str  # unverified | verified | confirmed | closed: the screen's style (pattern, colours) for it
    text: str
    prompt: str  # "" where nothing is asked (a closed alert)


# What is known, in words the officer cannot mistake: an unverified hit never reads like a confirmed one.
# One copy: the screen draws what it is sent (alpr_edge.ui.web.alert_detail).
_UNCHECKED = Banner("unverified", "UNVERIFIED — compare plate AND state with the image",
                    "Do the characters AND the state on the vehicle match the hot list?")
BANNERS: dict[str, Banner] = {
    RAISED: _UNCHECKED,
    ACKNOWLEDGED: _UNCHECKED,
    VERIFIED: Banner("verified", "VISUALLY VERIFIED — NOT CONFIRMED: confirm with dispatch (CLETS) before any action",
                     "What did dispatch say?"),
    CONFIRMED: Banner("confirmed", "CONFIRMED BY DISPATCH — record the disposition", "Disposition:"),
    **{state: Banner("closed", label, "") for state, label in STATE_LABELS.items()},
}
STATES_DIFFER = "STATES DIFFER — "  # put before the prompt when the read's and the entry's states differ


def banner(state: str, states_differ: bool = False) -> Banner:
    """The banner for an alert in ``state``; an unknown state (a newer book) gets a neutral one naming it."""
    found = BANNERS.get(state) or Banner("closed", state, "")
    if states_differ:
        return Banner(found.look, found.text, STATES_DIFFER + found.prompt)
    return found


@dataclass(frozen=True)
class Action:
    """One button the screen offers for an alert: the step it takes, with its reason or disposition."""

    step: str
    label: str
    kind: str  # yes | no | quiet: how much weight the screen gives it
    reason: str | None = None
    disposition: str | None = None


def actions(state: str, may_dismiss: bool) -> list[Action]:
    """The officer's choices from ``state``, in the order the screen shows them (labels are the vocabulary's)."""
    found: list[Action] = []
    if state in (RAISED, ACKNOWLEDGED):
        found.append(Action(VERIFIED, "Matches: characters AND state", "yes"))
    elif state == VERIFIED:
        found.append(Action(CONFIRMED, "Confirmed by dispatch: still wanted", "yes"))
    elif state == CONFIRMED:
        found += [Action(DISPOSED, label, "", disposition=code) for code, label in DISPOSITION_LABELS.items()]
    for step in (MISREAD, WRONG_STATE, NOT_CONFIRMED):
        if step in TRANSITIONS.get(state, set()):
            found += [Action(step, label, "no", reason=code) for code, label in REASONS[step].items()]
    if state == RAISED:
        found.append(Action(ACKNOWLEDGED, "Silence (still to check)", "quiet"))
    if may_dismiss and DISMISSED in TRANSITIONS.get(state, set()):
        found.append(Action(DISMISSED, "Dismiss (note needed)", "quiet"))
    return found


FIELD_ROLES = frozenset(role for role in ROLES if can(role, "alerts.verify"))  # who may act on alerts at all

# Closed alerts after which the same plate on the same entry is settled: the
# officer had the vehicle in hand (a stop, an arrest, ...), or judged this very
# read text against the image (misread, wrong state), or dispatch or a
# supervisor answered for it. Its re-sightings inside alerts.suppress_window_s
# stay on that alert. Every other close (lost sight, unable to locate, no
# action, nobody acted) leaves the vehicle out there: a new sighting raises a
# new alert.
SETTLING_DISPOSITIONS = frozenset({"arrest", "citation", "contact", "stop_made", "vehicle_recovered"})
SETTLING_STATES = frozenset({MISREAD, WRONG_STATE, NOT_CONFIRMED, DISMISSED})


def settles(state: str, disposition: str | None) -> bool:
    """Whether an alert closed as ``state`` (with ``disposition``) settles its plate (see SETTLING_*)."""
    return state in SETTLING_STATES or (state == DISPOSED and disposition in SETTLING_DISPOSITIONS)


def next_steps(state: str) -> list[str]:
    """The steps a person may take from ``state`` (timing out is the system's)."""
    return sorted(TRANSITIONS.get(state, set()) - {TIMED_OUT})


class AlertError(Exception):
    """A transition refused (illegal step, wrong role, missing detail) or an unknown alert."""


class UnknownAlert(AlertError):
    """No such alert, or none this role may see (the two read the same)."""


def check_transition(current: str, step: str, role: str, covert: bool, note: str | None, disposition: str | None,
                     reason: str | None = None) -> None:
    """Raise AlertError saying why ``step`` may not follow ``current`` for ``role``."""
    if step not in STATES or step == RAISED:
        raise AlertError(f"unknown step {step!r} (steps: {', '.join(s for s in STATES if s != RAISED)})")
    if step not in TRANSITIONS.get(current, set()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none: the alert is closed"
        raise AlertError(f"an alert that is {current} cannot become {step} (next steps: {allowed})")
    if step == TIMED_OUT:
        if role != "system":
            raise AlertError("only the system times alerts out")
    elif role not in FIELD_ROLES:
        raise AlertError(f"role {role!r} may not act on alerts")
    if covert and role != "system" and not can(role, "alerts.covert"):
        raise AlertError("covert alerts are handled by supervisors and admins only")
    if step == DISMISSED:
        if not can(role, "alerts.dismiss"):
            raise AlertError("only a supervisor or admin may dismiss an alert")
        if not (note or "").strip():
            raise AlertError("dismissing an alert needs a note saying why")
    if step == DISPOSED:
        if disposition not in DISPOSITIONS:
            raise AlertError(f"a disposition is required: one of {', '.join(DISPOSITIONS)} (got {disposition!r})")
    elif disposition is not None:
        raise AlertError(f"a disposition is recorded only with the {DISPOSED} step")
    if reason is not None and reason not in REASONS.get(step, {}):
        known = ", ".join(REASONS.get(step, {})) or "none"
        raise AlertError(f"reason {reason!r} does not go with the {step} step (reasons: {known})")


@dataclass(frozen=True)
class Alert:
    """A hot list hit as the officer handles it; no plate text, only ids and the entry's summary."""

    alert_id: str  # UUIDv7
    read_id: str  # the read that raised it (plate crop, overview, GPS and time live with the read)
    last_read_id: str  # the latest read that matched again inside the suppression window
    list_name: str
    list_version: int
    list_type: str
    priority: int  # 1 most urgent
    covert: bool
    stale: bool  # the list was past its maximum age
    match_kind: str  # exact, lenient, wildcard, candidate, edit
    state_differs: bool  # read and entry states both known and different
    entry_key: str
    reason: str
    case_number: str
    vehicle: str
    entered_by: str
    other_lists: tuple[str, ...]  # lower-priority lists the read also matched
    created_at: float
    updated_at: float
    last_seen_at: float
    repeats: int  # times matched again inside the suppression window (0: new)
    state: str
    disposition: str | None = None

    @property
    def closed(self) -> bool:
        return self.state in CLOSED

    @property
    def sounding(self) -> bool:
        """Raised and not yet acknowledged: the in-car outputs keep going."""
        return self.state in UNACKNOWLEDGED and not self.covert


@dataclass(frozen=True)
class AlertStep:
    step_id: str
    alert_id: str
    from_state: str | None
    to_state: str
    user: str
    role: str
    at: float
    note: str | None
    disposition: str | None
    reason: str | None = None  # a code of REASONS[to_state]; None for steps taken before reasons were recorded
