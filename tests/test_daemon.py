"""The daemon's wiring, queues, counters, shutdown and watchdog, with stand-in recognition."""

from __future__ import annotations

import os
import socket
import tempfile
import time
from pathlib import Path

import pytest

from alpr_edge.config import Config, DeviceSection, PipelineSection, RecognitionSection
from alpr_edge.daemon import Components, Daemon
from alpr_edge.power import RecordingPowerOff, SimIgnition
from alpr_edge.profiles import load_profile
from alpr_edge.service import ServiceNotifier
from tests.fakes import EndlessSource, ReadPerObservation, RecordingStore, SlowRecognizer


def make_daemon(source=None, recognizer=None, store=None, max_frames=None, frame_queue=4, zoom_tiles=False, aggregator=None,
                **parts):
    config = Config(
        device=DeviceSection(data_dir=Path(tempfile.mkdtemp(prefix="alpr-daemon-test-"))),
        pipeline=PipelineSection(frame_queue=frame_queue),
        recognition=RecognitionSection(zoom_tiles=zoom_tiles),
    )
    components = Components(
        source=source or EndlessSource(),
        recognizer=recognizer or SlowRecognizer(),
        aggregator=aggregator or ReadPerObservation(),
        store=store,
        **parts,
    )
    return Daemon(config, load_profile("sim"), components, max_frames=max_frames)


def test_max_frames_processes_everything_and_counts_reads():
    store, recognizer, aggregator = RecordingStore(), SlowRecognizer(0.0), ReadPerObservation()
    daemon = make_daemon(recognizer=recognizer, aggregator=aggregator, store=store, max_frames=200, frame_queue=1000)
    summary = daemon.run()
    assert summary["frames_in"] == 200
    assert summary["frames_processed"] == 200 and summary["frames_dropped"] == 0
    assert summary["reads"] == 20 == len(store.reads)
    assert store.closed and aggregator.flushed
    assert recognizer.zoomed == 0, "video frames get one whole-frame look unless configured"


def test_zoom_tiles_setting_reaches_the_recognizer():
    recognizer = SlowRecognizer(0.0)
    make_daemon(recognizer=recognizer, max_frames=20, frame_queue=100, zoom_tiles=True).run()
    assert recognizer.calls == recognizer.zoomed == 20


def test_when_recognition_falls_behind_the_oldest_frames_are_dropped_and_counted():
    source = EndlessSource(fps=500)
    daemon = make_daemon(source=source, recognizer=SlowRecognizer(0.02), max_frames=300, frame_queue=4)
    summary = daemon.run()
    assert summary["frames_dropped"] > 100
    accounted = summary["frames_processed"] + summary["frames_dropped"] + summary["frames_discarded_at_stop"]
    assert accounted == summary["frames_in"] == 300
    assert len(daemon.frames) == 0


def test_stop_finishes_within_five_seconds_and_flushes_the_store():
    store = RecordingStore()
    source = EndlessSource(fps=200)
    daemon = make_daemon(source=source, recognizer=SlowRecognizer(0.05), store=store)
    daemon.start()
    time.sleep(1.0)
    started = time.monotonic()
    daemon.stop("SIGTERM")
    daemon.shutdown()
    assert time.monotonic() - started < 5.0
    assert store.closed and source.closed
    assert daemon.stop_reason == "SIGTERM"
    assert all(not t.is_alive() for t in daemon._threads)


def test_ignition_off_stops_capture_then_asks_for_a_clean_poweroff():
    import threading

    ignition = SimIgnition()
    power = RecordingPowerOff()
    store = RecordingStore()
    daemon = make_daemon(source=EndlessSource(fps=100), store=store, ignition=ignition, power=power)
    runner = threading.Thread(target=daemon.run)
    runner.start()
    time.sleep(0.5)
    assert power.requests == 0
    ignition.switch(False)
    runner.join(8)
    assert not runner.is_alive()
    assert daemon.stop_reason == "ignition off"
    assert power.requests == 1 and store.closed  # powered off only after the store closed


def test_ignition_control_file_turns_the_sim_ignition_off(tmp_path):
    ignition = SimIgnition(tmp_path / "sim-ignition-off")
    assert ignition.is_on()
    (tmp_path / "sim-ignition-off").touch()
    assert not ignition.is_on()


@pytest.fixture
def notify_socket(tmp_path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    yield path, sock
    sock.close()


def received(sock) -> list[str]:
    messages = []
    sock.setblocking(False)
    try:
        while True:
            messages.append(sock.recv(4096).decode())
    except BlockingIOError:
        pass
    return messages


def test_ready_and_watchdog_reach_a_real_notify_socket(notify_socket, monkeypatch):
    path, sock = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # 0.2 s: ping every 0.1 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    notifier = ServiceNotifier.from_environment()
    daemon = make_daemon(source=EndlessSource(fps=100), notifier=notifier)
    daemon.start()
    supervisor = __import__("threading").Thread(target=daemon.supervise)
    supervisor.start()
    time.sleep(1.0)
    daemon.stop("test")
    supervisor.join(5)
    daemon.shutdown()
    messages = received(sock)
    assert messages[0].startswith("READY=1")
    assert messages.count("WATCHDOG=1") >= 3
    assert messages[-1] == "STOPPING=1"


def test_abstract_notify_socket_address_is_supported():
    name = f"alpr-edge-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    try:
        assert ServiceNotifier(f"@{name}").ready()
        assert sock.recv(100).decode().startswith("READY=1")
    finally:
        sock.close()


def test_watchdog_meant_for_another_process_is_ignored(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "1000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert ServiceNotifier.from_environment().watchdog_interval_s is None


def test_status_file_is_written_without_plate_text(tmp_path):
    import dataclasses
    import json

    store = RecordingStore()
    daemon = make_daemon(recognizer=SlowRecognizer(0.0), store=store, max_frames=50, frame_queue=100)
    daemon.config = dataclasses.replace(
        daemon.config, device=dataclasses.replace(daemon.config.device, data_dir=tmp_path)
    )
    daemon.run()
    text = (tmp_path / "run" / "status.json").read_text()
    status = json.loads(text)
    assert status["frames_in"] == 50 and status["reads"] == 5
    assert status["running"] is False
    assert "ABC1234" not in text


def test_retention_is_applied_at_start_up_whatever_the_uptime():
    # In-car units often run under an hour: the first purge must not wait for one.
    store = RecordingStore()
    make_daemon(recognizer=SlowRecognizer(0.0), store=store, max_frames=20, frame_queue=100).run()
    assert store.purges[:1] == ["start"]


def test_the_live_feed_keeps_the_newest_reads_newest_first():
    from types import SimpleNamespace

    from alpr_edge.daemon import LiveFeed

    feed = LiveFeed(keep=3)
    reads = [SimpleNamespace(read_id=f"r{n}") for n in range(5)]
    feed.add(reads[:2])
    feed.add(reads[2:])
    assert [read.read_id for read in feed.newest(10)] == ["r4", "r3", "r2"]
    assert [read.read_id for read in feed.newest(2)] == ["r4", "r3"] and feed.newest(0) == []
    assert feed.find("r2") is reads[2] and feed.find("r1") is None
    assert [read.read_id for read in feed] == ["r2", "r3", "r4"]
