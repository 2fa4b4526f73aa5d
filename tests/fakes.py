"""Stand-ins for the recognition stage in daemon tests: no models needed."""

from __future__ import annotations

import threading
import time

import numpy as np

from alpr_edge.capture import Frame
from alpr_edge.ids import uuid7
from alpr_edge.vision.types import Candidate, PlateObservation, Read


class EndlessSource:
    """A camera that never ends: small frames as fast as asked."""

    name = "endless"

    def __init__(self, fps: float = 0.0):
        self.fps = fps
        self.opened = self.closed = False
        self.count = 0

    def open(self):
        self.opened = True

    def frames(self, stop: threading.Event):
        while not stop.is_set():
            if self.fps:
                stop.wait(1.0 / self.fps)
            yield Frame(self.count, np.zeros((48, 64), np.uint8), None, time.monotonic(), time.time(), self.name)
            self.count += 1

    def close(self):
        self.closed = True

    def status(self):
        return {"camera": self.name, "frames": self.count}


class SlowRecognizer:
    """Sees plate ABC1234 in every 10th frame; takes ``seconds`` per frame."""

    def __init__(self, seconds: float = 0.0):
        self.seconds = seconds
        self.calls = 0
        self.zoomed = 0  # calls asked to look at zoom tiles too

    def recognize(self, grey, zoom=False):
        self.calls += 1
        self.zoomed += zoom
        if self.seconds:
            time.sleep(self.seconds)
        if self.calls % 10:
            return []
        return [
            PlateObservation(
                text="ABC1234", confidence=0.9, candidates=(Candidate("ABC1234", 0.9),),
                box=(1, 1, 10, 5), corners=((1, 1), (11, 1), (11, 6), (1, 6)), crop=grey[:5, :10],
            )
        ]


class ReadPerObservation:
    """An aggregator that makes one read of every observation (no voting)."""

    def __init__(self):
        self.flushed = False

    def add(self, frame, observations):
        return [
            Read(
                read_id=uuid7(), text=o.text, confidence=o.confidence, candidates=o.candidates, camera=frame.camera,
                capture_monotonic_s=frame.monotonic_s, capture_wall_time=frame.wall_time,
                first_seen_monotonic_s=frame.monotonic_s, frames=1, box=o.box,
            )
            for o in observations
        ]

    def flush(self):
        self.flushed = True
        return []


class RecordingStore:
    def __init__(self):
        self.reads = []
        self.hits = []
        self.closed = False
        self.purges = []  # the trigger of each purge asked for

    def add_reads(self, reads):
        self.reads.extend(reads)
        return len(reads)

    def mark_hit(self, read_id):
        self.hits.append(read_id)

    def upload_backlog(self):
        return 0

    def purge(self, *, trigger="command"):
        self.purges.append(trigger)

    def close(self):
        self.closed = True
