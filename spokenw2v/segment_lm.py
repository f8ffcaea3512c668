"""Lexicon-driven word costs: a unigram prior over discovered word types for segmentation.

ES-KMeans (:mod:`spokenw2v.discover`) costs a possible word of F frames with embedding ``e``
as ``F * ||e - mu||^2 + penalty`` against its nearest centroid ``mu``, so every cluster is
equally cheap.  Word recurrence is a stronger cue (Goldwater et al. 2009; DPDP, Kamper 2022):
a chunk whose type recurs often in the corpus is likely a word, a chunk of a rare type a
fragment or a run-together of words.  The **lexicon** method adds to every word's cost the
type's negative log unigram probability, estimated from the previous round's segmentation:

    cost(span, k) = F * ||e - mu_k||^2 + penalty + weight * -log p(k),
    p(k) = (n_k + alpha) / (N + alpha * K)

with ``n_k`` the number of words of type ``k`` in the previous round (``N`` in all, ``K``
types).  Each span takes the type of least cost (not simply the nearest centroid), so a
frequent type attracts the spans that are close to it.  A duration prior may subtract
``duration_weight * log q(F)``, with ``q`` the distribution of word lengths in frames of the
previous round.  Pure functions on arrays; the rounds
live in :mod:`spokenw2v.discover`.
"""

from __future__ import annotations

import numpy as np


def log_prior(counts: np.ndarray, alpha: float) -> np.ndarray:
    """(K,) natural-log unigram probabilities of the types from their word ``counts`` (K,),
    add-``alpha`` smoothed (``alpha`` > 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    return np.log(counts + alpha) - np.log(counts.sum() + alpha * len(counts))


def lexicon_costs(emb: np.ndarray, frames: np.ndarray, centroids: np.ndarray, prior: np.ndarray,
                  penalty: float, weight: float, duration: np.ndarray | None = None,
                  duration_weight: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(cost (S,), type (S,)) of every possible word: ``emb`` (S, E) L2-normalised embeddings,
    ``frames`` (S,) their lengths in frames, ``centroids`` (K, E), ``prior`` (K,) log
    probabilities; each span takes the type of least ``F * ||e - mu_k||^2 - weight * prior[k]``,
    plus ``penalty``, minus ``duration_weight * duration[F]`` (``duration``: log probabilities
    of lengths 0.. in frames; longer spans take the last)."""
    if len(emb) == 0:
        return np.zeros(0), np.zeros(0, np.int64)
    sq = 1.0 - 2.0 * emb @ centroids.T + np.square(centroids).sum(1)[None, :]  # (S, K)
    total = np.asarray(frames, np.float64)[:, None] * np.maximum(sq, 0.0) - weight * prior[None, :]
    kind = np.argmin(total, axis=1)
    cost = total[np.arange(len(total)), kind] + penalty
    if duration is not None and duration_weight > 0:
        cost = cost - duration_weight * duration[np.minimum(np.asarray(frames, np.int64), len(duration) - 1)]
    return cost, kind.astype(np.int64)
