"""Render US-style licence plates (colour, 2:1) with their text, state and corners.

A plate is drawn flat at a fixed base size with Pillow (fonts from the Debian
font packages, see FONT_LICENCES), then degraded and warped by the callers.
"""

from __future__ import annotations

import glob
import os
import random
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from alpr_edge.vision.formats import STATE_FORMATS, STATE_NAMES, STATES

PLATE_W, PLATE_H = 320, 160

# Character fonts: condensed sans faces are closest to US plate dies.
CHAR_FONT_GLOBS = [
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf",
    "/usr/share/fonts/truetype/open-sans/OpenSans-CondBold.ttf",
    "/usr/share/fonts/truetype/open-sans/OpenSans-Semibold.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Regular.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Medium.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansDisplay-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Regular.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Bold.otf",
]
# Decoration fonts (state names, slogans): serif, script-like italics, sans.
DECOR_FONT_GLOBS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-BoldItalic.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-BoldItalic.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerifBoldItalic.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
    "/usr/share/fonts/opentype/urw-base35/URWBookman-DemiItalic.otf",
    "/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf",
    "/usr/share/fonts/opentype/urw-base35/C059-BdIta.otf",
    "/usr/share/fonts/opentype/urw-base35/P052-Bold.otf",
    "/usr/share/fonts/truetype/open-sans/OpenSans-Bold.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Regular.ttf",
]
FONT_LICENCES = {
    "dejavu": "Bitstream Vera / DejaVu licence (permissive)",
    "liberation": "SIL Open Font License 1.1",
    "freefont": "GPL-3.0 with font exception",
    "open-sans": "Apache-2.0",
    "roboto": "Apache-2.0",
    "noto": "SIL Open Font License 1.1",
    "urw-base35": "AGPL-3.0 with font exception",
}

SLOGANS = [
    "Famous Potatoes", "Land of Lincoln", "Garden State", "Empire State", "Sunshine State",
    "The Natural State", "Live Free or Die", "Great Faces. Great Places.", "Evergreen State",
    "Vacationland", "First in Flight", "10,000 lakes", "Lone Star State", "Grand Canyon State",
    "Taxation Without Representation", "Aloha State", "Peach State", "America's Dairyland",
    "Life Elevated", "The Treasure State", "Wild, Wonderful", "Pure Michigan", "Sportsman's Paradise",
    "Green Mountain State", "The Ocean State", "Spirit of America", "Colorful Colorado", "DEALER",
    "www.dmv.gov", "Land of Enchantment", "Explore", "Show Me State", "Heart of Dixie",
]

INK_COLOURS = [(20, 30, 110), (15, 15, 15), (150, 20, 25), (20, 80, 40), (90, 20, 30), (30, 60, 140), (60, 60, 60)]


@lru_cache(maxsize=None)
def _font_paths(kind: str) -> tuple[str, ...]:
    paths = CHAR_FONT_GLOBS if kind == "char" else DECOR_FONT_GLOBS
    found = tuple(p for pattern in paths for p in glob.glob(pattern))
    if not found:
        raise FileNotFoundError(f"no {kind} fonts found under /usr/share/fonts (install fonts-dejavu, fonts-liberation)")
    return found


@lru_cache(maxsize=512)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@dataclass
class RenderedPlate:
    image: np.ndarray  # HxWx3 uint8 RGB, PLATE_H x PLATE_W
    text: str  # label, A-Z0-9 only
    state: str  # two-letter code
    layout: str  # the pattern with separators, as drawn


def random_text(rng: random.Random, state: str) -> tuple[str, str]:
    """(label, layout) for a state: a standard format mostly, sometimes vanity or random."""
    roll = rng.random()
    if roll < 0.75:
        layout = rng.choice(STATE_FORMATS[state])
        out = []
        for c in layout:
            if c == "L":
                # Most states skip I and O in serials (they read as 1 and 0) but many issue Q
                # (OR, MI, MS, RI, ...): leaving Q as rare as I and O taught the OCR to read it as 0.
                out.append(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ" if rng.random() < 0.8 else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            elif c == "9":
                out.append(rng.choice("0123456789"))
            elif c == "?":
                out.append(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            else:
                out.append(c)
        shown = "".join(out)
    else:
        n = rng.choice([3, 4, 5, 6, 6, 7, 7, 7, 8, 8])
        if roll < 0.87:  # vanity: mostly letters
            chars = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ" if rng.random() < 0.8 else "0123456789") for _ in range(n))
        else:
            chars = "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))
        cut = rng.randint(0, n) if rng.random() < 0.4 else n
        shown = chars[:cut] + (" " if 0 < cut < n else "") + chars[cut:]
    label = "".join(c for c in shown if c.isalnum())
    return label, shown


def _background(rng: random.Random, w: int, h: int) -> tuple[Image.Image, bool]:
    """Plate background; returns (image, dark) where dark means light characters suit it."""
    dark = rng.random() < 0.08
    if dark:
        base = tuple(rng.randint(10, 90) for _ in range(3))
    else:
        base = tuple(rng.randint(200, 255) for _ in range(3))
        if rng.random() < 0.3:  # tinted designs (yellow, blue sky, peach)
            tint = rng.choice([(255, 230, 120), (190, 215, 245), (250, 210, 180), (210, 240, 210)])
            base = tuple(int(0.5 * a + 0.5 * b) for a, b in zip(base, tint))
    img = np.zeros((h, w, 3), np.float32) + np.array(base, np.float32)
    if rng.random() < 0.6:  # vertical gradient like many graphic plates
        top = np.array([rng.randint(120, 255) for _ in range(3)], np.float32)
        ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None] ** rng.uniform(0.5, 3)
        img = img * ramp + top * (1 - ramp) * rng.uniform(0.2, 0.8) + img * (1 - ramp) * (1 - rng.uniform(0.2, 0.8))
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    for _ in range(rng.randint(0, 4)):  # faint scenery shapes (mountains, sun, waves)
        colour = tuple(int(c * rng.uniform(0.6, 1.0)) for c in base)
        if rng.random() < 0.5:
            x = rng.randint(0, w)
            pts = [(x - rng.randint(30, 120), h), (x, rng.randint(h // 3, h)), (x + rng.randint(30, 120), h)]
            draw.polygon(pts, fill=colour)
        else:
            r = rng.randint(10, 60)
            cx, cy = rng.randint(0, w), rng.randint(0, h)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    return pil, dark


def draw_serial(rng: random.Random, img: Image.Image, layout: str, ink, accent, height: tuple[float, float] = (0.38, 0.55),
                width: tuple[float, float] = (0.78, 0.94), middle: tuple[float, float] = (0.5, 0.56),
                emblem=None, emblem_odds: float = 0.2) -> tuple[float, float, float, float]:
    """Draw the serial ``layout`` (characters, and spaces or dashes where the plate shows a gap)
    across ``img``: characters ``height`` of the plate tall, the whole at most ``width`` of it
    wide, centred ``middle`` of the way down. A gap holds a small emblem ``emblem_odds`` of the
    time (``emblem(draw, cx, cy, size)``; default a dot). Returns the serial's box (x0, y0, x1, y1)."""
    w, h = img.size
    draw = ImageDraw.Draw(img)
    # Characters, individually placed so we control condensation and spacing.
    char_font_path = rng.choice(_font_paths("char"))
    char_h = int(h * rng.uniform(*height))
    font = _font(char_font_path, char_h)
    squeeze = rng.uniform(0.55, 0.95)
    glyphs = []
    for c in layout:
        if c == " ":
            glyphs.append(("gap", None))
        elif c == "-":
            glyphs.append(("dash", None))
        else:
            box = font.getbbox(c)
            gw, gh = box[2] - box[0], box[3] - box[1]
            glyph = Image.new("L", (gw + 4, gh + 4), 0)
            pen = ImageDraw.Draw(glyph)
            pen.text((2 - box[0], 2 - box[1]), c, font=font, fill=255)
            if c == "Q" and rng.random() < 0.7:
                # Plate typefaces give Q a bold tail across the bowl; most of our fonts' tails
                # are hairlines that vanish at camera resolution, so the OCR learned Q = 0.
                pen.line((2 + gw * rng.uniform(0.45, 0.6), 2 + gh * rng.uniform(0.6, 0.72),
                          2 + gw * rng.uniform(0.85, 1.0), 2 + gh * rng.uniform(0.95, 1.02)),
                         fill=255, width=max(2, int(gh * rng.uniform(0.09, 0.14))))
            glyph = glyph.resize((max(1, int((gw + 4) * squeeze)), int((gh + 4) * char_h / max(gh, 1) * 0.95)))
            glyphs.append(("char", glyph))
    spacing = rng.uniform(1, 8)
    gap_w = rng.uniform(8, 24)
    widths = [g.width if kind == "char" else gap_w for kind, g in glyphs]
    total = sum(widths) + spacing * (len(glyphs) - 1)
    max_w = w * rng.uniform(*width)
    scale = min(1.0, max_w / max(total, 1))
    x = x0 = (w - total * scale) / 2
    y_mid = h * rng.uniform(*middle)
    shadow = rng.random() < 0.5  # embossed characters cast a shadow
    for (kind, glyph), gw in zip(glyphs, widths):
        if kind == "char":
            if scale < 1:
                glyph = glyph.resize((max(1, int(glyph.width * scale)), glyph.height))
            top = int(y_mid - glyph.height / 2)
            if shadow:
                img.paste((40, 40, 40), (int(x) + 2, top + 2), glyph.point(lambda v: v // 3))
            img.paste(ink, (int(x), top), glyph)
        elif kind == "dash":
            dy = int(y_mid)
            draw.rectangle((int(x + gw * 0.25 * scale), dy - 3, int(x + gw * 0.75 * scale), dy + 3), fill=ink)
        elif rng.random() < emblem_odds:  # a small emblem in the gap
            cx, cy = int(x + gw * scale / 2), int(y_mid)
            if emblem is None:
                draw.ellipse((cx - 5, cy - 5, cx + 5, cy + 5), fill=accent)
            else:
                emblem(draw, cx, cy, max(5, int(min(gw * scale, char_h) / 2)))
        x += (gw + spacing) * scale

    return x0, y_mid - char_h / 2, x, y_mid + char_h / 2


def render_plate(rng: random.Random, state: str | None = None, text: str | None = None) -> RenderedPlate:
    """One flat plate image at PLATE_W x PLATE_H."""
    state = state or rng.choice(STATES)
    if text is None:
        label, layout = random_text(rng, state)
    else:
        label, layout = text, text
    w, h = PLATE_W, PLATE_H
    img, dark = _background(rng, w, h)
    draw = ImageDraw.Draw(img)
    ink = tuple(rng.randint(225, 255) for _ in range(3)) if dark else rng.choice(INK_COLOURS)
    accent = rng.choice(INK_COLOURS) if not dark else (240, 240, 240)

    # Coloured bands top/bottom, border.
    if rng.random() < 0.3:
        band = rng.choice(INK_COLOURS)
        draw.rectangle((0, 0, w, rng.randint(18, 36)), fill=band)
    if rng.random() < 0.25:
        draw.rectangle((0, h - rng.randint(16, 30), w, h), fill=rng.choice(INK_COLOURS))
    if rng.random() < 0.5:
        t = rng.randint(2, 6)
        draw.rounded_rectangle((t, t, w - t, h - t), radius=10, outline=accent, width=rng.randint(1, 4))

    # State name on top, slogan at bottom.
    decor = _font_paths("decor")
    name = STATE_NAMES[state]
    name = name.upper() if rng.random() < 0.5 else name
    font = _font(rng.choice(decor), rng.randint(18, 32))
    tw = draw.textlength(name, font=font)
    if rng.random() < 0.92:
        draw.text(((w - tw) / 2 + rng.randint(-20, 20), rng.randint(2, 10)), name, font=font, fill=accent if rng.random() < 0.7 else ink)
    if rng.random() < 0.7:
        slogan = rng.choice(SLOGANS)
        font = _font(rng.choice(decor), rng.randint(11, 18))
        tw = draw.textlength(slogan, font=font)
        draw.text(((w - tw) / 2, h - rng.randint(20, 28)), slogan, font=font, fill=accent if rng.random() < 0.6 else ink)

    # Registration stickers in corners.
    for corner in range(4):
        if rng.random() < 0.3:
            sw, sh = rng.randint(18, 40), rng.randint(14, 26)
            x = rng.randint(6, 20) if corner % 2 == 0 else w - sw - rng.randint(6, 20)
            y = rng.randint(4, 16) if corner < 2 else h - sh - rng.randint(4, 16)
            colour = tuple(rng.randint(0, 255) for _ in range(3))
            draw.rectangle((x, y, x + sw, y + sh), fill=colour)
            draw.text((x + 2, y + 1), str(rng.randint(1, 31)), font=_font(decor[0], sh - 6), fill=(255 - colour[0],) * 3)

    draw_serial(rng, img, layout, ink, accent)

    # Bolt holes.
    if rng.random() < 0.6:
        for bx in (rng.randint(40, 70), w - rng.randint(40, 70)):
            for by in (rng.randint(10, 22), h - rng.randint(10, 22)):
                if rng.random() < 0.7:
                    draw.ellipse((bx - 5, by - 4, bx + 5, by + 4), fill=(110, 110, 110))
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(0.6))
    out = np.asarray(img).copy()
    # Dirt and glare.
    if rng.random() < 0.3:
        dirt = cv2.GaussianBlur(np.random.default_rng(rng.randrange(1 << 30)).random((h // 8, w // 8)).astype(np.float32), (0, 0), 1)
        dirt = cv2.resize(dirt, (w, h))[..., None]
        out = np.clip(out * (1 - 0.35 * dirt * rng.random()), 0, 255).astype(np.uint8)
    if rng.random() < 0.2:
        gx, gy = rng.randint(0, w), rng.randint(0, h)
        yy, xx = np.mgrid[0:h, 0:w]
        glare = np.exp(-(((xx - gx) / rng.uniform(20, 90)) ** 2 + ((yy - gy) / rng.uniform(10, 50)) ** 2))
        out = np.clip(out + glare[..., None] * rng.uniform(60, 200), 0, 255).astype(np.uint8)
    return RenderedPlate(out, label, state, layout)


def to_grey(rng: random.Random, rgb: np.ndarray, night: bool | None = None) -> np.ndarray:
    """Grey as a sensor sees it: random channel mix by day; retroreflective IR look at night."""
    if night is None:
        night = rng.random() < 0.3
    f = rgb.astype(np.float32)
    if night:
        # IR: the reflective sheeting glows, painted ink stays dark whatever its colour.
        lum = f.mean(axis=2)
        ink = lum < np.percentile(lum, rng.uniform(15, 35))
        grey = np.where(ink, rng.uniform(10, 70), rng.uniform(170, 255)).astype(np.float32)
        grey = cv2.GaussianBlur(grey, (0, 0), 0.8) + (lum - lum.mean()) * rng.uniform(0, 0.2)
    else:
        wts = np.array([rng.uniform(0.1, 0.5), rng.uniform(0.3, 0.7), rng.uniform(0.05, 0.4)], np.float32)
        grey = f @ (wts / wts.sum())
    return np.clip(grey, 0, 255).astype(np.uint8)


def jpeg_grey(grey: np.ndarray, quality: int) -> np.ndarray:
    """A grey image through JPEG at ``quality`` and back."""
    return cv2.imdecode(cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_GRAYSCALE)


def shrunk_and_compressed(grey: np.ndarray, width: int, quality: int) -> np.ndarray:
    """A plate as a gate camera sends a far one: shrunk to ``width`` pixels (never enlarged), then
    JPEG at ``quality`` at that size, so the blocks are the plate's own size."""
    h, w = grey.shape
    if w > width:
        grey = cv2.resize(grey, (width, max(8, round(h * width / w))), interpolation=cv2.INTER_AREA)
    return jpeg_grey(grey, quality)


def degrade(rng: random.Random, grey: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Camera degradations on a grey image: exposure, low resolution, blur, noise, JPEG."""
    h, w = grey.shape
    img = grey.astype(np.float32)
    if rng.random() < 0.8:
        gain, bias = rng.uniform(0.5, 1.3), rng.uniform(-40, 40) * strength
        img = img * gain + bias
        gamma = rng.uniform(0.6, 1.6)
        img = 255 * (np.clip(img, 0, 255) / 255) ** gamma
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.6 * strength:
        f = rng.uniform(0.25, 0.9)
        small = cv2.resize(img, (max(8, int(w * f)), max(4, int(h * f))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (w, h), interpolation=rng.choice([cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_NEAREST]))
    roll = rng.random()
    if roll < 0.3 * strength:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.5))
    elif roll < 0.5 * strength:
        k = rng.randint(3, 7)
        kernel = np.zeros((k, k), np.float32)
        if rng.random() < 0.7:
            kernel[k // 2, :] = 1
        else:
            np.fill_diagonal(kernel, 1)
        img = cv2.filter2D(img, -1, kernel / kernel.sum())
    if rng.random() < 0.6:
        noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(2, 14) * strength, img.shape)
        img = np.clip(img + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(15, 90)])
        img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return img


def random_seed_everything(seed: int) -> random.Random:
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    np.random.seed(seed)
    return random.Random(seed)
