"""Metrics A and B of the paper and their controls, with cluster-bootstrap intervals.

Metric **A**: Pearson r between the evaluated model's cosine distances and the reference
model's on the test pairs; metric **B**: Pearson r between the evaluated model's cosine
distances and normalized edit distance.  Spearman rho, A per relation, A and B partial
(spelling, frequency and the reference taken out), coverage and a 95% interval that resamples
test words come with them (:func:`paper_metrics`)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import SpokenW2VError
from ..io import TestSet, WordVectors
from .correlation import pearson, residual_pearson, residuals, spearman
from .distances import cosine_distances, edit_distances, log_frequency_distances
from .testset import Split, pair_rows, pairs_in_split

__all__ = ["RELATION_KEYS", "cluster_bootstrap", "metrics_of_distances", "paper_metrics"]

#: Relation -> the key of A restricted to it.
RELATION_KEYS = {"semantic": "A_sem", "orthographic": "A_orth", "random": "A_rand"}


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
    in_split = pairs_in_split(test_set, split)
    m1, m2 = pair_rows(model, test_set)
    r1, r2 = pair_rows(reference, test_set)
    usable = in_split & (m1 >= 0) & (m2 >= 0) & (r1 >= 0) & (r2 >= 0)
    if not usable.any():
        missing_ref = not bool((in_split & (r1 >= 0) & (r2 >= 0)).any())
        which = "the reference model" if missing_ref else "the model"
        raise SpokenW2VError(f"no test pair has both words in {which} (0 of {int(in_split.sum())} pairs usable)")
    d_model = cosine_distances(model, m1[usable], m2[usable])
    return metrics_of_distances(d_model, reference, test_set, usable, int(in_split.sum()), bootstrap, seed)


def metrics_of_distances(d_model: np.ndarray, reference: WordVectors, test_set: TestSet, usable: np.ndarray,
                         n_split: int, bootstrap: int, seed: int) -> dict[str, float]:
    """The metrics of :func:`paper_metrics` for distances ``d_model`` (U,) of the ``usable`` (P,) pairs
    of a split of ``n_split`` pairs (a model's cosine distances, or a null's distances)."""
    n = int(usable.sum())
    idx = np.flatnonzero(usable)
    r1, r2 = pair_rows(reference, test_set)
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
        out["A_partial"] = residual_pearson(*res_a)
    else:
        out["A_partial"] = float("nan")
    res_b = (residuals(d_model, d_ref), residuals(d_edit, d_ref))
    out["B_partial"] = residual_pearson(*res_b)
    if d_model.size and not np.ptp(d_model) > 0:  # all distances equal (a 0-dimensional model): no correlation
        out["A_partial"], out["B_partial"], res_a, res_b = float("nan"), float("nan"), None, None
    out["coverage"] = n / n_split
    out["pairs"] = float(n)
    if bootstrap > 0:
        codes: dict[str, int] = {}
        cluster = np.fromiter((codes.setdefault(w, len(codes)) for w in w1), dtype=np.int64, count=n)
        low_high = cluster_bootstrap(cluster, d_model, (d_ref, d_edit), bootstrap, seed)
        (out["A_low"], out["A_high"]), (out["B_low"], out["B_high"]) = low_high
        for key, res in (("A_partial", res_a), ("B_partial", res_b)):  # None: not computed
            if res is None:
                out[key + "_low"] = out[key + "_high"] = float("nan")
            elif not res[0].any() or not res[1].any():  # nothing left: 0 in every resample
                out[key + "_low"] = out[key + "_high"] = 0.0
            else:
                out[key + "_low"], out[key + "_high"] = cluster_bootstrap(cluster, res[0], (res[1],),
                                                                           bootstrap, seed)[0]
    return out


def cluster_bootstrap(cluster: np.ndarray, x: np.ndarray, ys: Sequence[np.ndarray], n_boot: int,
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
