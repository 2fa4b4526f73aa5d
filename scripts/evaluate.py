#!/usr/bin/env python3
"""Evaluate the shipped recognition models on a labelled folder.

Plate crops (a folder with labels.csv: file,state,text): the OCR reads each
whole crop as the plate (the detector's job is done by the crop) and we report
exact-plate top-1 and top-10, character accuracy, state accuracy and ms/image
for one OCR pass, and top-1 for the runtime's reading of the same quad (which
also reads a grown and shrunk copy unless the first reading is sure).

Scene photos (a folder of NAME.jpg + NAME.txt: NAME.jpg<TAB>x<TAB>y<TAB>w<TAB>h<TAB>TEXT):
the full recognizer runs on each photo and we report detection recall and
precision (IoU >= --iou with the annotated box), exact text top-1/top-10 on the
detected plates, and ms/image.

--split heldout evaluates only the fixed-seed 20% that training never saw
(the same split as scripts/train_ocr.py and scripts/train_detector.py).

    PYTHONPATH=.:scripts python scripts/evaluate.py --crops /path/us-plate-crops --split heldout
    PYTHONPATH=.:scripts python scripts/evaluate.py --scenes /path/eu-scenes --scenes /path/br-scenes --split heldout --json

US composites (--us-composite with --crops and --scenes): we have no real US vehicle photos, so
each real US crop is warped, at US plate size, over the annotated plate of a real EU/BR photo
(crops and photos both from the chosen split) and the full recognizer runs on the photo. We
report whether the plate was found (IoU with the warped plate), whether the first (most
confident) plate's text is exact, whether any plate's is, and the state.

Rendered plates (--rendered N): N freshly rendered plates in plain 1280x720 frames, by day and
with the night IR look (the generator's, so easier than real photos; it shows night and
corner precision, which the shared photos do not). With --templates DIR, also N serials per look on
the real state designs (separator emblems, stacked marks, faded, heavy JPEG, two-row motorcycle).

--no-corner-refiner reads every plate from the detector's corners as found.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alpr_edge.vision.aggregator import _similarity  # noqa: E402
from alpr_edge.vision.geometry import box_iou  # noqa: E402
from alpr_edge.vision.runtime import DETECTOR_FILE, OCR_FILE, OcrModel, PlateRecognizer, load_recognizer, reported_state  # noqa: E402
from alpr_edge.vision.geometry import corners_box, quad_iou  # noqa: E402
from alpr_edge.vision.rows import find_row_split, squarish_crop  # noqa: E402
from platesynth.ocr_samples import load_real_crops, real_label_usable, real_sample, split_real  # noqa: E402
from platesynth.plate import jpeg_grey, shrunk_and_compressed  # noqa: E402
from platesynth.scene import load_scene_annotations, split_scenes, us_composites  # noqa: E402


def _pick(items, split, splitter):
    if split == "all":
        return items
    train, held_out = splitter(items)
    return held_out if split == "heldout" else train


class _CountingOcr:
    """The OCR model, counting its reads (each crop read costs one model run)."""

    def __init__(self, ocr):
        self.ocr = ocr
        self.reads = 0

    def read(self, crop):
        self.reads += 1
        return self.ocr.read(crop)


def _recognizer(models: Path, threads: int, threshold: float | None, refine: bool) -> PlateRecognizer:
    recognizer = load_recognizer(models, threads)
    recognizer.ocr = _CountingOcr(recognizer.ocr)
    if threshold is not None:
        recognizer.detector.threshold = threshold
    if not refine:
        recognizer.refiner = None  # the detector's corners as found (to measure what the refiner adds)
    return recognizer


def _timing(ms: list[float]) -> dict:
    return {"ms_median": round(float(np.median(ms)), 2), "ms_p95": round(float(np.percentile(ms, 95)), 2)} if ms else {}


def evaluate_crops(folder: Path, models: Path, split: str, threads: int, show_errors: bool, per_state: bool = False) -> dict:
    ocr = OcrModel(models / OCR_FILE, threads)
    # The runtime's reading path on the whole crop as the quad: the crop variants included.
    runtime = PlateRecognizer(detector=None, ocr=ocr)
    runtime_top1 = 0
    items = [r for r in load_real_crops(folder) if real_label_usable(r[1])]
    skipped = sum(1 for r in load_real_crops(folder) if not real_label_usable(r[1]))
    items = _pick(items, split, split_real)
    top1 = top10 = state_ok = 0
    char_acc, ms, misread = [], [], []
    by_state: dict[str, list[str | None]] = {}  # labelled state -> the runtime's reported state per crop
    rng = random.Random(0)
    for image, text, state, name in items:
        start = time.perf_counter()
        crop = real_sample(rng, image, augment=False)
        candidates, _, pred_state, state_conf = ocr.read(crop)
        pred_state = reported_state(pred_state, state_conf)
        ms.append((time.perf_counter() - start) * 1000)
        best = candidates[0].text if candidates else ""
        top1 += best == text
        top10 += any(c.text == text for c in candidates)
        state_ok += pred_state == state
        char_acc.append(_similarity(best, text) if best else 0.0)
        h, w = image.shape  # the photo's own pixels, as the runtime cuts a plate from a frame
        seen = runtime.read_crop(image, np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32))
        runtime_top1 += seen is not None and seen.text == text
        if seen is None or seen.text != text:
            misread.append(name)
        by_state.setdefault(state, []).append(seen.state if seen is not None else None)
        if show_errors and best != text:
            print(f"  {name}: truth {text} read {best or '-'} state {state}/{pred_state}", file=sys.stderr)
    n = max(len(items), 1)
    result = {"set": str(folder), "split": split, "plates": len(items), "skipped_placeholder_labels": skipped,
            "exact_top1": round(top1 / n, 4), "exact_top10": round(top10 / n, 4),
            "exact_top1_runtime_reading": round(runtime_top1 / n, 4), "char_accuracy": round(float(np.mean(char_acc)) if char_acc else 0.0, 4),
            "state_accuracy": round(state_ok / n, 4), **_timing(ms), "misread_runtime": misread}
    if per_state:
        result["per_state"] = state_confusion(by_state)
    return result


DEGRADE_WIDTHS = (60, 85, 120)  # plate widths in pixels: the hidden gate photos' median is about 85
DEGRADE_QUALITIES = (20, 35)  # "heavily JPEG-compressed"


def evaluate_degraded_crops(folder: Path, models: Path, split: str, threads: int) -> dict:
    """The real crops shrunk and compressed as the hidden gate photos are (small plates, hard JPEG),
    read the runtime's way (the crop variants and their vote): real plates in the looks that fail most."""
    runtime = PlateRecognizer(detector=None, ocr=OcrModel(models / OCR_FILE, threads))
    items = _pick([r for r in load_real_crops(folder) if real_label_usable(r[1])], split, split_real)
    right: dict[str, int] = {}
    misread = []
    for image, text, _state, name in items:
        for width in DEGRADE_WIDTHS:
            for quality in DEGRADE_QUALITIES:
                small = shrunk_and_compressed(image, width, quality)
                h, w = small.shape
                seen = runtime.read_crop(small, np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32))
                ok = seen is not None and seen.text == text
                key = f"w{width}_q{quality}"
                right[key] = right.get(key, 0) + ok
                if not ok:
                    misread.append(f"{name}@{key}")
    n = max(len(items), 1)
    total = len(items) * len(DEGRADE_WIDTHS) * len(DEGRADE_QUALITIES)
    return {"set": str(folder), "split": split, "plates": len(items), "readings": total,
            "exact_pooled": round(1 - len(misread) / max(total, 1), 4),
            "exact_by_look": {k: round(v / n, 4) for k, v in right.items()}, "misread_runtime": misread}


def compare(before: dict, after: dict) -> dict:
    """Paired comparison of two ``--json`` results on the same items: the items only one of them
    misreads, and McNemar's exact two-sided p (how likely a split this uneven is by chance)."""
    from math import comb

    table = {}
    for section in ("crops", "degraded_crops", "us_composite"):
        for index, (a, b) in enumerate(zip(before.get(section, []), after.get(section, []))):
            if "misread_runtime" not in a or "misread_runtime" not in b:
                continue
            lost, gained = set(b["misread_runtime"]) - set(a["misread_runtime"]), set(a["misread_runtime"]) - set(b["misread_runtime"])
            k, m = min(len(lost), len(gained)), len(lost) + len(gained)
            p = min(1.0, 2 * sum(comb(m, i) for i in range(k + 1)) / 2 ** m) if m else 1.0
            table[f"{section}[{index}]"] = {"newly_right": len(gained), "newly_wrong": len(lost), "mcnemar_p": round(p, 4),
                                            "newly_wrong_items": sorted(lost)}
    return table


def state_confusion(by_state: dict[str, list[str | None]]) -> dict[str, dict]:
    """Per labelled state: crops, right, ``null`` (no state reported) and the wrong states read."""
    table = {}
    for state in sorted(by_state):
        seen = by_state[state]
        wrong = sorted(s for s in seen if s is not None and s != state)
        table[state] = {"crops": len(seen), "right": seen.count(state), "null": seen.count(None), "wrong": wrong}
    return table


def _centre_hit(box, truth) -> bool:
    """Each box's centre lies inside the other (shape-agnostic: an EU plate vs a 2:1 US-shaped quad)."""
    bx, by = box[0] + box[2] / 2, box[1] + box[3] / 2
    tx, ty = truth[0] + truth[2] / 2, truth[1] + truth[3] / 2
    return truth[0] <= bx <= truth[0] + truth[2] and truth[1] <= by <= truth[1] + truth[3] and box[0] <= tx <= box[0] + box[2] and box[1] <= ty <= box[1] + box[3]


def evaluate_scenes(folders: list[Path], models: Path, split: str, threads: int, iou_needed: float, threshold: float | None,
                    refine: bool = True, zoom: bool = False) -> dict:
    recognizer = _recognizer(models, threads, threshold, refine)
    items = []
    for folder in folders:
        items += _pick(load_scene_annotations(folder), split, split_scenes)
    criteria = {f"iou{int(iou_needed * 100)}": lambda b, t: box_iou(b, t) >= iou_needed, "iou30": lambda b, t: box_iou(b, t) >= 0.3, "centre": _centre_hit}
    tp = dict.fromkeys(criteria, 0)
    fp = dict.fromkeys(criteria, 0)
    gated_tp = gated_fp = 0  # centre criterion, counting only detections the OCR accepted as plate text
    total = exact1 = exact10 = 0
    ms, boxes_read = [], []
    for path, boxes in items:
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        texts = [line.split("\t")[5].strip().upper() if len(line.split("\t")) > 5 else "" for line in path.with_suffix(".txt").read_text().splitlines() if line.strip()]
        start = time.perf_counter()
        quads = recognizer.find_plates(grey, zoom=zoom)
        observations = [recognizer.read_crop(grey, q) for q in quads]
        ms.append((time.perf_counter() - start) * 1000)
        boxes_read.append(len(quads))
        total += len(boxes)
        for name, hit in criteria.items():
            matched = set()
            for quad, obs in zip(quads, observations):
                box = corners_box(quad)
                hits = [i for i, b in enumerate(boxes) if i not in matched and hit(box, b)]
                if not hits:
                    fp[name] += 1
                    gated_fp += name == "centre" and obs is not None
                    continue
                matched.add(hits[0])
                tp[name] += 1
                gated_tp += name == "centre" and obs is not None
                if name == "centre" and obs is not None:
                    truth = texts[hits[0]] if hits[0] < len(texts) else ""
                    exact1 += obs.text == truth
                    exact10 += any(c.text == truth for c in obs.candidates)
    out = {"sets": [str(f) for f in folders], "split": split, "photos": len(items), "plates": total, "threshold": recognizer.detector.threshold,
           "zoom_tiles": zoom}
    for name in criteria:
        out[f"recall_{name}"] = round(tp[name] / max(total, 1), 4)
        out[f"precision_{name}"] = round(tp[name] / max(tp[name] + fp[name], 1), 4)
    out["recall_centre_after_ocr_gate"] = round(gated_tp / max(total, 1), 4)
    out["precision_centre_after_ocr_gate"] = round(gated_tp / max(gated_tp + gated_fp, 1), 4)
    out.update({"text_exact_top1_of_all": round(exact1 / max(total, 1), 4), "text_exact_top10_of_all": round(exact10 / max(total, 1), 4),
                "boxes_read_per_photo": round(sum(boxes_read) / max(len(items), 1), 2),
                "ocr_reads_per_photo": round(recognizer.ocr.reads / max(len(items), 1), 2),
                "ms_per_photo_includes": "detector + OCR of every detection", **_timing(ms)})
    return out


def _composite_sources(crops: Path, scene_folders: list[Path], split: str):
    crop_items = _pick([r for r in load_real_crops(crops) if real_label_usable(r[1])], split, split_real)
    scene_items = [item for folder in scene_folders for item in _pick(load_scene_annotations(folder), split, split_scenes)]
    return crop_items, scene_items


def composite_photos(crops: Path, scene_folders: list[Path], split: str):
    """The US composites of ``split``: that split's usable US crops over that split's photos."""
    crop_items, scene_items = _composite_sources(crops, scene_folders, split)
    return len(crop_items), us_composites(scene_items, crop_items)


def composite_other_plates(crops: Path, scene_folders: list[Path], split: str) -> list[list]:
    """For each composite (in ``composite_photos``' order), the photo's other annotated plates:
    the US plate covers the first one only, so a box on another real plate is not off-plate."""
    crop_items, scene_items = _composite_sources(crops, scene_folders, split)
    return [scene_items[i % len(scene_items)][1][1:] for i in range(len(crop_items))]


def evaluate_us_composites(crops: Path, scene_folders: list[Path], models: Path, split: str, threads: int, save: Path | None,
                           threshold: float | None = None, refine: bool = True, zoom: bool = False, jpeg: int | None = None) -> dict:
    """End to end on stand-ins for real US vehicle photos: each real US crop warped over the plate
    of a real EU/BR photo (both from the chosen split), then the full recognizer on the photo."""
    recognizer = _recognizer(models, threads, threshold, refine)
    count, photos = composite_photos(crops, scene_folders, split)
    others = composite_other_plates(crops, scene_folders, split)
    found50 = found30 = top1 = anywhere = top10 = state_ok = state_wrong = reported = off_plate = 0
    ms, corner_ious, misread = [], [], []
    for index, (photo, corners, text, state, name) in enumerate(photos):
        if jpeg:  # as gate cameras send them: the whole frame compressed hard
            photo = jpeg_grey(photo, jpeg)
        truth_box = corners_box(corners)
        start = time.perf_counter()
        plates = recognizer.recognize(photo, zoom=zoom)
        ms.append((time.perf_counter() - start) * 1000)
        ious = [box_iou(p.box, truth_box) for p in plates]
        found50 += any(i >= 0.5 for i in ious)
        found30 += any(i >= 0.3 for i in ious)
        top1 += bool(plates) and plates[0].text == text
        if not (plates and plates[0].text == text):
            misread.append(name)
        anywhere += any(p.text == text for p in plates)
        top10 += any(c.text == text for p in plates for c in p.candidates)
        mine = [p for p, i in zip(plates, ious) if i >= 0.3]
        state_ok += bool(mine) and mine[0].state == state
        state_wrong += bool(mine) and mine[0].state not in (None, state)
        reported += len(plates)
        # a reported plate on neither the US plate nor another annotated plate of the photo
        off_plate += sum(1 for p, i in zip(plates, ious) if i < 0.3 and not any(box_iou(p.box, b) >= 0.3 for b in others[index]))
        if mine:  # how exactly the corners were found, for the plates that were found
            corner_ious.append(quad_iou(np.array(mine[0].corners, np.float32), corners))
        if save is not None:
            save.mkdir(parents=True, exist_ok=True)
            shown = cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR)
            for p in plates:
                cv2.polylines(shown, [np.array(p.corners, np.int32)], True, (0, 255, 0) if p.text == text else (0, 0, 255), 2)
                cv2.putText(shown, p.text, (p.box[0], max(12, p.box[1] - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 255, 255), 2)
            cv2.imwrite(str(save / f"{name}.jpg"), shown)
    n = max(count, 1)
    return {"crops": str(crops), "scenes": [str(f) for f in scene_folders], "split": split, "photos": count, "jpeg_quality": jpeg,
            "threshold": recognizer.detector.threshold, "corner_refiner": recognizer.refiner is not None, "zoom_tiles": zoom,
            "corner_quad_iou_mean": round(float(np.mean(corner_ious)), 4) if corner_ious else None,
            "corner_quad_iou80": round(float(np.mean(np.array(corner_ious) >= 0.8)), 4) if corner_ious else None,
            "detected_iou50": round(found50 / n, 4), "detected_iou30": round(found30 / n, 4),
            "exact_top1_first_plate": round(top1 / n, 4), "exact_any_plate": round(anywhere / n, 4),
            "exact_within_top10_candidates": round(top10 / n, 4), "state_accuracy": round(state_ok / n, 4),
            "state_wrong": round(state_wrong / n, 4), "plates_reported_per_photo": round(reported / n, 2), "plates_off_the_labelled_plates": off_plate,
            "ocr_reads_per_photo": round(recognizer.ocr.reads / n, 2), **_timing(ms), "misread_runtime": misread}


def evaluate_rendered(models: Path, count: int, threads: int, refine: bool = True, seed: int = 99) -> list[dict]:
    """Freshly rendered plates (never seen, but from the training generator) warped 60 to 140
    pixels wide into plain noisy 1280x720 frames, by day and with the night IR look."""
    from platesynth.plate import render_plate, to_grey
    from platesynth.scene import warp_plate_into

    recognizer = _recognizer(models, threads, None, refine)
    out = []
    for night in (False, True):
        rng = random.Random(seed)
        exact, ious = 0, []
        for _ in range(count):
            frame = np.full((720, 1280), rng.randint(20, 60) if night else rng.randint(60, 160), np.uint8)
            noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 10, frame.shape)
            frame = np.clip(frame + noise, 0, 255).astype(np.uint8)
            plate = render_plate(rng)
            truth = warp_plate_into(rng, frame, to_grey(rng, plate.image, night=night),
                                    rng.uniform(300, 1000), rng.uniform(250, 550), rng.uniform(60, 140))
            found = recognizer.recognize(frame)
            exact += bool(found) and found[0].text == plate.text
            if found:
                ious.append(quad_iou(np.array(found[0].corners, np.float32), truth))
        out.append({"look": "night IR" if night else "day", "plates": count, "corner_refiner": recognizer.refiner is not None,
                    "exact_top1": round(exact / max(count, 1), 4), "corner_quad_iou_mean": round(float(np.mean(ious)), 4) if ious else None})
    return out


def _two_rows(frame: np.ndarray, corners) -> bool:
    """Whether the runtime cut this plate into two rows (``vision/rows.py``): the split's own test."""
    crop = squarish_crop(frame, np.array(corners, np.float32))
    return crop is not None and find_row_split(crop) is not None


DESIGN_LOOKS = {  # condition -> render_on_template options (and "jpeg": the frame compressed hard)
    "state designs": {},
    "separator emblems": {"emblem_odds": 1.0, "stacked_odds": 0.0, "fade_odds": 0.0},
    "stacked marks": {"emblem_odds": 0.0, "stacked_odds": 1.0, "fade_odds": 0.0},
    "faded": {"emblem_odds": 0.0, "stacked_odds": 0.0, "fade_odds": 1.0},
    "heavy JPEG (quality 10-40)": {"jpeg": True},
    "two-row motorcycle": {"motorcycle": True},
}


def evaluate_designs(models: Path, folder: Path, count: int, threads: int, seed: int = 77) -> list[dict]:
    """Freshly rendered serials on the real state designs (``--templates``), one condition at a
    time, warped 60 to 140 pixels wide into plain noisy 1280x720 frames and read as video is."""
    from platesynth.plate import to_grey
    from platesynth.scene import warp_plate_into
    from platesynth.templates import load_templates, render_motorcycle, render_on_template

    designs = load_templates(folder)
    recognizer = _recognizer(models, threads, None, True)

    def share(n: int) -> float:
        return round(n / max(count, 1), 4)

    out = []
    for look, options in DESIGN_LOOKS.items():
        rng = random.Random(seed)
        exact = found_any = split = boxed = 0
        for _ in range(count):
            frame = np.full((720, 1280), rng.randint(60, 160), np.uint8)
            frame = np.clip(frame + np.random.default_rng(rng.randrange(1 << 30)).normal(0, 10, frame.shape), 0, 255).astype(np.uint8)
            if options.get("motorcycle"):
                plate = render_motorcycle(rng, designs)
            else:
                plate = render_on_template(rng, designs, **{k: v for k, v in options.items() if k != "jpeg"})
            truth = warp_plate_into(rng, frame, to_grey(rng, plate.image, night=False), rng.uniform(300, 1000), rng.uniform(250, 550),
                                    rng.uniform(60, 140))
            if options.get("jpeg"):
                frame = jpeg_grey(frame, rng.randint(10, 40))
            # The detector alone (before the gate, the OCR and the row split): does any box overlap the plate?
            boxed += any(quad_iou(d.corners, truth) >= 0.3 for d in recognizer.detector.detect(frame))
            found = recognizer.recognize(frame)
            found_any += bool(found)
            exact += bool(found) and found[0].text == plate.text
            split += bool(found) and _two_rows(frame, found[0].corners)
        out.append({"look": look, "plates": count, "boxed_iou30": share(boxed), "read_any": share(found_any), "exact_top1": share(exact),
                    "read_as_two_rows": share(split)})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crops", type=Path, action="append", default=[], help="plate crops folder with labels.csv")
    parser.add_argument("--scenes", type=Path, action="append", default=[], help="scene photos folder with NAME.txt annotations")
    parser.add_argument("--us-composite", action="store_true",
                        help="with --crops and --scenes: also warp each US crop over a scene photo's plate and run end to end")
    parser.add_argument("--save", type=Path, help="with --us-composite: write annotated composites here (never into the repository)")
    parser.add_argument("--rendered", type=int, default=0, metavar="N",
                        help="also read N freshly rendered plates in plain frames, by day and by night")
    parser.add_argument("--templates", type=Path, metavar="DIR",
                        help="with --rendered N: also N serials per look on the real state designs in DIR (us-plate-templates)")
    parser.add_argument("--design-seed", type=int, default=77,
                        help="with --templates: the seed of the rendered design looks (77 is the evaluation's; 5 tuned the row split)")
    parser.add_argument("--split", choices=["heldout", "train", "all"], default="heldout")
    parser.add_argument("--models", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iou", type=float, default=0.5)
    parser.add_argument("--threshold", type=float, help="detector heatmap threshold (default: the runtime's)")
    parser.add_argument("--no-corner-refiner", action="store_true", help="read plates from the detector's corners as found")
    parser.add_argument("--zoom", action="store_true", help="scenes and composites: also look at closer tiles, as `alpr-edge recognize` does on stills")
    parser.add_argument("--jpeg", type=int, metavar="Q", help="--us-composite: JPEG-compress each composite photo at quality Q first")
    parser.add_argument("--degrade", action="store_true",
                        help="--crops: also each crop shrunk to 60/85/120 px wide and JPEG-compressed at quality 20/35 (the gate photos' looks)")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"),
                        help="two --json results on the same items: what AFTER reads that BEFORE did not and back, with McNemar's p")
    parser.add_argument("--errors", action="store_true", help="list misread crops on stderr")
    parser.add_argument("--states", action="store_true", help="--crops: also a per-state confusion of the runtime's reported state")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.compare:
        try:
            before, after = (json.loads(path.read_text()) for path in args.compare)
        except (OSError, ValueError) as error:
            parser.error(f"--compare: {error}")
        print(json.dumps(compare(before, after), indent=1))
        return 0
    if not args.crops and not args.scenes and not args.rendered:
        parser.error("give --crops, --scenes and/or --rendered")
    for folder in args.crops + args.scenes:
        if not folder.is_dir():
            parser.error(f"{folder}: no such folder")
    if not (args.models / DETECTOR_FILE).is_file() and args.scenes:
        parser.error(f"{args.models / DETECTOR_FILE}: missing")
    results = {}
    if args.crops:
        results["crops"] = [evaluate_crops(f, args.models, args.split, args.threads, args.errors, args.states) for f in args.crops]
        if args.degrade:
            results["degraded_crops"] = [evaluate_degraded_crops(f, args.models, args.split, args.threads) for f in args.crops]
    if args.scenes:
        results["scenes"] = evaluate_scenes(args.scenes, args.models, args.split, args.threads, args.iou, args.threshold,
                                             not args.no_corner_refiner, args.zoom)
    if args.us_composite:
        if not (args.crops and args.scenes):
            parser.error("--us-composite needs --crops and --scenes")
        results["us_composite"] = [evaluate_us_composites(args.crops[0], args.scenes, args.models, args.split, args.threads, args.save, args.threshold,
                                                               not args.no_corner_refiner, args.zoom, args.jpeg)]
    if args.rendered:
        results["rendered"] = evaluate_rendered(args.models, args.rendered, args.threads, not args.no_corner_refiner)
        if args.templates:
            results["rendered_designs"] = evaluate_designs(args.models, args.templates, args.rendered, args.threads, args.design_seed)
    if args.json:
        print(json.dumps(results))
    else:
        for section, value in results.items():
            for entry in value if isinstance(value, list) else [value]:
                print(f"[{section}]")
                for key, v in entry.items():
                    if key.startswith("misread"):
                        continue  # the items, for --compare: in --json only
                    print(f"  {key:<28} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
