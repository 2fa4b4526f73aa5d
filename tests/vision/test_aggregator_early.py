"""Hot plates are read at once; every other plate once per passage."""

from __future__ import annotations

import numpy as np

from alpr_edge.capture import Frame
from alpr_edge.vision import ReadAggregator
from alpr_edge.vision.types import Candidate, PlateObservation


def observation(text: str, confidence: float = 0.9, x: int = 100) -> PlateObservation:
    return PlateObservation(
        text=text, confidence=confidence, candidates=(Candidate(text, confidence),),
        box=(x, 100, 80, 20), corners=((x, 100), (x + 80, 100), (x + 80, 120), (x, 120)),
        crop=np.zeros((20, 80), np.uint8), char_confidences=tuple(confidence for _ in text),
    )


def frame(index: int, at: float) -> Frame:
    return Frame(index, np.zeros((240, 320), np.uint8), None, at, 1_700_000_000 + at)


def feed(aggregator, texts_per_frame, step=0.1):
    reads = []
    for index, texts in enumerate(texts_per_frame):
        reads += aggregator.add(frame(index, index * step), [observation(t, x=100 + 3 * index) for t in texts])
    return reads


def test_a_hot_plate_is_read_on_the_frame_it_becomes_hot_and_only_once():
    aggregator = ReadAggregator("cam", passage_gap_s=1.0)
    aggregator.early_check = lambda obs: obs.text == "7KDM482"
    sequence = [["7KDM482"]] * 8 + [[]] * 15
    reads = []
    for index, texts in enumerate(sequence):
        new = aggregator.add(frame(index, index * 0.1), [observation(t, x=100 + 3 * index) for t in texts])
        if new:
            reads.append((index, new))
    assert [(index, [r.text for r in new]) for index, new in reads] == [(0, ["7KDM482"])]
    read = reads[0][1][0]
    assert read.extra["early"] is True and read.extra["trigger_monotonic_s"] == 0.0
    assert aggregator.flush() == []


def test_ordinary_plates_wait_for_the_end_of_their_passage():
    aggregator = ReadAggregator("cam", passage_gap_s=1.0)
    aggregator.early_check = lambda obs: False
    reads = feed(aggregator, [["ABC1234"]] * 8 + [[]] * 15)
    assert [r.text for r in reads] == ["ABC1234"]
    assert reads[0].frames == 8 and "early" not in reads[0].extra


def test_a_low_confidence_hot_observation_does_not_trigger_an_early_read():
    aggregator = ReadAggregator("cam", passage_gap_s=1.0, min_confidence=0.5)
    aggregator.early_check = lambda obs: True
    assert aggregator.add(frame(0, 0.0), [observation("7KDM482", confidence=0.3)]) == []
