"""Plates rendered on real state designs, with decorations outside the label, and camera damage."""

import random

import cv2
import numpy as np
import pytest
from platesynth.plate import PLATE_H, PLATE_W
from platesynth.templates import (
    MOTORCYCLE_H,
    MOTORCYCLE_W,
    at_final_size,
    fade,
    load_templates,
    render_motorcycle,
    render_on_template,
)


def _designs(tmp_path, names=("ca1993.jpg", "md2006b.jpg", "de1970.jpg")):
    """Blank designs saved as the shared folder holds them: a light plate with a coloured name band
    (Delaware's dark), about 250 x 125 pixels."""
    for name in names:
        design = np.full((125, 250, 3), (60, 30, 20) if name.startswith("de") else (235, 235, 230), np.uint8)
        cv2.rectangle(design, (60, 5), (190, 25), (40, 40, 200), -1)
        cv2.imwrite(str(tmp_path / name), design)
    return load_templates(tmp_path)


def test_designs_load_per_state_at_the_plate_size(tmp_path):
    designs = _designs(tmp_path)
    assert sorted(designs) == ["CA", "DE", "MD"]
    assert designs["CA"][0].shape == (PLATE_H, PLATE_W, 3)


def test_a_design_named_for_no_state_is_refused_with_its_name(tmp_path):
    cv2.imwrite(str(tmp_path / "xx2001.jpg"), np.zeros((125, 250, 3), np.uint8))
    with pytest.raises(ValueError, match="xx2001.jpg"):
        load_templates(tmp_path)


def test_a_serial_is_drawn_over_the_states_design_in_an_ink_that_shows(tmp_path):
    designs = _designs(tmp_path)
    for state in ("CA", "DE"):
        plate = render_on_template(random.Random(4), designs, state=state, text="7ABC123", fade_odds=0.0)
        assert (plate.text, plate.state) == ("7ABC123", state)
        middle = plate.image[PLATE_H // 3: 2 * PLATE_H // 3].astype(int)
        background = designs[state][0][PLATE_H // 3: 2 * PLATE_H // 3].astype(int)
        changed = np.abs(middle - background).sum(axis=2) > 120
        assert changed.mean() > 0.08, f"{state}: the serial stands out from its background"
        assert np.array_equal(plate.image[:30, :40], designs[state][0][:30, :40]), "the design's corner is untouched"


def test_emblems_and_stacked_characters_are_drawn_but_never_labelled(tmp_path):
    designs = _designs(tmp_path)
    plain = render_on_template(random.Random(9), designs, state="MD", text="1AB 2345", emblem_odds=0.0, stacked_odds=0.0, fade_odds=0.0)
    decorated = render_on_template(random.Random(9), designs, state="MD", text="1AB 2345", emblem_odds=1.0, stacked_odds=1.0, fade_odds=0.0)
    assert plain.text == decorated.text == "1AB2345"  # the serial's characters only: decorations add none
    assert not np.array_equal(plain.image, decorated.image)
    labels = {render_on_template(random.Random(seed), designs, stacked_odds=1.0).text for seed in range(30)}
    assert all(label.isalnum() and 2 <= len(label) <= 8 for label in labels)


def test_a_faded_plate_keeps_little_contrast():
    rng = random.Random(2)
    plate = np.full((PLATE_H, PLATE_W, 3), 240, np.uint8)
    plate[60:100, 40:280] = (20, 30, 110)
    washed = fade(rng, plate, amount=0.7)
    before = plate.mean(axis=2)
    after = washed.mean(axis=2)
    assert np.ptp(after) < 0.45 * np.ptp(before)
    assert after[80, 100] > 120, "navy ink bleached towards grey"


def test_a_motorcycle_plate_is_labelled_top_row_then_bottom_row(tmp_path):
    plate = render_motorcycle(random.Random(3), _designs(tmp_path), state="CA", rows=("AB", "1234"))
    assert plate.image.shape == (MOTORCYCLE_H, MOTORCYCLE_W, 3)
    assert (plate.text, plate.layout) == ("AB1234", "AB/1234")
    grey = plate.image.mean(axis=2)
    ink_rows = np.flatnonzero((grey < 120).mean(axis=1) > 0.05)
    assert ink_rows.min() < MOTORCYCLE_H * 0.45 and ink_rows.max() > MOTORCYCLE_H * 0.55, "characters in both rows"
    drawn = {render_motorcycle(random.Random(seed)).text for seed in range(20)}
    assert all(5 <= len(text) <= 7 for text in drawn)


def test_final_size_is_small_and_compressed_hard():
    rng = random.Random(5)
    plate = np.random.default_rng(0).integers(0, 255, (PLATE_H, PLATE_W, 3), dtype=np.uint8)
    small = at_final_size(rng, plate, 80)
    assert small.shape == (40, 80) and small.dtype == np.uint8
    clean = cv2.cvtColor(cv2.resize(plate, (80, 40), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    assert np.abs(small.astype(int) - clean.astype(int)).mean() > 8, "quality 10 to 40 leaves visible artefacts"


def test_ocr_samples_draw_on_the_designs_when_given(tmp_path):
    from platesynth.ocr_samples import synthetic_sample

    from alpr_edge.vision.formats import STATE_CLASSES
    from alpr_edge.vision.geometry import OCR_H, OCR_W

    designs = _designs(tmp_path)
    rng = random.Random(7)
    samples = [synthetic_sample(rng, designs=designs) for _ in range(40)]
    assert all(crop.shape == (OCR_H, OCR_W) and text.isalnum() for crop, text, _ in samples)
    states = [STATE_CLASSES[index] for _, _, index in samples]
    on_designs = sum(state in designs for state in states)
    assert 8 <= on_designs <= 34, "about half on the three designs' states, the rest on generic plates of any state"


def test_row_samples_are_one_row_of_a_motorcycle_plate_cut_as_the_runtime_cuts_it(tmp_path):
    from platesynth.ocr_samples import row_sample

    from alpr_edge.vision.formats import STATE_CLASSES
    from alpr_edge.vision.geometry import OCR_H, OCR_W

    designs = _designs(tmp_path)
    rng = random.Random(11)
    samples = [row_sample(rng, designs=designs if i % 2 else None) for i in range(20)]
    assert all(crop.shape == (OCR_H, OCR_W) and crop.dtype == np.uint8 for crop, _, _ in samples)
    lengths = [len(text) for _, text, _ in samples]
    assert set(lengths) <= {2, 3, 4} and {2, 3} & set(lengths) and 4 in lengths, "top rows (2-3) and bottom rows (3-4)"
    assert {STATE_CLASSES[index] for _, _, index in samples} == {"unknown"}, "a row shows no state design"


def test_the_per_state_confusion_counts_right_null_and_wrong_states():
    from evaluate import state_confusion

    table = state_confusion({"CA": ["CA", None, "NV", "CA"], "OR": ["WA"]})
    assert table == {"CA": {"crops": 4, "right": 2, "null": 1, "wrong": ["NV"]},
                     "OR": {"crops": 1, "right": 0, "null": 0, "wrong": ["WA"]}}


def test_detector_scenes_hold_plates_on_designs_and_narrower_two_row_plates(tmp_path):
    from platesynth.scene import scene_plate, synthetic_scene

    designs = _designs(tmp_path)
    rng = random.Random(13)
    shapes = [scene_plate(rng, 120.0, designs) for _ in range(200)]
    squarish = [width for image, width in shapes if image.shape[:2] == (MOTORCYCLE_H, MOTORCYCLE_W)]
    assert 10 <= len(squarish) <= 45, "about one plate in eight is a motorcycle plate"
    assert all(width == pytest.approx(70.0) for width in squarish), "7 of a car plate's 12 inches"
    assert {scene_plate(rng, 120.0)[0].shape[:2] for _ in range(30)} == {(PLATE_H, PLATE_W)}, "no designs: generic plates only"
    image, quads = synthetic_scene(random.Random(2), 640, 360, designs)
    assert image.shape == (360, 640) and all(q.shape == (4, 2) for q in quads)


def test_degraded_crops_are_small_and_compressed():
    from platesynth.plate import shrunk_and_compressed as degrade

    crop = np.random.default_rng(1).integers(0, 255, (100, 200), dtype=np.uint8)
    small = degrade(crop, 60, 20)
    assert small.shape == (30, 60) and small.dtype == np.uint8
    clean = cv2.resize(crop, (60, 30), interpolation=cv2.INTER_AREA)
    assert np.abs(small.astype(int) - clean.astype(int)).mean() > 5
    assert degrade(crop[:, :50], 60, 35).shape == (100, 50), "never enlarged"


def test_a_paired_comparison_counts_what_changed_and_how_likely_by_chance():
    from evaluate import compare

    before = {"crops": [{"misread_runtime": ["a", "b", "c", "d", "e", "f", "g"]}]}
    after = {"crops": [{"misread_runtime": ["a", "z"]}]}
    table = compare(before, after)["crops[0]"]
    assert (table["newly_right"], table["newly_wrong"], table["newly_wrong_items"]) == (6, 1, ["z"])
    assert table["mcnemar_p"] == pytest.approx(2 * 8 / 128, abs=1e-4)  # 1 or fewer of 7 discordant pairs
    assert compare(before, before)["crops[0]"]["mcnemar_p"] == 1.0
