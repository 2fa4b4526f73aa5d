"""Shared geometry: the OCR input size and the perspective rectification of a plate quad.

Training (scripts/) and the runtime both use ``rectify`` so the crops the OCR
sees in the field are cut exactly the way its training crops were.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

# US plates are 2:1 (12 x 6 inches), but their characters are tall and narrow: the OCR's
# worst confusions (Q/0, B/8/R, O/0) are horizontal detail, so a crop is sampled twice as
# finely across as down. Still small for speed on two cores.
OCR_H, OCR_W = 48, 192


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


def quad_sides(corners: np.ndarray) -> tuple[float, float]:
    """A quad's (clockwise from top-left) mean width and height along its own axes, in its own dtype."""
    c = np.asarray(corners).reshape(4, 2)
    across = float(np.linalg.norm(c[1] - c[0]) + np.linalg.norm(c[2] - c[3])) / 2
    down = float(np.linalg.norm(c[3] - c[0]) + np.linalg.norm(c[2] - c[1])) / 2
    return across, down


def scaled_quad(corners: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """The quad grown or shrunk about its centre, along the plate's own axes."""
    corners = np.asarray(corners, np.float32).reshape(4, 2)
    centre = corners.mean(axis=0)
    across = ((corners[1] - corners[0]) + (corners[2] - corners[3])) / 2  # left to right
    down = ((corners[3] - corners[0]) + (corners[2] - corners[1])) / 2  # top to bottom
    ux = across / max(float(np.linalg.norm(across)), 1e-6)
    uy = down / max(float(np.linalg.norm(down)), 1e-6)
    rel = corners - centre
    along_x, along_y = rel @ ux, rel @ uy
    rest = rel - np.outer(along_x, ux) - np.outer(along_y, uy)
    return (centre + np.outer(along_x * sx, ux) + np.outer(along_y * sy, uy) + rest).astype(np.float32)


# The corner refiner sees the detector's quad grown to this much of its width and height,
# so a plate found too small or off-centre is still wholly inside its window.
REFINE_H, REFINE_W = 64, 128
REFINE_GROW = (1.5, 2.0)


def refine_window(corners: np.ndarray) -> np.ndarray:
    """The quad (frame pixels) the corner refiner looks through around a detected quad."""
    return scaled_quad(corners, *REFINE_GROW)


def _window_matrix(window: np.ndarray) -> np.ndarray:
    dst = np.array([[0, 0], [REFINE_W, 0], [REFINE_W, REFINE_H], [0, REFINE_H]], np.float32)
    return cv2.getPerspectiveTransform(np.asarray(window, np.float32).reshape(4, 2), dst)


def to_window(window: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Frame points -> the window's unit square (0..1 across and down; the refiner's targets)."""
    pts = cv2.perspectiveTransform(np.asarray(points, np.float32).reshape(-1, 1, 2), _window_matrix(window)).reshape(-1, 2)
    return pts / np.array([REFINE_W, REFINE_H], np.float32)


def from_window(window: np.ndarray, unit_points: np.ndarray) -> np.ndarray:
    """The window's unit-square points (the refiner's output) -> frame pixels."""
    pts = np.asarray(unit_points, np.float32).reshape(-1, 2) * np.array([REFINE_W, REFINE_H], np.float32)
    inverse = np.linalg.inv(_window_matrix(window))
    return cv2.perspectiveTransform(pts.reshape(-1, 1, 2), inverse).reshape(-1, 2)


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two axis-aligned boxes (x, y, w, h): the one IoU for boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def quad_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two convex quads (how exactly a plate's corners were found)."""
    a, b = order_corners(a), order_corners(b)
    inter, _ = cv2.intersectConvexConvex(a, b)
    union = abs(cv2.contourArea(a)) + abs(cv2.contourArea(b)) - inter
    return float(inter / union) if union > 0 else 0.0


def corners_box(corners: np.ndarray) -> tuple[int, int, int, int]:
    """Axis-aligned x, y, w, h around a quad."""
    pts = np.asarray(corners, np.float32).reshape(4, 2)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0))


DET_H, DET_W = 224, 384  # detector input: 16:9 frames letterboxed, a multiple of 32
DET_STRIDE = 4  # heatmap cell size in input pixels
LETTERBOX_FILL = 114


# Stills get a second, closer look: the detector sees the frame shrunk to DET_W x DET_H, where
# a plate a tenth of a 4:3 photo wide is 30 pixels and often missed. Overlapping tiles, each
# seen ZOOM times larger, find those; video does not need them (the vehicle comes closer).
ZOOM = 1.6
TILE_OVERLAP = 0.2
# The other way round: a plate this wide a fraction of a still (a close-up) is larger than any
# the detector was trained on, and its corners come out loose; seen again with the frame shrunk
# to half inside a plain border, it is an ordinary size.
CLOSE_UP_WIDTH = 0.3


def zoom_tiles(height: int, width: int, zoom: float = ZOOM, overlap: float = TILE_OVERLAP) -> list[tuple[int, int, int, int]]:
    """Overlapping (x, y, w, h) regions covering a frame, each of the detector's aspect and small
    enough that the detector sees it ``zoom`` times larger than the whole frame (never enlarged
    past full resolution); empty when the whole frame already reaches the detector near full size."""
    whole = min(DET_W / width, DET_H / height)
    scale = min(whole * zoom, 1.0)
    if scale < whole * 1.2:
        return []
    tile_w, tile_h = min(width, round(DET_W / scale)), min(height, round(DET_H / scale))

    def starts(total: int, size: int) -> list[int]:
        if size >= total:
            return [0]
        count = max(2, math.ceil((total - size * overlap) / (size * (1 - overlap))))
        return [round(i * (total - size) / (count - 1)) for i in range(count)]

    return [(x, y, tile_w, tile_h) for y in starts(height, tile_h) for x in starts(width, tile_w)]


def letterbox(grey: np.ndarray, size: tuple[int, int] = (DET_H, DET_W)) -> tuple[np.ndarray, float]:
    """Resize keeping the aspect ratio into the top-left of an HxW canvas; returns (canvas, scale)."""
    h, w = grey.shape[:2]
    out_h, out_w = size
    scale = min(out_w / w, out_h / h)
    nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    canvas = np.full((out_h, out_w), LETTERBOX_FILL, np.uint8)
    canvas[:nh, :nw] = cv2.resize(grey, (nw, nh), interpolation=cv2.INTER_AREA)
    return canvas, scale
