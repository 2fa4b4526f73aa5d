"""Corner refiner samples: a window cut around an imprecise plate quad, and where the true
corners lie in that window.

The imprecise quads come from two places: the shipped detector run on the photo (its real
errors, half of the photo samples) and random jitter (looser, tighter, turned, off-centre:
the rest). The refiner learns to undo both.
"""

from __future__ import annotations

import random

import cv2
import numpy as np

from alpr_edge.vision.geometry import (
    REFINE_H, REFINE_W, box_iou, corners_box, order_corners, rectify, refine_window, to_window,
)

from .ocr_samples import _clutter, jitter_corners, turned_quad
from .plate import PLATE_H, PLATE_W, degrade, render_plate, to_grey
from .scene import box_corners, overlay_plate, us_plate_width


def wide_jitter(rng: random.Random, corners: np.ndarray) -> np.ndarray:
    """A quad up to a third too large or too small, shifted and turned: wider than the
    detector's usual errors, so the refiner is never surprised by them."""
    corners = np.asarray(corners, np.float32)
    _, _, w, h = corners_box(corners)
    return turned_quad(rng, corners, w, h, rng.uniform(0.75, 1.35), rng.uniform(0.7, 1.5), degrees=4, shift=(0.08, 0.12))


def window_sample(grey: np.ndarray, truth: np.ndarray, guess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(REFINE_H x REFINE_W patch seen around ``guess``, the 4x2 true corners in its unit square)."""
    window = refine_window(order_corners(guess))
    return rectify(grey, window, (REFINE_H, REFINE_W)), to_window(window, order_corners(truth)).astype(np.float32)


def synthetic_samples(rng: random.Random, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """A rendered plate on bumper clutter under a random perspective, seen through ``count`` jittered windows."""
    plate = render_plate(rng)
    grey = to_grey(rng, plate.image, night=rng.random() < 0.3)
    pad = 160
    canvas = _clutter(rng, PLATE_H + 2 * pad, PLATE_W + 2 * pad)
    if rng.random() < 0.3:  # a dealer frame around the plate
        t = rng.randint(6, 20)
        cv2.rectangle(canvas, (pad - t, pad - t), (pad + PLATE_W + t, pad + PLATE_H + t), rng.randint(0, 255), -1)
    canvas[pad:pad + PLATE_H, pad:pad + PLATE_W] = grey
    corners = np.array([[pad, pad], [pad + PLATE_W, pad], [pad + PLATE_W, pad + PLATE_H], [pad, pad + PLATE_H]], np.float32)
    dst = corners + np.array([[rng.gauss(0, 16), rng.gauss(0, 12)] for _ in range(4)], np.float32)
    warped = cv2.warpPerspective(canvas, cv2.getPerspectiveTransform(corners, dst), (canvas.shape[1], canvas.shape[0]),
                                 borderMode=cv2.BORDER_REFLECT)
    scale = rng.uniform(0.2, 1.0)  # plates from 60 to 300 pixels wide
    small = cv2.resize(warped, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    truth = dst * scale
    out = []
    for _ in range(count):
        guess = jitter_corners(rng, truth, PLATE_W * scale, PLATE_H * scale) if rng.random() < 0.5 else wide_jitter(rng, truth)
        patch, target = window_sample(small, truth, guess)
        out.append((degrade(rng, patch, strength=0.6), target))
    return out


def photo_samples(rng: random.Random, grey: np.ndarray, box, us_crops: list[np.ndarray], detector, count: int
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """A real photo whose annotated plate is covered by a US plate (a real crop or a rendered
    one; kept as annotated a fifth of the time), seen through the detector's own quad when it
    finds the plate and through ``count`` jittered windows."""
    longest = rng.uniform(640, 1600)  # the photo at several camera resolutions
    f = min(1.0, longest / max(grey.shape))
    if f < 1.0:
        grey = cv2.resize(grey, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        box = tuple(int(round(v * f)) for v in box)
    if box[2] < 16 or box[3] < 6:
        return []
    if rng.random() < 0.2:
        photo, truth = grey, box_corners(box)
    else:
        plate = rng.choice(us_crops) if us_crops and rng.random() < 0.6 else None
        photo, truth = overlay_plate(rng, grey, box, plate, width=us_plate_width(box) * rng.uniform(0.9, 1.15))
    guesses = []
    if detector is not None:
        truth_box = corners_box(truth)
        found = [d.corners for d in detector.detect(photo) if box_iou(corners_box(d.corners), truth_box) >= 0.3]
        guesses += found[:1]
    _, _, w, h = corners_box(truth)
    while len(guesses) < count:
        guesses.append(jitter_corners(rng, truth, w, h) if rng.random() < 0.5 else wide_jitter(rng, truth))
    out = []
    for guess in guesses:
        patch, target = window_sample(photo, truth, guess)
        out.append((degrade(rng, patch, strength=0.4), target))
    return out


__all__ = ["wide_jitter", "window_sample", "synthetic_samples", "photo_samples"]
