"""Segmentation and clustering noise: controlled, seeded corruption of what a model trains on.

Three kinds, each a config dataclass (rates in [0, 1]), a function and the counts of what it
did (realised rates, :func:`counts_dict`):

* **Word segments** (:func:`segment_noise`): boundary jitter, split, merge, deletion and
  insertion of segments.  Every output segment is labelled with the input word it
  overlaps most (:func:`~spokenw2v.segscores.overlap_labels`), so a model trained on the
  noisy segments sees realistic segmentation errors with the best labels an oracle could
  give them.
* **Text corpora** (:func:`text_noise`): token substitution (the paper's clustering
  noise) and merge/split of tokens (segmentation noise in text form).
* **Word unit sequences** (:func:`unit_noise`): unit substitution, deletion and insertion.

How far the noisy segments are from the truth (boundary F1, token scores) is measured in
:mod:`spokenw2v.segscores`.  All times are seconds.  Nothing here reads or writes files or
prints.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Sequence

import numpy as np

from .errors import SpokenW2VError
from .io import Segments
from .segscores import distinct_points, labelled, overlap_labels, point_index, rows_by_utterance

#: Values of the ``op`` column, in order of precedence (a segment gets the first that applies).
OPS = ("insert", "merge", "split", "jitter", "keep")

#: A boundary moved by less than this (seconds) is not "jittered": the segments TSV keeps 0.1 ms.
VISIBLE_MOVE_S = 5e-5


# --------------------------------------------------------------------------- shared helpers


def _rate(a: int, b: int) -> float:
    """``a / b``, 0 when ``b`` is 0 (a realised rate with no opportunities)."""
    return a / b if b else 0.0


def _check_rate(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and 0.0 <= value <= 1.0):
        raise SpokenW2VError(f"{name} must be a rate in [0, 1], found {value!r}")


# --------------------------------------------------------------------------- segment noise


@dataclass
class SegmentNoiseConfig:
    """Segmentation noise.  Rates are probabilities in [0, 1]; times are seconds.

    Applied per utterance in this order (random numbers are drawn per input segment and
    gap, so with one seed the deletions, merges and splits of a higher rate include those
    of a lower rate):

    1. **delete**: each input segment is removed with probability ``delete``.
    2. **merge**: each gap between two input-adjacent words that both survived is removed
       with probability ``merge``; the merged segment runs from the first word's start to
       the last word's end (chains of merges are possible).
    3. **split**: each remaining unmerged segment at least ``2 * min_duration`` long is
       split with probability ``split`` at a point uniform in
       ``[start + min_duration, end - min_duration]``.
    4. **insert**: each input segment spawns, with probability ``insert``, one new segment.
       It goes into a silence (a stretch of ``[0, utterance duration]`` covered by no
       segment, including before the first and after the last word) at least
       ``min_duration`` long, chosen with probability proportional to its length; its
       duration is that of a random input word, capped at the silence's length; its
       position is uniform within the silence.  When the utterance has no such silence,
       the new segment is carved off the end of a random segment at least
       ``2 * min_duration`` long (duration uniform in ``[min_duration, length - min_duration]``).
    5. **jitter**: every distinct boundary ``t_k`` (touching segments share one) moves to
       ``t_k + e_k`` with ``e_k ~ N(0, jitter^2)`` truncated to ``[lo_k, hi_k]`` (exact
       inverse-CDF sampling, no rejection).  Between consecutive boundaries ``t_k < t_k+1``
       at distance ``g``, ``t_k`` may move right and ``t_k+1`` left by at most
       ``g/2 - min(min_duration, g)/2``, so no segment or silence inverts and each keeps
       at least ``min(min_duration, g)``; the first boundary may move left down to 0 s
       and the last right up to the utterance duration.

    Every output segment's ``word`` and ``gold`` is the input word it overlaps most
    (:data:`NO_WORD` for none) and ``op`` the first of :data:`OPS` that applies.
    """

    jitter: float = 0.0  # seconds, standard deviation of the boundary displacement
    split: float = 0.0
    merge: float = 0.0
    delete: float = 0.0
    insert: float = 0.0
    min_duration: float = 0.02  # seconds
    seed: int = 0

    def check(self) -> None:
        for name in ("split", "merge", "delete", "insert"):
            _check_rate(name, getattr(self, name))
        if not (math.isfinite(self.jitter) and self.jitter >= 0):
            raise SpokenW2VError(f"jitter must be a standard deviation >= 0 seconds, found {self.jitter!r}")
        if not (math.isfinite(self.min_duration) and self.min_duration > 0):
            raise SpokenW2VError(f"min_duration must be > 0 seconds, found {self.min_duration!r}")


@dataclass
class SegmentNoiseCounts:
    """What :func:`segment_noise` did.  Realised rates divide by the opportunities."""

    segments_in: int
    segments_out: int
    deleted: int
    merge_opportunities: int  # gaps between input-adjacent words that both survived deletion
    merged: int  # gaps removed
    split_eligible: int  # unmerged segments >= 2 * min_duration
    splits: int
    inserted: int
    inserted_in_silence: int
    boundaries_jittered: int
    jitter_sum_sq: float  # sum of squared boundary displacements, seconds^2

    @property
    def realised(self) -> dict[str, float]:
        return {
            "delete": _rate(self.deleted, self.segments_in),
            "merge": _rate(self.merged, self.merge_opportunities),
            "split": _rate(self.splits, self.split_eligible),
            "insert": _rate(self.inserted, self.segments_in),
            "jitter_rms": math.sqrt(self.jitter_sum_sq / self.boundaries_jittered) if self.boundaries_jittered else 0.0,
        }


def _truncated_normal(u: np.ndarray, sd: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of N(0, sd^2) truncated to [lo, hi] from uniforms ``u`` (all (K,))."""
    from scipy.special import ndtr, ndtri  # here, not at the top: keeps the command line quick to start

    fa, fb = ndtr(lo / sd), ndtr(hi / sd)
    with np.errstate(over="ignore", invalid="ignore"):
        e = sd * ndtri(fa + u * (fb - fa))
    e = np.where(np.isfinite(e), e, 0.0)
    return np.clip(e, lo, hi)


def _silences(pieces: list[list], duration: float, min_len: float) -> list[tuple[float, float]]:
    """Uncovered stretches of [0, duration] at least ``min_len`` long (pieces sorted by start)."""
    out = []
    t = 0.0
    for s, e, _ in pieces:
        if s - t >= min_len:
            out.append((t, s))
        t = max(t, e)
    if duration - t >= min_len:
        out.append((t, duration))
    return out


def segment_noise(seg: Segments, config: SegmentNoiseConfig,
                  durations: dict[str, float] | None = None) -> tuple[Segments, SegmentNoiseCounts]:
    """Corrupt word segments as described in :class:`SegmentNoiseConfig`.

    ``seg``: N word segments (seconds; with or without words).  ``durations``: utterance
    length in seconds per utterance; without it an utterance ends at its last segment's
    end.  Returns the noisy segments -- columns ``word`` and ``gold`` (the input word it
    overlaps most; both absent when ``seg`` has no words) and ``op`` -- and the counts.
    Input extra columns are dropped.
    """
    config.check()
    n = len(seg)
    m = config.min_duration
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(5)]
    r_del, r_merge, r_split, r_ins, r_jit = streams
    u_del = r_del.random(n)
    u_merge = r_merge.random(n)  # gap after input segment i
    u_split = r_split.random((n, 2))
    u_ins = r_ins.random(n)
    word_durations = seg.end - seg.start

    out_utt: list[str] = []
    out_start: list[float] = []
    out_end: list[float] = []
    out_op: list[str] = []
    c = dict(deleted=0, merge_opportunities=0, merged=0, split_eligible=0, splits=0, inserted=0,
             inserted_in_silence=0, boundaries_jittered=0, jitter_sum_sq=0.0)

    for utt, rows in rows_by_utterance(seg).items():
        duration = float(seg.end[rows].max())
        if durations is not None and utt in durations:
            duration = max(duration, float(durations[utt]))

        # 1. delete
        alive = [(pos, int(i)) for pos, i in enumerate(rows) if u_del[i] >= config.delete]
        c["deleted"] += len(rows) - len(alive)

        # 2. merge: groups of input-adjacent survivors
        groups: list[list[int]] = []
        prev_pos = None
        for pos, i in alive:
            if prev_pos is not None and pos == prev_pos + 1:
                c["merge_opportunities"] += 1
                left = groups[-1][-1]
                if u_merge[left] < config.merge:
                    c["merged"] += 1
                    groups[-1].append(i)
                    prev_pos = pos
                    continue
            groups.append([i])
            prev_pos = pos

        # 3. split
        pieces: list[list] = []  # [start, end, op]
        for g in groups:
            s, e = float(seg.start[g[0]]), float(seg.end[g[-1]])
            if len(g) > 1:
                pieces.append([s, e, "merge"])
                continue
            i = g[0]
            if e - s >= 2 * m:
                c["split_eligible"] += 1
                if u_split[i, 0] < config.split:
                    c["splits"] += 1
                    cut = s + m + u_split[i, 1] * (e - s - 2 * m)
                    pieces.append([s, cut, "split"])
                    pieces.append([cut, e, "split"])
                    continue
            pieces.append([s, e, "keep"])

        # 4. insert
        for _ in range(int(np.count_nonzero(u_ins[rows] < config.insert))):
            pieces.sort(key=lambda p: p[0])
            gaps = _silences(pieces, duration, m)
            if gaps:
                lengths = np.asarray([b - a for a, b in gaps])
                a, b = gaps[int(r_ins.choice(len(gaps), p=lengths / lengths.sum()))]
                d = min(float(word_durations[r_ins.integers(n)]), b - a)
                start = a + r_ins.random() * (b - a - d)
                pieces.append([start, start + d, "insert"])
                c["inserted_in_silence"] += 1
            else:
                long_enough = [p for p in pieces if p[1] - p[0] >= 2 * m]
                if not long_enough:
                    continue
                p = long_enough[int(r_ins.integers(len(long_enough)))]
                d = m + r_ins.random() * (p[1] - p[0] - 2 * m)
                pieces.append([p[1] - d, p[1], "insert"])
                p[1] -= d
            c["inserted"] += 1
        pieces.sort(key=lambda p: p[0])
        if not pieces:
            continue

        starts = np.asarray([p[0] for p in pieces])
        ends = np.asarray([p[1] for p in pieces])
        ops = [p[2] for p in pieces]

        # 5. jitter
        if config.jitter > 0:
            points = distinct_points(np.concatenate([starts, ends]))
            gap = np.diff(points)
            reach = gap / 2 - np.minimum(m, gap) / 2
            lo = np.empty_like(points)
            hi = np.empty_like(points)
            lo[0], hi[-1] = -points[0], duration - points[-1]
            hi[:-1], lo[1:] = reach, -reach
            shift = _truncated_normal(r_jit.random(len(points)), config.jitter, lo, hi)
            si, ei = point_index(points, starts), point_index(points, ends)
            moved = (np.abs(shift[si]) >= VISIBLE_MOVE_S) | (np.abs(shift[ei]) >= VISIBLE_MOVE_S)
            starts, ends = (points + shift)[si], (points + shift)[ei]
            ops = ["jitter" if op == "keep" and mv else op for op, mv in zip(ops, moved.tolist())]
            c["boundaries_jittered"] += len(points)
            c["jitter_sum_sq"] += float(np.sum(shift ** 2))

        out_utt.extend([utt] * len(ops))
        out_start.extend(starts.tolist())
        out_end.extend(ends.tolist())
        out_op.extend(ops)

    noisy = Segments(out_utt, np.asarray(out_start, dtype=np.float64), np.asarray(out_end, dtype=np.float64))
    if seg.word is not None:
        noisy = labelled(noisy, overlap_labels(noisy, seg), out_op)
    else:
        noisy.extra["op"] = out_op
    counts = SegmentNoiseCounts(segments_in=n, segments_out=len(noisy), **c)
    return noisy, counts


# --------------------------------------------------------------------------- text noise


class Weighting(str, Enum):
    """How substitute words are drawn from the corpus vocabulary."""

    UNIFORM = "uniform"  # every other word type equally likely
    UNIGRAM = "unigram"  # other word types in proportion to their corpus frequency


@dataclass
class TextNoiseConfig:
    """Clustering and segmentation noise on a tokenized text corpus.  Rates in [0, 1].

    Applied in this order, with random numbers drawn per input token (so with one seed the
    changes at a higher rate include those at a lower rate):

    1. **substitute**: each token is replaced with probability ``substitute`` by a
       *different* word type of the corpus vocabulary, drawn uniformly over the other
       types or in proportion to their frequency (``weighting``).
    2. **merge**: each gap between two tokens of a line is removed with probability
       ``merge``: the tokens are concatenated (``of the`` -> ``ofthe``; chains possible).
    3. **split**: each unmerged token with at least one split point (a position between
       two characters neither of which is an apostrophe) is split with probability
       ``split`` at a split point chosen uniformly (``people`` -> ``peo ple``).
    """

    substitute: float = 0.0
    weighting: Weighting = Weighting.UNIFORM
    merge: float = 0.0
    split: float = 0.0
    seed: int = 0

    def check(self) -> None:
        for name in ("substitute", "merge", "split"):
            _check_rate(name, getattr(self, name))


@dataclass
class TextNoiseCounts:
    """What :func:`text_noise` did.  Realised rates divide by the opportunities."""

    tokens_in: int
    tokens_out: int
    vocabulary: int
    substituted: int
    merge_opportunities: int
    merged: int
    split_eligible: int
    splits: int

    @property
    def realised(self) -> dict[str, float]:
        return {
            "substitute": _rate(self.substituted, self.tokens_in),
            "merge": _rate(self.merged, self.merge_opportunities),
            "split": _rate(self.splits, self.split_eligible),
        }


def _draw(rng: np.random.Generator, size: int, vocab_size: int, probs: np.ndarray | None) -> np.ndarray:
    if probs is None:
        return rng.integers(vocab_size, size=size)
    return np.minimum(np.searchsorted(np.cumsum(probs), rng.random(size), side="right"), vocab_size - 1)


def _split_points(token: str) -> list[int]:
    return [k for k in range(1, len(token)) if token[k - 1] != "'" and token[k] != "'"]


def text_noise(sentences: Sequence[Sequence[str]], config: TextNoiseConfig) -> tuple[list[list[str]], TextNoiseCounts]:
    """Corrupt a tokenized corpus as described in :class:`TextNoiseConfig`.

    ``sentences``: token lists (one per utterance).  Returns the noisy token lists (same
    number of lines) and the counts.
    """
    config.check()
    freq = Counter(t for s in sentences for t in s)
    vocab = [w for w, _ in freq.most_common()]
    index = {w: i for i, w in enumerate(vocab)}
    lengths = np.asarray([len(s) for s in sentences], dtype=np.int64)
    n = int(lengths.sum())
    ids = np.fromiter((index[t] for s in sentences for t in s), dtype=np.int64, count=n)
    if config.substitute > 0 and len(vocab) < 2:
        raise SpokenW2VError("substitution needs a vocabulary of at least two word types")

    r_sub, r_merge, r_split = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(3)]
    chosen = r_sub.random(n) < config.substitute
    new_ids = ids.copy()
    if len(vocab) >= 2:
        probs = None
        if config.weighting is Weighting.UNIGRAM:
            probs = np.asarray([freq[w] for w in vocab], dtype=np.float64)
            probs /= probs.sum()
        cand = _draw(r_sub, n, len(vocab), probs)
        same = cand == ids
        while same.any():  # rejection: a substitute is always a different word
            cand[same] = _draw(r_sub, int(same.sum()), len(vocab), probs)
            same = cand == ids
        new_ids[chosen] = cand[chosen]
    u_merge = r_merge.random(n)
    u_split = r_split.random((n, 2))

    out: list[list[str]] = []
    merge_opp = merged = eligible = n_split = 0
    pos = 0
    for length in lengths.tolist():
        toks = [vocab[k] for k in new_ids[pos:pos + length].tolist()]
        groups: list[list[str]] = []
        for j, tok in enumerate(toks):
            if j > 0:
                merge_opp += 1
                if u_merge[pos + j - 1] < config.merge:
                    merged += 1
                    groups[-1].append(tok)
                    continue
            groups.append([tok])
        line: list[str] = []
        # the split draw of a group is that of its first token
        first = pos
        for g in groups:
            if len(g) > 1:
                line.append("".join(g))
            else:
                points = _split_points(g[0])
                if points:
                    eligible += 1
                    if u_split[first, 0] < config.split:
                        n_split += 1
                        k = points[min(int(u_split[first, 1] * len(points)), len(points) - 1)]
                        line.extend([g[0][:k], g[0][k:]])
                        first += len(g)
                        continue
                line.append(g[0])
            first += len(g)
        out.append(line)
        pos += length
    counts = TextNoiseCounts(tokens_in=n, tokens_out=sum(len(s) for s in out), vocabulary=len(vocab),
                             substituted=int(chosen.sum()), merge_opportunities=merge_opp, merged=merged,
                             split_eligible=eligible, splits=n_split)
    return out, counts


# --------------------------------------------------------------------------- unit edits


@dataclass
class UnitNoiseConfig:
    """Edits inside every word token's unit (or phoneme) sequence.  Rates in [0, 1], per unit.

    With random numbers drawn per input unit (so with one seed the edits at a higher rate
    include those at a lower rate):

    1. **substitute**: each unit is replaced with probability ``substitute`` by a *different*
       symbol of the alphabet, drawn uniformly;
    2. **delete**: each unit is deleted with probability ``delete``, except that a token
       keeps at least one unit (its first surviving draw order: the unit with the largest
       draw is kept when every unit of the token was drawn for deletion);
    3. **insert**: after each unit, with probability ``insert``, a uniformly drawn symbol is
       inserted (expected insertions = ``insert`` x units).
    """

    substitute: float = 0.0
    delete: float = 0.0
    insert: float = 0.0
    seed: int = 0

    def check(self) -> None:
        for name in ("substitute", "delete", "insert"):
            _check_rate(name, getattr(self, name))


@dataclass
class UnitNoiseCounts:
    """What :func:`unit_noise` did; realised rates divide by the input units."""

    tokens: int
    units_in: int
    units_out: int
    substituted: int
    deleted: int
    inserted: int

    @property
    def realised(self) -> dict[str, float]:
        return {"substitute": _rate(self.substituted, self.units_in), "delete": _rate(self.deleted, self.units_in),
                "insert": _rate(self.inserted, self.units_in)}


def unit_noise(sequences: Sequence[np.ndarray], k: int, config: UnitNoiseConfig) -> tuple[list[np.ndarray], UnitNoiseCounts]:
    """Edit every token's sequence (``sequences[i]`` (L_i,) ids in ``[0, k)``) as described in
    :class:`UnitNoiseConfig`.  Returns the edited sequences (one per token, never empty)
    and the counts."""
    config.check()
    if (config.substitute > 0 or config.insert > 0) and k < 2:
        raise SpokenW2VError("substitution and insertion need an alphabet of at least two symbols")
    lengths = np.asarray([len(q) for q in sequences], dtype=np.int64)
    if len(lengths) and lengths.min() < 1:
        raise SpokenW2VError("every token needs at least one unit")
    flat = np.concatenate([np.asarray(q, dtype=np.int64) for q in sequences]) if len(sequences) else \
        np.zeros(0, np.int64)
    n = len(flat)
    r_sub, r_del, r_ins = [np.random.default_rng(x) for x in np.random.SeedSequence(config.seed).spawn(3)]
    u_sub, u_del, u_ins = r_sub.random(n), r_del.random(n), r_ins.random(n)
    # a different symbol: id + 1..k-1 (mod k), uniform over the others
    other = (flat + 1 + r_sub.integers(0, max(k - 1, 1), size=n)) % max(k, 1)
    inserted_symbol = r_ins.integers(0, max(k, 1), size=n)
    substituted = u_sub < config.substitute
    values = np.where(substituted, other, flat)
    delete = u_del < config.delete
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(lengths) else np.zeros(0, np.int64)
    token = np.repeat(np.arange(len(lengths)), lengths)
    if delete.any():  # keep one unit of a token that would lose all: the one drawn last for deletion
        gone = np.bincount(token, weights=delete, minlength=len(lengths)) == lengths
        for t in np.flatnonzero(gone):
            a, b = starts[t], starts[t] + lengths[t]
            delete[a + int(np.argmax(u_del[a:b]))] = False
    insert = u_ins < config.insert
    out: list[np.ndarray] = []
    for t in range(len(lengths)):
        a, b = starts[t], starts[t] + lengths[t]
        keep = ~delete[a:b]
        parts = []
        for j in range(a, b):
            if keep[j - a]:
                parts.append(values[j])
            if insert[j]:
                parts.append(inserted_symbol[j])
        out.append(np.asarray(parts, dtype=np.int64))
    counts = UnitNoiseCounts(tokens=len(lengths), units_in=n, units_out=int(sum(len(q) for q in out)),
                             substituted=int(substituted[~delete].sum()), deleted=int(delete.sum()),
                             inserted=int(insert.sum()))
    return out, counts


def sequences_per_type(sequences: Sequence[np.ndarray], words: Sequence[str]) -> float:
    """Distinct sequences per word type, averaged over the types."""
    per: dict[str, set] = {}
    for q, w in zip(sequences, words):
        per.setdefault(w, set()).add(np.asarray(q).tobytes())
    return float(np.mean([len(v) for v in per.values()])) if per else 0.0


def counts_dict(counts: SegmentNoiseCounts | TextNoiseCounts | UnitNoiseCounts) -> dict[str, float | int]:
    """Counts and realised rates (``realised_<op>``) as one flat JSON-ready dict."""
    out: dict[str, float | int] = asdict(counts)
    out.update({f"realised_{k}": v for k, v in counts.realised.items()})
    return out
