"""How far a set of word segments is from the truth.

* :func:`boundary_scores` -- boundary precision / recall / F1 with a tolerance (20 ms by
  default), each boundary matched at most once;
* :func:`overlap_labels` -- the gold word each segment overlaps most, and :func:`labelled`
  to write it into the segments;
* :func:`token_scores` -- token precision / recall / F1 (a segment is a correct token
  when it is more than half one gold word and covers more than half of that word) and
  the fraction of segments whose label is unambiguous (more than half of the segment is
  one gold word);
* :func:`segment_report` -- both as one flat JSON-ready dict.

All times are seconds.  Nothing here reads or writes files or prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .io import Segments

#: Label of a segment that overlaps no gold word (a noise insertion into a silence, a segmenter's false alarm).
NO_WORD = "<sil>"

#: Boundaries closer than this (seconds) are the same boundary (touching words share one).
SAME_BOUNDARY_S = 1e-6


# --------------------------------------------------------------------------- helpers


def distinct_points(times: np.ndarray) -> np.ndarray:
    """Sorted distinct times; times closer than :data:`SAME_BOUNDARY_S` collapse to the first."""
    pts = np.sort(np.asarray(times, dtype=np.float64))
    if pts.size == 0:
        return pts
    keep = np.ones(pts.size, dtype=bool)
    keep[1:] = np.diff(pts) > SAME_BOUNDARY_S
    return pts[keep]


def point_index(points: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Index into ``points`` (from :func:`distinct_points`) of each time."""
    return np.searchsorted(points, np.asarray(times) + SAME_BOUNDARY_S, side="right") - 1


def _prf(matched: int, n_hyp: int, n_ref: int) -> tuple[float, float, float]:
    precision = matched / n_hyp if n_hyp else (1.0 if n_ref == 0 else 0.0)
    recall = matched / n_ref if n_ref else (1.0 if n_hyp == 0 else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def rows_by_utterance(seg: Segments) -> dict[str, np.ndarray]:
    """Utterance -> row indices sorted by start time."""
    return {u: rows[np.argsort(seg.start[rows], kind="stable")] for u, rows in seg.by_utterance().items()}


# --------------------------------------------------------------------------- scores


@dataclass
class BoundaryScores:
    """Boundary precision / recall / F1 of hypothesis segments against reference segments.

    The boundaries of an utterance are the distinct start and end times of its segments
    (the end of a word and the start of the next word it touches are one boundary).  The
    first start and last end of an utterance count like any other: segments exclude
    silences, so they are word onsets/offsets a segmenter has to find.  A hypothesis
    boundary matches a reference boundary of the same utterance when they are at most
    ``tolerance`` seconds apart; each boundary is matched at most once (a maximum
    matching, found greedily in time order, which is optimal on a line).
    """

    precision: float
    recall: float
    f1: float
    matched: int
    hyp_boundaries: int
    ref_boundaries: int
    tolerance: float  # seconds

    @property
    def over_segmentation(self) -> float:
        """``hyp_boundaries / ref_boundaries - 1`` (0 = as many boundaries as the reference)."""
        return self.hyp_boundaries / self.ref_boundaries - 1 if self.ref_boundaries else float("nan")


def utterance_boundaries(seg: Segments, rows: np.ndarray) -> np.ndarray:
    """(B,) sorted distinct boundary times (seconds) of the segments ``rows``."""
    return distinct_points(np.concatenate([seg.start[rows], seg.end[rows]]))


def match_boundaries(ref: np.ndarray, hyp: np.ndarray, tolerance: float) -> int:
    """Number of pairs in a maximum one-to-one matching of sorted ``ref`` and ``hyp``
    times (seconds) with ``|r - h| <= tolerance``."""
    tol = tolerance + 1e-9
    i = j = matched = 0
    n, m = len(ref), len(hyp)
    while i < n and j < m:
        if hyp[j] < ref[i] - tol:
            j += 1
        elif hyp[j] > ref[i] + tol:
            i += 1
        else:
            matched += 1
            i += 1
            j += 1
    return matched


def boundary_scores(ref: Segments, hyp: Segments, tolerance: float = 0.02) -> BoundaryScores:
    """Boundary P/R/F1 of ``hyp`` against ``ref`` over the union of their utterances
    (an utterance missing from one side contributes only misses or false alarms)."""
    ref_rows, hyp_rows = rows_by_utterance(ref), rows_by_utterance(hyp)
    matched = n_ref = n_hyp = 0
    empty = np.zeros(0, dtype=np.int64)
    for utt in dict.fromkeys(list(ref_rows) + list(hyp_rows)):
        r = utterance_boundaries(ref, ref_rows.get(utt, empty))
        h = utterance_boundaries(hyp, hyp_rows.get(utt, empty))
        n_ref += len(r)
        n_hyp += len(h)
        matched += match_boundaries(r, h, tolerance)
    p, r_, f = _prf(matched, n_hyp, n_ref)
    return BoundaryScores(p, r_, f, matched, n_hyp, n_ref, tolerance)


@dataclass
class OverlapLabels:
    """For each hypothesis segment: the gold row it overlaps most and by how much.

    ``gold_row[i]`` indexes the gold :class:`Segments` (-1 when segment ``i`` overlaps no
    gold word); ``overlap[i]`` is that overlap in seconds; ``word[i]`` the gold word (or
    :data:`NO_WORD`).  Ties go to the earlier gold word.
    """

    word: list[str]
    gold_row: np.ndarray  # (N,) int64
    overlap: np.ndarray  # (N,) float64 seconds


def overlap_labels(hyp: Segments, gold: Segments) -> OverlapLabels:
    """Label every hypothesis segment with the gold word it overlaps most.

    ``gold`` must have words.  Hypothesis segments of an utterance absent from ``gold``
    get :data:`NO_WORD` (callers that need every utterance check beforehand).
    """
    if gold.word is None:
        raise ValueError("gold segments need words")
    n = len(hyp)
    gold_row = np.full(n, -1, dtype=np.int64)
    overlap = np.zeros(n, dtype=np.float64)
    gold_rows = gold.by_utterance()
    for utt, hx in hyp.by_utterance().items():
        gx = gold_rows.get(utt)
        if gx is None:
            continue
        o = np.minimum(hyp.end[hx, None], gold.end[None, gx]) - np.maximum(hyp.start[hx, None], gold.start[None, gx])
        o = np.clip(o, 0.0, None)
        order = np.argsort(gold.start[gx], kind="stable")  # ties -> earlier word
        best = order[np.argmax(o[:, order], axis=1)]
        ov = o[np.arange(len(hx)), best]
        has = ov > 0
        gold_row[hx[has]] = gx[best[has]]
        overlap[hx[has]] = ov[has]
    word = [gold.word[g] if g >= 0 else NO_WORD for g in gold_row.tolist()]
    return OverlapLabels(word, gold_row, overlap)


@dataclass
class TokenScores:
    """How many hypothesis segments are recognisably one gold word token.

    A hypothesis segment is **unambiguous** when its best gold word (most overlap) covers
    more than half of the segment's own duration.  It is a **correct token** when, in
    addition, it covers more than half of that gold word's duration.  Two disjoint
    segments cannot both cover more than half of one word, so correct tokens are a
    one-to-one matching: precision = correct / hypothesis segments, recall = correct /
    gold segments.
    """

    precision: float
    recall: float
    f1: float
    unambiguous: float  # fraction of hypothesis segments
    correct: int
    hyp_segments: int
    gold_segments: int


def token_scores(gold: Segments, hyp: Segments, labels: OverlapLabels | None = None) -> TokenScores:
    """Token precision / recall / F1 and the unambiguous fraction (see :class:`TokenScores`)."""
    labels = labels if labels is not None else overlap_labels(hyp, gold)
    hyp_dur = hyp.end - hyp.start
    has = labels.gold_row >= 0
    gold_dur = np.zeros(len(hyp))
    gold_dur[has] = gold.end[labels.gold_row[has]] - gold.start[labels.gold_row[has]]
    eps = 1e-9  # seconds: exactly half (up to float rounding) is not "more than half"
    unambiguous = has & (labels.overlap > 0.5 * hyp_dur + eps)
    correct = unambiguous & (labels.overlap > 0.5 * gold_dur + eps)
    n_correct = int(correct.sum())
    p, r, f = _prf(n_correct, len(hyp), len(gold))
    frac = float(unambiguous.mean()) if len(hyp) else float("nan")
    return TokenScores(p, r, f, frac, n_correct, len(hyp), len(gold))


def labelled(hyp: Segments, labels: OverlapLabels, op: Sequence[str] | None = None) -> Segments:
    """A copy of ``hyp`` with ``word`` = ``gold`` = the overlap label (and ``op`` when given).

    Columns: ``gold`` first, then the other extra columns of ``hyp`` (an old ``gold`` is
    replaced, an old ``op`` too when ``op`` is given).
    """
    extra = {"gold": list(labels.word)}
    extra.update({k: list(v) for k, v in hyp.extra.items() if k != "gold"})
    if op is not None:
        extra["op"] = list(op)
    return Segments(list(hyp.utt), hyp.start.copy(), hyp.end.copy(), list(labels.word), extra)


def segment_report(gold: Segments, hyp: Segments, tolerance: float = 0.02,
                   labels: OverlapLabels | None = None) -> dict[str, float | int]:
    """Boundary and token scores of ``hyp`` against ``gold`` as one flat dict (JSON-ready)."""
    b = boundary_scores(gold, hyp, tolerance)
    out: dict[str, float | int] = {
        "tolerance_s": tolerance,
        "boundary_precision": b.precision,
        "boundary_recall": b.recall,
        "boundary_f1": b.f1,
        "boundaries_hyp": b.hyp_boundaries,
        "boundaries_ref": b.ref_boundaries,
        "over_segmentation": b.over_segmentation,
    }
    if gold.word is not None:
        t = token_scores(gold, hyp, labels)
        out.update({
            "token_precision": t.precision,
            "token_recall": t.recall,
            "token_f1": t.f1,
            "unambiguous": t.unambiguous,
        })
    return out
