"""CTC decoding in numpy: prefix beam search with top-k texts and per-character confidences.

``probs`` is a T x C matrix of per-timestep class probabilities whose last
column is the CTC blank. Texts are scored by the CTC probability of the
labelling (summed over its alignments), so a candidate's confidence is a real
probability in [0, 1] and the candidates of one crop sum to at most 1.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from alpr_edge.vision.formats import ALPHABET


def greedy_decode(probs: np.ndarray, alphabet: str = ALPHABET) -> str:
    """Best path: argmax per step, merge repeats, drop blanks."""
    blank = probs.shape[1] - 1
    out, prev = [], blank
    for k in probs.argmax(axis=1):
        if k != prev and k != blank:
            out.append(alphabet[k])
        prev = k
    return "".join(out)


def beam_search(probs: np.ndarray, beam_width: int = 16, top_k: int = 10, prune: float = 1e-3, max_classes: int = 5, alphabet: str = ALPHABET) -> list[tuple[str, float]]:
    """Top ``top_k`` (text, probability) by CTC prefix beam search, best first."""
    steps, classes = probs.shape
    blank = classes - 1
    # Only the few likeliest classes per step can change the top texts; this bounds the cost.
    # They are picked for every step at once and handed to the loop as Python numbers: a
    # crop is read up to four times a plate, and numpy calls per step cost more than the search.
    order = np.argsort(probs, axis=1)[:, ::-1][:, :max_classes]
    likeliest = np.take_along_axis(probs, order, axis=1)
    kept = (likeliest > prune).tolist()
    order_rows, p_rows, best = order.tolist(), likeliest.tolist(), probs.argmax(axis=1).tolist()
    # Each beam: prefix (tuple of class ids) -> (p ending in blank, p ending in non-blank).
    beams: dict[tuple, tuple[float, float]] = {(): (1.0, 0.0)}
    for t in range(steps):
        step = [(k, p) for k, p, keep in zip(order_rows[t], p_rows[t], kept[t]) if keep]
        if not step:
            step = [(best[t], float(probs[t, best[t]]))]
        if len(step) == 1 and step[0][0] == blank:
            # A step that only a blank can pass (most steps of a wide crop: the gaps between
            # characters) moves every beam into "ends in blank" and keeps their order.
            p = step[0][1]
            beams = {prefix: ((p_b + p_nb) * p, 0.0) for prefix, (p_b, p_nb) in beams.items()}
            continue
        nxt: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for prefix, (p_b, p_nb) in beams.items():
            total = p_b + p_nb
            last = prefix[-1] if prefix else None
            for k, p in step:
                if k == blank:
                    nxt[prefix][0] += total * p
                    continue
                extended = prefix + (k,)
                if k == last:
                    # Repeat without a blank in between stays the same character...
                    nxt[prefix][1] += p_nb * p
                    # ...and only a blank-separated repeat makes a double letter.
                    nxt[extended][1] += p_b * p
                else:
                    nxt[extended][1] += total * p
        ranked = sorted(nxt.items(), key=lambda item: item[1][0] + item[1][1], reverse=True)[:beam_width]
        beams = {prefix: (pb, pnb) for prefix, (pb, pnb) in ranked}
    final = sorted(((sum(v), k) for k, v in beams.items()), reverse=True)[:top_k]
    return [("".join(alphabet[i] for i in prefix), float(p)) for p, prefix in final]


def char_confidences(probs: np.ndarray, text: str, alphabet: str = ALPHABET) -> tuple[float, ...]:
    """Per-character confidence of ``text``: its best (Viterbi) alignment's peak probability per character."""
    if not text:
        return ()
    blank = probs.shape[1] - 1
    labels = [alphabet.index(c) for c in text]
    # Most often the best path overall (argmax per step) already spells the text: it is then
    # also the text's best alignment, and its peaks need no dynamic programming.
    path = probs.argmax(axis=1)
    starts = np.flatnonzero(np.r_[True, path[1:] != path[:-1]])
    runs = [(int(path[i]), i) for i in starts if path[i] != blank]
    if [k for k, _ in runs] == labels:
        ends = {i: j for i, j in zip(starts, np.r_[starts[1:], len(path)])}
        return tuple(float(probs[i:ends[i], k].max()) for k, i in runs)
    ext = [blank]
    for k in labels:
        ext += [k, blank]
    steps, states = probs.shape[0], len(ext)
    ext_ids = np.array(ext)
    emit = np.log(np.maximum(probs, 1e-6))[:, ext_ids]  # steps x states
    # A state may be entered from itself, the state before, or (a character after a blank,
    # when it differs from the character two states back) skip the blank between them.
    may_skip = np.zeros(states, bool)
    may_skip[2:] = (ext_ids[2:] != blank) & (ext_ids[2:] != ext_ids[:-2])
    score = np.full((steps, states), -np.inf)
    back = np.zeros((steps, states), np.int64)
    score[0, 0] = emit[0, 0]
    if states > 1:
        score[0, 1] = emit[0, 1]
    no_way = np.full(2, -np.inf)
    for t in range(1, steps):
        prev = score[t - 1]
        options = np.stack([prev, np.concatenate([no_way[:1], prev[:-1]]), np.where(may_skip, np.concatenate([no_way, prev[:-2]]), -np.inf)])
        choice = options.argmax(axis=0)  # ties keep the nearest origin (staying first)
        score[t] = options[choice, np.arange(states)] + emit[t]
        back[t] = np.arange(states) - choice
    s = states - 1 if states == 1 or score[-1, states - 1] >= score[-1, states - 2] else states - 2
    if not np.isfinite(score[-1, s]):
        return tuple(0.0 for _ in text)
    peaks = [0.0] * len(labels)
    for t in range(steps - 1, -1, -1):
        if ext[s] != blank:
            i = (s - 1) // 2
            peaks[i] = max(peaks[i], float(probs[t, ext[s]]))
        s = back[t, s]
    return tuple(peaks)
