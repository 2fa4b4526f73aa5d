"""The read aggregator's tracking and voting on constructed observation sequences."""

import numpy as np
import pytest

from alpr_edge.capture.frame import Frame
from alpr_edge.vision import Candidate, PlateObservation, ReadAggregator
from alpr_edge.vision.aggregator import vote

GREY = np.full((72, 128), 90, np.uint8)


def frame(i, fps=15.0, colour=False):
    return Frame(index=i, grey=GREY, colour=np.zeros((72, 128, 3), np.uint8) if colour else None,
                 monotonic_s=100.0 + i / fps, wall_time=1_700_000_000.0 + i / fps, camera="front")


def obs(text, box=(40, 30, 40, 20), confidence=0.9, chars=None, state="CA", state_confidence=0.8):
    chars = chars or tuple(confidence for _ in text)
    x, y, w, h = box
    return PlateObservation(text=text, confidence=confidence, candidates=(Candidate(text, confidence),), box=box,
                            corners=((x, y), (x + w, y), (x + w, y + h), (x, y + h)),
                            crop=np.full((48, 96), 200, np.uint8), char_confidences=chars,
                            state=state, state_confidence=state_confidence)


def test_one_passage_gives_one_read_after_the_gap():
    agg = ReadAggregator("front", passage_gap_s=1.0, min_confidence=0.5)
    reads = []
    for i in range(10):  # plate moves right and grows a little each frame
        reads += agg.add(frame(i), [obs("7ABC123", box=(40 + 3 * i, 30, 40 + i, 20))])
    assert reads == []
    for i in range(10, 10 + 14):  # 14 empty frames at 15 fps: still within the 1 s gap
        reads += agg.add(frame(i), [])
    assert reads == []
    reads += agg.add(frame(24), [])
    assert len(reads) == 1
    read = reads[0]
    assert read.text == "7ABC123"
    assert read.frames == 10
    assert read.camera == "front"
    assert read.first_seen_monotonic_s == pytest.approx(100.0)
    assert read.crop_jpeg[:2] == b"\xff\xd8" and read.overview_jpeg[:2] == b"\xff\xd8"
    assert read.state == "CA"
    assert read.format_ok
    assert len(read.read_id) == 36


def test_votes_fix_a_character_misread_in_a_minority_of_frames():
    agg = ReadAggregator("front", passage_gap_s=0.5)
    sequence = ["7ABC123", "7A8C123", "7ABC123", "7ABC128", "7ABC123"]
    for i, text in enumerate(sequence):
        agg.add(frame(i), [obs(text, box=(40 + i, 30, 40, 20), confidence=0.8)])
    reads = agg.flush()
    assert [r.text for r in reads] == ["7ABC123"]
    assert reads[0].frames == 5
    assert reads[0].candidates[0].text == "7ABC123"
    assert {"7A8C123", "7ABC128"} <= {c.text for c in reads[0].candidates}


def test_voting_weights_by_character_confidence():
    # Two low-confidence frames read 8 where one very confident frame read B.
    low = (0.9, 0.9, 0.2, 0.9, 0.9, 0.9, 0.9)
    observations = [obs("7A8C123", chars=low), obs("7A8C123", chars=low), obs("7ABC123", chars=(0.95,) * 7)]
    text, confidence, _ = vote(observations)
    assert text == "7ABC123"
    assert 0 < confidence < 1


def test_length_vote_prefers_the_best_supported_length():
    observations = [obs("ABC1234"), obs("ABC1234"), obs("ABC12344", confidence=0.6), obs("BC1234", confidence=0.5)]
    assert vote(observations)[0] == "ABC1234"


def test_two_plates_in_the_same_frames_are_tracked_apart():
    agg = ReadAggregator("front", passage_gap_s=0.3)
    for i in range(6):
        agg.add(frame(i), [obs("7ABC123", box=(10 + i, 10, 30, 15)), obs("XYZ9876", box=(90 - i, 40, 30, 15), state="TX")])
    reads = sorted(agg.flush(), key=lambda r: r.text)
    assert [r.text for r in reads] == ["7ABC123", "XYZ9876"]
    assert all(r.frames == 6 for r in reads)


def test_the_same_plate_after_the_gap_is_a_new_passage():
    agg = ReadAggregator("front", passage_gap_s=0.5)
    reads = []
    for i in range(3):
        reads += agg.add(frame(i), [obs("7ABC123")])
    for i in range(3, 30):
        reads += agg.add(frame(i), [])
    for i in range(30, 33):
        reads += agg.add(frame(i), [obs("7ABC123")])
    reads += agg.flush()
    assert [r.text for r in reads] == ["7ABC123", "7ABC123"]
    assert reads[0].read_id != reads[1].read_id


def test_low_confidence_passages_are_dropped_and_counted():
    agg = ReadAggregator("front", passage_gap_s=0.5, min_confidence=0.5)
    agg.add(frame(0), [obs("STOP", confidence=0.2)])
    assert agg.flush() == []
    assert agg.dropped_low_confidence == 1


def test_overview_is_the_colour_frame_when_there_is_one():
    agg = ReadAggregator("front", passage_gap_s=0.5)
    agg.add(frame(0, colour=True), [obs("7ABC123")])
    read = agg.flush()[0]
    import cv2

    overview = cv2.imdecode(np.frombuffer(read.overview_jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
    assert overview.ndim == 3


def test_format_flag_for_a_reading_outside_the_state_formats():
    agg = ReadAggregator("front", passage_gap_s=0.5)
    agg.add(frame(0), [obs("HELLO", state="CA")])
    read = agg.flush()[0]
    assert read.text == "HELLO"
    assert read.format_ok is False


def test_a_different_plate_appearing_nearby_starts_its_own_passage():
    # One car leaves as another, close by, comes into view with an unrelated plate.
    agg = ReadAggregator("front", passage_gap_s=0.5)
    for i in range(5):
        agg.add(frame(i), [obs("7KDM482", box=(445, 535, 180, 90))])
    for i in range(5, 10):
        agg.add(frame(i), [obs("HXP4471", box=(690, 411, 90, 50))])
    reads = sorted(agg.flush(), key=lambda r: r.text)
    assert [(r.text, r.frames) for r in reads] == [("7KDM482", 5), ("HXP4471", 5)]
