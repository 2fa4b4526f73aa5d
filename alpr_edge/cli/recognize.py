"""`alpr-edge recognize [--json] IMAGE...`: read the plates in still images (files or folders)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("recognize", parents=[common], help="read the plates in image files or folders")
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="image file or folder of images")
    parser.add_argument("--json", action="store_true", help="one JSON object per image per line")
    parser.add_argument("--models", type=Path, metavar="DIR", help="models folder (default: the shipped models/)")
    parser.add_argument("--threads", type=int, default=1, help="TFLite interpreter threads (default 1)")
    parser.add_argument("--fast", action="store_true",
                        help="one detector pass over the whole image, as the daemon does on video (default: also "
                             "look at overlapping tiles closer up, which finds small plates in large photos, and at a "
                             "close-up plate from further away)")
    parser.set_defaults(handler=recognize_images)


def _expand(paths: list[Path]) -> list[Path]:
    out = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            out.append(path)
    return out


def plate_json(obs) -> dict:
    return {
        "text": obs.text,
        "confidence": round(float(obs.confidence), 4),
        "box": [int(v) for v in obs.box],
        "corners": [[round(float(x), 1), round(float(y), 1)] for x, y in obs.corners],
        "state": obs.state,
        "state_confidence": round(float(obs.state_confidence), 4),
        "format_ok": bool(obs.format_ok),
        "candidates": [{"text": c.text, "confidence": round(float(c.confidence), 4)} for c in obs.candidates[:10]],
    }


def recognize_images(args) -> int:
    import cv2

    from alpr_edge.vision import load_recognizer

    try:
        recognizer = load_recognizer(args.models, threads=args.threads)
    except (FileNotFoundError, ImportError, ValueError) as error:
        raise CliError(str(error)) from None
    failures = 0
    for path in _expand(args.images):
        start = time.perf_counter()
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) if path.is_file() else None
        if grey is None:
            failures += 1
            reason = "no such file" if not path.exists() else "not a readable image"
            if args.json:
                print(json.dumps({"image": str(path), "error": reason}, allow_nan=False), flush=True)
            else:
                print(f"{path}: error: {reason}", file=sys.stderr)
            continue
        plates = recognizer.recognize(grey, zoom=not args.fast)
        ms = (time.perf_counter() - start) * 1000
        if args.json:
            print(json.dumps({"image": str(path), "ms": round(ms, 1), "plates": [plate_json(p) for p in plates]}, allow_nan=False), flush=True)
            continue
        print(f"{path}  ({ms:.0f} ms, {len(plates)} plate{'s' if len(plates) != 1 else ''})")
        if plates:
            print(f"  {'plate':<10} {'conf':>5}  {'state':<5} {'st.conf':>7}  {'box (x,y,w,h)':<22} alternatives")
        for p in plates:
            alternatives = " ".join(c.text for c in p.candidates[1:4])
            flag = "" if p.format_ok else "  (unusual format)"
            print(f"  {p.text:<10} {p.confidence:>5.2f}  {p.state or '-':<5} {p.state_confidence:>7.2f}  {','.join(map(str, p.box)):<22} {alternatives}{flag}")
    return EXIT_FAILED if failures else EXIT_OK
