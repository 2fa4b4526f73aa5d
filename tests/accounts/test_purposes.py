"""What a search may be for: the agency's list, a real detail, nothing personal, nothing the law forbids."""

from __future__ import annotations

import pytest

from alpr_edge.accounts.purposes import DEFAULT_PURPOSES, PurposeRefused, purpose_list_problems, screen

VEHICLE = "stolen-wanted-or-suspect-vehicle"


def test_the_default_list_is_the_six_lawful_purposes():
    assert len(DEFAULT_PURPOSES) == 6 and purpose_list_problems(DEFAULT_PURPOSES) == []
    request = screen(" Missing-Child-or-Elder ", "AMBER alert  26-0042", "26-0042")
    assert (request.purpose, request.detail, request.text) == ("missing-child-or-elder", "AMBER alert 26-0042",
                                                               "missing-child-or-elder: AMBER alert 26-0042")


@pytest.mark.parametrize("purpose, detail, reason", [
    ("investigation", "armed robbery 26-1", "not one of this agency's authorised purposes"),
    (VEHICLE, "investigation", "does not say why"),
    (VEHICLE, "12", "does not say why"),
    (VEHICLE, "Immigration enforcement", "civil immigration enforcement"),
    (VEHICLE, "help HSI locate a vehicle", "civil immigration enforcement"),
    (VEHICLE, "deportation order follow-up", "civil immigration enforcement"),
    (VEHICLE, "request of the DEA task force", "federal or out-of-state"),
    (VEHICLE, "Arizona out of state warrant", "federal or out-of-state"),
    (VEHICLE, "driver Jane Doe seen in the car", "person's name"),
    (VEHICLE, "owner born 1990-02-03", "date of birth"),
    (VEHICLE, "rap sheet shows auto theft", "criminal-history"),
    (VEHICLE, "from the CLETS return", "CLETS"),
])
def test_refused(purpose, detail, reason):
    with pytest.raises(PurposeRefused, match=reason):
        screen(purpose, detail, "26-1")


def test_barred_and_personal_refusals_say_so():
    with pytest.raises(PurposeRefused) as barred:
        screen("immigration-enforcement", "find a visa overstay", "26-1")
    assert barred.value.barred and not barred.value.personal
    assert "1798.90.55(b)" in str(barred.value) and "SB 54" in str(barred.value)
    with pytest.raises(PurposeRefused) as personal:
        screen(VEHICLE, "Mr John Public's car", "26-1")
    assert personal.value.personal


@pytest.mark.parametrize("detail", [
    "armed robbery at Main Street, suspect vehicle fled north",
    "Silver alert: elderly driver missing since noon",
    "stolen from the Oak Avenue lot; report 26-004518",
    "ice on the road caused no delay: county fair parking",  # lower-case ice is not the agency
])
def test_ordinary_details_pass(detail):
    assert screen(VEHICLE, detail, "26-1").detail == detail


def test_the_agency_list_is_checked():
    assert purpose_list_problems([]) == ["search_purposes: expected at least one authorised purpose"]
    problems = purpose_list_problems(["special-event", "special-event", "Bad Key", "investigation", "immigration-checks"])
    assert any("at most once" in p for p in problems) and any("'Bad Key'" in p for p in problems)
    assert any("'investigation': expected a few words" in p and "says too little" in p for p in problems) and any("'immigration-checks'" in p and "SB 54" in p for p in problems)


def test_the_configuration_loads_without_third_party_packages():
    """`alpr-edge status` runs on the standard library alone (tests/ops/test_install.py): the purpose
    list is checked without Argon2, TOTP or numpy."""
    import subprocess
    import sys

    probe = ("import sys; from alpr_edge.config import Config; assert Config().accounts.validate() == []; "
             "print(sorted(m for m in ('numpy', 'pyotp', 'argon2') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr


def test_a_purpose_not_on_the_agency_list_is_refused():
    with pytest.raises(PurposeRefused, match="authorised purposes: special-event"):
        screen(VEHICLE, "stolen car 26-1", "26-1", ["special-event"])


def test_the_configuration_refuses_a_bad_purpose_list_with_the_file_and_key(tmp_path):
    from alpr_edge.config import load_config
    from alpr_edge.schema import SchemaError

    path = tmp_path / "config.toml"
    path.write_text('[accounts]\nsearch_purposes = ["special-event", "immigration-enforcement"]\n')
    with pytest.raises(SchemaError) as refused:
        load_config(path)
    assert any("search_purposes: 'immigration-enforcement'" in p for p in refused.value.problems)
    assert str(path) in refused.value.source
    path.write_text('[accounts]\nsearch_purposes = ["special-event"]\n')
    assert load_config(path).accounts.search_purposes == ["special-event"]
