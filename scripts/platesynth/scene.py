"""Scenes for the detector: synthetic streets with vehicles, plates and text distractors,
and real scene photos with their annotated plates (optionally overlaid with rendered US plates)."""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .plate import SLOGANS, _font, _font_paths, degrade, render_plate, to_grey
from .templates import render_motorcycle, render_on_template

TEMPLATE_ODDS = 0.4  # with designs: a plate on a real state design
MOTORCYCLE_ODDS = 0.12  # with designs: a two-row motorcycle plate (7 x 4 inches: 7/12 of a car plate's width)

WORDS = [
    "STOP", "ONE WAY", "SPEED LIMIT 35", "NO PARKING", "EXIT 42", "DETOUR", "YIELD", "MAIN ST", "OAK AVE",
    "PIZZA", "OPEN 24 HOURS", "SALE 50% OFF", "HONK IF", "MY KID IS AN HONOR STUDENT", "COEXIST", "I LOVE NY",
    "BABY ON BOARD", "SCHOOL BUS", "TAXI", "POLICE", "DELIVERY", "FORD", "TOYOTA", "HONDA", "CHEVROLET",
    "EST 1985", "ROUTE 66", "US 101", "I-95 NORTH", "PARKING P2", "TOW AWAY ZONE", "BUS ONLY", "NO TURN ON RED",
    "CAUTION", "KEEP RIGHT", "CAR WASH", "GAS 3.99", "MOTEL", "DINER", "HARDWARE", "BANK",
] + SLOGANS


def _text_block(rng: random.Random, canvas: Image.Image, x: int, y: int, scale: float, lines: list[str] | None = None) -> None:
    """A sign, sticker or lettering: text that must not become a read."""
    draw = ImageDraw.Draw(canvas)
    given = lines is not None
    lines = lines or [rng.choice(WORDS) for _ in range(rng.choice([1, 1, 2, 3]))]
    if not given and rng.random() < 0.25:  # plate-like codes on signs and trucks (fleet numbers, phone numbers)
        lines = [rng.choice(["UNIT ", "NO ", "CALL ", "DOT ", ""]) + "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 7)))]
    size = max(8, int(rng.uniform(10, 40) * scale))
    font = _font(rng.choice(_font_paths("decor") + _font_paths("char")), size)
    widths = [draw.textlength(t, font=font) for t in lines]
    w, h = int(max(widths)) + 2 * size // 2, int(len(lines) * size * 1.25) + size // 2
    bg, fg = (rng.randint(150, 255), rng.randint(0, 100)) if rng.random() < 0.6 else (rng.randint(0, 100), rng.randint(150, 255))
    if rng.random() < 0.8:
        draw.rectangle((x, y, x + w, y + h), fill=bg)
    for i, t in enumerate(lines):
        draw.text((x + size // 2, y + size // 4 + i * size * 1.25), t, font=font, fill=fg)


def scene_plate(rng: random.Random, width: float, designs: dict | None = None) -> tuple[np.ndarray, float]:
    """A rendered colour plate for a scene and its width there: with ``designs`` (the state
    templates) sometimes one on a real state design or a two-row motorcycle plate (narrower)."""
    roll = rng.random() if designs else 1.0
    if roll < MOTORCYCLE_ODDS:
        return render_motorcycle(rng, designs).image, width * 7 / 12  # 7 of 12 inches
    if roll < MOTORCYCLE_ODDS + TEMPLATE_ODDS:
        return render_on_template(rng, designs).image, width
    return render_plate(rng).image, width


def _place_plate(rng: random.Random, canvas: np.ndarray, cx: float, cy: float, width: float, night: bool,
                 designs: dict | None = None) -> np.ndarray:
    """Warp a rendered grey plate into the canvas centred at (cx, cy); returns its 4 corners."""
    image, width = scene_plate(rng, width, designs)
    return warp_plate_into(rng, canvas, to_grey(rng, image, night=night), cx, cy, width)


def warp_plate_into(rng: random.Random, canvas: np.ndarray, plate: np.ndarray, cx: float, cy: float, width: float) -> np.ndarray:
    """Warp a grey plate image (rendered or a real crop) into the canvas centred at (cx, cy)
    with a random mild perspective, keeping the plate's own aspect; returns its 4 corners."""
    ph, pw = plate.shape
    height = width * (ph / pw) * rng.uniform(0.9, 1.1)
    yaw = rng.uniform(-0.25, 0.25) * width  # perspective: one side taller than the other
    tilt = rng.gauss(0, 0.05) * width
    dst = np.array([
        [cx - width / 2, cy - height / 2 + tilt - yaw * 0.1],
        [cx + width / 2, cy - height / 2 - tilt + yaw * 0.1],
        [cx + width / 2, cy + height / 2 - tilt - yaw * 0.1],
        [cx - width / 2, cy + height / 2 + tilt + yaw * 0.1],
    ], np.float32)
    dst += np.array([[rng.gauss(0, width * 0.02), rng.gauss(0, width * 0.02)] for _ in range(4)], np.float32)
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    h, w = canvas.shape
    warped = cv2.warpPerspective(plate, matrix, (w, h), flags=cv2.INTER_AREA if width < pw else cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (w, h))
    alpha = cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32) / 255
    canvas[:] = (canvas * (1 - alpha) + warped * alpha).astype(np.uint8)
    return dst


def synthetic_scene(rng: random.Random, width: int = 960, height: int = 540,
                    designs: dict | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """(grey scene, list of 4x2 plate corner arrays); 0 to 4 vehicles, text distractors;
    with ``designs``, plates on real state designs and two-row plates too."""
    night = rng.random() < 0.3
    base = rng.randint(10, 60) if night else rng.randint(60, 200)
    yy = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    img = np.clip(base + (yy - 0.5) * rng.uniform(-80, 80) + np.zeros((height, width), np.float32), 0, 255).astype(np.uint8)
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    for _ in range(rng.randint(3, 15)):  # buildings, poles, road markings
        x0, y0 = rng.randint(-100, width), rng.randint(-100, height)
        draw.rectangle((x0, y0, x0 + rng.randint(10, 400), y0 + rng.randint(5, 300)), fill=rng.randint(0, 255) // (3 if night else 1))
    for _ in range(rng.randint(0, 6)):
        draw.line((rng.randint(0, width), rng.randint(0, height), rng.randint(0, width), rng.randint(0, height)), fill=rng.randint(0, 255), width=rng.randint(1, 8))
    vehicles = []
    for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3, 4])):
        vw = rng.uniform(0.15, 0.7) * width
        vx, vy = rng.uniform(-0.1 * width, width - vw * 0.8), rng.uniform(0.2 * height, 0.9 * height)
        vh = vw * rng.uniform(0.5, 0.9)
        body = rng.randint(20, 230) // (2 if night else 1)
        draw.rounded_rectangle((vx, vy - vh * 0.6, vx + vw, vy + vh * 0.4), radius=int(vw * 0.08), fill=body)
        draw.rectangle((vx + vw * 0.1, vy - vh * 0.55, vx + vw * 0.9, vy - vh * 0.2), fill=rng.randint(0, 80))  # window
        draw.rectangle((vx, vy + vh * 0.15, vx + vw, vy + vh * 0.3), fill=rng.randint(0, 120))  # bumper
        for lx in (vx + vw * 0.05, vx + vw * 0.8):  # lamps
            draw.ellipse((lx, vy - vh * 0.1, lx + vw * 0.15, vy + vh * 0.05), fill=255 if night else rng.randint(100, 255))
        vehicles.append((vx, vy, vw, vh))
    for _ in range(rng.randint(0, 5)):
        _text_block(rng, pil, rng.randint(0, width - 40), rng.randint(0, height - 20), rng.uniform(0.5, 2.0))
    for vx, vy, vw, vh in vehicles:  # bumper stickers near the plate
        if rng.random() < 0.4:
            _text_block(rng, pil, int(vx + vw * rng.uniform(0.55, 0.8)), int(vy + vh * rng.uniform(-0.1, 0.1)), vw / 600)
    canvas = np.asarray(pil).copy()
    quads = []
    for vx, vy, vw, vh in vehicles:
        pw = vw * rng.uniform(0.2, 0.3)
        if pw < 14:
            continue
        quads.append(_place_plate(rng, canvas, vx + vw * rng.uniform(0.4, 0.6), vy + vh * 0.05, pw, night, designs))
    if night:
        canvas = np.clip(canvas.astype(np.float32) * rng.uniform(0.7, 1.1), 0, 255).astype(np.uint8)
    return degrade(rng, canvas, strength=0.6), quads


def load_scene_annotations(folder: Path) -> list[tuple[Path, list[tuple[int, int, int, int]]]]:
    """(image path, plate boxes) for each NAME.txt (NAME.jpg<TAB>x<TAB>y<TAB>w<TAB>h<TAB>TEXT) in a folder."""
    out = []
    for txt in sorted(Path(folder).glob("*.txt")):
        boxes, image = [], None
        for line_no, line in enumerate(txt.read_text().splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) < 5:
                raise ValueError(f"{txt}:{line_no}: expected NAME<TAB>x<TAB>y<TAB>w<TAB>h<TAB>TEXT")
            image = txt.parent / parts[0]
            boxes.append(tuple(int(float(v)) for v in parts[1:5]))
        if image is not None and image.is_file():
            out.append((image, boxes))
    return out


def split_scenes(items: list, seed: int = 20261122, validation_fraction: float = 0.2) -> tuple[list, list]:
    """Fixed-seed split by file name."""
    order = sorted(items, key=lambda item: str(item[0]))
    random.Random(seed).shuffle(order)
    n_val = int(round(len(order) * validation_fraction))
    return order[n_val:], order[:n_val]


def box_corners(box) -> np.ndarray:
    x, y, w, h = box
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)


def us_plate_width(box) -> float:
    """Width of a US plate (305 x 152 mm) standing where an annotated EU (520 x 110 mm) or
    BR (400 x 130 mm) plate is: the same distance, so the same pixels per millimetre."""
    x, y, w, h = box
    mm_wide = 520.0 if w / max(h, 1) > 3.6 else 400.0
    return w * 305.0 / mm_wide


def real_scene(rng: random.Random, grey: np.ndarray, boxes, overlay: float = 0.5,
               real_crops: list[np.ndarray] | None = None, designs: dict | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """A real photo; each annotated plate is kept or covered by a US plate matched in size and light:
    one of ``real_crops`` (real US plate photos) half of the time when given, else a rendered one."""
    canvas = grey.copy()
    quads = []
    for box in boxes:
        x, y, w, h = box
        if rng.random() >= overlay or w < 12:
            quads.append(box_corners(box))
            continue
        plate = rng.choice(real_crops) if real_crops and rng.random() < 0.5 else None
        width = us_plate_width(box) * rng.uniform(0.9, 1.15)
        if plate is None and designs:
            image, width = scene_plate(rng, width, designs)
            plate = to_grey(rng, image, night=False)
        canvas, corners = overlay_plate(rng, canvas, box, plate, width=width)
        quads.append(corners)
    return canvas, quads


def overlay_plate(rng: random.Random, grey: np.ndarray, box, plate: np.ndarray | None, width: float,
                  blur: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cover the annotated plate ``box`` with the surrounding bumper tone and warp ``plate``
    (a grey US plate image; None: render one) over it, matched in brightness; returns
    (new image, the new plate's 4 corners)."""
    x, y, w, h = box
    canvas = grey.copy()
    ring = canvas[max(0, y - h): y + 2 * h, max(0, x - w // 4): x + w + w // 4]
    tone = int(np.median(ring)) if ring.size else 100
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 6, (h, w))
    region = canvas[y:y + h, x:x + w]
    region[:] = np.clip(tone + noise[: region.shape[0], : region.shape[1]], 0, 255).astype(np.uint8)
    if plate is None:
        plate = to_grey(rng, render_plate(rng).image, night=False)
    tmp = canvas.copy()
    corners = warp_plate_into(rng, tmp, plate, x + w / 2, y + h / 2, width)
    # Match local brightness: scale the plate region towards the photo's statistics.
    local = grey[y:y + h, x:x + w]
    if local.size:
        inside = np.zeros(canvas.shape, np.uint8)
        cv2.fillConvexPoly(inside, corners.astype(np.int32), 1)
        ratio = (float(local.mean()) + 20) / (float(tmp[inside > 0].mean()) + 20 if inside.any() else 1.0)
        tmp = np.where(inside > 0, np.clip(tmp * (0.5 + 0.5 * ratio), 0, 255), tmp).astype(np.uint8)
    if blur is None and rng.random() < 0.5:
        blur = rng.uniform(0.5, 1.2)
    if blur:
        x0, y0 = int(max(0, corners[:, 0].min() - 8)), int(max(0, corners[:, 1].min() - 8))
        x1, y1 = int(corners[:, 0].max() + 8), int(corners[:, 1].max() + 8)
        patch = tmp[y0:y1, x0:x1]
        if patch.size:
            tmp[y0:y1, x0:x1] = cv2.GaussianBlur(patch, (0, 0), blur)
    return tmp, corners


def us_composites(scene_items, crop_items, seed: int = 7):
    """Stand-ins for real US vehicle photos, which we do not have: each real US plate crop
    (image, text, state, file) is warped over the first annotated plate of a real EU/BR photo
    (path, boxes), at the size a US plate would have there. Yields
    (grey photo, 4x2 corners of the US plate, text, state, name); deterministic for a seed."""
    rng = random.Random(seed)
    for i, (crop, text, state, name) in enumerate(crop_items):
        path, boxes = scene_items[i % len(scene_items)]
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if grey is None:
            raise ValueError(f"{path}: unreadable image")
        photo, corners = overlay_plate(rng, grey, boxes[0], crop, width=us_plate_width(boxes[0]) * rng.uniform(0.9, 1.15))
        yield photo, corners, text, state, f"{Path(path).name}+{name}"
