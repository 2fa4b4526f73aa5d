"""Benchmark the hot list engine on a generated 2,000,000-entry NCIC extract.

Measures: parsing the extract, putting it in force (index + atomic save),
loading it back at start-up, the memory the list takes (RSS growth), and the
time to match one read with 10 OCR candidates in lenient mode (p50/p99).

    PYTHONPATH=. python scripts/bench_hotlist.py [--entries 2000000] [--reads 20000] [--folder /tmp/x]

Targets (issue 8): load < 5 s, match p99 < 0.2 ms, memory < 300 MB.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from alpr_edge.config import HotlistSection
from alpr_edge.hotlist import FileListStorage, HotListEngine, parse_ncic
from alpr_edge.vision.types import Candidate


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate_extract(count: int, rng: np.random.Generator) -> tuple[bytes, np.ndarray]:
    """A valid NCIC extract of ``count`` random records, and their plates."""
    letters = np.frombuffer(string.ascii_uppercase.encode(), dtype=np.uint8)
    digits = np.frombuffer(string.digits.encode(), dtype=np.uint8)
    alnum = np.concatenate([letters, digits])
    width = 66
    rows = np.full((count, width + 1), 32, dtype=np.uint8)
    rows[:, width] = 10
    rows[:, 0] = rng.choice(np.frombuffer(b"VVVVVVPPPFWMALKRT", dtype=np.uint8), count)
    states = np.frombuffer(b"CANVAZORWATXNYFLON", dtype=np.uint8).reshape(-1, 2)
    rows[:, 1:3] = states[rng.integers(0, len(states), count)]
    agencies = np.array([f"{n:04d}000".encode() for n in rng.integers(0, 10000, 5000)], dtype="S7")
    rows[:, 3:10] = agencies.view(np.uint8).reshape(-1, 7)[rng.integers(0, len(agencies), count)]  # ~5000 agencies
    rows[:, 10:19] = 48 + rng.integers(0, 10, (count, 9))  # record number
    days = np.array([f"2026{m:02d}{d:02d}".encode() for m in range(1, 12) for d in range(1, 29)], dtype="S8")
    rows[:, 19:27] = days.view(np.uint8).reshape(-1, 8)[rng.integers(0, len(days), count)]
    # Plates: 5 to 8 characters, letters and digits.
    lengths = rng.integers(5, 9, count)
    plate = alnum[rng.integers(0, len(alnum), (count, 8))]
    plate[np.arange(8)[None, :] >= lengths[:, None]] = 32
    rows[:, 27:35] = plate
    rows[:, 37:39] = rows[:, 1:3]
    rows[:, 39:43] = np.frombuffer(b"2027", dtype=np.uint8)
    rows[:, 43:45] = np.frombuffer(b"PC", dtype=np.uint8)
    rows[:, 45:49] = 48 + np.stack([np.full(count, 2), np.zeros(count, int), rng.integers(0, 3, count), rng.integers(0, 10, count)], 1)
    rows[:, 49:53] = letters[rng.integers(0, 26, (count, 4))]
    rows[:, 53:56] = alnum[rng.integers(0, 36, (count, 3))]
    rows[:, 56:58] = np.frombuffer(b"4D", dtype=np.uint8)
    rows[:, 58:61] = np.frombuffer(b"BLKWHIREDSILGRYBLU", dtype=np.uint8).reshape(-1, 3)[rng.integers(0, 6, count)]
    header = f"NCIC HOT FILE EXTRACT 20261122 0400 RECORDS={count}\n".encode()
    plates = np.ascontiguousarray(rows[:, 27:35]).view("S8").ravel()
    return header + rows.tobytes(), plates


def confuse(text: str, rng: random.Random) -> str:
    swaps = {"0": "O", "O": "0", "8": "B", "B": "8", "1": "I", "I": "1", "5": "S", "S": "5", "2": "Z", "Z": "2"}
    chars = list(text)
    spots = [i for i, ch in enumerate(chars) if ch in swaps]
    if spots:
        i = rng.choice(spots)
        chars[i] = swaps[chars[i]]
    return "".join(chars)


def measure_stored(folder: Path, reads_count: int, candidates_count: int) -> dict:
    """In a fresh process: start-up load, memory of the loaded list, match timings."""
    results = {}
    storage = FileListStorage(folder / "hotlists")
    gc.collect()
    before = rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    engine = HotListEngine(storage, settings=HotlistSection(), audit=lambda *a, **k: None)
    results["startup_load_s"] = round(time.perf_counter() - started, 2)
    results["startup_load_cpu_s"] = round(time.process_time() - cpu, 2)
    gc.collect()
    results["rss_list_loaded_mb"] = round(rss_mb() - before, 1)
    hotlist = engine.get("ncic")
    results["list_arrays_mb"] = round((hotlist.entries.nbytes + engine._lists["ncic"].index.nbytes) / 2**20, 1)

    # Reads: a tenth are listed plates with one confusable character changed
    # (found through the lenient canonical form), the rest random plates.
    prng = random.Random(11)
    plates = hotlist.entries.plates
    reads = []
    for i in range(reads_count):
        if i % 10 == 0:
            text = confuse(plates[prng.randrange(len(plates))].decode(), prng)
        else:
            text = "".join(prng.choice(string.ascii_uppercase + string.digits) for _ in range(7))
        candidates = tuple(Candidate(confuse(text, prng), 0.9 - j * 0.05) for j in range(candidates_count))
        reads.append((text, candidates))
    for text, candidates in reads[:500]:  # warm up
        engine.match(text, "CA", candidates)
    # Wall time includes being pre-empted by other processes on a shared
    # box; this thread's CPU time does not: both are reported.
    timings, cpu_timings, hits = [], [], 0
    for text, candidates in reads:
        started, cpu_started = time.perf_counter_ns(), time.thread_time_ns()
        found = engine.match(text, "CA", candidates)
        cpu_timings.append(time.thread_time_ns() - cpu_started)
        timings.append(time.perf_counter_ns() - started)
        hits += bool(found)
    timings_ms, cpu_ms = np.array(timings) / 1e6, np.array(cpu_timings) / 1e6
    results["match_p50_ms"] = round(float(np.percentile(timings_ms, 50)), 4)
    results["match_p99_ms"] = round(float(np.percentile(timings_ms, 99)), 4)
    results["match_p99_hits_only_ms"] = round(float(np.percentile(timings_ms[0::10], 99)), 4)
    results["match_max_ms"] = round(float(timings_ms.max()), 3)
    results["match_cpu_p50_ms"] = round(float(np.percentile(cpu_ms, 50)), 4)
    results["match_cpu_p99_ms"] = round(float(np.percentile(cpu_ms, 99)), 4)
    results["match_cpu_p99_hits_only_ms"] = round(float(np.percentile(cpu_ms[0::10], 99)), 4)
    results["load_average_1min"] = round(os.getloadavg()[0], 2)
    results["reads"] = len(reads)
    results["reads_with_hits"] = hits
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--one-char", action="store_true", help="also allow one missing/extra character")
    parser.add_argument("--folder", type=Path, help="where to write the extract and the stored list (default: a temporary folder)")
    parser.add_argument("--measure-stored", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.measure_stored:
        print(json.dumps(measure_stored(args.folder, args.reads, args.candidates)))
        return
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-hotlist-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = {"entries": args.entries, "candidates": args.candidates, "one_char_tolerance": args.one_char}

    data, _ = generate_extract(args.entries, np.random.default_rng(7))
    extract = folder / "ncic-2m.txt"
    extract.write_bytes(data)
    del data
    gc.collect()
    # Process CPU seconds are reported next to wall seconds: on a shared box
    # the wall time also counts the other tenants' turns on the cores.
    started, cpu = time.perf_counter(), time.process_time()
    hotlist = parse_ncic(extract, one_char_tolerance=args.one_char)
    results["parse_s"] = round(time.perf_counter() - started, 2)
    results["parse_cpu_s"] = round(time.process_time() - cpu, 2)
    storage = FileListStorage(folder / "hotlists")
    for name in storage.names():
        storage.delete(name)
    engine = HotListEngine(storage, settings=HotlistSection(), audit=lambda *a, **k: None)
    started, cpu = time.perf_counter(), time.process_time()
    engine.replace(hotlist, actor="bench")
    results["replace_s"] = round(time.perf_counter() - started, 2)
    results["replace_cpu_s"] = round(time.process_time() - cpu, 2)
    results["parse_plus_replace_s"] = round(results["parse_s"] + results["replace_s"], 2)
    results["stored_file_mb"] = round((folder / "hotlists" / "ncic.hotlist").stat().st_size / 2**20, 1)
    del engine, hotlist

    child = subprocess.run(
        [sys.executable, __file__, "--measure-stored", "--folder", str(folder), "--reads", str(args.reads),
         "--candidates", str(args.candidates)],
        check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    results.update(json.loads(child.stdout))
    results["load_time_target_met"] = results["parse_plus_replace_s"] < 5 and results["startup_load_s"] < 5
    results["match_target_met"] = results["match_p99_ms"] < 0.2
    results["memory_target_met"] = results["rss_list_loaded_mb"] < 300
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
