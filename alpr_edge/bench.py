"""`alpr-edge bench`: the real daemon pipeline on a replayed drive, plus every stage benchmark.

The pipeline runs with the shipped int8 models, the encrypted store in a
temporary data dir, a hot list of ``hotlist_entries`` generated plates (plus
the drive's own plates, so alerts happen) and the alert book, fed by a replay
of the shipped rendered drive, read frame by frame from a file and decoded by
the capture thread like a USB MJPEG camera's JPEGs. The source is paced like
a camera at ``offered_fps``; what recognition cannot keep up with is dropped
and counted, exactly as in the field. Memory is sampled while the pipeline
runs, each run starting from a trimmed heap (`alpr_edge.memory`); wall-clock
figures come with the load average and the CPU time per frame, which a busy
machine moves far less.

Stage benchmarks (recognition per frame on one core, hot list match, store
insert, MQTT drain) are the scripts in ``scripts/``, run as subprocesses so
their memory and threads do not disturb each other.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from alpr_edge.capture import Frame
from alpr_edge.capture.replay import split_grey_colour
from alpr_edge.memory import release_freed_memory

ROOT = Path(__file__).resolve().parent.parent
SIM_FRAMES = ROOT / "firmware_profiles" / "sim-data" / "frames"
SCRIPTS = ROOT / "scripts"


class DriveRecording:
    """The drive's JPEG frames in one file, read back one at a time.

    A USB camera hands each JPEG over from the kernel's buffers: the bench
    reads each from disk (the page cache, after the first loop) instead of
    holding the whole drive in the process, where it would count as the
    daemon's memory (14 MB at 1080p).
    """

    def __init__(self, path: Path, images: list[bytes]):
        self.path = path
        self.spans: list[tuple[int, int]] = []
        with open(path, "wb") as handle:
            for image in images:
                self.spans.append((handle.tell(), len(image)))
                handle.write(image)

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, index: int) -> bytes:
        offset, length = self.spans[index]
        with open(self.path, "rb") as handle:
            return os.pread(handle.fileno(), length, offset)


class PacedReplay:
    """JPEG frames decoded and handed over at a camera's pace, looping (like a USB MJPEG camera)."""

    name = "bench"

    def __init__(self, images: DriveRecording, fps: float, colour: bool = True):
        self.images = images
        self.fps = fps
        self.colour = colour
        self.count = 0

    def open(self) -> None:
        pass

    def frames(self, stop: threading.Event):
        interval = 1.0 / self.fps
        next_due = time.monotonic()
        while not stop.is_set():
            next_due += interval
            delay = next_due - time.monotonic()
            if delay > 0 and stop.wait(delay):
                return
            image = cv2.imdecode(np.frombuffer(self.images[self.count % len(self.images)], np.uint8), cv2.IMREAD_COLOR)
            assert image is not None  # encoded by load_drive
            grey, colour = split_grey_colour(image)  # as the USB camera's source splits its decoded JPEGs
            yield Frame(self.count, grey, colour if self.colour else None, time.monotonic(), time.time(), self.name)
            self.count += 1

    def close(self) -> None:
        pass

    def status(self) -> dict:
        return {"camera": self.name, "frames": self.count, "driver": "bench-replay"}


def load_drive(size: tuple[int, int], limit: int = 120) -> list[bytes]:
    paths = sorted(SIM_FRAMES.glob("*.jpg"))[:limit]
    if not paths:
        raise FileNotFoundError(f"no rendered drive in {SIM_FRAMES}")
    images = []
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f"{path}: not a readable image")
        if (image.shape[1], image.shape[0]) != size:
            image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
        images.append(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    return images


def drive_plates() -> list[str]:
    truth = SIM_FRAMES.parent / "truth.csv"
    if not truth.exists():
        truth = SIM_FRAMES / "truth.csv"
    plates = set()
    if truth.exists():
        import csv

        with open(truth, newline="") as handle:
            for row in csv.DictReader(handle):
                text = row.get("text") or row.get("plate") or ""
                if text:
                    plates.add(text.upper())
    return sorted(plates)


@contextlib.contextmanager
def throwaway_list_storage() -> Iterator[Any]:
    """Sealed hot list storage in a temporary folder, keyed by a throwaway store (dev keys), removed on exit.

    The bench's lists are random plates, but they go through the device's own
    sealed storage: nothing with plates is ever written unencrypted, and
    nothing is left behind in /tmp, whatever happens in between.
    """
    from alpr_edge.config import StoreSection
    from alpr_edge.hotlist.sealed_storage import device_list_storage
    from alpr_edge.store import Store

    with tempfile.TemporaryDirectory(prefix="alpr-bench-hotlist-") as folder:
        store = Store.open(Path(folder) / "data", StoreSection(), dev_keys=True)
        try:
            yield device_list_storage(Path(folder) / "data", store)
        finally:
            store.close()


def hotlist_engine(entries: int, plates: list[str], storage):
    """A HotListEngine with an NCIC extract of ``entries`` random plates, plus ``plates`` on a small list."""
    from alpr_edge.config import HotlistSection
    from alpr_edge.hotlist import HotListEngine, parse_csv, parse_ncic

    sys.path.insert(0, str(SCRIPTS))
    from bench_hotlist import generate_extract  # the hot list benchmark's generator

    # Imported once into ``storage``, then loaded the way the daemon starts:
    # from the stored (sealed) list, not from the parser's leftovers.
    extract, _ = generate_extract(entries, np.random.default_rng(7))
    HotListEngine(storage, audit=lambda *a, **k: None).replace(parse_ncic(extract, name="ncic"), actor="bench")
    del extract
    release_freed_memory()  # the import's leftovers are the bench's, not the daemon's
    started = time.perf_counter()
    engine = HotListEngine(storage, settings=HotlistSection(), audit=lambda *a, **k: None)
    load_s = time.perf_counter() - started
    lines = ["plate,state,list,reason,vehicle,entered_by,case_number,synopsis,expires"]
    lines += [f"{plate},,BENCH,Stolen vehicle,Sedan,Bench #1,26-000001,Benchmark entry,2099-12-31" for plate in plates]
    engine.replace(parse_csv(("\n".join(lines) + "\n").encode(), name="bench"), actor="bench")
    return engine, load_s


def thread_cpu_s(thread: threading.Thread) -> float:
    """User + system CPU seconds of one thread, from /proc."""
    try:
        fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def cpu_ms_per_frame(cpu_s: dict[str, float], frames_in: int, frames_processed: int) -> dict[str, float | None]:
    """CPU milliseconds each frame cost the capture (per frame offered) and recognition (per frame
    processed) threads: unlike frame rates and latencies, these barely move with other load."""
    def per(seconds: float | None, frames: int) -> float | None:
        return round(1000 * seconds / frames, 2) if seconds is not None and seconds == seconds and frames else None
    return {"capture": per(cpu_s.get("capture"), frames_in), "recognition": per(cpu_s.get("recognition"), frames_processed)}


def load_average() -> float | None:
    """The 1-minute load average: a wall-clock figure means little when this is above the core count."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def rss_mb() -> float:
    return status_mb("VmRSS")


def status_mb(field: str) -> float:
    """A memory figure of /proc/self/status (VmRSS, VmHWM) in MB; NaN where there is none."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return float("nan")


def reset_high_water() -> bool:
    """Restart the kernel's peak-RSS count (VmHWM) from the current RSS; False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "n": 0}
    array = np.asarray(values)
    return {
        "p50": round(float(np.percentile(array, 50)), 1),
        "p95": round(float(np.percentile(array, 95)), 1),
        "p99": round(float(np.percentile(array, 99)), 1),
        "n": len(values),
    }


def run_pipeline(size: tuple[int, int], seconds: float, offered_fps: float, engine, threads: int = 1) -> dict:
    """The real daemon (recognition, aggregation, tagging, encrypted store, hot lists, alerts) on a replay."""
    from alpr_edge.assembly import build_daemon
    from alpr_edge.config import Config, DeviceSection, RecognitionSection
    from alpr_edge.profiles import load_profile

    with tempfile.TemporaryDirectory(prefix="alpr-bench-") as data_dir:
        images = DriveRecording(Path(data_dir) / "drive.jpegs", load_drive(size))
        release_freed_memory()  # a device runs one camera: this run must not carry the last run's heap
        config = Config(
            device=DeviceSection(data_dir=Path(data_dir)),
            recognition=RecognitionSection(threads=threads),
        )
        profile = dataclasses.replace(load_profile("sim"), name="bench")
        # Built as the device builds itself; only the camera and the hot lists are the benchmark's.
        daemon = build_daemon(config, profile, source=PacedReplay(images, offered_fps), hotlists=engine,
                              max_frames=int(seconds * offered_fps))
        load_at_start = load_average()
        high_water = reset_high_water()
        started = time.monotonic()
        daemon.start()
        peak_rss = 0.0
        cpu: dict[str, float] = {}
        while not daemon.wait_done(0.2):
            peak_rss = max(peak_rss, rss_mb())
            for thread in daemon.threads:  # sampled while alive: /proc forgets ended threads
                seconds = thread_cpu_s(thread)
                if seconds == seconds:
                    cpu[thread.name] = round(seconds, 2)
        daemon.shutdown()
        duration = time.monotonic() - started
        counters = daemon.counters
        result = {
            "size": f"{size[0]}x{size[1]}",
            "offered_fps": offered_fps,
            "duration_s": round(duration, 1),
            "frames_in": counters.frames_in,
            "frames_processed": counters.frames_processed,
            "frames_dropped": counters.frames_dropped,
            "fps_processed": round(counters.frames_processed / duration, 1),
            "reads": counters.reads,
            "alerts": counters.alerts,
            "recognition_ms_mean": round(counters.recognition.mean_ms, 1),
            "capture_to_read_ms": percentiles(counters.capture_to_read_ms),
            "capture_to_alert_ms": percentiles(counters.capture_to_alert_ms),
            "cpu_s_per_thread": cpu,
            "cpu_percent_per_thread": {k: round(100 * v / duration, 1) for k, v in cpu.items()},
            "cpu_ms_per_frame": cpu_ms_per_frame(cpu, counters.frames_in, counters.frames_processed),
            "peak_rss_mb": round(peak_rss, 1),  # sampled every 0.2 s
            "peak_rss_hwm_mb": status_mb("VmHWM") if high_water else None,  # the kernel's, no sample missed
            "load_average_start_end": [load_at_start, load_average()],
        }
    return result


def store_write_rate(count: int = 2000) -> float:
    """Encrypted reads per second into the store, in batches as the daemon writes them."""
    from alpr_edge.config import StoreSection
    from alpr_edge.ids import uuid7
    from alpr_edge.store import Store
    from alpr_edge.vision.types import Candidate, Read

    crop, overview = os.urandom(8_000), os.urandom(60_000)
    now = time.time()
    reads = [
        Read(
            read_id=uuid7(), text=f"BEN{i:04d}", confidence=0.9, candidates=(Candidate(f"BEN{i:04d}", 0.9),),
            camera="bench", capture_monotonic_s=0.0, capture_wall_time=now, first_seen_monotonic_s=0.0, frames=5,
            box=(0, 0, 1, 1), crop_jpeg=crop, overview_jpeg=overview, state="CA",
        )
        for i in range(count)
    ]
    with tempfile.TemporaryDirectory(prefix="alpr-bench-store-") as folder:
        store = Store.open(Path(folder), StoreSection(), dev_keys=True)
        started = time.perf_counter()
        for start in range(0, count, 32):
            store.add_reads(reads[start:start + 32])
        elapsed = time.perf_counter() - started
        store.close()
    return count / elapsed


def run_script(name: str, *args: str, timeout: float = 600) -> dict:
    """A stage benchmark from scripts/, returning its JSON (or the error)."""
    path = SCRIPTS / name
    if not path.exists():
        return {"error": f"{path} not found (benchmarks need a checkout)"}
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{SCRIPTS}"}
    try:
        result = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"{name} timed out after {timeout} s"}
    if result.returncode != 0:
        return {"error": f"{name} exited {result.returncode}: {result.stderr.strip()[-500:]}"}
    text = result.stdout.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        try:
            return json.loads(text.splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            return {"error": f"{name} printed no JSON", "output": text[-500:]}


def uplink_drain(*args: str) -> dict:
    """Backlog drain to a local Mosquitto over TLS (scripts/bench_uplink.py prints text)."""
    import re

    path = SCRIPTS / "bench_uplink.py"
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{SCRIPTS}"}
    try:
        result = subprocess.run([sys.executable, str(path), "--reads", "3000", *args], capture_output=True, text=True,
                                timeout=300, env=env, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired) as error:
        return {"error": str(error)}
    found = re.search(r"->\s+([\d,]+) reads/s", result.stdout)
    if result.returncode != 0 or not found:
        return {"error": f"exit {result.returncode}: {(result.stderr or result.stdout).strip()[-300:]}"}
    return {"reads_per_s": float(found.group(1).replace(",", "")), "output": result.stdout.strip().splitlines()}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, {platform.machine()}, Python {platform.python_version()}"


def run_bench(seconds: float = 20.0, offered_fps: float = 30.0, hotlist_entries: int = 2_000_000, stages: bool = True, progress=print) -> dict:
    with throwaway_list_storage() as storage:
        return _run_bench(storage, seconds, offered_fps, hotlist_entries, stages, progress)


def _run_bench(storage, seconds: float, offered_fps: float, hotlist_entries: int, stages: bool, progress) -> dict:
    started = time.perf_counter()
    progress(f"importing and loading a {hotlist_entries:,}-entry hot list ...")
    rss_before = rss_mb()
    engine, load_s = hotlist_engine(hotlist_entries, drive_plates(), storage)
    hotlist_rss = rss_mb() - rss_before
    progress(f"  loaded in {load_s:.1f} s, +{hotlist_rss:.0f} MB")
    pipelines = {}
    for size in ((1280, 720), (1920, 1080)):
        progress(f"pipeline {size[0]}x{size[1]} offered {offered_fps} fps for {seconds} s ...")
        pipelines[size[1]] = run_pipeline(size, seconds, offered_fps, engine)
    report = {
        "machine": machine(),
        "fps_720p": pipelines[720]["fps_processed"],
        "fps_1080p": pipelines[1080]["fps_processed"],
        "frames_dropped": pipelines[720]["frames_dropped"] + pipelines[1080]["frames_dropped"],
        "capture_to_alert_ms": pipelines[720]["capture_to_alert_ms"],
        "capture_to_read_ms": pipelines[720]["capture_to_read_ms"],
        "rss_mb": round(max(pipelines[720]["peak_rss_mb"], pipelines[1080]["peak_rss_mb"]), 1),
        "rss_hwm_mb": max((p["peak_rss_hwm_mb"] for p in pipelines.values() if p["peak_rss_hwm_mb"] is not None), default=None),
        "hotlist_entries": hotlist_entries,
        "hotlist_load_s": round(load_s, 2),  # from the stored list, as at start-up
        "hotlist_rss_mb": round(hotlist_rss, 1),
        "pipeline_720p": pipelines[720],
        "pipeline_1080p": pipelines[1080],
    }
    progress("store write rate ...")
    report["store_reads_per_s"] = round(store_write_rate(), 1)
    if stages:
        progress("stage benchmarks (recognition, hot list, MQTT drain) ...")
        report["recognition"] = run_script("bench_recognition.py", "--json")
        hot = run_script("bench_hotlist.py", "--entries", str(hotlist_entries), "--reads", "20000")
        report["hotlist"] = hot
        report["hotlist_match_p99_ms"] = hot.get("match_p99_ms")
        report["mqtt"] = {
            "memory_outbox": uplink_drain("--store", "memory"),
            "encrypted_store": uplink_drain("--store", "real"),
        }
        report["mqtt_drain_reads_per_s"] = report["mqtt"]["encrypted_store"].get("reads_per_s")
    else:
        report["hotlist_match_p99_ms"] = None
        report["mqtt_drain_reads_per_s"] = None
    report["bench_wall_s"] = round(time.perf_counter() - started, 1)
    return report
