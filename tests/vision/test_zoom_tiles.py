"""Stills get a closer look: overlapping tiles seen larger by the detector, merged with the whole-frame pass."""

import random

import cv2
import numpy as np
import pytest

from alpr_edge.vision.geometry import DET_H, DET_W, ZOOM, zoom_tiles
from alpr_edge.vision import load_recognizer
from alpr_edge.vision.runtime import Detection, DetectorModel


@pytest.mark.parametrize("height,width", [(720, 1280), (1080, 1920), (768, 1024), (3000, 4000), (1280, 720)])
def test_tiles_cover_the_frame_with_overlap_at_the_detectors_aspect(height, width):
    tiles = zoom_tiles(height, width)
    assert len(tiles) >= 2
    covered = np.zeros((height, width), bool)
    for x, y, w, h in tiles:
        assert 0 <= x and 0 <= y and x + w <= width and y + h <= height
        covered[y:y + h, x:x + w] = True
        whole = min(DET_W / width, DET_H / height)
        seen = min(DET_W / w, DET_H / h)
        assert seen == pytest.approx(min(whole * ZOOM, 1.0), rel=0.02)
    assert covered.all()
    xs = sorted({x for x, _, _, _ in tiles})
    if len(xs) > 1:  # neighbours share a strip, so a plate on one tile's edge is whole in the next
        assert xs[1] < tiles[0][2] * 0.85


def test_a_frame_the_detector_already_sees_near_full_size_gets_no_tiles():
    assert zoom_tiles(DET_H, DET_W) == []
    assert zoom_tiles(260, 440) == []  # seen at 0.86x already: tiles at full size would gain too little


class _BrightRectangles(DetectorModel):
    """Stands in for the TFLite detector: 'finds' the bright rectangle in whatever it is shown,
    surer when shown a tile than the whole frame (as the real one is of small plates)."""

    def __init__(self, frame, whole_frame_score=0.5):
        self.frame = frame
        self.whole_frame_score = whole_frame_score
        self.max_plates = 8
        self.shown = []  # the shape of each image shown

    def _detect_in(self, grey):
        self.shown.append(grey.shape)
        ys, xs = np.nonzero(grey > 128)
        if not len(xs):
            return []
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        corners = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        whole_frame = grey.shape == self.frame.shape and np.array_equal(grey, self.frame)
        return [Detection(corners, self.whole_frame_score if whole_frame else 0.9)]


def test_zoomed_detections_come_back_in_frame_pixels_and_replace_the_whole_frames():
    frame = np.zeros((720, 1280), np.uint8)
    frame[400:420, 100:140] = 255  # a small plate well inside the first tile
    detector = _BrightRectangles(frame)

    plain = detector.detect(frame)
    assert [d.score for d in plain] == [0.5]

    zoomed = detector.detect(frame, zoom=True)
    assert len(detector.shown) == 2 + len(zoom_tiles(720, 1280))
    assert len(zoomed) == 1, "the same plate seen twice is one detection"
    assert zoomed[0].score == 0.9
    np.testing.assert_allclose(zoomed[0].corners, [[100, 400], [140, 400], [140, 420], [100, 420]])


def test_a_plate_cut_by_a_tiles_edge_is_not_taken_from_that_tile():
    frame = np.zeros((720, 1280), np.uint8)
    tiles = zoom_tiles(720, 1280)
    first_x, first_y, first_w, first_h = tiles[0]
    edge = first_x + first_w
    frame[100:120, edge - 20:edge + 20] = 255  # straddles the first tile's right edge
    zoomed = _BrightRectangles(frame).detect(frame, zoom=True)
    assert len(zoomed) == 1
    x0, y0 = zoomed[0].corners.min(axis=0)
    x1, y1 = zoomed[0].corners.max(axis=0)
    assert (x0, x1) == (edge - 20, edge + 20), "the plate whole, from the next tile, not its cut half"


def test_a_close_up_plate_is_looked_at_again_from_further_away():
    frame = np.zeros((720, 1280), np.uint8)
    frame[200:500, 200:1000] = 255  # a plate 62% of the still's width
    detector = _BrightRectangles(frame, whole_frame_score=0.7)
    zoomed = detector.detect(frame, zoom=True)
    assert len(detector.shown) == 2 + len(zoom_tiles(720, 1280)), "one more look: the frame shrunk to half inside a border"
    assert len(zoomed) == 1
    assert zoomed[0].score == 0.9, "the detection from further away, not the whole frame's"
    np.testing.assert_allclose(zoomed[0].corners, [[200, 200], [1000, 200], [1000, 500], [200, 500]])
    assert detector.detect(frame)[0].score == 0.7, "video frames go without it"


@pytest.mark.parametrize("box,score", [((200, 500, 200, 1000), 0.45), ((300, 360, 40, 1240), 0.9)])
def test_a_large_box_that_is_no_plate_gets_no_look_from_further_away(box, score):
    # An unsure detection (a fence, a grille) or one wider than any plate (a bumper, a sign band)
    # fails the plate gate before the OCR, so it triggers no close-up pass either.
    y0, y1, x0, x1 = box
    frame = np.zeros((720, 1280), np.uint8)
    frame[y0:y1, x0:x1] = 255
    detector = _BrightRectangles(frame, whole_frame_score=score)
    detector.detect(frame, zoom=True)
    assert len(detector.shown) == 1 + len(zoom_tiles(720, 1280))


def test_a_plate_of_ordinary_size_gets_no_look_from_further_away():
    frame = np.zeros((720, 1280), np.uint8)
    frame[400:440, 500:700] = 255  # 16% of the width
    detector = _BrightRectangles(frame)
    detector.detect(frame, zoom=True)
    assert len(detector.shown) == 1 + len(zoom_tiles(720, 1280))


def test_the_shipped_models_read_a_small_plate_in_a_large_photo_with_zoom():
    recognizer = load_recognizer()
    from make_sim_replay import background
    from platesynth.plate import render_plate, to_grey

    rng = random.Random(11)
    photo = cv2.resize(background(rng), (1920, 1080))
    plate = to_grey(rng, render_plate(rng, state="TX", text="KVR4821").image, night=False)
    small = cv2.resize(plate, (96, 48), interpolation=cv2.INTER_AREA)  # 5% of the photo's width
    photo[700:748, 1300:1396] = small
    texts = [p.text for p in recognizer.recognize(photo, zoom=True)]
    assert "KVR4821" in texts
