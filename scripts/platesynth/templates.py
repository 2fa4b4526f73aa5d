"""Plates on the real state designs, and the decorations and camera damage real photos show.

The blank designs (``us-plate-templates/``: every state and DC, from openalpr/openalpr,
AGPL-3.0; the folder is passed in, never copied into the repository) carry each state's name,
slogan, pictures and sticker boxes; a serial from the state's formats is drawn over the middle.
Around it, as real plates have them and always outside the label (decorations are not
characters):

- separator emblems between character groups (a state outline, a heart, a star, a dot);
- small stacked characters beside the serial (a county code, a disabled-parking or dealer mark);
- faded, sun-bleached backgrounds with little contrast left;
- two-row motorcycle plates (7 x 4 inches): the label reads the top row, then the bottom row.

``at_final_size`` shrinks a plate to the few dozen pixels a gate camera gives it and compresses
it hard there (JPEG quality 10 to 40, chroma subsampled), as the real photos are.
"""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from alpr_edge.vision.formats import STATE_FORMATS

from .plate import (
    INK_COLOURS,
    PLATE_H,
    PLATE_W,
    RenderedPlate,
    _font,
    _font_paths,
    draw_serial,
    random_text,
)

MOTORCYCLE_W, MOTORCYCLE_H = 224, 128  # 7 x 4 inches


def load_templates(folder: Path) -> dict[str, list[np.ndarray]]:
    """State code -> its blank designs, RGB at PLATE_W x PLATE_H (file names: ``ca1993.jpg``,
    ``md2006b.jpg``: the state's code, the design's year and a letter)."""
    designs: dict[str, list[np.ndarray]] = {}
    for path in sorted(Path(folder).glob("*.jpg")):
        state = path.stem[:2].upper()
        if state not in STATE_FORMATS:
            raise ValueError(f"{path}: the name does not start with a state's code")
        bgr = cv2.imread(str(path))
        if bgr is None:
            raise ValueError(f"{path}: unreadable image")
        rgb = cv2.cvtColor(cv2.resize(bgr, (PLATE_W, PLATE_H), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        designs.setdefault(state, []).append(rgb)
    if not designs:
        raise FileNotFoundError(f"{folder}: no plate designs (*.jpg)")
    return designs


def _emblem(rng: random.Random, colour):
    """A separator picture drawn in a gap: ``(draw, cx, cy, size)``."""
    kind = rng.choice(["heart", "star", "outline", "dot", "bar"])

    def draw_it(draw: ImageDraw.ImageDraw, cx: int, cy: int, size: int) -> None:
        if kind == "heart":
            r = size / 2
            draw.ellipse((cx - size, cy - r - r, cx, cy), fill=colour)
            draw.ellipse((cx, cy - r - r, cx + size, cy), fill=colour)
            draw.polygon([(cx - size, cy - r / 2), (cx + size, cy - r / 2), (cx, cy + size)], fill=colour)
        elif kind == "star":
            points = [(cx + size * (1 if i % 2 == 0 else 0.45) * np.sin(i * np.pi / 5),
                       cy - size * (1 if i % 2 == 0 else 0.45) * np.cos(i * np.pi / 5)) for i in range(10)]
            draw.polygon(points, fill=colour)
        elif kind == "outline":  # a state's silhouette: an irregular blob
            points = [(cx + size * rng.uniform(0.6, 1.1) * np.cos(a), cy + size * rng.uniform(0.6, 1.1) * np.sin(a))
                      for a in np.linspace(0, 2 * np.pi, 9)[:-1]]
            draw.polygon(points, fill=colour)
        elif kind == "dot":
            draw.ellipse((cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2), fill=colour)
        else:
            draw.rectangle((cx - size / 4, cy - size, cx + size / 4, cy + size), fill=colour)

    return draw_it


def _ink_for(rgb: np.ndarray, rng: random.Random):
    """Dark ink on a light middle band, light ink on a dark one (Delaware, Indiana)."""
    band = rgb[PLATE_H // 3: 2 * PLATE_H // 3, PLATE_W // 6: 5 * PLATE_W // 6]
    if band.mean() < 110:
        return tuple(rng.randint(215, 255) for _ in range(3))
    return rng.choice(INK_COLOURS)


def _stacked(rng: random.Random, img: Image.Image, box: tuple[float, float, float, float], ink) -> None:
    """Two small characters stacked beside the serial (a county code, a disabled or dealer mark)."""
    x0, y0, x1, y1 = box
    size = max(8, int((y1 - y0) * rng.uniform(0.36, 0.46)))
    font = _font(rng.choice(_font_paths("char")), size)
    pairs = ["".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(2)), "DV", "DP", "CO", "TR", "DL"]
    chars = rng.choice(pairs)
    width = max(font.getbbox(c)[2] for c in chars)
    room = [x for x in (x0 - width - rng.uniform(3, 8), x1 + rng.uniform(1, 6)) if 2 <= x <= img.width - width - 2]
    if not room:
        return  # the serial fills the plate: no stacked mark fits beside it
    x = rng.choice(room)
    draw = ImageDraw.Draw(img)
    middle = (y0 + y1) / 2
    draw.text((x, middle - size * 1.05), chars[0], font=font, fill=ink)
    draw.text((x, middle + size * 0.05), chars[1], font=font, fill=ink)


def fade(rng: random.Random, rgb: np.ndarray, amount: float | None = None) -> np.ndarray:
    """Sun-bleached sheeting: colours washed towards a light grey, contrast mostly gone."""
    amount = rng.uniform(0.4, 0.75) if amount is None else amount
    grey = rgb.astype(np.float32).mean(axis=2, keepdims=True)
    washed = rgb.astype(np.float32) * (1 - amount * 0.5) + grey * amount * 0.5  # colour fades first
    washed = washed * (1 - amount) + rng.uniform(175, 225) * amount
    return np.clip(washed, 0, 255).astype(np.uint8)


def render_on_template(rng: random.Random, designs: dict[str, list[np.ndarray]], state: str | None = None,
                       text: str | None = None, emblem_odds: float = 0.5, stacked_odds: float = 0.25,
                       fade_odds: float = 0.2) -> RenderedPlate:
    """A serial of ``state`` (a random design's state when None) on one of its real designs."""
    state = state or rng.choice(sorted(designs))
    label, layout = random_text(rng, state) if text is None else ("".join(c for c in text if c.isalnum()), text)
    background = rng.choice(designs[state])
    img = Image.fromarray(background.copy())
    ink = _ink_for(background, rng)
    box = draw_serial(rng, img, layout, ink, ink, height=(0.36, 0.48), width=(0.7, 0.86), middle=(0.5, 0.6),
                      emblem=_emblem(rng, rng.choice(INK_COLOURS)), emblem_odds=emblem_odds)
    if rng.random() < stacked_odds:
        _stacked(rng, img, box, ink)
    out = np.asarray(img).copy()
    if rng.random() < fade_odds:
        out = fade(rng, out)
    return RenderedPlate(out, label, state, layout)


def render_motorcycle(rng: random.Random, designs: dict[str, list[np.ndarray]] | None = None, state: str | None = None,
                      rows: tuple[str, str] | None = None) -> RenderedPlate:
    """A two-row motorcycle plate, MOTORCYCLE_W x MOTORCYCLE_H: two or three characters over three
    or four (or ``rows``); the label is the top row, then the bottom row."""
    state = state or rng.choice(sorted(designs) if designs else sorted(STATE_FORMATS))
    if rows is None:
        top = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ" if rng.random() < 0.7 else "0123456789") for _ in range(rng.choice([2, 3])))
        bottom = "".join(rng.choice("0123456789" if rng.random() < 0.7 else "ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.choice([3, 4])))
        rows = (top, bottom)
    if designs and state in designs:
        base = cv2.resize(rng.choice(designs[state]), (MOTORCYCLE_W, MOTORCYCLE_H), interpolation=cv2.INTER_AREA)
    else:
        base = np.full((MOTORCYCLE_H, MOTORCYCLE_W, 3), rng.randint(200, 250), np.uint8)
    img = Image.fromarray(base.copy())
    ink = _ink_for(cv2.resize(base, (PLATE_W, PLATE_H)), rng)
    for row, middle in zip(rows, ((0.3, 0.34), (0.7, 0.74))):
        draw_serial(rng, img, row, ink, ink, height=(0.3, 0.34), width=(0.6, 0.8), middle=middle, emblem_odds=0.0)
    return RenderedPlate(np.asarray(img).copy(), rows[0] + rows[1], state, rows[0] + "/" + rows[1])


def at_final_size(rng: random.Random, rgb: np.ndarray, width: int, quality: tuple[int, int] = (10, 40)) -> np.ndarray:
    """The plate as a gate camera delivers it: shrunk to ``width`` pixels, JPEG-compressed there
    at a low quality with the chroma subsampled 4:2:0, then grey. Returned at that small size."""
    h, w = rgb.shape[:2]
    height = max(4, round(width * h / w))
    small = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
    params = [cv2.IMWRITE_JPEG_QUALITY, rng.randint(*quality), cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420]
    ok, buffer = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValueError("JPEG encoding failed")
    return cv2.cvtColor(cv2.imdecode(buffer, cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
