"""OCR training samples: rectified grey plate crops as the runtime cuts them, plus real crops."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from alpr_edge.vision.formats import STATE_CLASSES
from alpr_edge.vision.geometry import OCR_H, OCR_W, rectify
from alpr_edge.vision.rows import ROW_PLATE_H, find_row_split, row_crops, squarish_crop

from .plate import PLATE_H, PLATE_W, degrade, render_plate, shrunk_and_compressed, to_grey
from .templates import MOTORCYCLE_H, MOTORCYCLE_W, at_final_size, render_motorcycle, render_on_template


def _clutter(rng: random.Random, h: int, w: int) -> np.ndarray:
    """A busy background (bumper, frame, paint) to surround a plate."""
    img = np.full((h, w), rng.randint(0, 255), np.uint8)
    for _ in range(rng.randint(2, 8)):
        x0, y0 = rng.randint(0, w), rng.randint(0, h)
        cv2.rectangle(img, (x0, y0), (x0 + rng.randint(5, w), y0 + rng.randint(5, h // 2)), rng.randint(0, 255), -1)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 8, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def jitter_corners(rng: random.Random, corners: np.ndarray, w: float, h: float, amount: float = 1.0) -> np.ndarray:
    """Imitate detector imprecision. Half the time a small error (each corner moved a little,
    the quad a little smaller or larger); half the time the loose, skewed quads the detector
    really returns on small plates in photos: up to 30% too wide, 40% too tall, turned a few
    degrees and off-centre (measured on US crops warped into real photos, mean IoU about 0.7)."""
    centre = corners.mean(axis=0)
    if rng.random() < 0.5:
        scale = rng.uniform(0.96, 1.08) if rng.random() < 0.7 else 1.0
        out = centre + (corners - centre) * scale
        out += np.array([[rng.gauss(0, 0.025 * w * amount), rng.gauss(0, 0.04 * h * amount)] for _ in range(4)], np.float32)
        return out.astype(np.float32)
    return turned_quad(rng, corners, w, h, rng.uniform(0.96, 1.3), rng.uniform(0.94, 1.4), degrees=3.5)


def turned_quad(rng: random.Random, corners: np.ndarray, w: float, h: float, sx: float, sy: float, degrees: float,
                shift: tuple[float, float] = (0.04, 0.06)) -> np.ndarray:
    """The quad scaled by (sx, sy) about its centre, turned by about ``degrees`` (a gaussian's
    spread), shifted by about ``shift`` of (w, h), and each corner moved a little more."""
    centre = corners.mean(axis=0)
    angle = np.radians(rng.gauss(0, degrees))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    out = ((corners - centre) * [sx, sy]) @ rot.T + centre
    out += [rng.gauss(0, shift[0] * w), rng.gauss(0, shift[1] * h)]
    out += np.array([[rng.gauss(0, 0.03 * w), rng.gauss(0, 0.05 * h)] for _ in range(4)], np.float32)
    return out.astype(np.float32)


TEMPLATE_SHARE = 0.5  # with the real state designs given: this share of plates is drawn on them
FINAL_SIZE_JPEG = 0.35  # and this share of those is compressed hard at a camera's small size


def synthetic_sample(rng: random.Random, size: tuple[int, int] = (OCR_H, OCR_W),
                     designs: dict | None = None, template_share: float = TEMPLATE_SHARE) -> tuple[np.ndarray, str, int]:
    """(crop OCR_HxOCR_W uint8, text, state class index). With ``designs`` (``templates.load_templates``),
    ``template_share`` of the plates are the real state designs with emblems, stacked marks and faded sheeting."""
    if designs and rng.random() < template_share:
        plate = render_on_template(rng, designs)
        if rng.random() < FINAL_SIZE_JPEG:
            small = at_final_size(rng, plate.image, rng.randint(50, 130))
            grey = cv2.resize(small, (PLATE_W, PLATE_H), interpolation=cv2.INTER_LINEAR)
        else:
            grey = to_grey(rng, plate.image)
    else:
        plate = render_plate(rng)
        grey = to_grey(rng, plate.image)
    pad = 60
    canvas = _clutter(rng, PLATE_H + 2 * pad, PLATE_W + 2 * pad)
    if rng.random() < 0.3:  # a dealer frame partly covering edges
        cv2.rectangle(canvas, (pad - 12, pad - 12), (pad + PLATE_W + 12, pad + PLATE_H + 12), rng.randint(0, 80), -1)
    canvas[pad:pad + PLATE_H, pad:pad + PLATE_W] = grey
    if rng.random() < 0.2:
        t = rng.randint(4, 14)
        colour = rng.randint(0, 80)
        canvas[pad + PLATE_H - t:pad + PLATE_H, pad:pad + PLATE_W] = colour  # frame covering the bottom
    corners = np.array([[pad, pad], [pad + PLATE_W, pad], [pad + PLATE_W, pad + PLATE_H], [pad, pad + PLATE_H]], np.float32)
    # Perspective: warp the whole canvas, then cut the (jittered) plate quad back out.
    src = corners.copy()
    dst = corners + np.array([[rng.gauss(0, 14), rng.gauss(0, 10)] for _ in range(4)], np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(canvas, matrix, (canvas.shape[1], canvas.shape[0]), borderMode=cv2.BORDER_REFLECT)
    crop = rectify(warped, jitter_corners(rng, dst, PLATE_W, PLATE_H), size)
    crop = degrade(rng, crop)
    state = STATE_CLASSES.index(plate.state)
    return crop, plate.text, state


def row_sample(rng: random.Random, size: tuple[int, int] = (OCR_H, OCR_W),
               designs: dict | None = None) -> tuple[np.ndarray, str, int]:
    """One row of a two-row (motorcycle) plate, cut as the runtime cuts it (``vision/rows.py``):
    the plate warped into clutter, its quad jittered like the detector's, rectified at its own
    aspect, split where the runtime finds the gap (the middle when it finds none), and the top
    or bottom row padded to a plate crop's look. Its label is that row's text; the state is
    ``unknown`` (a row shows no state design)."""
    plate = render_motorcycle(rng, designs)
    if rng.random() < FINAL_SIZE_JPEG:
        small = at_final_size(rng, plate.image, rng.randint(45, 110))
        grey = cv2.resize(small, (MOTORCYCLE_W, MOTORCYCLE_H), interpolation=cv2.INTER_LINEAR)
    else:
        grey = to_grey(rng, plate.image)
    pad = 50
    canvas = _clutter(rng, MOTORCYCLE_H + 2 * pad, MOTORCYCLE_W + 2 * pad)
    canvas[pad:pad + MOTORCYCLE_H, pad:pad + MOTORCYCLE_W] = grey
    corners = np.array([[pad, pad], [pad + MOTORCYCLE_W, pad], [pad + MOTORCYCLE_W, pad + MOTORCYCLE_H], [pad, pad + MOTORCYCLE_H]], np.float32)
    dst = corners + np.array([[rng.gauss(0, 10), rng.gauss(0, 8)] for _ in range(4)], np.float32)
    warped = cv2.warpPerspective(canvas, cv2.getPerspectiveTransform(corners, dst), (canvas.shape[1], canvas.shape[0]),
                                 borderMode=cv2.BORDER_REFLECT)
    quad = jitter_corners(rng, dst, MOTORCYCLE_W, MOTORCYCLE_H, amount=0.7)
    crop = squarish_crop(warped, quad)
    if crop is None:  # jittered too wide to count as squarish: cut it at the plate's own shape
        crop = rectify(warped, quad, (ROW_PLATE_H, round(ROW_PLATE_H * MOTORCYCLE_W / MOTORCYCLE_H)))
    split = find_row_split(crop) or crop.shape[0] // 2
    top_text, bottom_text = plate.layout.split("/")
    top, bottom = row_crops(crop, split, size)
    crop, text = (top, top_text) if rng.random() < 0.5 else (bottom, bottom_text)
    return degrade(rng, crop), text, STATE_CLASSES.index("unknown")


def negative_sample(rng: random.Random, size: tuple[int, int] = (OCR_H, OCR_W)) -> tuple[np.ndarray, str, int]:
    """A crop the detector might propose that is not a plate: sign or sticker lettering, or
    bumper clutter, cut and degraded like a plate crop. Its label is empty (all CTC blank), so
    the OCR learns to read nothing there and the runtime's gate drops it."""
    from .scene import WORDS, _text_block

    h, w = PLATE_H + 120, PLATE_W + 120
    canvas = _clutter(rng, h, w)
    if rng.random() < 0.8:  # lettering: words with lower case, punctuation, spaces
        pil = Image.fromarray(canvas)
        _text_block(rng, pil, rng.randint(20, 90), rng.randint(40, 110), rng.uniform(1.2, 2.6), lines=[rng.choice(WORDS)])
        canvas = np.asarray(pil).copy()
    cx, cy = w / 2 + rng.gauss(0, 20), h / 2 + rng.gauss(0, 12)
    qw = rng.uniform(0.5, 1.0) * PLATE_W
    qh = qw / rng.uniform(1.6, 4.0)
    corners = np.array([[cx - qw / 2, cy - qh / 2], [cx + qw / 2, cy - qh / 2], [cx + qw / 2, cy + qh / 2], [cx - qw / 2, cy + qh / 2]], np.float32)
    crop = rectify(canvas, jitter_corners(rng, corners, qw, qh), size)
    return degrade(rng, crop), "", STATE_CLASSES.index("unknown")


def load_real_crops(folder: Path) -> list[tuple[np.ndarray, str, str, str]]:
    """(grey image, text, state, file) for each labelled crop; labels.csv columns file,state,text."""
    labels = Path(folder) / "labels.csv"
    if not labels.is_file():
        raise FileNotFoundError(f"{labels}: no labels.csv in the crops folder")
    out = []
    with labels.open(newline="") as handle:
        for row in csv.DictReader(handle):
            image = cv2.imread(str(Path(folder) / row["file"]), cv2.IMREAD_GRAYSCALE)
            if image is None:
                raise ValueError(f"{folder / row['file']}: unreadable image listed in {labels}")
            out.append((image, row["text"].strip().upper(), row["state"].strip().upper(), row["file"]))
    return out


def split_real(items: list, seed: int = 20261122, validation_fraction: float = 0.2) -> tuple[list, list]:
    """Fixed-seed train/validation split by file name (stable across runs and machines)."""
    order = sorted(items, key=lambda item: item[-1])
    random.Random(seed).shuffle(order)
    n_val = int(round(len(order) * validation_fraction))
    return order[n_val:], order[:n_val]


def small_and_compressed(rng: random.Random, image: np.ndarray) -> np.ndarray:
    """A real crop as a gate camera delivers a far plate: 50-130 pixels wide, JPEG quality 10-40."""
    return shrunk_and_compressed(image, rng.randint(50, 130), rng.randint(10, 40))


def real_sample(rng: random.Random, image: np.ndarray, augment: bool = True, size: tuple[int, int] = (OCR_H, OCR_W),
                small_odds: float = 0.0) -> np.ndarray:
    """A real crop (the whole plate) cut as the runtime would, with detector-like jitter; with
    probability ``small_odds`` first shrunk and compressed as a far plate (``small_and_compressed``)."""
    if augment and small_odds and rng.random() < small_odds:
        image = small_and_compressed(rng, image)
    h, w = image.shape
    pad = max(h, w) // 4
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    corners = np.array([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]], np.float32)
    if augment:
        corners = jitter_corners(rng, corners, w, h, amount=0.8)
        crop = rectify(padded, corners, size)
        return degrade(rng, crop, strength=0.7)
    return rectify(padded, corners, size)


def real_label_usable(text: str) -> bool:
    """A few labels are placeholders ('0') or longer than plates we read: skip those."""
    return 2 <= len(text) <= 10


__all__ = ["synthetic_sample", "row_sample", "negative_sample", "load_real_crops", "split_real", "real_sample", "real_label_usable", "OCR_H", "OCR_W"]
