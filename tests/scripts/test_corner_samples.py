"""Corner refiner training windows: the truth is where the plate is, seen through imprecise quads."""

import random

import cv2
import numpy as np

from alpr_edge.vision.geometry import REFINE_H, REFINE_W
from platesynth.corner_samples import photo_samples, synthetic_samples, wide_jitter, window_sample
from train_corners import mirrored

PLATE = np.array([[300, 200], [420, 200], [420, 260], [300, 260]], np.float32)


def test_a_window_cut_at_the_truth_has_the_plate_in_its_middle():
    photo = np.full((480, 640), 60, np.uint8)
    cv2.fillConvexPoly(photo, PLATE.astype(np.int32), 230)
    patch, target = window_sample(photo, PLATE, PLATE)
    assert patch.shape == (REFINE_H, REFINE_W)
    assert np.allclose(target, [[1 / 6, 1 / 4], [5 / 6, 1 / 4], [5 / 6, 3 / 4], [1 / 6, 3 / 4]], atol=0.01)
    # The bright plate fills the middle of the window and not its edges.
    assert patch[REFINE_H // 2, REFINE_W // 2] > 200 and patch[2, 2] < 100


def test_a_loose_guess_puts_the_truth_inside_a_smaller_part_of_the_window():
    loose = PLATE.mean(axis=0) + (PLATE - PLATE.mean(axis=0)) * 1.3
    _, target = window_sample(np.zeros((480, 640), np.uint8), PLATE, loose)
    width = target[1, 0] - target[0, 0]
    assert abs(width - (2 / 3) / 1.3) < 0.01


def test_wide_jitter_stays_near_the_plate():
    rng = random.Random(3)
    for _ in range(200):
        guess = wide_jitter(rng, PLATE)
        centre_shift = np.abs(guess.mean(axis=0) - PLATE.mean(axis=0))
        assert centre_shift[0] < 0.5 * 120 and centre_shift[1] < 0.8 * 60


def test_synthetic_windows_hold_a_plate_sized_target():
    windows = synthetic_samples(random.Random(5), 4)
    assert len(windows) == 4
    for patch, target in windows:
        assert patch.shape == (REFINE_H, REFINE_W) and patch.dtype == np.uint8
        width = target[1, 0] - target[0, 0]
        assert 0.3 < width < 1.1
        assert np.all(target > -0.5) and np.all(target < 1.5)


def test_photo_windows_without_a_detector_are_all_jittered():
    photo = np.full((480, 640), 90, np.uint8)
    cv2.rectangle(photo, (260, 300), (380, 326), 230, -1)
    windows = photo_samples(random.Random(1), photo, (260, 300, 120, 26), [], detector=None, count=3)
    assert len(windows) == 3


def test_mirroring_swaps_left_and_right_corners():
    x = np.arange(2 * REFINE_H * REFINE_W, dtype=np.float32).reshape(2, REFINE_H, REFINE_W)
    y = np.array([[0.1, 0.2, 0.8, 0.25, 0.85, 0.7, 0.15, 0.75]] * 2, np.float32)
    mx, my = mirrored(x, y)
    assert np.allclose(my[0, :2], [1 - 0.8, 0.25])  # the new top-left is the old top-right, mirrored
    assert np.allclose(mx[0, :, 0], x[0, :, -1])
    back_x, back_y = mirrored(mx, my)
    assert np.allclose(back_x, x) and np.allclose(back_y, y)
