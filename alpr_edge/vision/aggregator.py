"""From per-frame plate observations to one read per vehicle passage.

Each plate is followed across consecutive frames (box overlap or nearby
position, or the same text); when it has not been seen for ``passage_gap_s`` of
frame time its passage ends and one Read is emitted with the characters voted
over all its frames. JPEG encoding of the best crop and its overview happens
only then, never per frame.

The stored plate image is not the recogniser's tight 192x48 input: it is cut
from the best frame at the camera's full resolution with a margin around the
plate box (`context_crop`), so the officer can check the state name above the
characters, the slogan below and the stickers at the sides.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Callable

import cv2
import numpy as np

from alpr_edge.capture.frame import Frame
from alpr_edge.ids import uuid7
from alpr_edge.logs import log, plate_for_log
from alpr_edge.vision.formats import fits_format
from alpr_edge.vision.geometry import box_iou
from alpr_edge.vision.types import Candidate, PlateObservation, Read

logger = logging.getLogger(__name__)

# The margin around a plate box kept in the stored plate image, as fractions of
# the box: US plates print the state name above the characters and a slogan or
# county below, each about a third of the characters' height, and registration
# stickers in the corners; the detector's box hugs the characters.
MARGIN_ABOVE_BELOW = 0.5  # of the box height, above and below
MARGIN_SIDES = 0.25  # of the box width, each side


@dataclass
class _Track:
    first_seen: float
    last_seen: float
    box: tuple[int, int, int, int]
    text: str
    observations: list[PlateObservation] = field(default_factory=list)
    best: PlateObservation | None = None
    best_frame: Frame | None = None
    emitted: bool = False  # read already emitted early (a hot plate); no second read


def _similarity(a: str, b: str) -> float:
    """1 - normalised edit distance."""
    if not a or not b:
        return 0.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1.0 - prev[-1] / max(len(a), len(b))


def _match_score(track: _Track, obs: PlateObservation) -> float:
    """How likely ``obs`` continues ``track``; 0 means not at all.

    Position alone is not enough: two cars can pass close to each other, so a nearby
    box must also read similar text, unless the boxes clearly overlap (a misread frame).
    """
    text = _similarity(track.text, obs.text)
    overlap = box_iou(track.box, obs.box)
    tx, ty = track.box[0] + track.box[2] / 2, track.box[1] + track.box[3] / 2
    ox, oy = obs.box[0] + obs.box[2] / 2, obs.box[1] + obs.box[3] / 2
    reach = 1.2 * max(track.box[2], obs.box[2], 1)
    near = max(0.0, 1.0 - np.hypot(tx - ox, ty - oy) / reach)
    if overlap >= 0.3 or (near > 0 and text >= 0.4):
        return overlap + near + text
    if obs.text == track.text:
        return 0.5  # same plate reappearing elsewhere within the passage gap
    return 0.0


def _shown(obs: PlateObservation) -> tuple[float, int]:
    """Which observation gives a read its images: the surest, and among equally sure ones
    (confidence saturates while a plate approaches) the largest plate, legible to the officer."""
    return round(obs.confidence, 2), obs.box[2] * obs.box[3]


def vote(observations: list[PlateObservation]) -> tuple[str, float, tuple[Candidate, ...]]:
    """Text voted over frames: the best-supported length, then per-position confidence-weighted votes."""
    by_length: dict[int, list[PlateObservation]] = defaultdict(list)
    for o in observations:
        by_length[len(o.text)].append(o)
    length = max(by_length, key=lambda n: (sum(o.confidence for o in by_length[n]), len(by_length[n])))
    group = by_length[length]
    chars, confidence = [], 1.0
    for i in range(length):
        weights: dict[str, float] = defaultdict(float)
        miss: dict[str, float] = defaultdict(lambda: 1.0)
        for o in group:
            c = o.text[i]
            cc = o.char_confidences[i] if len(o.char_confidences) == length else o.confidence
            weights[c] += max(cc, 1e-3)
            miss[c] *= 1.0 - min(cc, 0.999)
        winner = max(weights, key=weights.get)
        share = weights[winner] / sum(weights.values())
        chars.append(winner)
        confidence = min(confidence, share * (1.0 - miss[winner]))
    text = "".join(chars)
    if len(observations) == 1:
        confidence = observations[0].confidence
    # Candidates: the voted text first, then texts seen, by mean confidence over frames.
    pooled: dict[str, float] = defaultdict(float)
    for o in observations:
        for c in o.candidates:
            pooled[c.text] += c.confidence / len(observations)
    pooled.pop(text, None)
    ranked = [Candidate(text, round(confidence, 4))] + [Candidate(t, round(p, 4)) for t, p in sorted(pooled.items(), key=lambda kv: -kv[1])]
    return text, float(confidence), tuple(ranked[:10])


class ReadAggregator:
    """Follows plates across frames of one camera and emits one Read per passage."""

    def __init__(self, camera: str, passage_gap_s: float = 1.0, min_confidence: float = 0.5, jpeg_quality: int = 85,
                 colour_aligned: bool = True):
        self.camera = camera
        # colour_aligned: the frame's colour image shows the grey image's view (one camera, or
        # its two streams), so the plate box may be cut from it. False with a second colour
        # camera beside the IR one: its pixels do not line up with the box.
        self.colour_aligned = colour_aligned
        self.passage_gap_s = passage_gap_s
        self.min_confidence = min_confidence
        self.jpeg_quality = jpeg_quality
        self._tracks: list[_Track] = []
        self.dropped_low_confidence = 0  # passages whose voted read stayed under min_confidence
        self.emitted = 0
        # Set by the daemon: is this observation on a hot list? Such a plate's
        # read is emitted at once, voted over the frames seen so far, so the
        # alert does not wait for the end of the passage; the rest of the
        # passage then adds no second read.
        self.early_check: Callable[[PlateObservation], bool] | None = None

    def add(self, frame: Frame, observations: list[PlateObservation]) -> list[Read]:
        """Feed one frame's observations; returns the reads whose passage has just ended."""
        now = frame.monotonic_s
        free = list(self._tracks)
        early: list[Read] = []
        for obs in sorted(observations, key=lambda o: -o.confidence):
            scored = [(_match_score(t, obs), t) for t in free]
            scored = [(s, t) for s, t in scored if s > 0]
            if scored:
                track = max(scored, key=lambda st: st[0])[1]
                free.remove(track)
            else:
                track = _Track(first_seen=now, last_seen=now, box=obs.box, text=obs.text)
                self._tracks.append(track)
            track.observations.append(obs)
            track.last_seen = now
            track.box = obs.box
            track.text = obs.text
            if track.best is None or _shown(obs) > _shown(track.best):
                track.best, track.best_frame = obs, frame
            if self._is_early(track, obs):
                read = self._read(track)
                if read is not None:
                    track.emitted = True
                    early.append(replace(read, extra=MappingProxyType(
                        {**read.extra, "early": True, "trigger_monotonic_s": frame.monotonic_s})))
        ended = [t for t in self._tracks if now - t.last_seen >= self.passage_gap_s]
        return early + self._finish(ended)

    def _is_early(self, track: _Track, obs: PlateObservation) -> bool:
        return (
            self.early_check is not None
            and not track.emitted
            and obs.confidence >= self.min_confidence
            and self.early_check(obs)
        )

    def flush(self) -> list[Read]:
        """End every open passage (at shutdown)."""
        return self._finish(list(self._tracks))

    def _finish(self, tracks: list[_Track]) -> list[Read]:
        reads = []
        for track in tracks:
            self._tracks.remove(track)
            if track.emitted:
                continue
            read = self._read(track)
            if read is None:
                continue
            reads.append(read)
        return reads

    def _read(self, track: _Track) -> Read | None:
        text, confidence, candidates = vote(track.observations)
        if confidence < self.min_confidence:
            self.dropped_low_confidence += 1
            log(logger, logging.DEBUG, "read_dropped_low_confidence", plate=plate_for_log(text), confidence=round(confidence, 3), frames=len(track.observations))
            return None
        states: dict[str, float] = defaultdict(float)
        for o in track.observations:
            if o.state:
                states[o.state] += o.state_confidence
        state = max(states, key=states.get) if states else None
        state_conf = states[state] / len(track.observations) if state else 0.0
        # The most confident observation gives the crop, the box and the overview (one frame kept).
        best, frame = track.best, track.best_frame
        overview = frame.colour if frame.colour is not None else frame.grey
        self.emitted += 1
        return Read(
            read_id=uuid7(),
            text=text,
            confidence=round(confidence, 4),
            candidates=candidates,
            camera=self.camera,
            capture_monotonic_s=frame.monotonic_s,
            capture_wall_time=frame.wall_time,
            first_seen_monotonic_s=track.first_seen,
            frames=len(track.observations),
            box=best.box,
            crop_jpeg=self._jpeg(context_crop(frame, best.box, self.colour_aligned, fallback=best.crop)),
            overview_jpeg=self._jpeg(overview),
            state=state,
            state_confidence=round(state_conf, 4),
            format_ok=fits_format(text, state),
        )

    def _jpeg(self, image: np.ndarray) -> bytes:
        ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        return buffer.tobytes() if ok else b""


def context_crop(frame: Frame, box: tuple[int, int, int, int], colour_aligned: bool = True,
                 fallback: np.ndarray | None = None) -> np.ndarray:
    """The plate box grown by the margins, clipped to the frame, at the camera's full resolution.

    Cut from the colour image when it shows the same view (scaled to its size;
    colour shows a state name's ink that IR may not), else from the grey frame
    recognition ran on. ``fallback`` (the recogniser's crop) when the box
    leaves nothing inside the frame. A view into the frame: encode, don't keep.
    """
    grey_h, grey_w = frame.grey.shape[:2]
    image = frame.grey
    if colour_aligned and frame.colour is not None and frame.colour.shape[1] >= grey_w:
        image = frame.colour
    height, width = image.shape[:2]
    sx, sy = width / grey_w, height / grey_h
    x, y, w, h = box
    grow_x, grow_y = MARGIN_SIDES * w, MARGIN_ABOVE_BELOW * h
    left, top = max(0, int(np.floor((x - grow_x) * sx))), max(0, int(np.floor((y - grow_y) * sy)))
    right = min(width, int(np.ceil((x + w + grow_x) * sx)))
    bottom = min(height, int(np.ceil((y + h + grow_y) * sy)))
    if right - left < 2 or bottom - top < 2:
        return fallback if fallback is not None else image[:1, :1]
    return image[top:bottom, left:right]
