"""The shipped models load, stay small, and read freshly rendered plates."""

import random

import numpy as np
import pytest

from alpr_edge.vision import load_recognizer
from alpr_edge.vision.geometry import quad_iou, rectify, scaled_quad
from alpr_edge.vision.runtime import CORNERS_FILE, DEFAULT_MODELS_DIR, DETECTOR_FILE, OCR_FILE


@pytest.fixture(scope="module")
def recognizer():
    return load_recognizer()


def test_models_are_int8_and_under_4_mb():
    for name in (DETECTOR_FILE, OCR_FILE, CORNERS_FILE):
        path = DEFAULT_MODELS_DIR / name
        assert path.stat().st_size <= 4 * 1024 * 1024
        assert "int8" in name


def test_missing_model_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=DETECTOR_FILE):
        load_recognizer(tmp_path)


def test_reads_a_rendered_plate_in_a_720p_frame(recognizer):
    from bench_recognition import frame_with_one_plate

    grey = frame_with_one_plate(1280, 720)
    plates = recognizer.recognize(grey)
    assert plates, "no plate found"
    best = plates[0]
    assert best.text == "7KDM482"
    assert 0 < best.confidence <= 1
    assert len(best.char_confidences) == len(best.text)
    x, y, w, h = best.box
    assert 500 < x + w / 2 < 780 and 300 < y + h / 2 < 650  # the car is in the middle of the road
    assert len(best.corners) == 4
    assert best.candidates[0].text == best.text and len(best.candidates) <= 10


def test_ocr_reads_clean_rectified_plates(recognizer):
    from platesynth.plate import PLATE_H, PLATE_W, render_plate, to_grey

    rng = random.Random(11)
    texts = ["ABC1234", "8XYZ512", "KTR4471", "4PLM208", "JWD632"]
    correct = 0
    for text in texts:
        plate = render_plate(rng, state=rng.choice(["CA", "NY", "TX", "PA", "FL"]), text=text)
        grey = to_grey(rng, plate.image, night=False)
        corners = np.array([[0, 0], [PLATE_W, 0], [PLATE_W, PLATE_H], [0, PLATE_H]], np.float32)
        candidates, char_conf, _, _ = recognizer.ocr.read(rectify(grey, corners))
        correct += candidates[0].text == text
    assert correct >= 4


def test_blank_frame_gives_no_plates(recognizer):
    assert recognizer.recognize(np.full((720, 1280), 128, np.uint8)) == []


def test_the_corner_refiner_tightens_a_loose_quad_on_a_rendered_plate(recognizer):
    from platesynth.plate import render_plate, to_grey
    from platesynth.scene import warp_plate_into

    assert recognizer.refiner is not None, "the shipped models include the corner refiner"
    rng = random.Random(8)
    better = 0
    for _ in range(5):
        frame = np.full((720, 1280), 70, np.uint8)
        plate = to_grey(rng, render_plate(rng).image, night=False)
        truth = warp_plate_into(rng, frame, plate, rng.uniform(400, 900), rng.uniform(300, 500), rng.uniform(90, 160))
        loose = scaled_quad(truth, 1.25, 1.4) + [rng.uniform(-8, 8), rng.uniform(-5, 5)]
        refined = recognizer.refiner.refine(frame, loose)
        better += quad_iou(refined, truth) > quad_iou(loose, truth) + 0.15  # from about 0.57 to about 0.8
    assert better >= 4
