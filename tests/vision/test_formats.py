"""The serial-format table and its two notations (alpr_edge/vision/formats.py, us_formats.toml)."""

import re

from alpr_edge.vision.formats import fits_common_format, fits_format, openalpr_regex, project_regex


def test_openalpr_notation_reads_letters_digits_sets_and_dropped_positions():
    # @ a letter, # a digit, [..] one of the listed characters, ? a dropped emblem position (a gap).
    assert openalpr_regex("@##?#@@") == "[A-Z][0-9][0-9][0-9][A-Z][A-Z]"
    assert re.fullmatch(openalpr_regex("###[H-Y]@@"), "123JAB")
    assert not re.fullmatch(openalpr_regex("###[H-Y]@@"), "123GAB"), "G is outside the listed range"
    assert re.fullmatch(openalpr_regex("[A]#####[T]"), "A12345T")
    assert not re.fullmatch(openalpr_regex("[A]#####[T]"), "B12345T")


def test_project_notation_drops_its_gaps():
    assert project_regex("9LLL 999") == "[0-9][A-Z][A-Z][A-Z][0-9][0-9][0-9]"


def test_a_states_formats_come_from_both_notations():
    assert fits_format("7ABC123", "CA")  # the project's 9LLL999
    assert fits_format("12345A1", "CA")  # OpenALPR's #####@#, in no project pattern of California
    assert not fits_format("ABC1234", "CA")
    assert fits_common_format("ABC1234") and fits_common_format("123ABC")
    assert not fits_common_format("8BC1234"), "a look-alike swap fits no common format"
