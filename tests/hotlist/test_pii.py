"""Personal data in reasons and synopses is refused, with the reason why."""

import pytest

from alpr_edge.hotlist.pii import personal_data_problems, reason_problem


@pytest.mark.parametrize("text, expected", [
    ("Driver John Q. Public 1432 Elm Street Berkeley CA DOB 04/12/1988", {"date of birth", "name with an address"}),
    ("Registered owner CDL B1234567 SSN 123-45-6789", {"social security", "driver licence"}),
    ("owner ssn 123 45 6789", {"social security"}),
    ("DL# D7654321 seen driving", {"driver licence"}),
    ("Mary Smith lives at 22 Oak Avenue", {"name with an address"}),
    ("born 1990-02-03, wanted for fraud", {"date of birth"}),
    ("Suspect named Jane Doe, owner since 02/03/1990", {"date of birth"}),
])
def test_personal_data_refused(text, expected):
    found = " ".join(personal_data_problems(text))
    for word in expected:
        assert word in found


@pytest.mark.parametrize("text", [
    "Armed robbery at convenience store; suspect vehicle fled north",
    "Felony hit and run with injury; partial plate from camera",
    "Vehicle used in robbery at 1432 Elm Street on 11/02/2026",  # a crime scene, not a person
    "Stolen from Main Street lot",
    "Case 26-004518 linked",
])
def test_ordinary_synopses_pass(text):
    assert personal_data_problems(text) == []


@pytest.mark.parametrize("text", ["investigation", "Investigation.", " INVESTIGATIONS ", "n/a", ""])
def test_empty_reasons_refused(text):
    assert reason_problem(text) is not None


def test_real_reason_accepted():
    assert reason_problem("Investigation of armed robbery, suspect vehicle") is None
