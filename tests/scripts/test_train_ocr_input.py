"""The OCR's training batches are prepared the way the runtime prepares a crop for that model."""

import numpy as np

from alpr_edge.vision.contrast import normalise_contrast
from alpr_edge.vision.geometry import OCR_H, OCR_W
from train_ocr import as_model_input


def _crops():
    rng = np.random.default_rng(3)
    return np.clip(rng.normal(150, 12, (3, OCR_H, OCR_W)), 0, 255).astype(np.uint8)


def test_a_model_trained_with_clahe_sees_the_runtimes_normalised_crops():
    crops = _crops()
    batch = as_model_input(crops, clahe=True)
    assert batch.shape == (3, OCR_H, OCR_W, 1) and batch.dtype == np.float32
    for crop, seen in zip(crops, batch):
        assert np.array_equal(seen[..., 0], normalise_contrast(crop).astype(np.float32))


def test_a_model_trained_without_it_sees_the_crops_as_they_are():
    crops = _crops()
    assert np.array_equal(as_model_input(crops, clahe=False)[..., 0], crops.astype(np.float32))
