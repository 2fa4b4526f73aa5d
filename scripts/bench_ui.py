#!/usr/bin/env python3
"""Benchmark the touchscreen on the device path: login, live view, alert push and alert steps.

    PYTHONPATH=. .venv/bin/python scripts/bench_ui.py [--alerts 20] [--push-interval 0.5]

Real pieces (encrypted store with dev keys, Argon2 accounts with the default
cost, hot list engine, alert book, device backend, uvicorn over HTTP); the
daemon itself is a stand-in holding them. The push latency is measured from
the moment the alert is raised (as the daemon's reads thread does) to the
moment the browser-side stream receives it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx

from alpr_edge.accounts import Accounts
from alpr_edge.alerts import AlertBook
from alpr_edge.config import Config, UiSection
from alpr_edge.hotlist import FileListStorage, HotListEngine
from alpr_edge.ids import uuid7
from alpr_edge.profiles import load_profile
from alpr_edge.store import Store
from alpr_edge.ui import UiServer, create_app
from alpr_edge.ui.device_backend import DeviceBackend
from alpr_edge.ui.server import free_port
from alpr_edge.ui.testing import overview_image, plate_crop
from alpr_edge.vision.types import Candidate, Read


def make_read(text: str) -> Read:
    now = time.time()
    return Read(read_id=uuid7(), text=text, confidence=0.93, candidates=(Candidate(text, 0.93),), camera="front",
                capture_monotonic_s=time.monotonic(), capture_wall_time=now, first_seen_monotonic_s=time.monotonic(),
                frames=5, box=(0, 0, 10, 10), crop_jpeg=plate_crop(text), overview_jpeg=overview_image(text), state="CA")


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms (n={len(ordered)})"


def main() -> None:
    import logging

    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20, help="alerts to push one by one")
    parser.add_argument("--push-interval", type=float, default=UiSection().push_interval_s)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    config = replace(Config(), device=replace(Config().device, data_dir=data))
    store = Store.open(data, config.store, dev_keys=True)
    accounts = Accounts(store, config.accounts)  # default Argon2 cost, as on the device
    accounts.add("olive", "officer", "olive-secret")
    engine = HotListEngine(FileListStorage(data / "hotlists"), settings=config.hotlist, audit=store.audit)
    plates = [f"{i}BNC{i:03d}" for i in range(args.alerts)]
    for plate in plates:
        engine.add_manual(plate, None, "Stolen vehicle", entered_by="bench", case_number="24-1", synopsis="bench",
                          expires=date.today() + timedelta(days=10), role="supervisor")
    book = AlertBook(store.db, store.audit, settings=config.alerts)
    daemon = SimpleNamespace(
        parts=SimpleNamespace(store=store, hotlists=engine, alert_book=book, uplink=None, positions=None, clock=None,
                              signals=None, source=SimpleNamespace(status=lambda: {"connected": True})),
        counters=SimpleNamespace(frames_in=1), recent_reads=[], config=config, profile=load_profile("sim"),
        summary=lambda: {"fps_in": 15.0},
    )
    backend = DeviceBackend(daemon, accounts)
    server = UiServer(create_app(backend, UiSection(push_interval_s=args.push_interval)), "127.0.0.1", free_port())
    server.start()
    client = httpx.Client(base_url=server.url, timeout=10)
    try:
        started = time.perf_counter()
        csrf = client.post("/api/login", json={"name": "olive", "secret": "olive-secret"}).json()["csrf"]
        login_ms = 1000 * (time.perf_counter() - started)
        for _ in range(20):  # a full live view
            read = make_read("4XYZ987")
            store.add_reads([read])
            daemon.recent_reads = (daemon.recent_reads + [read])[-50:]

        arrivals: dict[str, float] = {}
        stop = threading.Event()

        def listen():
            with httpx.Client(base_url=server.url, cookies=client.cookies, timeout=None) as stream_client:
                with stream_client.stream("GET", "/api/events") as stream:
                    for line in stream.iter_lines():
                        if line.startswith("data: ") and line != "data: {}":
                            now = time.perf_counter()
                            for alert in json.loads(line[6:]).get("alerts", []):
                                arrivals.setdefault(alert["alert_id"], now)
                        if stop.is_set():
                            return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(1.0)
        push_ms, step_ms, live_ms = [], [], []
        for plate in plates:
            read = make_read(plate)
            raised_at = time.perf_counter()
            store.add_reads([read])  # what the daemon's reads thread does for a hit
            daemon.recent_reads = (daemon.recent_reads + [read])[-50:]
            with store.lock:
                alert = book.raise_alerts(read.read_id, engine.match(read.text, read.state, read.candidates))[0]
            while alert.alert_id not in arrivals:
                time.sleep(0.005)
                if time.perf_counter() - raised_at > 10:
                    raise SystemExit("an alert never reached the page")
            push_ms.append(1000 * (arrivals[alert.alert_id] - raised_at))
            t = time.perf_counter()
            assert client.get("/api/live").status_code == 200
            live_ms.append(1000 * (time.perf_counter() - t))
            t = time.perf_counter()
            response = client.post(f"/api/alerts/{alert.alert_id}/step", json={"step": "misread"}, headers={"X-CSRF-Token": csrf})
            assert response.status_code == 200, response.text
            step_ms.append(1000 * (time.perf_counter() - t))
        stop.set()
        print(f"login (Argon2 default cost)   {login_ms:.0f} ms")
        print(f"GET /api/live (20 reads)       {percentiles(live_ms)}")
        print(f"alert raised -> on the stream  {percentiles(push_ms)}  (push interval {args.push_interval} s)")
        print(f"alert step (POST, audited)     {percentiles(step_ms)}")
    finally:
        client.close()
        server.stop()
        store.close()


if __name__ == "__main__":
    main()
