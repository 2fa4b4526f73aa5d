"""Why an officer closed an alert: the reasons vocabulary, stored with the step and audited (issue 22),
and where a read and its hot list entry differ."""

from __future__ import annotations

import pytest
import sqlite_utils

from alpr_edge.alerts import AlertBook, AlertError
from alpr_edge.alerts.book import ALERT_STEPS, _v4_steps_say_why
from alpr_edge.alerts.compare import differences
from alpr_edge.alerts.lifecycle import REASONS, STATES, TRANSITIONS, actions, check_transition
from alpr_edge.config import AlertsSection
from alpr_edge.hotlist import HotListEngine, MemoryListStorage, parse_ncic
from alpr_edge.store.transactions import Transactions
from tests.alerts.conftest import SAMPLES


@pytest.fixture
def engine(clock):
    engine = HotListEngine(MemoryListStorage(), clock=clock, audit=lambda *a, **k: None)
    engine.replace(parse_ncic(SAMPLES / "ncic-extract.txt", clock=clock))
    return engine


def _book(db, audit, clock) -> AlertBook:
    return AlertBook(Transactions(db), audit, clock=clock, settings=AlertsSection(suppress_window_s=0))


def test_the_reason_is_stored_with_the_step_and_audited(tmp_path, engine, audit, clock):
    book = _book(sqlite_utils.Database(tmp_path / "alerts.db"), audit, clock)
    alert = book.raise_alert("read-1", engine.match("7XKM219", "CA"), clock())
    book.transition(alert.alert_id, "misread", "olive", "officer", reason="characters_differ")
    step = book.steps(alert.alert_id)[-1]
    assert (step.to_state, step.reason) == ("misread", "characters_differ")
    assert audit.records[-1]["action"] == "alert_misread"
    assert audit.records[-1]["data"]["reason"] == "characters_differ"


@pytest.mark.parametrize("step, reason", [("misread", "state_differs"), ("wrong_state", "nonsense"), ("verified", "not_a_plate")])
def test_a_reason_that_does_not_go_with_the_step_is_refused_and_nothing_moves(tmp_path, engine, audit, clock, step, reason):
    book = _book(sqlite_utils.Database(tmp_path / "alerts.db"), audit, clock)
    alert = book.raise_alert("read-1", engine.match("7XKM219", "CA"), clock())
    with pytest.raises(AlertError, match=f"reason '{reason}' does not go with the {step} step"):
        book.transition(alert.alert_id, step, "olive", "officer", reason=reason)
    assert book.get(alert.alert_id).state == "raised"
    assert [s.to_state for s in book.steps(alert.alert_id)] == ["raised"]
    assert audit.records[-1]["outcome"] == "refused"


def test_a_book_from_before_reasons_keeps_its_steps_readable(tmp_path, engine, audit, clock):
    db = sqlite_utils.Database(tmp_path / "alerts.db")
    Transactions(db).apply_migrations("alerts", ALERT_STEPS[:ALERT_STEPS.index(_v4_steps_say_why)])  # the book as it was before reasons
    assert "reason" not in db["alert_steps"].columns_dict
    db["alert_steps"].insert({"step_id": "s-old", "alert_id": "a-old", "from_state": "raised", "to_state": "misread",
                              "user": "olive", "role": "officer", "at": 1.0, "note": None, "disposition": None})
    book = _book(db, audit, clock)
    old = book.steps("a-old")
    assert [(s.to_state, s.reason) for s in old] == [("misread", None)]  # the stored state id reads as before


@pytest.mark.parametrize("state", STATES)
def test_every_button_is_a_legal_step_with_its_own_words(state):
    offered = actions(state, may_dismiss=True)
    labels = [a.label for a in offered]
    assert len(labels) == len(set(labels)), labels  # no two buttons say the same
    assert not [label for label in labels if label.strip().upper() in ("MISREAD", "WRONG STATE")]  # says which check failed
    for action in offered:
        assert action.step in TRANSITIONS[state]
        role = "supervisor" if action.step == "dismissed" else "officer"
        check_transition(state, action.step, role, False, "a note", action.disposition, action.reason)
    offered_reasons = {(a.step, a.reason) for a in offered if a.reason}
    expected = {(step, code) for step, codes in REASONS.items() if step in TRANSITIONS.get(state, ()) for code in codes}
    assert offered_reasons == expected  # every reason of every step open from here has its button


def test_dismissing_is_offered_only_to_who_may():
    assert "dismissed" not in [a.step for a in actions("raised", may_dismiss=False)]
    assert "dismissed" in [a.step for a in actions("raised", may_dismiss=True)]


@pytest.mark.parametrize("read, entry, read_marks, entry_marks", [
    ("7ABC123", "7ABC123", (), ()),
    ("7A8C123", "7ABC123", (2,), (2,)),  # B read as 8
    ("7ABC12", "7ABC123", (), (6,)),  # a character the camera missed
    ("7ABCC123", "7ABC123", (4,), ()),  # or one it added (either C may be the extra one)
    ("7ABC1234", "7ABC*", (), ()),  # wildcards differ from nothing
    ("7XBC123", "7?BC12?", (), ()),
    ("8ABC123", "7ABC*", (0,), (0,)),
])
def test_differences_mark_the_characters_to_check(read, entry, read_marks, entry_marks):
    found = differences(read, entry)
    assert len(found.read) == len(read_marks) and len(found.entry) == len(entry_marks)
    if read != "7ABCC123":
        assert (found.read, found.entry) == (read_marks, entry_marks)
    else:
        assert found.read[0] in (3, 4)
