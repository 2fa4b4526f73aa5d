"""The shipped TFLite models at run time: plate detector, OCR, and the recognizer that chains them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from alpr_edge import SHIPPED_MODELS_DIR
from alpr_edge.logs import log
from alpr_edge.vision.contrast import normalise_contrast, wants_normalised
from alpr_edge.vision.ctc import beam_search, char_confidences
from alpr_edge.vision.formats import STATE_CLASSES, fits_common_format, fits_format, plausible_plate_text
from alpr_edge.vision.rows import read_two_rows
from alpr_edge.vision.geometry import (CLOSE_UP_WIDTH, DET_H, DET_STRIDE, DET_W, REFINE_H, REFINE_W, box_iou, corners_box,
                                      from_window, letterbox, order_corners, quad_sides, rectify, refine_window, scaled_quad,
                                      zoom_tiles)
from alpr_edge.vision.types import Candidate, PlateObservation

logger = logging.getLogger(__name__)

DETECTOR_FILE = "plate_detector_int8.tflite"
OCR_FILE = "plate_ocr_int8.tflite"
CORNERS_FILE = "plate_corners_int8.tflite"  # optional: without it the detector's corners are read as found
OFFSET_UNIT_CELLS = 4  # corner offsets are regressed in units of 4 heatmap cells (16 input pixels)
# The shipped models are package data (alpr_edge/models, a link to the checkout's models/ that a
# built wheel turns into files), so an installed device needs no checkout; recognition.models_dir
# in the config overrides them (provision points it at the installed copy).
DEFAULT_MODELS_DIR = SHIPPED_MODELS_DIR


def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError as error:
            raise ImportError("no TFLite interpreter: install ai-edge-litert (or tflite-runtime on boards without it)") from error
    return Interpreter


class _TfliteModel:
    """One interpreter with int8 quantise-in / dequantise-out helpers."""

    def __init__(self, path: Path, threads: int = 1):
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"model file missing: {path}")
        self.path = path
        self.interpreter = _interpreter_class()(model_path=str(path), num_threads=threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.outputs = self.interpreter.get_output_details()
        self._quantised = self.input["dtype"] == np.int8
        # Every 8-bit pixel value quantised once: a table look-up per frame instead of four float passes.
        self._byte_table = self._quantise(np.arange(256, dtype=np.uint8)) if self._quantised else None

    def _quantise(self, image: np.ndarray) -> np.ndarray:
        scale, zero = self.input["quantization"]
        return np.clip(np.round(image.astype(np.float32) / scale + zero), -128, 127).astype(np.int8)

    def run(self, image: np.ndarray) -> list[np.ndarray]:
        table = self._byte_table
        if table is not None and image.dtype == np.uint8:
            data = table[image]
        elif self._quantised:
            data = self._quantise(image)
        else:
            data = image.astype(self.input["dtype"])
        self.interpreter.set_tensor(self.input["index"], data.reshape(self.input["shape"]))
        self.interpreter.invoke()
        results = []
        for detail in self.outputs:
            raw = self.interpreter.get_tensor(detail["index"])
            o_scale, o_zero = detail["quantization"]
            results.append((raw.astype(np.float32) - o_zero) * o_scale if o_scale else raw.astype(np.float32))
        return results


class OcrModel:
    """Reads a rectified OCR_H x OCR_W grey crop: text candidates and state of issue."""

    def __init__(self, path: Path, threads: int = 1):
        self.model = _TfliteModel(path, threads)
        # The model's own input size: a crop of another size (an older, narrower model's) is resized.
        self.input_size = tuple(int(v) for v in self.model.input["shape"][1:3])
        # A model trained on contrast-normalised crops says so by its input's name (vision/contrast.py).
        self.normalises_contrast = wants_normalised(self.model.input["name"])

    def probabilities(self, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if crop.shape != self.input_size:
            height, width = self.input_size
            crop = cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)
        if self.normalises_contrast:
            crop = normalise_contrast(crop)
        outs = self.model.run(crop)
        chars = next(o for o in outs if o.ndim == 3)[0]
        state = next(o for o in outs if o.ndim == 2)[0]
        return chars, state

    def read(self, crop: np.ndarray, top_k: int = 10) -> tuple[list[Candidate], tuple[float, ...], str | None, float]:
        """(candidates best first, per-char confidences of the best, likeliest state or None
        for the head's "unknown" class, that state's probability). Whether the state is sure
        enough to report is the recognizer's call (``STATE_MIN_CONFIDENCE``), after its vote."""
        chars, state_probs = self.probabilities(crop)
        chars = chars / np.maximum(chars.sum(axis=1, keepdims=True), 1e-6)  # int8 rounding breaks the sum
        ranked = beam_search(chars, top_k=top_k)
        candidates = [Candidate(text, round(p, 4)) for text, p in ranked if text]
        best = candidates[0].text if candidates else ""
        k = int(state_probs.argmax())
        state = STATE_CLASSES[k]
        return candidates, char_confidences(chars, best), None if state == "unknown" else state, float(state_probs[k])


@dataclass(frozen=True)
class Detection:
    corners: np.ndarray  # 4x2 float, frame pixels, clockwise from top-left
    score: float


class DetectorModel:
    """Finds plate quads: a centre heatmap plus the four corner offsets at each cell."""

    def __init__(self, path: Path, threads: int = 1, threshold: float = 0.4, max_plates: int = 8):
        self.model = _TfliteModel(path, threads)
        self.threshold = threshold
        self.max_plates = max_plates

    def detect(self, grey: np.ndarray, zoom: bool = False) -> list[Detection]:
        """Plates in the whole frame; with ``zoom`` also in overlapping tiles seen closer (for
        stills, where a small plate gets no second chance) and, when a plate fills much of the
        still, in the frame seen from further away; merged best score first."""
        found = self._detect_in(grey)
        if not zoom:
            return found
        height, width = grey.shape[:2]
        for x, y, w, h in zoom_tiles(height, width):
            for detection in self._detect_in(grey[y:y + h, x:x + w]):
                if _cut_by_tile_edge(detection.corners, x, y, w, h, width, height):
                    continue  # the part of a plate that a tile's edge cuts: another tile or the frame has it whole
                found.append(Detection(detection.corners + np.float32([x, y]), detection.score))
        # Only a detection that may be a plate (not a bumper, a sign or the vehicle) calls for it.
        if any(np.ptp(d.corners[:, 0]) > CLOSE_UP_WIDTH * width and plausible_plate(d, width) for d in found):
            found += self._detect_zoomed_out(grey)
        return _best_apart(sorted(found, key=lambda d: d.score, reverse=True), self.max_plates)

    def _detect_zoomed_out(self, grey: np.ndarray) -> list[Detection]:
        """The frame shrunk to half inside a plain border, for close-ups (``CLOSE_UP_WIDTH``);
        cut straight at the detector's input size, so the frame is resampled once."""
        height, width = grey.shape[:2]
        scale = min(DET_W / (2 * width), DET_H / (2 * height))
        small = cv2.resize(grey, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
        canvas_w, canvas_h = round(2 * width * scale), round(2 * height * scale)
        left, top = (canvas_w - small.shape[1]) // 2, (canvas_h - small.shape[0]) // 2
        framed = cv2.copyMakeBorder(small, top, canvas_h - top - small.shape[0], left, canvas_w - left - small.shape[1],
                                    cv2.BORDER_CONSTANT, value=int(np.median(small)))
        to_frame = np.float32([width / small.shape[1], height / small.shape[0]])
        return [Detection((d.corners - np.float32([left, top])) * to_frame, d.score) for d in self._detect_in(framed)]

    def _detect_in(self, grey: np.ndarray) -> list[Detection]:
        canvas, scale = letterbox(grey)
        outs = self.model.run(canvas)
        heat = next(o for o in outs if o.shape[-1] == 1)[0, ..., 0]
        offsets = next(o for o in outs if o.shape[-1] == 8)[0]
        return decode_detections(heat, offsets, scale, self.threshold, self.max_plates)


def _cut_by_tile_edge(corners: np.ndarray, x: int, y: int, w: int, h: int, width: int, height: int, margin: int = 3) -> bool:
    """Whether a quad found in tile (x, y, w, h) touches one of the tile's edges inside the frame."""
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    return bool((x > 0 and x0 < margin) or (y > 0 and y0 < margin)
                or (x + w < width and x1 > w - margin) or (y + h < height and y1 > h - margin))


class CornerRefiner:
    """Finds a detected plate's four corners again, on the full-resolution frame.

    The detector sees the frame shrunk to 384x224, where a plate is a few dozen pixels wide,
    so its corners are often a few percent loose or off-centre; the OCR reads far better from
    exact corners (measured in models/plate_corners.md). This small model looks through a window
    around the detected quad (REFINE_GROW times its size) at full resolution and regresses the
    corners in that window's unit square."""

    def __init__(self, path: Path, threads: int = 1, passes: int = 1):
        self.model = _TfliteModel(path, threads)
        self.passes = passes

    def refine(self, grey: np.ndarray, corners: np.ndarray) -> np.ndarray:
        corners = np.asarray(corners, np.float32).reshape(4, 2)
        for _ in range(self.passes):
            window = refine_window(corners)
            patch = rectify(grey, window, (REFINE_H, REFINE_W))
            unit = self.model.run(patch)[0].reshape(4, 2)
            refined = order_corners(from_window(window, unit))
            if not _similar_size(refined, corners):  # a window with no plate in it: keep the detector's quad
                break
            corners = refined
        return corners


def _similar_size(quad: np.ndarray, reference: np.ndarray) -> bool:
    area, ref_area = abs(cv2.contourArea(quad)), abs(cv2.contourArea(reference))
    return ref_area > 0 and 0.25 <= area / ref_area <= 2.5


def decode_detections(heat: np.ndarray, offsets: np.ndarray, scale: float, threshold: float, max_plates: int = 8) -> list[Detection]:
    """Heatmap peaks -> plate quads in frame pixels (offsets are in units of 4 cells from the cell centre)."""
    peaks = (heat >= threshold) & (heat == cv2.dilate(heat, np.ones((3, 3), np.uint8)))
    ys, xs = np.nonzero(peaks)
    order = np.argsort(-heat[ys, xs])[: max_plates * 3]
    found: list[Detection] = []
    for y, x in zip(ys[order], xs[order]):
        cx, cy = (x + 0.5) * DET_STRIDE, (y + 0.5) * DET_STRIDE
        pts = np.array([[cx, cy]] * 4, np.float32) + offsets[y, x].reshape(4, 2) * DET_STRIDE * OFFSET_UNIT_CELLS
        corners = order_corners(pts / scale)
        box = corners_box(corners)
        if box[2] >= 8 and box[3] >= 4:
            found.append(Detection(corners, float(heat[y, x])))
    return _best_apart(found, max_plates)


SAME_PLATE_IOU = 0.3  # boxes overlapping more than this are one plate


def _best_apart(ranked: list, limit: int, box=lambda detection: corners_box(detection.corners)) -> list:
    """Up to ``limit`` of ``ranked`` (detections, or readings with ``box=``), best first,
    dropping any whose box overlaps a better one's."""
    kept: list = []
    for item in ranked:
        if all(box_iou(box(item), box(k)) <= SAME_PLATE_IOU for k in kept):
            kept.append(item)
            if len(kept) >= limit:
                break
    return kept


# The detector's quads on small plates are often a little loose (most often) or tight.
# Reading the crop cut from the quad as found and, unless the readings so far settle it
# (`enough_read`), from a larger and two smaller copies, and voting over them, recovers
# characters cut off or drowned in the frame (about 3 ms of OCR per extra crop; measured
# gain in models/plate_ocr.md).
CROP_SCALES = ((1.0, 1.0), (1.12, 1.12), (0.9, 0.9), (0.8, 0.8))
# The gate against non-plate text: a crop whose best reading is less sure than this is no
# plate. Set for the shipped OCR on the training split of the EU/BR photos: the lowest value
# keeping the precision the previous (narrower) OCR had there with 0.1 (models/plate_ocr.md).
MIN_TEXT_CONFIDENCE = 0.3
SURE_ENOUGH = 0.95  # a reading this confident needs no second crop
NOTHING_THERE = 0.05  # nor does a first crop read as (almost) no plate text: signs, lamps, grilles
# Nor a first reading that is clearly no plate: a few characters read unsure. On the training
# composites 106 of the 128 off-plate boxes that were read four times read 2 characters first
# (median confidence 0.10), against 1 of 170 plates, which none of its crops read right either.
NOT_A_PLATE_LENGTH = 3
NOT_A_PLATE_CONFIDENCE = 0.5
# A box that is not the frame's surest (on the training composites 123 of those 128 boxes, 4 of
# the 170 plates) stops once its first two crops agree on the text: signs and lettering read
# the same from every crop, so their last two reads never change the vote.
AGREED_CONFIDENCE = 0.5
# Candidates that fit a serial format issued in the plate's state (the common US formats when
# the state is unknown; alpr_edge/vision/us_formats.toml) weigh this many times more in the vote: most
# misreads swap one look-alike character (8/B, 0/O, 5/S) for a text no state issues. A vanity
# plate keeps its reading when no candidate near it fits. Chosen on the training composites
# (models/plate_ocr.md, "Format-aware re-ranking").
FORMAT_WEIGHT = 11.0
# The state of issue is reported only when the crops' vote for it is at least this sure; a wrong
# state is worse than none. Calibrated on the training composites (models/plate_ocr.md).
STATE_MIN_CONFIDENCE = 0.5


def enough_read(readings: list[list[Candidate]], surest: bool) -> bool:
    """Whether the crops read so far (each one's plausible candidates, best first) settle a box,
    so that its other copies (``CROP_SCALES``) need not be read."""
    if not readings[0]:  # the first crop read no plausible text: nothing there (NOTHING_THERE)
        return len(readings) == 1
    first = readings[0][0]
    if len(readings) == 1:  # sure, (almost) nothing, or a few characters read unsure
        return (first.confidence >= SURE_ENOUGH or first.confidence < NOTHING_THERE
                or (len(first.text) <= NOT_A_PLATE_LENGTH and first.confidence < NOT_A_PLATE_CONFIDENCE))
    if len(readings) > 2 or surest or not readings[1]:
        return False
    second = readings[1][0]  # a box not the frame's surest: its first two crops agree
    return first.text == second.text and min(first.confidence, second.confidence) >= AGREED_CONFIDENCE


def reported_state(state: str | None, confidence: float, floor: float = STATE_MIN_CONFIDENCE) -> str | None:
    """The state to report for the state head's vote: None when it is not sure enough."""
    return state if state is not None and confidence >= floor else None


def plate_gate(detections: list[Detection], frame_width: int) -> list[Detection]:
    """The detections (best first) worth reading, before any OCR: those that ``plausible_plate``
    accepts, and the surest one whatever its score when it has a plate's shape and size. A lone
    faded or small plate can score under MIN_PLATE_SCORE (a tenth of freshly rendered ones do);
    reading the frame's surest box costs one read at most. One shape check per detection: a
    detection that passes with the score floor also passes without it."""
    return [d for i, d in enumerate(detections) if plausible_plate(d, frame_width, min_score=0.0 if i == 0 else None)]


# The plate/non-plate score before the OCR. Fences, lamps, emblems and lettering reach the
# detector's threshold (0.4) far more often than plates fall under these: on the training
# composites plates score 0.93 (median; 5% under 0.63), other detections 0.64 (5% over 0.88).
# Chosen on the training composites and the training EU/BR photos (models/plate_detector.md).
MIN_PLATE_SCORE = 0.6
PLATE_ASPECT = (1.2, 6.0)  # width / height along the plate's axes: US 2:1, motorcycle 7:4, EU 4.7:1
MAX_PLATE_WIDTH = 0.8  # of the frame: a box wider than this is a bumper, a sign or the vehicle


def plausible_plate(detection: Detection, frame_width: int, min_score: float | None = None) -> bool:
    """Whether a detection may be a plate: sure enough, plate-shaped, not wider than any plate."""
    across, down = quad_sides(detection.corners)
    aspect = across / max(down, 1e-6)
    floor = MIN_PLATE_SCORE if min_score is None else min_score
    return bool(detection.score >= floor and PLATE_ASPECT[0] <= aspect <= PLATE_ASPECT[1]
            and across <= MAX_PLATE_WIDTH * frame_width)


class PlateRecognizer:
    """Detector, plate gate, corner refiner (when shipped), then OCR on each rectified plate,
    voting over every crop that saw the same plate, with gating against non-plate text."""

    def __init__(self, detector: DetectorModel, ocr: OcrModel, min_text_confidence: float = MIN_TEXT_CONFIDENCE,
                 crop_scales: tuple[tuple[float, float], ...] = CROP_SCALES, refiner: CornerRefiner | None = None,
                 format_weight: float = FORMAT_WEIGHT, min_state_confidence: float = STATE_MIN_CONFIDENCE):
        self.detector = detector
        self.ocr = ocr
        self.refiner = refiner
        self.min_text_confidence = min_text_confidence
        self.crop_scales = crop_scales
        self.format_weight = format_weight
        self.min_state_confidence = min_state_confidence
        self.rejected = 0  # crops read as no plausible plate text (signs, stickers)
        self.gated = 0  # detections not read at all: no plausible plate (plausible_plate)

    def _read_quad(self, grey: np.ndarray, corners: np.ndarray, surest: bool = True) -> list:
        """The quad's crop and, unless that reading settles it (``enough_read``), its grown and
        shrunk copies: [(crop, candidates, char_conf, state, state_conf)] for each crop read.
        ``surest``: the frame's surest detection, which gets every copy its reading calls for."""
        readings = []
        for sx, sy in self.crop_scales:
            quad = corners if (sx, sy) == (1.0, 1.0) else scaled_quad(corners, sx, sy)
            crop = rectify(grey, quad)
            candidates, char_conf, state, state_conf = self.ocr.read(crop)
            candidates = [c for c in candidates if plausible_plate_text(c.text)]
            if not readings:  # the quad's own crop: a squarish plate with two rows of text is read row by row (vision/rows.py)
                rows = read_two_rows(self.ocr, grey, quad)
                if rows is not None:
                    return [(*rows, state, state_conf)]
            readings.append((crop, candidates, char_conf, state, state_conf))
            if enough_read([r[1] for r in readings], surest):
                break
        return readings

    def _best_reading(self, grey: np.ndarray, quads: list[np.ndarray], surest: bool = True):
        """Every crop of every quad that saw this plate votes: the texts' probabilities are summed
        over a quad's crops (one confidently wrong crop is outvoted by the others) and each quad's
        mean is one vote, so a part-plate quad read four times unsure does not outweigh a whole
        one read once and sure. Texts that fit a format of the state are weighted up; the state
        is voted over the crops of the first quad (the detector's surest)."""
        per_quad = [self._read_quad(grey, corners, surest) for corners in quads]
        totals: dict[str, float] = {}
        peaks: dict[str, float] = {}
        for readings in per_quad:
            for _, candidates, _, _, _ in readings:
                for c in candidates:
                    totals[c.text] = totals.get(c.text, 0.0) + c.confidence / len(readings)
                    peaks[c.text] = max(peaks.get(c.text, 0.0), c.confidence)
        states: dict[str, float] = {}
        for _, _, _, voter, voter_conf in per_quad[0]:
            if voter is not None:
                states[voter] = states.get(voter, 0.0) + voter_conf
        voted = max(states, key=lambda name: states[name]) if states else None
        state_conf = states[voted] / len(per_quad[0]) if voted else 0.0
        state = reported_state(voted, state_conf, self.min_state_confidence)

        def weight(text: str) -> float:
            # State unknown: the formats most states issue, not any state's (which admit most texts).
            usual = fits_format(text, state) if state else fits_common_format(text)
            return totals[text] * (self.format_weight if usual else 1.0)

        # Each text's confidence is its best single-crop probability, so it means the same as
        # with one crop (the gates and thresholds stay calibrated).
        ranked = sorted(totals, key=weight, reverse=True)[:10]
        candidates = [Candidate(text, peaks[text]) for text in ranked]
        readings = [r for quad_readings in per_quad for r in quad_readings]
        if not candidates:
            return readings[0][0], [], (), state, state_conf

        # The crop and per-character confidences of the crop that read the winner best.
        def support(reading):
            return next((c.confidence for c in reading[1] if c.text == candidates[0].text), 0.0)
        crop, own, char_conf, _, _ = max(readings, key=support)
        if not own or own[0].text != candidates[0].text:
            char_conf = ()
        return crop, candidates, char_conf, state, state_conf

    def read_crop(self, grey: np.ndarray, corners: np.ndarray, box=None, also: tuple[np.ndarray, ...] = (),
                  surest: bool = True) -> PlateObservation | None:
        """The plate at ``corners``, read with the other quads that saw it (``also``) voting;
        ``surest``: whether it is the frame's surest detection (see ``enough_read``)."""
        crop, candidates, char_conf, state, state_conf = self._best_reading(grey, [corners, *also], surest)
        # Plate text when some crop read some plausible text with some confidence; the voted
        # winner is reported even when its own best crop was less sure than that.
        if not candidates or max(c.confidence for c in candidates) < self.min_text_confidence:
            self.rejected += 1
            return None
        best = candidates[0]
        if len(char_conf) != len(best.text):
            char_conf = tuple(best.confidence for _ in best.text)
        return PlateObservation(
            text=best.text,
            confidence=best.confidence,
            candidates=tuple(candidates),
            box=box or corners_box(corners),
            corners=tuple((float(x), float(y)) for x, y in corners),
            crop=crop,
            char_confidences=char_conf,
            state=state,
            state_confidence=round(state_conf, 4),
            format_ok=fits_format(best.text, state),
        )

    def find_plates(self, grey: np.ndarray, zoom: bool = False) -> list[np.ndarray]:
        """Plate quads in a grey frame, best first: the detector's (``zoom``: also in closer
        tiles, see ``DetectorModel.detect``) that pass the plate gate, refined at full
        resolution when a refiner is loaded."""
        found = self.detector.detect(grey, zoom=zoom)
        kept = plate_gate(found, grey.shape[1])
        self.gated += len(found) - len(kept)
        quads = [detection.corners for detection in kept]
        return [self.refiner.refine(grey, q) for q in quads] if self.refiner else quads

    def recognize(self, grey: np.ndarray, zoom: bool = False) -> list[PlateObservation]:
        """Plates read in one frame, most confident first. ``zoom`` suits stills (a few
        detector runs more, see ``geometry.zoom_tiles``); video frames go without it."""
        if grey.ndim == 3:
            grey = cv2.cvtColor(grey, cv2.COLOR_BGR2GRAY)
        observations = []
        # Two detections kept apart by the detector can be refined onto the same plate (often
        # one of them a part of it, as on close-ups): one plate, one reading, voted over both.
        for rank, group in enumerate(same_plate_groups(self.find_plates(grey, zoom=zoom))):
            obs = self.read_crop(grey, group[0], also=tuple(group[1:]), surest=rank == 0)
            if obs is not None:
                observations.append(obs)
        observations.sort(key=lambda o: o.confidence, reverse=True)
        return observations


def same_plate_groups(quads: list[np.ndarray]) -> list[list[np.ndarray]]:
    """Quads (best first) grouped by plate: each joins the first group whose leader's box it
    overlaps (IoU > SAME_PLATE_IOU, the detector's own rule); the leader reports the box."""
    groups: list[list[np.ndarray]] = []
    leaders: list[tuple[int, int, int, int]] = []  # each group's leader box, worked out once (not per quad compared)
    for quad in quads:
        box = corners_box(quad)
        home = next((g for g, lead in zip(groups, leaders) if box_iou(box, lead) > SAME_PLATE_IOU), None)
        if home is None:
            groups.append([quad])
            leaders.append(box)
        else:
            home.append(quad)
    return groups


def load_recognizer(models_dir: Path | None = None, threads: int = 1) -> PlateRecognizer:
    """The shipped detector and OCR from ``models_dir`` (default: the repository's models/)."""
    folder = Path(models_dir) if models_dir is not None else DEFAULT_MODELS_DIR
    for name in (DETECTOR_FILE, OCR_FILE):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"model file missing: {folder / name}")
    refiner = CornerRefiner(folder / CORNERS_FILE, threads) if (folder / CORNERS_FILE).is_file() else None
    recognizer = PlateRecognizer(DetectorModel(folder / DETECTOR_FILE, threads), OcrModel(folder / OCR_FILE, threads),
                                 refiner=refiner)
    log(logger, logging.INFO, "recognizer_loaded", models=str(folder), threads=threads, corner_refiner=refiner is not None)
    return recognizer
