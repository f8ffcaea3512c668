"""Word-similarity benchmarks: Spearman rho between a model's cosine similarities and human
scores (WordSim353, SimLex-999 or any ``word1 word2 score`` file) and the out-of-vocabulary rate."""

from __future__ import annotations

import enum
import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from ..io import SimilarityPairs, WordVectors, read_similarity_pairs
from .correlation import spearman
from .distances import cosine_distances
from .neighbours import lowercase_index

__all__ = ["Benchmark", "MIN_SIMILARITY_PAIRS", "benchmark_path", "similarity_sets", "word_similarity"]


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


def similarity_sets(paths: Sequence[str | os.PathLike] = (), benchmarks: bool = True) -> list[SimilarityPairs]:
    """The word pairs to score: the bundled benchmarks (when ``benchmarks``), then the files ``paths``
    (tab-separated ``word1 word2 score``), read in that order."""
    sets = [read_similarity_pairs(benchmark_path(b), b.value) for b in Benchmark] if benchmarks else []
    return sets + [read_similarity_pairs(p) for p in paths]


MIN_SIMILARITY_PAIRS = 30  # fewest in-vocabulary pairs a word-similarity correlation is reported for


def word_similarity(model: WordVectors, pairs: SimilarityPairs,
                    min_pairs: int = MIN_SIMILARITY_PAIRS) -> dict[str, float]:
    """Spearman rho between the model's cosine similarities and human scores.

    Words are matched lower-cased on both sides.  Returns ``spearman`` with its 95% interval
    ``low``, ``high`` (Fisher's z, standard error 1.06 / sqrt(n - 3); all NaN below ``min_pairs``
    pairs in the vocabulary), ``oov`` (missing pairs / all pairs) and ``pairs`` (pairs used)."""
    index = lowercase_index(model)
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
