"""``spokenw2v evaluate``: metrics A/B, word similarity and neighbours of word vectors (the metrics and
the seed groups come from the library; this module parses options, prints tables, writes files)."""

from __future__ import annotations

import contextlib
import math
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from .. import evaluate as ev
from ..runs import SEED_METRICS, seed_group_rows, unique_names
from ..errors import SpokenW2VError
from ..io import (EVALUATION_FORMAT, TestSet, WordVectors, all_or_nothing, is_stdio, read_corpus, read_segments,
                  read_similarity_pairs, read_test_set, read_text, read_vectors, write_record, write_test_set,
                  write_tsv)
from .options import NON_NEGATIVE, POSITIVE, SEED, ranged
from .common import Log, QuietOption, app, check_paths, check_stdio, guarded, out_console, shown

#: Columns of ``--tsv`` (one row per model, per seed group and per null); user similarity files add
#: ``NAME`` and ``NAME_oov``.
TSV_COLUMNS = ["model", "A", "A_spearman", "A_low", "A_high", "B", "B_spearman", "B_low", "B_high", "coverage",
               "wordsim353", "wordsim353_oov", "simlex999", "simlex999_oov",
               "A_partial", "A_partial_low", "A_partial_high", "A_sem", "A_orth", "A_rand",
               "B_partial", "B_partial_low", "B_partial_high", "row", "split", "seeds"]
def corpus_sentences(path: Path) -> List[List[str]]:
    """Sentences of a text corpus (one utterance per line, :func:`spokenw2v.io.tokenize`) or of a
    segments TSV (``.tsv``: the ``word`` column as it is, one sentence per utterance).  Standard
    input (``-``) is a segments TSV when its first line is a header with utt, start, end and word."""
    path = Path(path)
    if path.suffix.lower() == ".tsv" or (is_stdio(path) and _segments_header(read_text(path))):
        seg = read_segments(path, require_words=True)
        return [[seg.word[i] for i in rows] for rows in seg.by_utterance().values()]
    return read_corpus(path)


def _segments_header(text: str) -> bool:
    """True when the first line of ``text`` that is neither blank nor a ``#`` comment is a
    tab-separated header with the columns utt, start, end and word."""
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            return {"utt", "start", "end", "word"} <= {f.strip() for f in line.split("\t")}
    return False


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _cell(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return f"{value:.{digits}f}"


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
    split: ev.Split = typer.Option(ev.Split.TEST, "--split", help="Test words to score: test (the reported half), "
                                   "dev (the half for choosing checkpoints and settings) or all."),
    protocol: ev.Protocol = typer.Option(ev.Protocol.PAPER, "--protocol", help="Test-set construction: paper "
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
    query = [w.strip() for w in neighbours.split(",")] if neighbours is not None else []
    if not all(query):
        raise SpokenW2VError(f"--neighbours {neighbours!r}: an empty item in the comma-separated list of words")

    ref_wv: WordVectors | None = None
    ts: TestSet | None = None
    ts_source = ""
    if reference is not None:
        ref_wv = read_vectors(reference)
        if test_set is not None:
            ts = read_test_set(test_set)
            ts_source = str(test_set)
            if corpus is not None:
                log(f"Using the saved test set {test_set}; --corpus is not needed and was not read.")
            log(f"Test set {test_set}: {len(ts.test_words())} test words, {len(ts)} pairs, seed {ts.seed}, "
                f"protocol {ts.params.get('protocol', 'paper')} (as saved); scoring the {split.value} split.")
        else:
            freqs = ev.word_frequencies(corpus_sentences(corpus))
            try:
                ts = ev.build_test_set(ref_wv, freqs, n_frequent=n_frequent, skip_top=skip_top, n_test=n_test,
                                       seed=seed, protocol=protocol)
            except SpokenW2VError as exc:
                raise SpokenW2VError(f"{corpus} and {reference}: {exc}") from None
            ts_source = f"drawn from {corpus}"
            used = ts.params
            log(f"Test set: {len(ts.test_words())} test words x {len(ts) // max(1, len(ts.test_words()))} pairs "
                f"= {len(ts)} pairs (ranks {int(used['skip_used']) + 1}.."
                f"{min(int(used['n_frequent']), int(used['corpus_vocabulary']))} of "
                f"{used['corpus_vocabulary']} corpus words, seed {seed}, protocol {protocol.value}; "
                f"{used['split_dev']} dev and {used['split_test']} test words).")
        try:
            ev.paper_metrics(ref_wv, ref_wv, ts, split=split)
        except SpokenW2VError as exc:
            raise SpokenW2VError(f"{test_set or corpus}: {exc} (reference {reference})") from None
    elif save_test_set is not None:
        raise SpokenW2VError("--save-test-set needs --reference and --corpus")

    sims = []
    if benchmarks:
        sims += [read_similarity_pairs(ev.benchmark_path(b), b.value) for b in ev.Benchmark]
    sims += [read_similarity_pairs(p) for p in similarity]

    names = unique_names(vectors)
    results: list[dict] = []
    nbrs: dict[str, dict[str, list]] = {w: {} for w in query}
    with log.progress() as progress:
        task = progress.add_task("Evaluating", total=len(vectors))
        for path, name in zip(vectors, names):
            wv = read_vectors(path)
            row: dict = {"model": name, "row": "model", "path": str(path), "words": len(wv), "dim": wv.dim}
            if ts is not None:
                row["split"] = split.value
                try:
                    row.update(ev.paper_metrics(wv, ref_wv, ts, split=split, bootstrap=bootstrap, seed=seed))
                except SpokenW2VError as exc:
                    raise SpokenW2VError(f"{path}: {exc} (test set {ts_source})") from None
            for pairs in sims:
                s = ev.word_similarity(wv, pairs)
                row[pairs.name] = s["spearman"]
                row[f"{pairs.name}_oov"] = s["oov"]
                row.update({f"{pairs.name}_{k}": s[k] for k in ("low", "high", "pairs")})
            for w in query:
                nbrs[w][name] = ev.nearest_neighbours(wv, w, top)
            results.append(row)
            progress.advance(task)

    groups = seed_group_rows(names, results) if ts is not None else []
    nulls: list[dict] = []
    if ts is not None:
        for null in ev.Null:
            row = {"model": null.value, "row": "null", "split": split.value,
                   **ev.null_metrics(ref_wv, ts, null, split=split, bootstrap=bootstrap, seed=seed)}
            if null == ev.Null.RANDOM:
                row.update(words=len(set(ts.word1) | set(ts.word2)), dim=ref_wv.dim)
            nulls.append(row)
    # when an output goes to standard output, the tables go to stderr: a pipe carries only data
    with contextlib.redirect_stdout(sys.stderr) if to_stdout else contextlib.nullcontext():
        _print_table(results, groups, nulls, ts is not None, [p.name for p in sims])
        if query:
            _print_neighbours(nbrs, names, top)

    with all_or_nothing([save_test_set, tsv_out, json_out]):  # written whole or not at all
        if save_test_set is not None:
            write_test_set(save_test_set, ts)
            log(f"Wrote {shown(save_test_set)}.")
        if tsv_out is not None:
            extra = [c for p in sims for c in (p.name, f"{p.name}_oov") if c not in TSV_COLUMNS]
            columns = TSV_COLUMNS + [k + "_sd" for k in SEED_METRICS] + extra + ["pairs", "words", "dim", "path"]
            write_tsv(tsv_out, columns, ([_tsv_value(r.get(c)) for c in columns] for r in results + groups + nulls))
            log(f"Wrote {shown(tsv_out)}.")
        if json_out is not None:
            doc = {
                "reference": None if reference is None else str(reference),
                "test_set": None if ts is None else {
                    **ts.params,
                    "source": ts_source, "pairs": len(ts), "test_words": len(ts.test_words()), "seed": ts.seed,
                    "split": split.value,
                },
                "bootstrap": bootstrap if ts is not None else 0,
                "models": [{k: _num(v) for k, v in r.items()} for r in results],
                "seed_groups": [{k: _num(v) for k, v in r.items()} for r in groups],
                "nulls": [{k: _num(v) for k, v in r.items()} for r in nulls],
                "neighbours": {w: {m: [[n, round(s, 6)] for n, s in lst] for m, lst in per.items()}
                               for w, per in nbrs.items()},
            }
            write_record(json_out, EVALUATION_FORMAT, doc)
            log(f"Wrote {shown(json_out)}.")


def _similarity_cell(r: dict, name: str) -> str:
    """``0.490 [0.41, 0.56] (300 pairs)``, or ``n/a (12 pairs)`` below the minimum number of pairs."""
    n = int(r[name + "_pairs"])
    if math.isnan(r[name]):
        return f"n/a ({n} pairs)"
    return f"{_cell(r[name])} [{r[name + '_low']:.2f}, {r[name + '_high']:.2f}] ({n} pairs)"


def _tsv_value(value) -> object:
    return "" if value is None else value


def _print_table(results: list[dict], groups: list[dict], nulls: list[dict], paper: bool,
                 sim_names: list[str]) -> None:
    split = next((r["split"] for r in results if "split" in r), "")
    title = "Word vectors" + (f" ({split} split)" if split else "")
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("model", no_wrap=True)
    table.add_column("words x dim", justify="right", no_wrap=True)
    if paper:
        ci = " [95% CI]" if any("A_low" in r for r in results) else ""
        for col in (f"A{ci}", f"A_partial{ci}", "A_sem", "A_orth", "A_rand", f"B{ci}", "B_partial", "coverage"):
            table.add_column(col, justify="right", no_wrap=True)
    for name in sim_names:
        table.add_column(f"{name} rho [95% CI] (pairs)", justify="right", no_wrap=True)

    def with_ci(r: dict, m: str) -> str:
        if m + "_low" not in r:
            return _cell(r[m])
        return f"{_cell(r[m])} [{_cell(r[m + '_low'])}, {_cell(r[m + '_high'])}]"

    def size(r: dict) -> str:
        return f"{r['words']} x {r['dim']}" if "words" in r else "-"

    for r in results:
        cells = [r["model"], size(r)]
        if paper:
            cells += [with_ci(r, "A"), with_ci(r, "A_partial"), _cell(r["A_sem"]), _cell(r["A_orth"]),
                      _cell(r["A_rand"]), with_ci(r, "B"), _cell(r["B_partial"]), f"{r['coverage']:.1%}"]
        for name in sim_names:
            cells.append(_similarity_cell(r, name))
        table.add_row(*cells)

    def mean_sd(r: dict, m: str) -> str:
        return f"{_cell(r[m])} ± {_cell(r[m + '_sd'])}"

    if groups:
        table.add_section()
    for r in groups:
        table.add_row(f"{r['model']} ({r['seeds']} seeds)", "mean ± sd", mean_sd(r, "A"), mean_sd(r, "A_partial"),
                      mean_sd(r, "A_sem"), mean_sd(r, "A_orth"), mean_sd(r, "A_rand"), mean_sd(r, "B"),
                      mean_sd(r, "B_partial"), f"{r['coverage']:.1%}", *["" for _ in sim_names])
    if nulls:
        table.add_section()
    for r in nulls:
        table.add_row(r["model"], size(r), with_ci(r, "A"), with_ci(r, "A_partial"), _cell(r["A_sem"]),
                      _cell(r["A_orth"]), _cell(r["A_rand"]), with_ci(r, "B"), _cell(r["B_partial"]),
                      f"{r['coverage']:.1%}", *["" for _ in sim_names])
    out_console.print(table, soft_wrap=False)


def _print_neighbours(nbrs: dict[str, dict[str, list]], names: list[str], top: int) -> None:
    for word, per in nbrs.items():
        table = Table(title=f"Nearest neighbours of '{word}'", title_justify="left", header_style="bold")
        table.add_column("#", justify="right")
        for name in names:
            table.add_column(name)
        for k in range(top):
            cells = [str(k + 1)]
            for name in names:
                lst = per.get(name, [])
                if k < len(lst):
                    cells.append(f"{lst[k][0]} ({lst[k][1]:.2f})")
                else:
                    cells.append("(not in vocabulary)" if not lst and k == 0 else "")
            table.add_row(*cells)
        out_console.print(table, soft_wrap=False)
