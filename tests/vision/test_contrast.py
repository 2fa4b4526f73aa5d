"""Contrast normalisation before the OCR: what it does to a crop, and who asks for it."""

import numpy as np

from alpr_edge.vision.contrast import normalise_contrast, wants_normalised
from alpr_edge.vision.geometry import OCR_H, OCR_W
from alpr_edge.vision.runtime import OCR_FILE, DEFAULT_MODELS_DIR, OcrModel


def faded_plate(shade: float = 0.0) -> np.ndarray:
    """Dark bars on a light ground at a sixth of full contrast, with sensor noise, darker to
    the left by ``shade``."""
    crop = np.full((OCR_H, OCR_W), 180.0)
    for x in range(20, OCR_W - 20, 24):
        crop[10:38, x:x + 8] = 140.0
    crop -= np.linspace(shade, 0.0, OCR_W)[None, :]
    crop += np.random.default_rng(7).normal(0.0, 4.0, crop.shape)
    return np.clip(crop, 0, 255).astype(np.uint8)


def test_a_faded_crop_gets_its_contrast_back():
    crop = faded_plate()
    out = normalise_contrast(crop)
    assert out.shape == crop.shape and out.dtype == np.uint8
    bars, ground = out[10:38, 20:28].mean(), out[2:8, :].mean()
    assert ground - bars > 1.5 * (180 - 140)


def test_each_part_of_a_shaded_plate_is_stretched_on_its_own():
    crop = faded_plate(shade=60.0)
    out = normalise_contrast(crop).astype(float)

    def contrast(image, x):  # ground above a bar minus the bar itself, at column x
        return image[2:8, x:x + 8].mean() - image[10:38, x:x + 8].mean()

    for x in (20, 164):  # the shaded left end and the bright right end
        assert contrast(out, x) > 1.4 * contrast(crop.astype(float), x)


def test_the_model_file_says_whether_it_wants_normalised_crops():
    assert wants_normalised("serving_default_crop_clahe:0")
    assert not wants_normalised("serving_default_crop:0")


def test_the_ocr_normalises_crops_exactly_when_its_model_asks(monkeypatch):
    ocr = OcrModel(DEFAULT_MODELS_DIR / OCR_FILE)
    seen = []
    run = ocr.model.run
    monkeypatch.setattr(ocr.model, "run", lambda image: seen.append(image.copy()) or run(image))
    crop = faded_plate(shade=40.0)
    ocr.normalises_contrast = False
    ocr.probabilities(crop)
    ocr.normalises_contrast = True
    ocr.probabilities(crop)
    assert np.array_equal(seen[0], crop)
    assert np.array_equal(seen[1], normalise_contrast(crop))
