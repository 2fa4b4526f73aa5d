"""Every state's banner is the lifecycle's: the screen draws what it is sent (one copy of the words)."""

from __future__ import annotations

import pytest

from alpr_edge.alerts.lifecycle import (
    BANNERS, CLOSED, Banner, STATE_LABELS, STATES, STATES_DIFFER, UNVERIFIED, actions, banner,
)

LOOKS = ("unverified", "verified", "confirmed", "closed")  # the styles alpr_edge/ui/static/app.css has


@pytest.mark.parametrize("state", STATES)
def test_every_state_has_a_banner_with_a_look_the_screen_styles(state):
    assert state in BANNERS
    found = banner(state)
    assert found.look in LOOKS and found.text.strip()
    if state in CLOSED:
        assert (found.look, found.text, found.prompt) == ("closed", STATE_LABELS[state], "")
    else:  # the officer has buttons to press: the banner asks the question they answer
        assert found.prompt.strip() and actions(state, may_dismiss=False)


def test_an_unverified_hit_never_reads_like_a_checked_one():
    unchecked = {banner(state) for state in UNVERIFIED}
    assert {b.look for b in unchecked} == {"unverified"}
    for state in set(STATES) - UNVERIFIED:
        assert banner(state).look != "unverified" and banner(state).text not in {b.text for b in unchecked}
    assert banner("verified").look != banner("confirmed").look and "NOT CONFIRMED" in banner("verified").text


def test_differing_states_are_said_before_the_question():
    assert banner("raised", states_differ=True).prompt == STATES_DIFFER + banner("raised").prompt
    assert banner("raised", states_differ=True).text == banner("raised").text


def test_an_unknown_state_gets_a_neutral_banner_naming_it():
    assert banner("held_for_review") == Banner("closed", "held_for_review", "")
