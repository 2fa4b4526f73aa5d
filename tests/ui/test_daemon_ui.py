"""The touchscreen as a part of a real Daemon: started and stopped with it, showing its reads."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from alpr_edge.accounts import Accounts
from alpr_edge.config import Config, DeviceSection, UiSection
from alpr_edge.daemon import Components, Daemon
from alpr_edge.profiles import load_profile
from alpr_edge.store import Store
from alpr_edge.pipeline import PipelineCounters
from alpr_edge.types import LiveFeed
from alpr_edge.ui.services import DeviceServices, open_ui
from alpr_edge.ui.server import free_port
from tests.fakes import EndlessSource, ReadPerObservation, SlowRecognizer


def test_the_daemon_serves_its_reads_on_the_touchscreen_and_stops_it(tmp_path: Path):
    port = free_port()
    config = Config(device=DeviceSection(data_dir=tmp_path), ui=UiSection(port=port, push_interval_s=0.1))
    store = Store.open(tmp_path, config.store, dev_keys=True)
    Accounts(store, config.accounts, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)).add(
        "olive", "officer", "olive-secret")
    parts = Components(source=EndlessSource(fps=100), recognizer=SlowRecognizer(), aggregator=ReadPerObservation(), store=store)
    feed, counters = LiveFeed(), PipelineCounters()
    parts.ui = open_ui(config, DeviceServices(config, load_profile("sim"), parts, feed=feed, counters=counters))
    daemon = Daemon(config, load_profile("sim"), parts, feed=feed, counters=counters)
    runner = threading.Thread(target=daemon.run)
    runner.start()
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                client = httpx.Client(base_url=url)
                login = client.post("/api/login", json={"name": "olive", "secret": "olive-secret"})
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the UI never came up"
                time.sleep(0.1)
        assert login.status_code == 200, login.text
        checks = {c["name"]: c["status"] for c in login.json()["start_of_shift"]}
        assert checks["camera"] == "pass" and checks["hotlist"] == "fail"
        while not client.get("/api/live").json()["reads"]:
            assert time.monotonic() < deadline, "no read reached the live view"
            time.sleep(0.1)
        assert client.get("/api/live").json()["reads"][0]["text"] == "ABC1234"
        client.close()
    finally:
        daemon.stop("test over")
        runner.join(10)
    assert not runner.is_alive()
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
        raise AssertionError("the UI still answers after the daemon stopped")
    except httpx.ConnectError:
        pass


def test_a_taken_ui_port_does_not_stop_the_daemon(tmp_path: Path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = Config(device=DeviceSection(data_dir=tmp_path), ui=UiSection(port=taken.getsockname()[1]))
        store = Store.open(tmp_path, config.store, dev_keys=True)
        parts = Components(source=EndlessSource(), recognizer=SlowRecognizer(), aggregator=ReadPerObservation(), store=store)
        feed, counters = LiveFeed(), PipelineCounters()
        parts.ui = open_ui(config, DeviceServices(config, load_profile("sim"), parts, feed=feed, counters=counters))
        daemon = Daemon(config, load_profile("sim"), parts, max_frames=50, feed=feed, counters=counters)
        summary = daemon.run()
    assert summary["frames_in"] == 50
    assert "cannot listen" in parts.ui.error
