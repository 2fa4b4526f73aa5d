"""`alpr-edge bench`: the whole pipeline and every stage, measured on this machine."""

from __future__ import annotations

import json
import sys

from alpr_edge.cli import EXIT_OK


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("bench", parents=[common], help="benchmark the pipeline and each stage on this machine")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each pipeline run (default 20)")
    parser.add_argument("--offered-fps", type=float, default=30.0, help="the replayed camera's frame rate (default 30)")
    parser.add_argument("--hotlist-entries", type=int, default=2_000_000, help="size of the loaded hot list (default 2,000,000)")
    parser.add_argument("--pipeline-only", action="store_true", help="skip the stage benchmarks in scripts/")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object on the last line")
    parser.set_defaults(handler=bench)


def bench(args) -> int:
    from alpr_edge import logs
    from alpr_edge.bench import run_bench
    from alpr_edge.uplink.wire import finite_only

    logs.configure("warning")
    report = run_bench(
        seconds=args.seconds, offered_fps=args.offered_fps, hotlist_entries=args.hotlist_entries,
        stages=not args.pipeline_only, progress=lambda text: print(text, file=sys.stderr),
    )
    print_tables(report)
    if args.json:
        print(json.dumps(finite_only(report), separators=(",", ":"), default=str, allow_nan=False))  # a /proc miss is NaN
    return EXIT_OK


def print_tables(report: dict) -> None:
    print(f"machine: {report['machine']}")
    print()
    print(f"{'pipeline':<24}{'720p':>14}{'1080p':>14}")
    p720, p1080 = report["pipeline_720p"], report["pipeline_1080p"]
    rows = [
        ("offered fps", "offered_fps"),
        ("fps processed", "fps_processed"),
        ("frames in", "frames_in"),
        ("frames dropped", "frames_dropped"),
        ("reads", "reads"),
        ("alerts", "alerts"),
        ("recognition ms/frame", "recognition_ms_mean"),
        ("peak RSS MB", "peak_rss_mb"),
        ("peak RSS MB (VmHWM)", "peak_rss_hwm_mb"),
    ]
    for label, key in rows:
        print(f"{label:<24}{p720[key]!s:>14}{p1080[key]!s:>14}")
    for stage in ("capture", "recognition"):
        key = "cpu_ms_per_frame"
        print(f"{'CPU ms/frame ' + stage:<24}{p720[key][stage]!s:>14}{p1080[key][stage]!s:>14}")
    print(f"{'load avg start, end':<24}{_pair(p720['load_average_start_end']):>14}{_pair(p1080['load_average_start_end']):>14}")
    for label, key in (("capture->read ms", "capture_to_read_ms"), ("capture->alert ms", "capture_to_alert_ms")):
        for q in ("p50", "p95", "p99"):
            print(f"{label + ' ' + q:<24}{p720[key][q]!s:>14}{p1080[key][q]!s:>14}")
    for thread in p720["cpu_percent_per_thread"]:
        print(f"{'CPU % ' + thread:<24}{p720['cpu_percent_per_thread'][thread]!s:>14}{p1080['cpu_percent_per_thread'].get(thread)!s:>14}")
    print()
    print(f"{'stage':<36}{'result':>14}")
    stage_rows = [
        ("hot list entries", report["hotlist_entries"]),
        ("hot list load s", report["hotlist_load_s"]),
        ("hot list RSS MB", report["hotlist_rss_mb"]),
        ("hot list match p99 ms", report.get("hotlist_match_p99_ms")),
        ("store reads/s (encrypted, 2 JPEGs)", report["store_reads_per_s"]),
        ("MQTT drain reads/s, encrypted store", report.get("mqtt_drain_reads_per_s")),
        ("MQTT drain reads/s, memory outbox", ((report.get("mqtt") or {}).get("memory_outbox") or {}).get("reads_per_s")),
    ]
    recognition = report.get("recognition") or {}
    for key in ("frame_ms_median", "frame_ms_p95", "detector_and_corners_ms_median", "ocr_per_plate_ms_median"):
        if key in recognition:
            stage_rows.append((f"recognition {key}", recognition[key]))
    for label, value in stage_rows:
        print(f"{label:<36}{value!s:>14}")
    for name in ("recognition", "hotlist"):
        error = (report.get(name) or {}).get("error")
        if error:
            print(f"{name}: {error}")
    for name, result in (report.get("mqtt") or {}).items():
        if result.get("error"):
            print(f"mqtt {name}: {result['error']}")


def _pair(values: list) -> str:
    return ", ".join("?" if v is None else f"{v:g}" for v in values)
