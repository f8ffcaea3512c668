"""The paper's test set: test words drawn from the frequent words of a corpus, each paired with its
nearest neighbours in a reference (text) model, its nearest orthographic neighbours and random
words (:func:`build_test_set`, seeded), and the dev/test halves its metrics are computed on."""

from __future__ import annotations

import collections
import enum
import itertools
from typing import Iterable, Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ..errors import SpokenW2VError
from ..io import TestSet, WordVectors
from .distances import unit_rows

__all__ = ["Protocol", "Split", "build_test_set", "pair_rows", "pairs_in_split", "ranked_words", "smallest_k_stable",
           "word_frequencies"]

#: Rows of the vocabulary handled at once by the neighbour searches (bounds memory to
#: about ``CHUNK * V * 4`` bytes).
CHUNK = 256


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


def ranked_words(frequencies: collections.Counter) -> list[str]:
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
    ranked = ranked_words(frequencies)
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
    unit = unit_rows(reference.vectors[[reference.index[w] for w in vocab]]).astype(np.float32)
    for lo in range(0, len(test_pos), CHUNK):
        pos = test_pos[lo: lo + CHUNK]
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
    for lo in range(0, len(test_pos), CHUNK):
        pos = test_pos[lo: lo + CHUNK]
        dist = process.cdist([vocab[i] for i in pos], vocab, scorer=Levenshtein.normalized_distance,
                             dtype=np.float32, workers=-1)  # (chunk, V)
        dist[np.arange(len(pos)), pos] = np.inf
        out[lo: lo + len(pos)] = smallest_k_stable(dist, k)
    return out


def smallest_k_stable(dist: np.ndarray, k: int) -> np.ndarray:
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


def pair_rows(wv: WordVectors, test_set: TestSet) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (P,) of word1/word2 in ``wv``; -1 where the word is missing."""
    get = wv.index.get
    n = len(test_set)
    i1 = np.fromiter(map(get, test_set.word1, itertools.repeat(-1, n)), dtype=np.int64, count=n)
    i2 = np.fromiter(map(get, test_set.word2, itertools.repeat(-1, n)), dtype=np.int64, count=n)
    return i1, i2


def pairs_in_split(test_set: TestSet, split: Split) -> np.ndarray:
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
