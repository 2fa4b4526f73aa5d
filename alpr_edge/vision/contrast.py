"""Contrast normalisation of an OCR crop (CLAHE), for an OCR trained on normalised crops.

Faded, sun-bleached and half-shaded plates reach the OCR with little contrast, or with
contrast that changes across the plate. Local histogram equalisation (CLAHE) stretches each
part of the crop by its own histogram before the OCR reads it (at most about CLIP_LIMIT times,
so that noise and JPEG blocks on a flat plate are not blown up). A model must be trained on the
same normalised crops (tried on a model trained without it, it helped nothing: ``plate_ocr.md``),
so the model file says whether it wants them: its input tensor is named ``crop_clahe`` by
``train_ocr.py --clahe``, ``crop`` otherwise. Training and the runtime both call
``normalise_contrast``, so the two cannot drift apart.
"""

from __future__ import annotations

import cv2
import numpy as np

INPUT_NAME_PLAIN = "crop"
INPUT_NAME_CLAHE = "crop_clahe"  # the Keras input name of an OCR trained on normalised crops
CLIP_LIMIT = 2.0
# Tiles about square on a 48 x 192 crop (8 across, 2 down): each covers one or two characters,
# so each part of a shaded plate is stretched by its own histogram.
TILES_ACROSS, TILES_DOWN = 8, 2


def normalise_contrast(crop: np.ndarray) -> np.ndarray:
    """The grey uint8 crop with its contrast equalised tile by tile (same shape and dtype)."""
    # A fresh CLAHE object each call (about 0.1 ms): OpenCV's keeps buffers, and the daemon
    # reads from more than one thread.
    return cv2.createCLAHE(clipLimit=CLIP_LIMIT, tileGridSize=(TILES_ACROSS, TILES_DOWN)).apply(crop)


def wants_normalised(input_tensor_name: str) -> bool:
    """Whether an OCR model's input (TFLite names it like ``serving_default_crop_clahe:0``)
    was trained on normalised crops."""
    return INPUT_NAME_CLAHE in input_tensor_name
