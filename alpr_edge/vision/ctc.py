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
    # Each beam: prefix (tuple of class ids) -> (p ending in blank, p ending in non-blank).
    beams: dict[tuple, tuple[float, float]] = {(): (1.0, 0.0)}
    for t in range(steps):
        row = probs[t]
        # Only the few likeliest classes per step can change the top texts; this bounds the cost.
        candidates = np.argsort(row)[::-1][:max_classes]
        candidates = candidates[row[candidates] > prune]
        if candidates.size == 0:
            candidates = np.array([int(row.argmax())])
        nxt: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for prefix, (p_b, p_nb) in beams.items():
            total = p_b + p_nb
            for k in candidates:
                p = float(row[k])
                if k == blank:
                    nxt[prefix][0] += total * p
                    continue
                last = prefix[-1] if prefix else None
                extended = prefix + (int(k),)
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
    ext = [blank]
    for k in labels:
        ext += [k, blank]
    steps, states = probs.shape[0], len(ext)
    logp = np.log(np.maximum(probs, 1e-6))
    score = np.full((steps, states), -np.inf)
    back = np.zeros((steps, states), np.int64)
    score[0, 0] = logp[0, ext[0]]
    if states > 1:
        score[0, 1] = logp[0, ext[1]]
    for t in range(1, steps):
        for s in range(states):
            options = [(score[t - 1, s], s)]
            if s >= 1:
                options.append((score[t - 1, s - 1], s - 1))
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                options.append((score[t - 1, s - 2], s - 2))
            best, origin = max(options)
            score[t, s] = best + logp[t, ext[s]]
            back[t, s] = origin
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
