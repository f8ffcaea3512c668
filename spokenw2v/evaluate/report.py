"""One evaluation of word vector files, as rows: each model's metrics A/B against a reference on
a test set, the three null rows beside them, the mean ± sd of ``NAME.seedN`` runs, word
similarity and nearest neighbours (:func:`evaluate_vectors`), with the TSV table and the JSON
record they make (:class:`EvaluationReport`).

The files are read through :mod:`spokenw2v.io` (a vector file at a time, in the order given);
nothing is printed or written here.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from ..corpus import corpus_sentences
from ..errors import SpokenW2VError
from ..io import SimilarityPairs, TestSet, WordVectors, read_test_set, read_vectors
from ..runs import SEED_METRICS, seed_group_rows, unique_names
from .metrics import paper_metrics
from .neighbours import nearest_neighbours
from .nulls import Null, null_metrics
from .similarity import word_similarity
from .testset import Protocol, Split, build_test_set, word_frequencies

__all__ = ["EvaluationReport", "PaperTestSet", "TSV_COLUMNS", "TestSetDraw", "drawn_test_set_summary",
           "evaluate_vectors", "json_row", "model_row", "null_rows", "prepare_paper_test_set"]

#: Columns of the TSV table (one row per model, per seed group and per null); word-similarity sets
#: other than the bundled benchmarks add ``NAME`` and ``NAME_oov``.
TSV_COLUMNS = ["model", "A", "A_spearman", "A_low", "A_high", "B", "B_spearman", "B_low", "B_high", "coverage",
               "wordsim353", "wordsim353_oov", "simlex999", "simlex999_oov",
               "A_partial", "A_partial_low", "A_partial_high", "A_sem", "A_orth", "A_rand",
               "B_partial", "B_partial_low", "B_partial_high", "row", "split", "seeds"]

#: A word's nearest neighbours per model: ``{word: {model name: [(neighbour, cosine), ...]}}``.
Neighbours = dict[str, dict[str, list[tuple[str, float]]]]


@dataclass(frozen=True)
class TestSetDraw:
    """How a test set is drawn from a corpus: the options of :func:`~.testset.build_test_set`."""

    __test__ = False  # not a pytest test class

    n_frequent: int = 5000
    skip_top: int = 200
    n_test: int = 2000
    seed: int = 0
    protocol: Protocol = Protocol.PAPER


@dataclass(frozen=True)
class PaperTestSet:
    """What metrics A/B score a model against: the reference model (read from
    ``reference_path``), the test set (``source``: its file, or ``drawn from CORPUS``) and the
    split of test words scored."""

    reference: WordVectors
    reference_path: str
    test_set: TestSet
    source: str
    split: Split


def prepare_paper_test_set(reference: str | os.PathLike, *, test_set: Optional[str | os.PathLike] = None,
                           corpus: Optional[str | os.PathLike] = None, draw: TestSetDraw = TestSetDraw(),
                           split: Split = Split.TEST,
                           log: Optional[Callable[[str], None]] = None) -> PaperTestSet:
    """Read the reference model, then the saved ``test_set`` or else draw one (``draw``) from the
    word frequencies of ``corpus``; tell ``log`` what the test set holds; check that the
    reference covers pairs of ``split``.  Raises :class:`SpokenW2VError` naming the files."""
    say = log or (lambda message: None)
    split = Split(split)
    ref = read_vectors(reference)
    if test_set is not None:
        ts = read_test_set(test_set)
        source = str(test_set)
        if corpus is not None:
            say(f"Using the saved test set {test_set}; --corpus is not needed and was not read.")
        say(f"Test set {test_set}: {len(ts.test_words())} test words, {len(ts)} pairs, seed {ts.seed}, "
            f"protocol {ts.params.get('protocol', 'paper')} (as saved); scoring the {split.value} split.")
    elif corpus is not None:
        try:
            ts = build_test_set(ref, word_frequencies(corpus_sentences(corpus)), n_frequent=draw.n_frequent,
                                skip_top=draw.skip_top, n_test=draw.n_test, seed=draw.seed, protocol=draw.protocol)
        except SpokenW2VError as exc:
            raise SpokenW2VError(f"{corpus} and {reference}: {exc}") from None
        source = f"drawn from {corpus}"
        say(drawn_test_set_summary(ts, draw))
    else:
        raise SpokenW2VError(f"{reference}: metrics A/B need a saved test set or a corpus to draw one from")
    try:
        paper_metrics(ref, ref, ts, split=split)
    except SpokenW2VError as exc:
        raise SpokenW2VError(f"{test_set or corpus}: {exc} (reference {reference})") from None
    return PaperTestSet(ref, str(reference), ts, source, split)


def drawn_test_set_summary(ts: TestSet, draw: TestSetDraw) -> str:
    """One line on a test set just drawn: its size, the frequency ranks of its words, seed,
    protocol and dev/test halves."""
    used = ts.params
    return (f"Test set: {len(ts.test_words())} test words x {len(ts) // max(1, len(ts.test_words()))} pairs "
            f"= {len(ts)} pairs (ranks {int(used['skip_used']) + 1}.."
            f"{min(int(used['n_frequent']), int(used['corpus_vocabulary']))} of "
            f"{used['corpus_vocabulary']} corpus words, seed {draw.seed}, protocol {Protocol(draw.protocol).value}; "
            f"{used['split_dev']} dev and {used['split_test']} test words).")


def model_row(wv: WordVectors, name: str, path: str | os.PathLike, paper: Optional[PaperTestSet],
              similarity: Sequence[SimilarityPairs], bootstrap: int = 0, seed: int = 0) -> dict:
    """A model's row: its size, metrics A/B on ``paper`` (when given; ``bootstrap`` resamples
    seeded by ``seed``) and, per word-similarity set ``NAME``, ``NAME`` (Spearman rho),
    ``NAME_oov``, ``NAME_low``, ``NAME_high`` and ``NAME_pairs``."""
    row: dict = {"model": name, "row": "model", "path": str(path), "words": len(wv), "dim": wv.dim}
    if paper is not None:
        row["split"] = paper.split.value
        try:
            row.update(paper_metrics(wv, paper.reference, paper.test_set, split=paper.split, bootstrap=bootstrap,
                                     seed=seed))
        except SpokenW2VError as exc:
            raise SpokenW2VError(f"{path}: {exc} (test set {paper.source})") from None
    for pairs in similarity:
        scores = word_similarity(wv, pairs)
        row[pairs.name] = scores["spearman"]
        row[f"{pairs.name}_oov"] = scores["oov"]
        row.update({f"{pairs.name}_{k}": scores[k] for k in ("low", "high", "pairs")})
    return row


def null_rows(paper: PaperTestSet, bootstrap: int = 0, seed: int = 0) -> list[dict]:
    """One row per :class:`~.nulls.Null`: its metrics on ``paper`` (the random vectors' row also
    gives their number and dimension)."""
    rows = []
    for null in Null:
        row = {"model": null.value, "row": "null", "split": paper.split.value,
               **null_metrics(paper.reference, paper.test_set, null, split=paper.split, bootstrap=bootstrap,
                              seed=seed)}
        if null == Null.RANDOM:
            row.update(words=len(set(paper.test_set.word1) | set(paper.test_set.word2)), dim=paper.reference.dim)
        rows.append(row)
    return rows


def json_row(row: dict) -> dict:
    """``row`` with NaN values as None (JSON has no NaN)."""
    return {k: None if v is None or (isinstance(v, float) and math.isnan(v)) else v for k, v in row.items()}


@dataclass(frozen=True)
class EvaluationReport:
    """The rows of one evaluation: ``models`` (one per vector file, named ``names``),
    ``seed_groups`` (mean and ``KEY_sd`` over the seeds of each ``NAME.seedN`` group) and
    ``nulls`` (empty without a test set), the nearest ``neighbours`` (``top`` per word) and the
    names of the word-similarity sets scored (``similarity``)."""

    names: list[str]
    models: list[dict]
    seed_groups: list[dict]
    nulls: list[dict]
    neighbours: Neighbours
    similarity: list[str]
    paper: Optional[PaperTestSet]
    bootstrap: int
    top: int

    @property
    def split(self) -> str:
        """The split scored (``""`` without a test set)."""
        return "" if self.paper is None else self.paper.split.value

    def tsv_columns(self) -> list[str]:
        """:data:`TSV_COLUMNS`, the spread of each seed metric, the word-similarity sets, size and path."""
        extra = [c for name in self.similarity for c in (name, f"{name}_oov") if c not in TSV_COLUMNS]
        return TSV_COLUMNS + [k + "_sd" for k in SEED_METRICS] + extra + ["pairs", "words", "dim", "path"]

    def tsv_rows(self) -> list[list]:
        """The rows under :meth:`tsv_columns`: models, seed groups, nulls (an empty cell where a
        row has no value)."""
        columns = self.tsv_columns()
        return [["" if r.get(c) is None else r.get(c) for c in columns]
                for r in self.models + self.seed_groups + self.nulls]

    def json_document(self) -> dict:
        """Everything as one JSON-ready record (NaN as null; similarities rounded to 6 decimals)."""
        paper = self.paper
        ts = None if paper is None else paper.test_set
        return {
            "reference": None if paper is None else paper.reference_path,
            "test_set": None if ts is None else {
                **ts.params,
                "source": paper.source, "pairs": len(ts), "test_words": len(ts.test_words()), "seed": ts.seed,
                "split": paper.split.value,
            },
            "bootstrap": self.bootstrap if paper is not None else 0,
            "models": [json_row(r) for r in self.models],
            "seed_groups": [json_row(r) for r in self.seed_groups],
            "nulls": [json_row(r) for r in self.nulls],
            "neighbours": {w: {m: [[n, round(s, 6)] for n, s in found] for m, found in per.items()}
                           for w, per in self.neighbours.items()},
        }


def evaluate_vectors(vectors: Sequence[str | os.PathLike], paper: Optional[PaperTestSet] = None, *,
                     bootstrap: int = 0, seed: int = 0, similarity: Sequence[SimilarityPairs] = (),
                     neighbours: Sequence[str] = (), top: int = 5,
                     progress: Optional[Callable[[int, int], None]] = None) -> EvaluationReport:
    """Score every vector file: metrics A/B on ``paper`` (when given, with ``bootstrap`` resamples
    seeded by ``seed``), each word-similarity set and the ``top`` nearest neighbours of each
    word of ``neighbours``; then the seed groups and the null rows (when ``paper`` is given).

    Files are read one at a time, in order; models are named by :func:`~spokenw2v.runs.unique_names`.
    ``progress(done, total)`` is called after each file.  Raises :class:`SpokenW2VError` naming
    the file that cannot be read or scored."""
    names = unique_names(vectors)
    models: list[dict] = []
    found: Neighbours = {w: {} for w in neighbours}
    for done, (path, name) in enumerate(zip(vectors, names), start=1):
        wv = read_vectors(path)
        models.append(model_row(wv, name, path, paper, similarity, bootstrap, seed))
        for word in neighbours:
            found[word][name] = nearest_neighbours(wv, word, top)
        if progress is not None:
            progress(done, len(vectors))
    groups = seed_group_rows(names, models) if paper is not None else []
    nulls = null_rows(paper, bootstrap, seed) if paper is not None else []
    return EvaluationReport(names, models, groups, nulls, found, [p.name for p in similarity], paper, bootstrap, top)
