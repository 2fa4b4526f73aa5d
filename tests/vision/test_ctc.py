"""The numpy CTC decoders on hand-built probability sequences."""

import numpy as np
import pytest

from alpr_edge.vision.ctc import beam_search, char_confidences, greedy_decode
from alpr_edge.vision.formats import ALPHABET

BLANK = len(ALPHABET)


def sequence(steps, classes=len(ALPHABET) + 1):
    """Rows of {class or char: probability}; the rest of each row spread evenly."""
    probs = np.zeros((len(steps), classes), np.float32)
    for t, step in enumerate(steps):
        rest = 1.0 - sum(step.values())
        others = classes - len(step)
        probs[t] = rest / others
        for key, p in step.items():
            probs[t, BLANK if key == "-" else ALPHABET.index(key)] = p
    return probs


def test_greedy_merges_repeats_and_drops_blanks():
    probs = sequence([{"A": 0.9}, {"A": 0.9}, {"-": 0.9}, {"B": 0.9}, {"-": 0.9}, {"B": 0.9}])
    assert greedy_decode(probs) == "ABB"


def test_beam_search_finds_the_best_labelling_and_ranks_alternatives():
    # Step 2 is ambiguous between 8 and B; 8 is more likely.
    probs = sequence([{"7": 0.95}, {"-": 0.95}, {"8": 0.6, "B": 0.35}, {"-": 0.95}, {"C": 0.95}])
    results = beam_search(probs, top_k=10)
    texts = [t for t, _ in results]
    assert texts[0] == "78C"
    assert "7BC" in texts[:3]
    scores = [p for _, p in results]
    assert scores == sorted(scores, reverse=True)
    assert 0 < sum(scores) <= 1.0 + 1e-6
    assert results[0][1] == pytest.approx(0.95 ** 4 * 0.6, rel=0.15)


def test_beam_search_sums_alignments_of_the_same_text():
    # "A" alone via several alignments beats a greedy path that would read "AB" with low odds.
    probs = sequence([{"A": 0.6, "-": 0.4}, {"A": 0.5, "-": 0.45}, {"-": 0.55, "B": 0.45}])
    results = dict(beam_search(probs))
    assert beam_search(probs)[0][0] == "A"
    # P(A) = P(first two steps read A) * P(blank last) = (0.3 + 0.27 + 0.2) * 0.55
    assert results["A"] == pytest.approx(0.77 * 0.55, rel=0.05)
    assert results["AB"] < results["A"]


def test_double_letters_need_a_blank_between():
    probs = sequence([{"O": 0.9}, {"-": 0.9}, {"O": 0.9}])
    assert beam_search(probs)[0][0] == "OO"
    probs = sequence([{"O": 0.9}, {"O": 0.9}, {"O": 0.9}])
    assert beam_search(probs)[0][0] == "O"


def test_a_step_only_a_blank_can_pass_separates_double_letters_and_scales_every_text():
    # A wide crop has many such steps (the gaps between characters); the decoder takes them in one move.
    sure_blank = {"-": 0.99999}
    probs = sequence([{"O": 0.6, "0": 0.39}, sure_blank, {"O": 0.6, "0": 0.39}, sure_blank])
    ranked = dict(beam_search(probs))
    assert max(ranked, key=ranked.get) == "OO"
    assert ranked["OO"] == pytest.approx(0.6 * 0.6 * 0.99999 ** 2, rel=1e-3)
    assert ranked["O0"] == pytest.approx(0.6 * 0.39 * 0.99999 ** 2, rel=1e-3)


def test_top_k_limits_candidates():
    probs = sequence([{"A": 0.3, "B": 0.3, "C": 0.3}] + [{"-": 0.5, "D": 0.2, "E": 0.2}] * 4)
    assert len(beam_search(probs, top_k=10)) == 10
    assert len(beam_search(probs, top_k=3)) == 3


def test_char_confidences_follow_the_alignment():
    probs = sequence([{"X": 0.99}, {"-": 0.9}, {"Y": 0.55}, {"Y": 0.7}, {"-": 0.9}, {"Z": 0.8}])
    conf = char_confidences(probs, "XYZ")
    assert len(conf) == 3
    assert conf[0] == pytest.approx(0.99, abs=1e-3)
    assert conf[1] == pytest.approx(0.7, abs=1e-3)
    assert conf[2] == pytest.approx(0.8, abs=1e-3)
    assert char_confidences(probs, "") == ()
