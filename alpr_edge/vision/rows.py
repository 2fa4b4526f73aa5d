"""Two-row plates (motorcycles, 7 x 4 inches): find the two text rows and read each one.

The OCR reads one line of text from a 2:1 crop. A squarish plate with two rows of characters
(two or three over three or four) squashed into that crop reads as nothing or as garbage, so
for a plate whose rectified shape is squarish the runtime looks for a quiet band between two
busy ones in the crop's horizontal-edge profile (polarity-free: dark ink on light sheeting or
light on dark), cuts the rows there, pads each to the 2:1 look of a plate crop and reads them
with the same OCR. A split needs two equally tall busy bands around the gap, so a one-row plate
with a thin state name or slogan over its serial is not cut.
The training generator cuts its two-row samples with these same functions (``row_crops``).
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from alpr_edge.vision.formats import plausible_plate_text
from alpr_edge.vision.geometry import OCR_H, OCR_W, quad_sides, rectify
from alpr_edge.vision.types import Candidate

MAX_TWO_ROW_ASPECT = 2.2  # width / height along the plate's axes: US one-row plates are 2:1, motorcycle 7:4
ROW_PLATE_H = 96  # the squarish plate is rectified at this height for the split (width follows its aspect)
VALLEY_BAND = (0.35, 0.65)  # the gap between rows lies in this part of the plate's height
VALLEY_RATIO = 0.3  # the gap's edge energy is under this share of the weaker row's
# The thinner row's busy band is at least this share of the thicker's. A slogan printed right
# under the bottom row makes its band taller: of 150 rendered motorcycle plates (tuning seed 5,
# not the evaluation's) 0.6 split 96, 0.5 splits 107 and still cuts none of the 592 real one-row
# training crops (0.4 cuts one).
ROW_BALANCE = 0.5
ROW_ASPECT = 2.0  # each row is padded to this shape, the look of the crops the OCR was trained on
TOP_K = 4  # candidates kept per row; their products rank the two-row texts


def quad_aspect(corners: np.ndarray) -> float:
    """Width over height of a quad along its own axes."""
    across, down = quad_sides(np.asarray(corners, np.float32))
    return across / max(down, 1e-6)


def squarish_crop(grey: np.ndarray, corners: np.ndarray) -> np.ndarray | None:
    """The quad rectified at its own aspect (ROW_PLATE_H tall), or None for a one-row shape."""
    aspect = quad_aspect(corners)
    if aspect >= MAX_TWO_ROW_ASPECT:
        return None
    return rectify(grey, corners, (ROW_PLATE_H, max(8, round(ROW_PLATE_H * aspect))))


def edge_profile(crop: np.ndarray) -> np.ndarray:
    """Mean horizontal gradient per pixel row over the middle 80% of the width, smoothed:
    characters' vertical strokes make it high, the gap between rows low."""
    width = crop.shape[1]
    middle = crop[:, width // 10: width - width // 10].astype(np.float32)
    energy = np.abs(cv2.Sobel(middle, cv2.CV_32F, 1, 0, ksize=3)).mean(axis=1)
    kernel = max(3, crop.shape[0] // 24) | 1
    return np.convolve(energy, np.ones(kernel, np.float32) / kernel, mode="same")


def find_row_split(crop: np.ndarray) -> int | None:
    """The pixel row between the two text rows, or None when the crop shows one row."""
    profile = edge_profile(crop)
    height = len(profile)
    lo, hi = int(height * VALLEY_BAND[0]), int(height * VALLEY_BAND[1])
    split = lo + int(np.argmin(profile[lo:hi]))
    if split in (lo, hi - 1):
        return None  # the least busy row is at the band's edge: a slope (a thin header or footer band), not a gap
    margin = max(2, height // 12)  # the plate's border and bolts sit at the very edges
    top = profile[margin:split].max(initial=0.0)
    bottom = profile[split + 1:height - margin].max(initial=0.0)
    weaker = min(top, bottom)
    if weaker <= 0 or profile[split] > VALLEY_RATIO * weaker:
        return None
    # A motorcycle plate's two rows are equally tall; a state name or slogan over a one-row
    # serial is a much thinner busy band than the serial under it.
    above = _busy_rows(profile[margin:split][::-1], top)
    below = _busy_rows(profile[split + 1:height - margin], bottom)
    if min(above, below) < ROW_BALANCE * max(above, below):
        return None
    return split


def _busy_rows(profile: np.ndarray, peak: float) -> int:
    """How many pixel rows, counted from the gap outwards, are at least half as busy as ``peak``."""
    busy = np.flatnonzero(profile >= peak / 2)
    return int(busy[-1] - busy[0] + 1) if len(busy) else 0


def row_crops(crop: np.ndarray, split: int, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The rows above and below ``split``, each padded with its own background to ROW_ASPECT
    and resized to the OCR's ``size`` (height, width)."""
    return _padded_row(crop[:split], size), _padded_row(crop[split:], size)


def _padded_row(row: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    height, width = row.shape[:2]
    target = max(height, round(width / ROW_ASPECT))
    fill = int(np.median(row))  # the sheeting's grey: most of a row is background
    extra = target - height
    padded = cv2.copyMakeBorder(row, extra // 2, extra - extra // 2, 0, 0, cv2.BORDER_CONSTANT, value=fill)
    return cv2.resize(padded, (size[1], size[0]), interpolation=cv2.INTER_AREA)


def combine_rows(top: list[Candidate], bottom: list[Candidate], top_k: int = TOP_K) -> list[Candidate]:
    """Two-row texts (top row then bottom row), best first, each the product of its rows'."""
    pairs = [Candidate(t.text + b.text, round(t.confidence * b.confidence, 4)) for t in top[:top_k] for b in bottom[:top_k]]
    return sorted(pairs, key=lambda c: c.confidence, reverse=True)


class RowReader(Protocol):
    def read(self, crop: np.ndarray, top_k: int = 10) -> tuple[list[Candidate], tuple[float, ...], str | None, float]: ...


def read_two_rows(ocr: RowReader, grey: np.ndarray,
                  corners: np.ndarray) -> tuple[np.ndarray, list[Candidate], tuple[float, ...]] | None:
    """(crop, candidates, per-character confidences) of a two-row plate at ``corners``, read
    row by row; None when the quad is not squarish, shows one row, or its rows read no
    plausible plate text. The whole crop's reading is no rival: the OCR, trained on one line,
    often reads one row of a two-row plate alone, and surely."""
    crop = squarish_crop(grey, corners)
    if crop is None:
        return None
    split = find_row_split(crop)
    if split is None:
        return None
    top_crop, bottom_crop = row_crops(crop, split, (OCR_H, OCR_W))  # the OCR resizes to its own input
    top, top_conf, _, _ = ocr.read(top_crop)
    bottom, bottom_conf, _, _ = ocr.read(bottom_crop)
    candidates = [c for c in combine_rows(top, bottom) if plausible_plate_text(c.text)]
    if not candidates:
        return None
    char_conf = tuple(top_conf) + tuple(bottom_conf)
    if top and bottom and candidates[0].text != top[0].text + bottom[0].text:
        char_conf = ()
    return crop, candidates, char_conf
