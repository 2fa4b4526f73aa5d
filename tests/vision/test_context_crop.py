"""Issue 22: the stored plate image shows the state name, the slogan and the stickers, at full resolution.

It was the recogniser's 192x48 input, cut so tight the state name was lost.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from alpr_edge.capture.frame import Frame
from alpr_edge.vision import Candidate, PlateObservation, ReadAggregator
from alpr_edge.vision import aggregator as aggregator_module

WIDTH, HEIGHT = 1920, 1080
BOX = (800, 500, 320, 80)  # x, y, w, h: the plate's characters, as the detector boxes them
RED, DARK, GREEN = (30, 30, 200), (40, 40, 40), (40, 160, 40)  # BGR


def rendered_frame() -> np.ndarray:
    """A car's plate: characters in the box, the state name above, a slogan below, stickers at the sides."""
    image = np.full((HEIGHT, WIDTH, 3), (90, 80, 70), np.uint8)
    x, y, w, h = BOX
    cv2.rectangle(image, (x - 70, y - 40), (x + w + 70, y + h + 40), (235, 235, 230), -1)  # the plate
    cv2.putText(image, "7ABC123", (x + 10, y + h - 10), cv2.FONT_HERSHEY_DUPLEX, 2.4, (90, 40, 20), 5)
    cv2.putText(image, "California", (x + 90, y - 8), cv2.FONT_HERSHEY_SIMPLEX, 1.0, RED, 3)
    cv2.putText(image, "dmv.ca.gov", (x + 100, y + h + 32), cv2.FONT_HERSHEY_SIMPLEX, 0.9, DARK, 2)
    cv2.rectangle(image, (x - 60, y - 30), (x - 10, y + 5), GREEN, -1)  # the month sticker
    cv2.rectangle(image, (x + w + 10, y - 30), (x + w + 60, y + 5), GREEN, -1)  # the year sticker
    return image


def frame(colour: np.ndarray, grey: np.ndarray | None = None, index: int = 0) -> Frame:
    grey = cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY) if grey is None else grey
    return Frame(index, grey, colour, 100.0 + index / 15, 1_700_000_000.0 + index / 15, "front")


def observation(box=BOX) -> PlateObservation:
    x, y, w, h = box
    return PlateObservation(text="7ABC123", confidence=0.9, candidates=(Candidate("7ABC123", 0.9),), box=box,
                            corners=((x, y), (x + w, y), (x + w, y + h), (x, y + h)),
                            crop=np.full((48, 192), 200, np.uint8), char_confidences=(0.9,) * 7, state="CA")


def stored_crop(frames: list[Frame], box=BOX, colour_aligned: bool = True) -> np.ndarray:
    aggregator = ReadAggregator("front", passage_gap_s=1.0, colour_aligned=colour_aligned)
    for f in frames:
        assert aggregator.add(f, [observation(box)]) == []
    [read] = aggregator.flush()
    return cv2.imdecode(np.frombuffer(read.crop_jpeg, np.uint8), cv2.IMREAD_UNCHANGED)


def _share(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: int = 60) -> float:
    return float(np.mean(np.all(np.abs(pixels.astype(int) - colour) < tolerance, axis=-1)))


def test_the_stored_crop_keeps_the_state_name_slogan_and_stickers_at_full_resolution():
    image = rendered_frame()
    crop = stored_crop([frame(image)])
    x, y, w, h = BOX
    assert crop.shape == (2 * h, int(1.5 * w), 3)  # the box, half its height above and below, a quarter of its width each side
    assert crop.shape[1] > 192 and crop.shape[0] > 48  # not the recogniser's input
    expected = image[y - h // 2:y + h + h // 2, x - w // 4:x + w + w // 4]
    assert np.mean(np.abs(crop.astype(int) - expected)) < 4  # the frame's own pixels, not rescaled (JPEG noise only)
    above, below = crop[:h // 2], crop[h // 2 + h:]
    assert _share(above, RED, 50) > 0.02  # "California"
    assert _share(below, DARK, 50) > 0.01  # the slogan
    sides = np.concatenate([crop[:, :w // 4], crop[:, -(w // 4):]], axis=1)
    assert _share(sides, GREEN, 50) > 0.1  # the stickers


def test_the_crop_is_clipped_to_the_frame():
    image = rendered_frame()
    corner = (10, 20, 200, 60)
    crop = stored_crop([frame(image)], box=corner)
    assert crop.shape == (20 + 60 + 30, 10 + 200 + 50, 3)


def test_a_second_colour_camera_is_not_cut_by_the_ir_box():
    """Two cameras: the colour image does not line up with the IR frame, so the crop comes from the grey frame."""
    grey = cv2.cvtColor(rendered_frame(), cv2.COLOR_BGR2GRAY)
    elsewhere = np.zeros((HEIGHT, WIDTH, 3), np.uint8)  # the colour camera sees something else
    crop = stored_crop([frame(elsewhere, grey)], colour_aligned=False)
    x, y, w, h = BOX
    assert crop.shape == (2 * h, int(1.5 * w))
    assert np.mean(np.abs(crop.astype(int) - grey[y - h // 2:y + h + h // 2, x - w // 4:x + w + w // 4])) < 4


def test_a_larger_colour_stream_gives_the_crop_at_its_resolution():
    image = rendered_frame()
    small_grey = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (WIDTH // 2, HEIGHT // 2), interpolation=cv2.INTER_AREA)
    x, y, w, h = BOX
    half = (x // 2, y // 2, w // 2, h // 2)
    crop = stored_crop([frame(image, small_grey)], box=half)
    assert crop.shape == (2 * h, int(1.5 * w), 3)


def test_images_are_encoded_once_per_read_not_per_frame(monkeypatch):
    calls = []
    real = cv2.imencode

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(aggregator_module.cv2, "imencode", counting)
    image = rendered_frame()
    stored_crop([frame(image, index=i) for i in range(30)])
    assert len(calls) == 2  # the crop and the overview, for the one read of the passage


@pytest.mark.parametrize("box", [(WIDTH + 50, 10, 100, 30), (0, 0, 0, 0)])
def test_a_box_outside_the_frame_falls_back_to_the_recognisers_crop(box):
    crop = stored_crop([frame(rendered_frame())], box=box)
    assert crop.shape == (48, 192)


def test_the_real_recogniser_on_the_sim_drive_stores_the_whole_plate_with_its_margin():
    """End to end on a frame of the simulated drive: the shipped models' box, the stored image around it."""
    from pathlib import Path

    from alpr_edge.capture.replay import split_grey_colour
    from alpr_edge.vision import load_recognizer

    path = sorted((Path(__file__).resolve().parents[2] / "firmware_profiles/sim-data/frames").glob("*.jpg"))[20]
    grey, colour = split_grey_colour(cv2.imread(str(path), cv2.IMREAD_UNCHANGED))
    [seen] = load_recognizer(threads=1).recognize(grey)
    x, y, w, h = seen.box
    aggregator = ReadAggregator("sim")
    aggregator.add(Frame(0, grey, colour, 1.0, 1.0, "sim"), [seen])
    [read] = aggregator.flush()
    crop = cv2.imdecode(np.frombuffer(read.crop_jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert (read.text, read.box) == (seen.text, seen.box)
    assert abs(crop.shape[0] - 2 * h) <= 2 and abs(crop.shape[1] - 1.5 * w) <= 2
    top, left = int(np.floor(y - h / 2)), int(np.floor(x - w / 4))
    assert np.mean(np.abs(crop.astype(int) - grey[top:top + crop.shape[0], left:left + crop.shape[1]])) < 4


def test_among_equally_sure_frames_the_largest_plate_gives_the_image():
    """Confidence saturates as a plate approaches: the first sure frame, the farthest, gave a thumbnail."""
    image = rendered_frame()
    aggregator = ReadAggregator("front", passage_gap_s=1.0)
    x, y, w, h = BOX
    for i, scale in enumerate((0.4, 0.6, 0.8, 1.0)):
        box = (x, y, int(w * scale), int(h * scale))
        seen = replace(observation(box), confidence=0.996 if i % 2 else 1.0)
        aggregator.add(frame(image, index=i), [seen])
    [read] = aggregator.flush()
    crop = cv2.imdecode(np.frombuffer(read.crop_jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
    assert read.box == BOX and crop.shape == (2 * h, int(1.5 * w), 3)
    assert read.capture_monotonic_s == pytest.approx(100.0 + 3 / 15)  # the time and place of the frame shown
