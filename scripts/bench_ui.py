#!/usr/bin/env python3
"""Benchmark the touchscreen on the device path: login, live view, alert push and alert steps.

    PYTHONPATH=. .venv/bin/python scripts/bench_ui.py [--alerts 20] [--push-interval 0.5]

Real pieces (encrypted store with dev keys, Argon2 accounts with the default
cost, hot list engine, alert desk, device services, uvicorn over HTTP), as the
UI tests build them (``tests.ui.world``); reads go through the daemon's own
``handle_reads``. The push latency is measured from the moment the read is
handed to the daemon to the moment the browser-side stream receives its alert.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from alpr_edge.config import UiSection
from alpr_edge.ui import UiServer, create_app
from alpr_edge.ui.server import free_port
from tests.ui.world import UiWorld


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

    world = UiWorld(Path(tempfile.mkdtemp(prefix="bench-ui-")), hasher=PasswordHasher())  # default Argon2 cost
    world.add_account("olive", "olive-secret", "officer")
    plates = [f"{i}BNC{i:03d}" for i in range(args.alerts)]
    for plate in plates:
        world.add_hot(plate, None, "Stolen vehicle", list_name="bench")
    server = UiServer(create_app(world.services, UiSection(push_interval_s=args.push_interval)), "127.0.0.1", free_port())
    server.start()
    client = httpx.Client(base_url=server.url, timeout=10)
    try:
        started = time.perf_counter()
        csrf = client.post("/api/login", json={"name": "olive", "secret": "olive-secret"}).json()["csrf"]
        login_ms = 1000 * (time.perf_counter() - started)
        for _ in range(20):  # a full live view
            world.push_read("4XYZ987")

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
            raised_at = time.perf_counter()
            _, alert = world.push_read(plate)  # what the daemon's reads thread does for a hit
            assert alert is not None
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
        world.close()


if __name__ == "__main__":
    main()
