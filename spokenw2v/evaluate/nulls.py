"""The floors every score is printed beside: metrics A and B of distances that know nothing of
meaning -- the pair's log-frequency distance, its edit distance, and random vectors."""

from __future__ import annotations

import enum

import numpy as np

from ..errors import SpokenW2VError
from ..io import TestSet, WordVectors
from .distances import cosine_distances, edit_distances, log_frequency_distances
from .metrics import metrics_of_distances
from .testset import Split, pair_rows, pairs_in_split

__all__ = ["Null", "null_metrics"]


class Null(str, enum.Enum):
    """The floors every score is printed beside (see :func:`null_metrics`)."""

    FREQUENCY = "null:frequency"  # distance = |log f1 - log f2|
    SPELLING = "null:spelling"  # distance = normalized edit distance
    RANDOM = "null:random"  # cosine distance of seeded Gaussian vectors


def null_metrics(reference: WordVectors, test_set: TestSet, null: Null, *, split: Split = Split.ALL,
                 bootstrap: int = 0, seed: int = 0) -> dict[str, float]:
    """:func:`~spokenw2v.evaluate.metrics.paper_metrics` of a floor on the pairs of ``split`` that the
    reference covers.

    ``Null.FREQUENCY``: distance ``|log f1 - log f2|`` of the corpus counts;
    ``Null.SPELLING``: normalized edit distance; ``Null.RANDOM``: cosine distance of Gaussian
    vectors (the reference's dimension, drawn with ``seed`` for the distinct words of the test
    set in sorted order).  None is tuned on the test set.  A frequency null needs the test
    set's frequencies (:class:`SpokenW2VError` otherwise).
    """
    null = Null(null)
    in_split = pairs_in_split(test_set, split)
    r1, r2 = pair_rows(reference, test_set)
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
        g1, g2 = pair_rows(wv, test_set)
        d = cosine_distances(wv, g1[usable], g2[usable])
    return metrics_of_distances(d, reference, test_set, usable, int(in_split.sum()), bootstrap, seed)
