"""Evaluation: the paper's test set and metrics A/B, word-similarity benchmarks, neighbours.

The protocol of Sayeed & Aldarmaki (2024), seeded and saved:

* :func:`build_test_set` -- test words drawn from the frequent words of a corpus, each paired
  with its nearest neighbours in a reference (text) model, its nearest orthographic
  neighbours (normalized Levenshtein distance) and random words.
* :func:`paper_metrics` -- metric **A**: Pearson r between the evaluated model's cosine
  distances and the reference model's on the test pairs; metric **B**: Pearson r between
  the evaluated model's cosine distances and normalized edit distance.  Spearman rho,
  coverage and a cluster-bootstrap 95% interval come with them.
* :func:`word_similarity` -- Spearman rho against human similarity scores (WordSim353,
  SimLex-999 or any ``word1 word2 score`` file) and the out-of-vocabulary rate.
* :func:`nearest_neighbours` -- the nearest words of a word by cosine similarity.

Everything here takes and returns arrays and dataclasses; files are read and written by
:mod:`spokenw2v.io` and the command line.
"""

from __future__ import annotations

import collections
import enum
import itertools
import math
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .errors import SpokenW2VError
from .io import SimilarityPairs, TestSet, WordVectors

__all__ = [
    "Benchmark",
    "Null",
    "Protocol",
    "Split",
    "benchmark_path",
    "build_test_set",
    "cosine_distances",
    "edit_distances",
    "log_frequency_distances",
    "nearest_neighbours",
    "null_metrics",
    "partial_correlation",
    "paper_metrics",
    "pearson",
    "spearman",
    "word_frequencies",
    "word_similarity",
]

#: Rows of the vocabulary handled at once by the neighbour searches (bounds memory to
#: about ``_CHUNK * V * 4`` bytes).
_CHUNK = 256
#: Pairs handled at once when computing cosine distances.
_PAIR_CHUNK = 2048


# --------------------------------------------------------------------------- small statistics


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of two (N,) arrays, computed in float64; NaN when N < 2 or either is constant."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 2:
        return float("nan")
    x = x - x.mean()
    y = y - y.mean()
    # (x * y).sum() rather than np.dot: a BLAS call costs milliseconds of thread start-up here.
    den = math.sqrt(float((x * x).sum()) * float((y * y).sum()))
    if den == 0.0:
        return float("nan")
    return float(np.clip((x * y).sum() / den, -1.0, 1.0))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rho of two (N,) arrays: Pearson r of their ranks (ties get average ranks)."""
    if np.size(x) < 2:
        return float("nan")
    from scipy.stats import rankdata  # imported here: scipy.stats costs ~0.5 s at start-up

    return pearson(rankdata(x), rankdata(y))


def residuals(y: np.ndarray, covariates: np.ndarray) -> np.ndarray:
    """``y`` (N,) minus its least-squares fit on an intercept and ``covariates`` (N, K), float64.

    Residuals that are rounding noise (sum of squares below 1e-20 of ``y``'s own, or ``y``
    constant) are returned as exact zeros: ``y`` is a function of the covariates."""
    y = np.asarray(y, dtype=np.float64)
    design = np.column_stack([np.ones(len(y)), np.asarray(covariates, dtype=np.float64).reshape(len(y), -1)])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    res = y - design @ coef
    total = float(((y - y.mean()) ** 2).sum()) if len(y) else 0.0
    if float((res * res).sum()) <= 1e-20 * total or total == 0.0:
        return np.zeros_like(res)
    return res


def _residual_pearson(rx: np.ndarray, ry: np.ndarray) -> float:
    """Pearson r of two residual vectors; 0 when either is all zeros (a variable the covariates
    explain entirely has nothing left that could agree with anything)."""
    if rx.size < 2:
        return float("nan")
    if not rx.any() or not ry.any():
        return 0.0
    return pearson(rx, ry)


def partial_correlation(x: np.ndarray, y: np.ndarray, covariates: np.ndarray) -> float:
    """Partial Pearson r of (N,) ``x`` and ``y`` controlling for ``covariates`` (N, K): the Pearson
    r of their residuals after a least-squares fit (with intercept) on the covariates.  0 when
    ``x`` or ``y`` is a linear function of the covariates; NaN when N < 2."""
    return _residual_pearson(residuals(x, covariates), residuals(y, covariates))


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float64); zero rows stay zero (cosine 0 with anything)."""
    v = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms > 0, norms, 1.0)


def cosine_distances(wv: WordVectors, idx1: np.ndarray, idx2: np.ndarray) -> np.ndarray:
    """Cosine distances ``1 - cos(v[idx1[p]], v[idx2[p]])`` (P,) float64 for row indices of ``wv``.

    Works through the pairs in cache-sized blocks (float64), so it needs no (V, D) copy of a
    large vocabulary.  A zero vector has cosine 0 with anything (distance 1).
    """
    out = np.empty(len(idx1), dtype=np.float64)
    for lo in range(0, len(idx1), _PAIR_CHUNK):
        a = wv.vectors[idx1[lo: lo + _PAIR_CHUNK]].astype(np.float64)
        b = wv.vectors[idx2[lo: lo + _PAIR_CHUNK]].astype(np.float64)
        norms = np.sqrt(np.einsum("ij,ij->i", a, a) * np.einsum("ij,ij->i", b, b))
        out[lo: lo + len(a)] = 1.0 - np.einsum("ij,ij->i", a, b) / np.where(norms > 0, norms, 1.0)
    return out


def edit_distances(word1: Sequence[str], word2: Sequence[str]) -> np.ndarray:
    """Normalized Levenshtein distances (P,) float64: edits / length of the longer word (rapidfuzz)."""
    if not len(word1):
        return np.zeros(0, dtype=np.float64)
    return np.asarray(process.cpdist(list(word1), list(word2), scorer=Levenshtein.normalized_distance,
                                     dtype=np.float64), dtype=np.float64)


def log_frequency_distances(freq1: Sequence[int], freq2: Sequence[int]) -> np.ndarray:
    """``|log f1 - log f2|`` (P,) float64 for corpus counts (>= 1) of the two words of each pair."""
    return np.abs(np.log(np.asarray(freq1, dtype=np.float64)) - np.log(np.asarray(freq2, dtype=np.float64)))


# --------------------------------------------------------------------------- test set


class Protocol(str, enum.Enum):
    """How the random words of the test set are drawn (see :func:`build_test_set`)."""

    PAPER = "paper"  # from the whole neighbour vocabulary, as the paper describes
    AUTHORS = "authors"  # from the frequent-word pool, as the authors' released code


class Split(str, enum.Enum):
    """Which test words a metric is computed on."""

    DEV = "dev"
    TEST = "test"
    ALL = "all"


def word_frequencies(sentences: Iterable[Sequence[str]]) -> collections.Counter:
    """Token counts over sentences (lists of words)."""
    counts: collections.Counter = collections.Counter()
    for sentence in sentences:
        counts.update(sentence)
    return counts


def _ranked(frequencies: collections.Counter) -> list[str]:
    """Words by decreasing frequency; ties broken alphabetically so the order is reproducible."""
    return sorted((w for w, c in frequencies.items() if c > 0), key=lambda w: (-frequencies[w], w))


def build_test_set(reference: WordVectors, frequencies: collections.Counter, *, n_frequent: int = 5000,
                   skip_top: int = 200, n_test: int = 2000, n_semantic: int = 5, n_orthographic: int = 5,
                   n_random: int = 10, seed: int = 0, protocol: Protocol = Protocol.PAPER) -> TestSet:
    """Draw the paper's test set, seeded.

    * Corpus words are ranked by frequency (ties alphabetical).  The candidate test words are
      ranks ``skip .. n_frequent`` that the reference model knows, where
      ``skip = min(skip_top, corpus vocabulary // 10)``: a small corpus never loses more than
      its most frequent tenth.  ``n_test`` of them are drawn without replacement (all of them
      when there are fewer).
    * The *neighbour vocabulary* is every corpus word the reference model knows (the paper's
      "whole vocabulary of the reference model" when, as usual, the reference was trained on
      the same transcripts); words only the reference knows would have no vector in a model
      learned from the corpus.
    * Each test word is paired with its ``n_semantic`` nearest neighbours by cosine similarity
      in the reference model, its ``n_orthographic`` nearest words by normalized Levenshtein
      distance (ties: more frequent first) and ``n_random`` distinct random words, all from the
      neighbour vocabulary and never the word itself (fewer when the vocabulary is smaller).
    * ``protocol=Protocol.AUTHORS`` follows the authors' released code where it is not a bug:
      the skip is the true top ``skip_top`` (no cap at a tenth), and the random words come from
      the frequent-word pool -- the ``n_frequent`` most frequent words the reference knows --
      minus the test words.
    * Every pair carries the corpus counts of its two words (``freq1``/``freq2``), and the
      test words are split in halves by a seeded permutation: ``n // 2`` ``dev`` words (for
      choosing checkpoints and settings) and the rest ``test`` (for reports).

    Returns a :class:`TestSet` of ``n_test * (n_semantic + n_orthographic + n_random)`` pairs,
    grouped by test word in frequency order.  Raises :class:`SpokenW2VError` when no candidate
    word is in the reference model.
    """
    for name, value in (("n_frequent", n_frequent), ("skip_top", skip_top), ("n_semantic", n_semantic),
                        ("n_orthographic", n_orthographic), ("n_random", n_random)):
        if value < 0:
            raise SpokenW2VError(f"{name} must be >= 0, found {value}")
    if n_test < 1:
        raise SpokenW2VError(f"n_test must be >= 1, found {n_test}")
    ranked = _ranked(frequencies)
    if not ranked:
        raise SpokenW2VError("the corpus has no words")
    protocol = Protocol(protocol)
    skip = skip_top if protocol == Protocol.AUTHORS else min(skip_top, len(ranked) // 10)
    candidates = [w for w in ranked[skip:n_frequent] if w in reference]
    if not candidates:
        raise SpokenW2VError(
            f"none of the corpus words ranked {skip + 1}..{min(n_frequent, len(ranked))} by frequency is in the "
            f"reference model (do the corpus and the reference share a vocabulary?)"
        )
    vocab = [w for w in ranked if w in reference]
    position = {w: i for i, w in enumerate(vocab)}
    rng = np.random.default_rng(seed)
    n = min(n_test, len(candidates))
    chosen = np.sort(rng.choice(len(candidates), size=n, replace=False))
    test_words = [candidates[i] for i in chosen]
    test_pos = np.asarray([position[w] for w in test_words], dtype=np.int64)

    k_sem = min(n_semantic, len(vocab) - 1)
    k_ort = min(n_orthographic, len(vocab) - 1)
    if protocol == Protocol.AUTHORS:
        chosen_set = set(test_words)
        pool = np.asarray([i for i, w in enumerate(vocab[:n_frequent]) if w not in chosen_set], dtype=np.int64)
    else:
        pool = np.arange(len(vocab), dtype=np.int64)
    k_rnd = min(n_random, len(vocab) - 1 if protocol == Protocol.PAPER else len(pool))
    semantic = _semantic_neighbours(reference, vocab, test_pos, k_sem)
    orthographic = _orthographic_neighbours(vocab, test_pos, k_ort)

    word1: list[str] = []
    word2: list[str] = []
    relation: list[str] = []
    for t, (word, pos) in enumerate(zip(test_words, test_pos)):
        if protocol == Protocol.AUTHORS:  # the pool holds no test word
            randoms = pool[rng.choice(len(pool), size=k_rnd, replace=False)]
        else:
            randoms = rng.choice(len(vocab) - 1, size=k_rnd, replace=False)
            randoms = randoms + (randoms >= pos)  # skip the test word itself
        for rel, idx in (("semantic", semantic[t]), ("orthographic", orthographic[t]), ("random", randoms)):
            for i in idx:
                word1.append(word)
                word2.append(vocab[int(i)])
                relation.append(rel)
    params = {
        "n_frequent": str(n_frequent), "skip_top": str(skip_top), "skip_used": str(skip),
        "n_test": str(n_test), "n_test_used": str(n), "n_semantic": str(n_semantic),
        "n_orthographic": str(n_orthographic), "n_random": str(n_random),
        "corpus_vocabulary": str(len(ranked)), "neighbour_vocabulary": str(len(vocab)),
        "protocol": protocol.value, "split_dev": str(n // 2), "split_test": str(n - n // 2),
    }
    # the split has its own stream, so the words and pairs drawn do not depend on it
    dev = set(np.random.default_rng([seed, 1]).permutation(n)[: n // 2].tolist())
    half = {w: ("dev" if t in dev else "test") for t, w in enumerate(test_words)}
    freq1 = [int(frequencies[w]) for w in word1]
    freq2 = [int(frequencies[w]) for w in word2]
    return TestSet(word1, word2, relation, int(seed), params, freq1, freq2, [half[w] for w in word1])


def _semantic_neighbours(reference: WordVectors, vocab: list[str], test_pos: np.ndarray, k: int) -> np.ndarray:
    """(T, k) positions in ``vocab`` of each test word's nearest words by reference cosine."""
    out = np.zeros((len(test_pos), k), dtype=np.int64)
    if k == 0:
        return out
    unit = _unit(reference.vectors[[reference.index[w] for w in vocab]]).astype(np.float32)
    for lo in range(0, len(test_pos), _CHUNK):
        pos = test_pos[lo: lo + _CHUNK]
        sims = unit[pos] @ unit.T  # (chunk, V)
        sims[np.arange(len(pos)), pos] = -np.inf
        top = np.sort(np.argpartition(-sims, k - 1, axis=1)[:, :k], axis=1)
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1, kind="stable")
        out[lo: lo + len(pos)] = np.take_along_axis(top, order, axis=1)
    return out


def _orthographic_neighbours(vocab: list[str], test_pos: np.ndarray, k: int) -> np.ndarray:
    """(T, k) positions in ``vocab`` of each test word's nearest words by normalized Levenshtein."""
    out = np.zeros((len(test_pos), k), dtype=np.int64)
    if k == 0:
        return out
    for lo in range(0, len(test_pos), _CHUNK):
        pos = test_pos[lo: lo + _CHUNK]
        dist = process.cdist([vocab[i] for i in pos], vocab, scorer=Levenshtein.normalized_distance,
                             dtype=np.float32, workers=-1)  # (chunk, V)
        dist[np.arange(len(pos)), pos] = np.inf
        out[lo: lo + len(pos)] = _smallest_stable(dist, k)
    return out


def _smallest_stable(dist: np.ndarray, k: int) -> np.ndarray:
    """Per row of (R, V) ``dist``, the column indices of the ``k`` smallest values, ties broken
    by lower index: the first ``k`` of a stable argsort, without sorting whole rows."""
    kth = np.partition(dist, k - 1, axis=1)[:, k - 1: k]  # (R, 1)
    rows, cols = np.nonzero(dist <= kth)  # row-major: columns ascending within a row
    starts = np.searchsorted(rows, np.arange(len(dist) + 1))
    out = np.empty((len(dist), k), dtype=np.int64)
    for r in range(len(dist)):
        cand = cols[starts[r]: starts[r + 1]]
        out[r] = cand[np.argsort(dist[r, cand], kind="stable")[:k]]
    return out


# --------------------------------------------------------------------------- metrics A and B


def _pair_indices(wv: WordVectors, test_set: TestSet) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (P,) of word1/word2 in ``wv``; -1 where the word is missing."""
    get = wv.index.get
    n = len(test_set)
    i1 = np.fromiter(map(get, test_set.word1, itertools.repeat(-1, n)), dtype=np.int64, count=n)
    i2 = np.fromiter(map(get, test_set.word2, itertools.repeat(-1, n)), dtype=np.int64, count=n)
    return i1, i2


#: Relation -> the key of A restricted to it.
RELATION_KEYS = {"semantic": "A_sem", "orthographic": "A_orth", "random": "A_rand"}


class Null(str, enum.Enum):
    """The floors every score is printed beside (see :func:`null_metrics`)."""

    FREQUENCY = "null:frequency"  # distance = |log f1 - log f2|
    SPELLING = "null:spelling"  # distance = normalized edit distance
    RANDOM = "null:random"  # cosine distance of seeded Gaussian vectors


def _split_mask(test_set: TestSet, split: Split) -> np.ndarray:
    """(P,) bool: the pairs whose test word is in ``split`` (a test set without a recorded
    split counts as all ``test``)."""
    split = Split(split)
    n = len(test_set)
    if split == Split.ALL:
        return np.ones(n, dtype=bool)
    halves = test_set.split if len(test_set.split) == n else ["test"] * n
    mask = np.fromiter((h == split.value for h in halves), dtype=bool, count=n)
    if not mask.any():
        raise SpokenW2VError(f"the test set has no pairs in the {split.value} split")
    return mask


def paper_metrics(model: WordVectors, reference: WordVectors, test_set: TestSet, *, split: Split = Split.ALL,
                  bootstrap: int = 0, seed: int = 0) -> dict[str, float]:
    """Metrics A and B of the paper for ``model`` on the pairs of ``split``, with their controls.

    Only pairs whose two words are in both ``model`` and ``reference`` (exact match) are used;
    ``coverage`` = usable pairs / pairs of the split.  Distances are cosine distances ``1 - cos``.

    * ``A`` / ``A_spearman``: Pearson r / Spearman rho between the model's and the reference's
      distances; ``A_sem``, ``A_orth``, ``A_rand``: Pearson r on the semantic, orthographic and
      random pairs alone;
    * ``A_partial``: partial Pearson r between the model's and the reference's distances
      controlling for the pair's normalized edit distance and ``|log f1 - log f2|`` (corpus
      counts; NaN when the test set has none): what is left of A once spelling and
      frequency, which a model can learn without any meaning, are taken out;
    * ``B`` / ``B_spearman``: the same between the model's distances and normalized Levenshtein
      distance (edits / length of the longer word); ``B_partial``: B controlling for the
      reference's distance;
    * with ``bootstrap > 0``: ``A_low``, ``A_high``, ``B_low``, ``B_high``, ``A_partial_low``,
      ``A_partial_high``, ``B_partial_low``, ``B_partial_high``, the 2.5th and 97.5th
      percentiles over ``bootstrap`` resamples of the *test words* (each resample draws test
      words with replacement and takes all their usable pairs, since the pairs of one test word
      are not independent), seeded by ``seed``; the partial r is resampled on the residuals of
      the full-sample fit;
    * ``pairs``: the number of usable pairs.

    A metric is NaN when fewer than two pairs are usable or a distance is constant.  Raises
    :class:`SpokenW2VError` when no pair is usable or the split has no pairs.
    """
    n_all = len(test_set)
    if n_all == 0:
        raise SpokenW2VError("the test set has no pairs")
    in_split = _split_mask(test_set, split)
    m1, m2 = _pair_indices(model, test_set)
    r1, r2 = _pair_indices(reference, test_set)
    usable = in_split & (m1 >= 0) & (m2 >= 0) & (r1 >= 0) & (r2 >= 0)
    if not usable.any():
        missing_ref = not bool((in_split & (r1 >= 0) & (r2 >= 0)).any())
        which = "the reference model" if missing_ref else "the model"
        raise SpokenW2VError(f"no test pair has both words in {which} (0 of {int(in_split.sum())} pairs usable)")
    d_model = cosine_distances(model, m1[usable], m2[usable])
    return _metrics(d_model, reference, test_set, usable, int(in_split.sum()), bootstrap, seed)


def null_metrics(reference: WordVectors, test_set: TestSet, null: Null, *, split: Split = Split.ALL,
                 bootstrap: int = 0, seed: int = 0) -> dict[str, float]:
    """:func:`paper_metrics` of a floor on the pairs of ``split`` that the reference covers.

    ``Null.FREQUENCY``: distance ``|log f1 - log f2|`` of the corpus counts;
    ``Null.SPELLING``: normalized edit distance; ``Null.RANDOM``: cosine distance of Gaussian
    vectors (the reference's dimension, drawn with ``seed`` for the distinct words of the test
    set in sorted order).  None is tuned on the test set.  A frequency null needs the test
    set's frequencies (:class:`SpokenW2VError` otherwise).
    """
    null = Null(null)
    in_split = _split_mask(test_set, split)
    r1, r2 = _pair_indices(reference, test_set)
    usable = in_split & (r1 >= 0) & (r2 >= 0)
    if not usable.any():
        raise SpokenW2VError(f"no test pair has both words in the reference model "
                             f"(0 of {int(in_split.sum())} pairs usable)")
    idx = np.flatnonzero(usable)
    if null == Null.FREQUENCY:
        if len(test_set.freq1) != len(test_set):
            raise SpokenW2VError("the test set has no corpus frequencies (needed by null:frequency)")
        d = log_frequency_distances([test_set.freq1[i] for i in idx], [test_set.freq2[i] for i in idx])
    elif null == Null.SPELLING:
        d = edit_distances([test_set.word1[i] for i in idx], [test_set.word2[i] for i in idx])
    else:
        words = sorted(set(test_set.word1) | set(test_set.word2))
        gauss = np.random.default_rng(seed).standard_normal((len(words), reference.dim)).astype(np.float32)
        wv = WordVectors(words, gauss)
        g1, g2 = _pair_indices(wv, test_set)
        d = cosine_distances(wv, g1[usable], g2[usable])
    return _metrics(d, reference, test_set, usable, int(in_split.sum()), bootstrap, seed)


def _metrics(d_model: np.ndarray, reference: WordVectors, test_set: TestSet, usable: np.ndarray, n_split: int,
             bootstrap: int, seed: int) -> dict[str, float]:
    """The metrics of :func:`paper_metrics` for distances ``d_model`` (U,) of the ``usable`` (P,) pairs."""
    n = int(usable.sum())
    idx = np.flatnonzero(usable)
    r1, r2 = _pair_indices(reference, test_set)
    d_ref = cosine_distances(reference, r1[usable], r2[usable])
    w1 = [test_set.word1[i] for i in idx]
    d_edit = edit_distances(w1, [test_set.word2[i] for i in idx])
    relation = np.asarray([test_set.relation[i] for i in idx])
    out = {
        "A": pearson(d_model, d_ref),
        "A_spearman": spearman(d_model, d_ref),
        "B": pearson(d_model, d_edit),
        "B_spearman": spearman(d_model, d_edit),
    }
    for rel, key in RELATION_KEYS.items():
        sel = relation == rel
        out[key] = pearson(d_model[sel], d_ref[sel])
    has_freq = len(test_set.freq1) == len(test_set) and len(test_set.freq2) == len(test_set)
    res_a = None
    if has_freq:
        d_freq = log_frequency_distances([test_set.freq1[i] for i in idx], [test_set.freq2[i] for i in idx])
        covariates = np.column_stack([d_edit, d_freq])
        res_a = (residuals(d_model, covariates), residuals(d_ref, covariates))
        out["A_partial"] = _residual_pearson(*res_a)
    else:
        out["A_partial"] = float("nan")
    res_b = (residuals(d_model, d_ref), residuals(d_edit, d_ref))
    out["B_partial"] = _residual_pearson(*res_b)
    if d_model.size and not np.ptp(d_model) > 0:  # all distances equal (a 0-dimensional model): no correlation
        out["A_partial"], out["B_partial"], res_a, res_b = float("nan"), float("nan"), None, None
    out["coverage"] = n / n_split
    out["pairs"] = float(n)
    if bootstrap > 0:
        codes: dict[str, int] = {}
        cluster = np.fromiter((codes.setdefault(w, len(codes)) for w in w1), dtype=np.int64, count=n)
        low_high = _cluster_bootstrap(cluster, d_model, (d_ref, d_edit), bootstrap, seed)
        (out["A_low"], out["A_high"]), (out["B_low"], out["B_high"]) = low_high
        for key, res in (("A_partial", res_a), ("B_partial", res_b)):  # None: not computed
            if res is None:
                out[key + "_low"] = out[key + "_high"] = float("nan")
            elif not res[0].any() or not res[1].any():  # nothing left: 0 in every resample
                out[key + "_low"] = out[key + "_high"] = 0.0
            else:
                out[key + "_low"], out[key + "_high"] = _cluster_bootstrap(cluster, res[0], (res[1],),
                                                                           bootstrap, seed)[0]
    return out


def _cluster_bootstrap(cluster: np.ndarray, x: np.ndarray, ys: Sequence[np.ndarray], n_boot: int,
                       seed: int) -> list[tuple[float, float]]:
    """95% percentile intervals of Pearson r(x, y) for each y, resampling clusters.

    ``cluster`` (P,) int in [0, C) assigns pairs to test words.  Per-cluster sums of
    x, y, x², y², xy are formed once; a resample is a (C,) vector of draw counts, so all
    resamples are one matrix product: (B, C) @ (C, 6).  Resamples are drawn in one go, so
    memory is about ``16 * B * C`` bytes (32 MB for 1000 resamples of 2000 test words).
    """
    rng = np.random.default_rng(seed)
    n_clusters = int(cluster.max()) + 1
    draws = rng.integers(0, n_clusters, size=(n_boot, n_clusters))  # (B, C) cluster ids drawn
    draws += np.arange(n_boot)[:, None] * n_clusters
    counts = np.bincount(draws.ravel(), minlength=n_boot * n_clusters).reshape(n_boot, n_clusters).astype(np.float64)
    results = []
    for y in ys:
        sums = np.stack([np.bincount(cluster, weights=w, minlength=n_clusters)
                         for w in (np.ones_like(x), x, y, x * x, y * y, x * y)], axis=1)  # (C, 6)
        tot = counts @ sums  # (B, 6)
        n, sx, sy, sxx, syy, sxy = tot.T
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = sxy - sx * sy / n
            vx = sxx - sx * sx / n
            vy = syy - sy * sy / n
            r = cov / np.sqrt(vx * vy)
        r = r[np.isfinite(r)]
        if r.size == 0:
            results.append((float("nan"), float("nan")))
        else:
            lo, hi = np.percentile(np.clip(r, -1.0, 1.0), [2.5, 97.5])
            results.append((float(lo), float(hi)))
    return results


# --------------------------------------------------------------------------- word similarity


class Benchmark(str, enum.Enum):
    """Word-similarity benchmarks bundled with gensim."""

    WORDSIM353 = "wordsim353"
    SIMLEX999 = "simlex999"


#: Benchmark -> file name inside gensim's test data directory.
BENCHMARK_FILES = {
    Benchmark.WORDSIM353: "wordsim353.tsv",
    Benchmark.SIMLEX999: "simlex999.txt",
}


def benchmark_path(benchmark: Benchmark) -> Path:
    """Path of a bundled benchmark file (gensim.test.utils.datapath)."""
    from gensim.test.utils import datapath

    return Path(datapath(BENCHMARK_FILES[Benchmark(benchmark)]))


def _lower_index(wv: WordVectors) -> dict[str, int]:
    """Lower-cased word -> row; the first row wins when two words differ only in case."""
    index: dict[str, int] = {}
    for i, w in enumerate(wv.words):
        index.setdefault(w.lower(), i)
    return index


MIN_SIMILARITY_PAIRS = 30  # fewest in-vocabulary pairs a word-similarity correlation is reported for


def word_similarity(model: WordVectors, pairs: SimilarityPairs,
                    min_pairs: int = MIN_SIMILARITY_PAIRS) -> dict[str, float]:
    """Spearman rho between the model's cosine similarities and human scores.

    Words are matched lower-cased on both sides.  Returns ``spearman`` with its 95% interval
    ``low``, ``high`` (Fisher's z, standard error 1.06 / sqrt(n - 3); all NaN below ``min_pairs``
    pairs in the vocabulary), ``oov`` (missing pairs / all pairs) and ``pairs`` (pairs used)."""
    index = _lower_index(model)
    i1 = np.asarray([index.get(w.lower(), -1) for w in pairs.word1], dtype=np.int64)
    i2 = np.asarray([index.get(w.lower(), -1) for w in pairs.word2], dtype=np.int64)
    ok = (i1 >= 0) & (i2 >= 0)
    n = int(ok.sum())
    rho = low = high = float("nan")
    if n >= max(min_pairs, 2):
        rho = spearman(1.0 - cosine_distances(model, i1[ok], i2[ok]), pairs.score[ok])
        if math.isfinite(rho) and n > 3:
            z, half = math.atanh(min(max(rho, -0.999999), 0.999999)), 1.96 * 1.06 / math.sqrt(n - 3)
            low, high = math.tanh(z - half), math.tanh(z + half)
    return {"spearman": rho, "low": low, "high": high, "oov": 1.0 - n / len(pairs.word1), "pairs": float(n)}


# --------------------------------------------------------------------------- neighbours


def nearest_neighbours(model: WordVectors, word: str, k: int = 10) -> list[tuple[str, float]]:
    """The ``k`` nearest words of ``word`` by cosine similarity, as ``(word, similarity)``.

    ``word`` is matched exactly, else lower-cased; an unknown word gives an empty list.
    """
    i = model.index.get(word)
    if i is None:
        i = _lower_index(model).get(word.lower())
    if i is None or k <= 0 or len(model) < 2:
        return []
    norms = np.linalg.norm(model.vectors, axis=1)
    q = model.vectors[i] / (norms[i] or 1.0)
    sims = (model.vectors @ q) / np.where(norms > 0, norms, 1.0)
    sims[i] = -np.inf
    k = min(k, len(model) - 1)
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    return [(model.words[j], float(sims[j])) for j in top]
