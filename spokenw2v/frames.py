"""Frame <-> time conversion, word unit sequences and their statistics.

Convention (used by every stage): frame ``i`` of an utterance is centred at
``t_i = frame_offset + i / frame_rate`` seconds.  A word segment ``[start, end)``
owns exactly the frames whose centres fall in ``[start, end)``; every frame belongs to
at most one of a set of non-overlapping segments.  If no frame centre falls inside a
(very short) segment, the single frame nearest to the segment's midpoint is used, so
every word token has at least one frame.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .errors import SpokenW2VError, where
from .io import FrameInfo, Segments, Units


def frame_time(i: int | np.ndarray, info: FrameInfo) -> float | np.ndarray:
    """Centre time in seconds of frame ``i``."""
    return info.frame_offset + np.asarray(i) / info.frame_rate


def frame_range(start: float, end: float, info: FrameInfo, n_frames: int) -> tuple[int, int]:
    """Frames ``[i0, i1)`` whose centres lie in ``[start, end)`` seconds, clipped to the
    utterance's ``n_frames``; at least one frame when the segment overlaps the audio."""
    rate, off = info.frame_rate, info.frame_offset
    # smallest i with off + i/rate >= start ; smallest i with off + i/rate >= end
    eps = 1e-9
    i0 = max(0, math.ceil((start - off) * rate - eps))
    i1 = min(n_frames, max(0, math.ceil((end - off) * rate - eps)))
    if i1 <= i0:
        mid = 0.5 * (start + end)
        j = int(round((mid - off) * rate))
        j = min(max(j, 0), n_frames - 1)
        return j, j + 1
    return i0, i1


def merge_duplicates(units: np.ndarray) -> np.ndarray:
    """Collapse runs of the same unit: ``[5, 5, 3, 3, 3, 5] -> [5, 3, 5]``."""
    units = np.asarray(units)
    if units.size == 0:
        return units
    keep = np.ones(units.shape[0], dtype=bool)
    keep[1:] = units[1:] != units[:-1]
    return units[keep]


def word_unit_sequences(units: Units, seg: Segments, merge: bool = True, source: str = "segments",
                        skip_missing: bool = False) -> tuple[list[np.ndarray], np.ndarray]:
    """Unit sequence of every word token.

    Returns ``(sequences, kept)`` where ``sequences[j]`` is the (L_j,) int array of units of
    segment ``kept[j]`` (consecutive duplicates merged when ``merge``).  A segment whose
    utterance is missing from ``units`` raises an error naming ``source`` (or is dropped
    with ``skip_missing``).
    """
    index = units.frames.index()
    info = units.frames.info
    seqs: list[np.ndarray] = []
    kept: list[int] = []
    for i in range(len(seg)):
        u = index.get(seg.utt[i])
        if u is None:
            if skip_missing:
                continue
            raise SpokenW2VError(f"{where(source, utt=seg.utt[i])}: utterance is not in the units file")
        frames = units.frames[u]
        dur = float(units.frames.durations[u])
        if seg.start[i] >= dur:
            if skip_missing:
                continue
            raise SpokenW2VError(
                f"{where(source, utt=seg.utt[i])}: segment starts at {seg.start[i]:g} s, past the end of the audio ({dur:g} s)"
            )
        i0, i1 = frame_range(float(seg.start[i]), float(seg.end[i]), info, len(frames))
        s = frames[i0:i1].astype(np.int64)
        seqs.append(merge_duplicates(s) if merge else s)
        kept.append(i)
    return seqs, np.asarray(kept, dtype=np.int64)


def pack(sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Ragged int sequences -> (values (N,), offsets (M+1,))."""
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = np.concatenate([np.asarray(s, dtype=np.int64) for s in sequences]) if sequences else np.zeros(0, np.int64)
    return values, offsets


def unit_statistics(sequences: Sequence[np.ndarray], words: Sequence[str] | None = None) -> dict[str, float]:
    """Summary of word unit sequences (``sequences[j]`` the units of word token j).

    Keys: ``tokens``; ``units`` (total); ``mean_units`` per token; ``empty`` tokens with no
    unit; ``distinct_sequences``; with ``words`` also ``types`` (distinct words),
    ``mean_sequences_per_type`` (distinct unit sequences per word type, averaged over
    types) and ``unique_fraction`` (fraction of tokens whose unit sequence no other token
    of another word type shares -- 1.0 means the sequence alone identifies the word).
    """
    keys = [tuple(np.asarray(s).tolist()) for s in sequences]
    n = len(keys)
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=n)
    stats: dict[str, float] = {
        "tokens": n,
        "units": int(lengths.sum()),
        "mean_units": float(lengths.mean()) if n else 0.0,
        "empty": int((lengths == 0).sum()),
        "distinct_sequences": len(set(keys)),
    }
    if words is not None:
        if len(words) != n:
            raise ValueError("words and sequences differ in length")
        per_type: dict[str, set] = {}
        per_seq: dict[tuple, set] = {}
        for w, k in zip(words, keys):
            per_type.setdefault(w, set()).add(k)
            per_seq.setdefault(k, set()).add(w)
        stats["types"] = len(per_type)
        stats["mean_sequences_per_type"] = float(np.mean([len(s) for s in per_type.values()])) if per_type else 0.0
        stats["unique_fraction"] = (sum(len(per_seq[k]) == 1 for k in keys) / n) if n else 0.0
    return stats


def unit_discrimination(sequences: Sequence[np.ndarray], words: Sequence[str], min_count: int = 10,
                        triplets: int = 10000, seed: int = 0) -> dict[str, float | int | None]:
    """How well word unit sequences tell words apart, in measures that do not grow with the
    number of tokens per type.  Only word types with at least ``min_count`` tokens (and at least
    two) count.

    ``same_type_share``: for each such type, the fraction of its pairs of distinct tokens whose
    unit sequences are identical, averaged over the types (each type weighs the same).

    ABX on sequences, with the normalized edit distance d = Levenshtein / longer length (0 for
    two empty sequences): ``triplets`` seeded triplets, each a type drawn uniformly, two distinct
    tokens A and X of it, and a token B of another type (drawn uniformly, then its token);
    ``abx_error`` is the fraction with d(A, X) > d(B, X), ties counting one half (0 = always
    discriminated, 0.5 = chance).  ``same_word_distance`` and ``different_word_distance`` are
    the mean d(A, X) and d(B, X) over the triplets.  The ABX keys are None with fewer than two
    such types.
    """
    from rapidfuzz.distance import Levenshtein

    if len(words) != len(sequences):
        raise ValueError("words and sequences differ in length")
    by_type: dict[str, list[int]] = {}
    for j, w in enumerate(words):
        by_type.setdefault(w, []).append(j)
    types = sorted(w for w, js in by_type.items() if len(js) >= max(min_count, 2))
    out: dict[str, float | int | None] = {"min_count": min_count, "measured_types": len(types),
                                          "measured_tokens": sum(len(by_type[w]) for w in types),
                                          "same_type_share": None, "abx_triplets": 0, "abx_error": None,
                                          "same_word_distance": None, "different_word_distance": None}
    if not types:
        return out
    keys = [tuple(np.asarray(s).tolist()) for s in sequences]
    shares = []
    for w in types:
        counts: dict[tuple, int] = {}
        for j in by_type[w]:
            counts[keys[j]] = counts.get(keys[j], 0) + 1
        n = len(by_type[w])
        shares.append(sum(c * (c - 1) for c in counts.values()) / (n * (n - 1)))
    out["same_type_share"] = float(np.mean(shares))
    if len(types) < 2 or triplets < 1:
        return out
    rng = np.random.default_rng(seed)
    sizes = np.array([len(by_type[w]) for w in types])
    t = rng.integers(len(types), size=triplets)
    a = rng.integers(sizes[t])
    x = rng.integers(sizes[t] - 1)
    x += x >= a  # a token of the same type other than A
    u = rng.integers(len(types) - 1, size=triplets)
    u += u >= t  # another type
    b = rng.integers(sizes[u])

    def dist(i: int, j: int) -> float:
        return float(Levenshtein.normalized_distance(keys[i], keys[j]))

    same = np.empty(triplets)
    diff = np.empty(triplets)
    for p in range(triplets):
        tx = by_type[types[t[p]]]
        ix = tx[x[p]]
        same[p] = dist(tx[a[p]], ix)
        diff[p] = dist(by_type[types[u[p]]][b[p]], ix)
    errors = (same > diff) + 0.5 * (same == diff)
    out.update(abx_triplets=triplets, abx_error=float(errors.mean()), same_word_distance=float(same.mean()),
               different_word_distance=float(diff.mean()))
    return out
