"""Evaluation: the paper's test set and metrics A/B, their floors, word-similarity benchmarks,
neighbours, and one evaluation of several vector files as rows.

The protocol of Sayeed & Aldarmaki (2024), seeded and saved, one job per module:

* :mod:`.testset` -- :func:`build_test_set`: test words drawn from the frequent words of a
  corpus, each paired with its nearest neighbours in a reference (text) model, its nearest
  orthographic neighbours (normalized Levenshtein distance) and random words; the dev/test halves.
* :mod:`.metrics` -- :func:`paper_metrics`: metric **A**, Pearson r between the evaluated
  model's cosine distances and the reference model's on the test pairs; metric **B**, Pearson r
  between the evaluated model's cosine distances and normalized edit distance.  Spearman rho,
  A per relation, partial correlations, coverage and a cluster-bootstrap 95% interval come with
  them (:mod:`.correlation` and :mod:`.distances` hold the statistics and the distances).
* :mod:`.nulls` -- :func:`null_metrics`: the same metrics of distances that know no meaning.
* :mod:`.similarity` -- :func:`word_similarity`: Spearman rho against human similarity scores
  (WordSim353, SimLex-999 or any ``word1 word2 score`` file) and the out-of-vocabulary rate.
* :mod:`.neighbours` -- :func:`nearest_neighbours`: the nearest words of a word by cosine.
* :mod:`.report` -- :func:`evaluate_vectors`: every model of a list of vector files scored,
  with null rows and seed groups, as an :class:`EvaluationReport` of rows (table, TSV, JSON).

Everything but :mod:`.report` takes and returns arrays and dataclasses; files are read and
written by :mod:`spokenw2v.io`.
"""

from __future__ import annotations

from .correlation import partial_correlation, pearson, residual_pearson, residuals, spearman
from .distances import cosine_distances, edit_distances, log_frequency_distances
from .metrics import RELATION_KEYS, paper_metrics
from .neighbours import nearest_neighbours
from .nulls import Null, null_metrics
from .report import (TSV_COLUMNS, EvaluationReport, PaperTestSet, TestSetDraw, evaluate_vectors,
                     prepare_paper_test_set)
from .similarity import MIN_SIMILARITY_PAIRS, Benchmark, benchmark_path, similarity_sets, word_similarity
from .testset import Protocol, Split, build_test_set, ranked_words, word_frequencies

__all__ = [
    "Benchmark",
    "EvaluationReport",
    "MIN_SIMILARITY_PAIRS",
    "Null",
    "PaperTestSet",
    "Protocol",
    "RELATION_KEYS",
    "Split",
    "TSV_COLUMNS",
    "TestSetDraw",
    "benchmark_path",
    "build_test_set",
    "cosine_distances",
    "edit_distances",
    "evaluate_vectors",
    "log_frequency_distances",
    "nearest_neighbours",
    "null_metrics",
    "partial_correlation",
    "paper_metrics",
    "pearson",
    "prepare_paper_test_set",
    "ranked_words",
    "residual_pearson",
    "residuals",
    "similarity_sets",
    "spearman",
    "word_frequencies",
    "word_similarity",
]
