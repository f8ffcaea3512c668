"""``spokenw2v evaluate``: metrics A/B, word similarity and neighbours of word vectors. The rows (models,
seed groups, nulls, neighbours) come from :func:`spokenw2v.evaluate.evaluate_vectors`; this module
parses options, prints the tables and writes the files."""

from __future__ import annotations

import contextlib
import math
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table
from rich.text import Text

from ..errors import SpokenW2VError
from ..evaluate import (EvaluationReport, Protocol, Split, TestSetDraw, evaluate_vectors, prepare_paper_test_set,
                        similarity_sets)
from ..io import EVALUATION_FORMAT, all_or_nothing, write_record, write_test_set, write_tsv
from ..numbers import fixed
from .options import NON_NEGATIVE, POSITIVE, SEED, ranged
from .common import Log, QuietOption, app, check_paths, check_stdio, guarded, out_console, shown

#: The metric columns of the table, in order (each model, seed group and null fills them).
TABLE_METRICS = ("A", "A_partial", "A_sem", "A_orth", "A_rand", "B", "B_partial")
#: Of those, the metrics shown with their 95% interval when the row has one.
WITH_INTERVAL = ("A", "A_partial", "B")


@app.command("evaluate")
@guarded
def evaluate_command(
    vectors: List[Path] = typer.Argument(..., help="Word vector files to evaluate (word2vec text format, .vec); "
                                                   "the reference itself may be one of them; - for standard input."),
    reference: Optional[Path] = typer.Option(None, "--reference", "-r", help="Reference (text) model, .vec: the "
                                             "target of metric A and the source of the semantic test pairs."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Corpus whose word frequencies choose the test "
                                          "words: a text file (one utterance per line) or a segments .tsv (word column)."),
    test_set: Optional[Path] = typer.Option(None, "--test-set", help="Reuse a saved test-set TSV instead of "
                                            "drawing one from --corpus."),
    save_test_set: Optional[Path] = typer.Option(None, "--save-test-set", help="Write the test set used to this TSV."),
    n_frequent: int = ranged(POSITIVE, 5000, "--n-frequent", help="Test words come from the N most frequent words..."),
    skip_top: int = ranged(NON_NEGATIVE, 200, "--skip-top", help="...skipping the M most frequent (at most a tenth of "
                                         "the corpus vocabulary)."),
    n_test: int = ranged(POSITIVE, 2000, "--n-test", help="Number of test words (fewer if the corpus has fewer)."),
    seed: int = ranged(SEED, 0, "--seed", help="Seed of the test-set draw (and its dev/test split), of the "
                             "bootstrap and of the null:random vectors."),
    split: Split = typer.Option(Split.TEST, "--split", help="Test words to score: test (the reported half), "
                                   "dev (the half for choosing checkpoints and settings) or all."),
    protocol: Protocol = typer.Option(Protocol.PAPER, "--protocol", help="Test-set construction: paper "
                                         "(random words from the whole vocabulary) or authors (from the top "
                                         "--n-frequent words minus the test words, true --skip-top skip)."),
    bootstrap: int = ranged(NON_NEGATIVE, 1000, "--bootstrap", help="Bootstrap resamples of the test words for the 95% "
                                          "intervals of A, B, A_partial and B_partial (0: none)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write all results as JSON (- for standard "
                                            "output; the tables then go to stderr)."),
    tsv_out: Optional[Path] = typer.Option(None, "--tsv", help="Write one row per model, seed group and null as "
                                           "TSV (- for standard output; the tables then go to stderr)."),
    neighbours: Optional[str] = typer.Option(None, "--neighbours", help="Comma-separated words whose nearest "
                                             "neighbours are shown side by side across models."),
    top: int = ranged(POSITIVE, 5, "--top", help="Neighbours shown per word."),
    similarity: List[Path] = typer.Option([], "--similarity", help="Extra word-similarity file(s), tab-separated "
                                          "'word1 word2 score'; repeat the option for several."),
    benchmarks: bool = typer.Option(True, "--benchmarks/--no-benchmarks", help="Score WordSim353 and SimLex-999 "
                                    "(bundled with gensim)."),
    quiet: bool = QuietOption,
) -> None:
    """Score word vectors: the paper's metrics A and B with their controls (A per relation, A and
    B partial, coverage, bootstrap intervals) beside three null rows, word-similarity benchmarks
    and nearest neighbours; one table row per model and the mean ± sd of NAME.seedN runs."""
    log = Log(quiet)
    check_paths([*vectors, reference, corpus, test_set, *similarity], [save_test_set, json_out, tsv_out])
    if (corpus is not None or test_set is not None) and reference is None:
        raise SpokenW2VError("--corpus/--test-set need --reference REF.vec (the target model of metric A)")
    if reference is not None and corpus is None and test_set is None:
        raise SpokenW2VError("--reference needs --corpus (to draw the test set) or --test-set (a saved one)")
    to_stdout = check_stdio({"VECTORS": vectors, "--reference": reference, "--corpus": corpus,
                             "--test-set": test_set, "--similarity": similarity},
                            {"--save-test-set": save_test_set, "--json": json_out, "--tsv": tsv_out})
    words = _neighbour_words(neighbours)
    if reference is None and save_test_set is not None:
        raise SpokenW2VError("--save-test-set needs --reference and --corpus")

    paper = None if reference is None else prepare_paper_test_set(
        reference, test_set=test_set, corpus=corpus, split=split, log=log,
        draw=TestSetDraw(n_frequent=n_frequent, skip_top=skip_top, n_test=n_test, seed=seed, protocol=protocol))
    pairs = similarity_sets(similarity, benchmarks=benchmarks)
    with log.progress() as bar:
        task = bar.add_task("Evaluating", total=len(vectors))
        report = evaluate_vectors(vectors, paper, bootstrap=bootstrap, seed=seed, similarity=pairs, neighbours=words,
                                  top=top, progress=lambda done, total: bar.update(task, completed=done))
    # when an output goes to standard output, the tables go to stderr: a pipe carries only data
    with contextlib.redirect_stdout(sys.stderr) if to_stdout else contextlib.nullcontext():
        out_console.print(results_table(report), soft_wrap=False)
        for word in report.neighbours:
            out_console.print(neighbour_table(report, word), soft_wrap=False)
    _write_outputs(report, save_test_set, tsv_out, json_out, log)


def _neighbour_words(neighbours: Optional[str]) -> list[str]:
    """The words of ``--neighbours`` (comma-separated; none when the option is not given)."""
    words = [w.strip() for w in neighbours.split(",")] if neighbours is not None else []
    if not all(words):
        raise SpokenW2VError(f"--neighbours {neighbours!r}: an empty item in the comma-separated list of words")
    return words


def _write_outputs(report: EvaluationReport, save_test_set: Optional[Path], tsv_out: Optional[Path],
                   json_out: Optional[Path], log: Log) -> None:
    """The test set, the TSV table and the JSON record asked for, written whole or not at all."""
    with all_or_nothing([save_test_set, tsv_out, json_out]):
        if save_test_set is not None:
            write_test_set(save_test_set, report.paper.test_set)
            log(f"Wrote {shown(save_test_set)}.")
        if tsv_out is not None:
            write_tsv(tsv_out, report.tsv_columns(), report.tsv_rows())
            log(f"Wrote {shown(tsv_out)}.")
        if json_out is not None:
            write_record(json_out, EVALUATION_FORMAT, report.json_document())
            log(f"Wrote {shown(json_out)}.")


def results_table(report: EvaluationReport) -> Table:
    """One row per model, then the mean ± sd of each seed group, then the null rows."""
    paper = report.paper is not None
    table = Table(title="Word vectors" + (f" ({report.split} split)" if report.split else ""), title_justify="left",
                  header_style="bold")
    add_row = _literal_rows(table)
    table.add_column("model", no_wrap=True)
    table.add_column("words x dim", justify="right", no_wrap=True)
    if paper:
        interval = " [95% CI]" if any("A_low" in r for r in report.models) else ""
        for metric in TABLE_METRICS:
            table.add_column(metric + (interval if metric in WITH_INTERVAL else ""), justify="right", no_wrap=True)
        table.add_column("coverage", justify="right", no_wrap=True)
    for name in report.similarity:
        table.add_column(f"{name} rho [95% CI] (pairs)", justify="right", no_wrap=True)
    blanks = ["" for _ in report.similarity]
    for r in report.models:
        add_row(r["model"], _size(r), *(_metric_cells(r) if paper else []),
                      *[_similarity_cell(r, name) for name in report.similarity])
    if report.seed_groups:
        table.add_section()
    for r in report.seed_groups:
        add_row(f"{r['model']} ({r['seeds']} seeds)", "mean ± sd",
                      *[f"{_metric(r[m])} ± {_metric(r[m + '_sd'])}" for m in TABLE_METRICS],
                      _percent(r["coverage"]), *blanks)
    if report.nulls:
        table.add_section()
    for r in report.nulls:
        add_row(r["model"], _size(r), *_metric_cells(r), *blanks)
    return table


def neighbour_table(report: EvaluationReport, word: str) -> Table:
    """The ``report.top`` nearest neighbours of ``word``, one column per model."""
    found = report.neighbours[word]
    table = Table(title=Text(f"Nearest neighbours of '{word}'"), title_justify="left", header_style="bold")
    table.add_column("#", justify="right")
    for name in report.names:
        table.add_column(Text(name))
    add_row = _literal_rows(table)
    for k in range(report.top):
        add_row(str(k + 1), *[_neighbour_cell(found.get(name, []), k) for name in report.names])
    return table


def _literal_rows(table: Table):
    """``table.add_row`` for cells printed as they are: a model name, a word or ``[nan, nan]`` in
    brackets is text, not rich markup (which would drop it)."""
    return lambda *cells: table.add_row(*(Text(cell) for cell in cells))


def _metric(value: float) -> str:
    """A metric with 3 decimals; NaN (an undefined correlation) as ``nan``."""
    return fixed(value, missing="nan")


def _percent(value: float) -> str:
    """A share as a percentage with one decimal (``100.0%``)."""
    return f"{value:.1%}"


def _size(r: dict) -> str:
    """``words x dim`` of a row that has a vector set (a model, the random null), else ``-``."""
    return f"{r['words']} x {r['dim']}" if "words" in r else "-"


def _metric_cells(r: dict) -> list[str]:
    """The metric cells of a model or null row (A, A_partial and B with their 95% interval when the
    row has one), then coverage."""
    return [_with_interval(r, m) if m in WITH_INTERVAL else _metric(r[m]) for m in TABLE_METRICS] + \
        [_percent(r["coverage"])]


def _with_interval(r: dict, m: str) -> str:
    """``0.712 [0.690, 0.733]``: metric ``m`` and its bootstrap interval (the metric alone without one)."""
    if m + "_low" not in r:
        return _metric(r[m])
    return f"{_metric(r[m])} [{_metric(r[m + '_low'])}, {_metric(r[m + '_high'])}]"


def _similarity_cell(r: dict, name: str) -> str:
    """``0.490 [0.41, 0.56] (300 pairs)``, or ``n/a (12 pairs)`` below the minimum number of pairs."""
    n = int(r[name + "_pairs"])
    if math.isnan(r[name]):
        return f"n/a ({n} pairs)"
    low, high = (fixed(r[f"{name}_{end}"], 2, missing="nan") for end in ("low", "high"))
    return f"{_metric(r[name])} [{low}, {high}] ({n} pairs)"


def _neighbour_cell(found: list[tuple[str, float]], k: int) -> str:
    """The k-th neighbour ``word (0.83)``; ``(not in vocabulary)`` in the first row of a model
    that does not know the word."""
    if k < len(found):
        word, similarity = found[k]
        return f"{word} ({fixed(similarity, 2, missing='nan')})"
    return "(not in vocabulary)" if not found and k == 0 else ""
