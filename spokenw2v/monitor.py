"""The per-epoch metrics log: metrics A/B of every epoch's vectors against the reference model
on a fixed test set (test and dev halves), one row per epoch in ``metrics.tsv``."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Iterable, Sequence

from . import evaluate
from .errors import SpokenW2VError
from .io import TestSet, WordVectors, write_tsv

#: Metrics logged per epoch; the plain names are the test split, ``dev_*`` the dev split (which
#: chooses ``best.pt``).
METRIC_KEYS = ["A", "B", "A_spearman", "B_spearman", "coverage", "A_partial", "B_partial", "A_sem", "A_orth",
               "A_rand"]
DEV_KEYS = ["A", "B", "A_partial", "B_partial", "coverage"]
#: ``elapsed_s`` is wall time and ``cpu_s`` the process's CPU time (user + system, all threads), both
#: cumulative from the first step of the run (training, per-epoch metrics and checkpoints); on a
#: shared machine CPU time is the steadier measure of cost.
TIMING_COLUMNS = ["epoch", "loss", "examples_per_s", "elapsed_s", "cpu_s"]
METRICS_COLUMNS = [*TIMING_COLUMNS, *METRIC_KEYS, *[f"dev_{k}" for k in DEV_KEYS]]


@dataclass
class Evaluator:
    """Metrics A/B of the paper (and their controls) against a reference model on a fixed test
    set, for its test and dev halves: ``{"A": ..., "dev_A": ...}``."""

    reference: WordVectors
    test_set: TestSet

    @classmethod
    def build(cls, reference: WordVectors, sentences: Iterable[Sequence[str]], seed: int = 0,
              test_set: TestSet | None = None) -> "Evaluator":
        """Use ``test_set``, or draw one (seeded) with word frequencies from ``sentences``."""
        if test_set is None:
            test_set = evaluate.build_test_set(reference, evaluate.word_frequencies(sentences), seed=seed)
        return cls(reference, test_set)

    @property
    def words(self) -> set[str]:
        """The words of the test set's pairs: the only vectors the metrics read."""
        return set(self.test_set.word1) | set(self.test_set.word2)

    def __call__(self, model: WordVectors) -> dict[str, float]:
        out = {k: math.nan for k in METRIC_KEYS + [f"dev_{k}" for k in DEV_KEYS]}
        for split, prefix in ((evaluate.Split.TEST, ""), (evaluate.Split.DEV, "dev_")):
            try:
                m = evaluate.paper_metrics(model, self.reference, self.test_set, split=split)
            except SpokenW2VError:
                if split == evaluate.Split.TEST:
                    raise
                continue  # no dev words (a test set of one word) or none usable: dev_* stay NaN
            out.update({prefix + k: m[k] for k in (METRIC_KEYS if not prefix else DEV_KEYS)})
        return out


def metrics_row(epoch: int, loss: float | None, examples_per_s: float | None, elapsed_s: float,
                metrics: dict[str, float] | None, cpu_s: float | None = None) -> dict:
    """One row of ``metrics.tsv`` (empty strings where a value does not exist)."""
    row = {"epoch": epoch, "loss": "" if loss is None else float(loss),
           "examples_per_s": "" if examples_per_s is None else float(examples_per_s),
           "elapsed_s": float(elapsed_s), "cpu_s": "" if cpu_s is None else float(cpu_s)}
    for key in METRICS_COLUMNS[len(TIMING_COLUMNS):]:
        row[key] = "" if metrics is None else float(metrics[key])
    return row


def write_metrics(path: str | os.PathLike, rows: Sequence[dict]) -> None:
    write_tsv(path, METRICS_COLUMNS, ([r.get(c, "") for c in METRICS_COLUMNS] for r in rows))
