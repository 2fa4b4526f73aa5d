"""Shared geometry: the OCR input size and the perspective rectification of a plate quad.

Training (scripts/) and the runtime both use ``rectify`` so the crops the OCR
sees in the field are cut exactly the way its training crops were.
"""

from __future__ import annotations

import cv2
import numpy as np

OCR_H, OCR_W = 48, 96  # US plates are 2:1 (12 x 6 inches); small for speed on two cores


def order_corners(pts: np.ndarray) -> np.ndarray:
    """Four points ordered clockwise from top-left."""
    pts = np.asarray(pts, np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # from -pi: top-left region first when y is down
    start = np.argmin(pts.sum(axis=1))
    return np.roll(pts, -start, axis=0)


def rectify(grey: np.ndarray, corners: np.ndarray, size: tuple[int, int] = (OCR_H, OCR_W)) -> np.ndarray:
    """Warp the quad ``corners`` (clockwise from top-left) of ``grey`` to an upright HxW crop."""
    h, w = size
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    matrix = cv2.getPerspectiveTransform(np.asarray(corners, np.float32).reshape(4, 2), dst)
    return cv2.warpPerspective(grey, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def corners_box(corners: np.ndarray) -> tuple[int, int, int, int]:
    """Axis-aligned x, y, w, h around a quad."""
    pts = np.asarray(corners, np.float32).reshape(4, 2)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0))


DET_H, DET_W = 224, 384  # detector input: 16:9 frames letterboxed, a multiple of 32
DET_STRIDE = 4  # heatmap cell size in input pixels
LETTERBOX_FILL = 114


def letterbox(grey: np.ndarray, size: tuple[int, int] = (DET_H, DET_W)) -> tuple[np.ndarray, float]:
    """Resize keeping the aspect ratio into the top-left of an HxW canvas; returns (canvas, scale)."""
    h, w = grey.shape[:2]
    out_h, out_w = size
    scale = min(out_w / w, out_h / h)
    nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    canvas = np.full((out_h, out_w), LETTERBOX_FILL, np.uint8)
    canvas[:nh, :nw] = cv2.resize(grey, (nw, nh), interpolation=cv2.INTER_AREA)
    return canvas, scale
