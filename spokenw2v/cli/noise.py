"""``spokenw2v segment-noise``, ``text-noise`` and ``label-segments``: controlled segmentation
and clustering errors, and gold labels for boundaries from an external segmenter.

A rate option may hold a comma-separated list (``--split 0,0.1,0.2``): that is a sweep,
``--out`` is then a directory and gets one file per value, named
``OPTION-VALUE.EXT`` with the value written with at least two decimals
(``split-0.00.tsv``, ``split-0.10.tsv``, ``jitter-0.005.tsv``).  At most one option may
list several values.  All outputs are computed before the first is written, and the sweep
directory is written as a whole, replacing an earlier sweep's (never mixing two sweeps).
"""

from __future__ import annotations

import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import typer
from rich.table import Table

from .. import noise, segscores
from ..errors import SpokenW2VError
from ..io import (NOISE_REPORT_FORMAT, STDIO, all_or_nothing, atomic_path, is_stdio, read_corpus, read_durations, read_segments,
                  write_corpus, write_record, write_segments)
from ..rundir import check_output_dir, listed_in
from .common import Log, QuietOption, app, check_paths, check_stdio, err_console, guarded, refuse_stdio, shown
from .options import ABOVE_ZERO, AT_LEAST_ZERO, SEED, ranged

# --------------------------------------------------------------------------- sweeps


def parse_values(text: str, option: str, seconds: bool = False) -> list[float]:
    """``"0,0.1,0.2"`` -> ``[0.0, 0.1, 0.2]``; rates must lie in [0, 1], seconds be >= 0."""
    values = []
    for part in text.split(","):
        part = part.strip()
        try:
            v = float(part)
        except ValueError:
            v = float("nan")
        ok = math.isfinite(v) and v >= 0 and (seconds or v <= 1)
        if not ok:
            what = "a duration >= 0 in seconds" if seconds else "a rate in [0, 1]"
            raise SpokenW2VError(f"{option}: expected {what} or a comma-separated list of them, found {part!r}")
        values.append(v)
    if len(set(values)) != len(values):
        raise SpokenW2VError(f"{option}: the list {text!r} repeats a value")
    return values


def format_value(value: float) -> str:
    """Value as written in sweep file names: shortest exact decimal, at least two decimals
    (``0 -> 0.00``, ``0.1 -> 0.10``, ``0.005 -> 0.005``)."""
    text = np.format_float_positional(value, trim="-")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


#: The file that marks a directory written by a sweep and lists the entries the sweep wrote there
#: (only such a directory holding nothing else, or an empty one, is replaced by a new sweep).
SWEEP_MARKER = ".spokenw2v-sweep"
#: The outputs of a sweep, as a sweep directory of an earlier version (whose marker lists nothing) holds them.
SWEEP_NAMES = r"^[a-z_]+-[0-9]+\.[0-9]+\.(tsv|txt)$"


def plan_outputs(out: Path, options: dict[str, list[float]], suffix: str) -> list[tuple[dict[str, float], Path]]:
    """One (values, output path) per run.  ``options`` maps option name (without ``--``) to
    its values; when one of them has several, ``out`` is a directory of ``NAME-VALUE.suffix``."""
    swept = [name for name, values in options.items() if len(values) > 1]
    if len(swept) > 1:
        raise SpokenW2VError(f"only one option may list several values (found --{' and --'.join(swept)})")
    base = {name: values[0] for name, values in options.items()}
    if swept and is_stdio(out):
        raise SpokenW2VError(f"--out {STDIO}: a sweep (--{swept[0]} lists several values) writes one file per "
                             f"value into a directory, not to standard output")
    if not swept:
        if not is_stdio(out) and out.is_dir():
            raise SpokenW2VError(f"{out}: is a directory (give a file name, or a list of values for a sweep)")
        return [(base, out)]
    name = swept[0]
    check_output_dir(out, listed_in(SWEEP_MARKER, "a sweep directory", SWEEP_NAMES),
                     "a sweep writes one file per value into --out")
    return [({**base, name: v}, out / f"{name}-{format_value(v)}{suffix}") for v in options[name]]


def plan_paths(plan: list[tuple[dict[str, float], Path]], out: Path, report: Optional[Path]) -> list[Optional[Path]]:
    """Every output of a planned command, for :func:`~spokenw2v.cli.common.check_paths`: a
    sweep's directory too (it is replaced as a whole, so no input may lie inside it)."""
    return ([out] if len(plan) > 1 else []) + [path for _, path in plan] + [report]


def write_report(path: Optional[Path], runs: list[dict]) -> None:
    if path is not None:
        write_record(path, NOISE_REPORT_FORMAT, {"runs": runs})


def show_report(log: Log, title: str, runs: list[dict], columns: list[tuple[str, str, Callable]]) -> None:
    """One row per run on stderr (nothing when quiet)."""
    if log.quiet:
        return
    log(title)
    table = Table(box=None, pad_edge=False, padding=(0, 0, 0, 1))
    for _, header, _ in columns:
        table.add_column(header, justify="right", no_wrap=True, header_style="bold")
    for run in runs:
        table.add_row(*[fmt(run[key]) if key in run else "" for key, _, fmt in columns])
    err_console.print(table)


def write_outputs(log: Log, results: list[tuple[Path, object, dict]], write: Callable, report: Optional[Path],
                  title: str, columns: list[tuple[str, str, Callable]]) -> None:
    """Write every (path, data, run) of a command with ``write(path, data)``, then the JSON
    report and the table on stderr.  Called only once every run has been computed."""
    runs = [run for _, _, run in results]
    if len(results) > 1:
        write_sweep(results, write, report, runs)
    else:
        with all_or_nothing([path for path, _, _ in results] + [report]):
            for path, data, _ in results:
                write(path, data)
            write_report(report, runs)
    show_report(log, title, runs, columns)
    log(f"Wrote {len(runs)} file(s): {', '.join(shown(path) for path, _, _ in results)}")


def write_sweep(results: list[tuple[Path, object, dict]], write: Callable, report: Optional[Path],
                runs: list[dict]) -> None:
    """Write a sweep's directory as a whole: its files, its marker (listing them) and a report
    that lies inside it are made in a new directory beside it, which then replaces the directory
    of an earlier sweep (checked to hold nothing else), so a sweep directory never mixes two
    sweeps; a report outside it is written before the rename and removed again if that fails."""
    out = results[0][0].parent
    out = out.resolve() if out.is_symlink() else out  # the directory a link names is replaced, not the link
    inner = None
    if report is not None and not is_stdio(report) and report.resolve().is_relative_to(out.resolve()):
        inner = report.resolve().relative_to(out.resolve())
    names = [path.name for path, _, _ in results] + ([inner.parts[0]] if inner is not None else [])
    with all_or_nothing([None if inner is not None else report]), atomic_path(out, suffix="") as tmp:
        tmp.mkdir()
        for path, data, _ in results:
            write(tmp / path.name, data)
        write_report(tmp / inner if inner is not None else report, runs)
        (tmp / SWEEP_MARKER).write_bytes(b"spokenw2v sweep outputs\n" + b"".join(os.fsencode(n) + b"\n" for n in names))


def _f3(x) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def _path(x) -> str:
    return Path(x).stem


# --------------------------------------------------------------------------- durations


def load_durations(path: Path) -> dict[str, float]:
    """Utterance durations (seconds) from a features/units NPZ (file or shard directory),
    an audio list TSV or a directory of audio files."""
    from ..audio import find_audio, probe_audio

    refuse_stdio(path, "--durations", "utterance lengths come from an NPZ file, audio files or an audio list")
    if path.suffix == ".npz" or (path.is_dir() and any(path.glob("*.npz"))):
        return read_durations(path)
    return {utt: probe_audio(utt, p).duration for utt, p in find_audio(path).items()}


# --------------------------------------------------------------------------- commands

#: (report key, header, formatter); "del" ... "jit" are realised rates (jit: RMS shift in seconds),
#: "bP bR bF1" boundary precision/recall/F1, "tF1" token F1, "unamb" the unambiguous fraction.
SEGMENT_COLUMNS = [
    ("output", "output", _path), ("segments_out", "segs", str),
    ("realised_delete", "del", _f3), ("realised_merge", "mrg", _f3), ("realised_split", "spl", _f3),
    ("realised_insert", "ins", _f3), ("realised_jitter_rms", "jit", _f3),
    ("boundary_precision", "bP", _f3), ("boundary_recall", "bR", _f3), ("boundary_f1", "bF1", _f3),
    ("token_f1", "tF1", _f3), ("unambiguous", "unamb", _f3),
]


@app.command("segment-noise")
@guarded
def segment_noise_command(
    segments: Path = typer.Argument(..., help="Word segments TSV (utt start end word; the word column is optional), "
                                                   "e.g. from `spokenw2v segments`; - for standard input."),
    out: Path = typer.Option(..., "--out", "-o", help="Noisy segments TSV (utt start end word gold op; - for "
                                                      "standard output); a directory when an option lists several "
                                                      "values."),
    durations: Optional[Path] = typer.Option(None, "--durations", help="Utterance lengths: a units or features NPZ "
                                             "(file or shard directory), an audio list TSV or an audio directory. "
                                             "Without it an utterance ends at its last word."),
    jitter: str = typer.Option("0", "--jitter", help="Standard deviation (seconds) of the truncated Gaussian moving "
                                                     "each boundary; or a comma-separated list."),
    split: str = typer.Option("0", "--split", help="Probability that a word is split in two; or a list."),
    merge: str = typer.Option("0", "--merge", help="Probability that the gap between two adjacent words is "
                                                   "removed (merging them); or a list."),
    delete: str = typer.Option("0", "--delete", help="Probability that a word is deleted; or a list."),
    insert: str = typer.Option("0", "--insert", help="Expected inserted segments per input word (into silences "
                                                     "when possible); or a list."),
    min_duration: float = ranged(ABOVE_ZERO, 0.02, "--min-duration", help="Shortest segment or silence (seconds) that "
                                             "jitter and split may create."),
    seed: int = ranged(SEED, 0, "--seed", help="Random seed (the same seed gives the same output)."),
    tolerance: float = ranged(AT_LEAST_ZERO, 0.02, "--tolerance",
                                             help="Boundary matching tolerance (seconds) of the report."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the report as JSON (runs: one object "
                                                                 "per output; - for standard output)."),
    quiet: bool = QuietOption,
) -> None:
    """Simulate segmentation errors on word segments and report boundary F1 and token accuracy.

    Operations, in order: delete, merge, split, insert, jitter.  Every output segment is
    labelled (word = gold) with the input word it overlaps most, and op says which
    operation produced it (insert, merge, split, jitter or keep).
    """
    log = Log(quiet)
    options = {
        "jitter": parse_values(jitter, "--jitter", seconds=True),
        "split": parse_values(split, "--split"),
        "merge": parse_values(merge, "--merge"),
        "delete": parse_values(delete, "--delete"),
        "insert": parse_values(insert, "--insert"),
    }
    check_stdio({"SEGMENTS": segments}, {"--out": out, "--report": report})
    plan = plan_outputs(out, options, ".tsv")
    check_paths([segments, durations], plan_paths(plan, out, report))
    durs = load_durations(durations) if durations is not None else None
    seg = read_segments(segments, durations=durs)
    results = []
    for values, path in plan:
        config = noise.SegmentNoiseConfig(**values, min_duration=min_duration, seed=seed)
        noisy, counts = noise.segment_noise(seg, config, durs)
        run = {"output": str(path), "input": str(segments), "seed": seed, **values, "min_duration": min_duration}
        run.update(noise.counts_dict(counts))
        run.update({f"op_{op}": noisy.extra["op"].count(op) for op in noise.OPS})
        run.update(segscores.segment_report(seg, noisy, tolerance))
        results.append((path, noisy, run))
    write_outputs(log, results, write_segments, report,
                  f"segment-noise: {segments} ({len(seg)} segments, seed {seed})", SEGMENT_COLUMNS)


TEXT_COLUMNS = [
    ("output", "output", _path), ("tokens_out", "tokens", str), ("realised_substitute", "substitute", _f3),
    ("realised_merge", "merge", _f3), ("realised_split", "split", _f3),
]


@app.command("text-noise")
@guarded
def text_noise_command(
    corpus: Path = typer.Argument(..., help="Text corpus, one utterance per line; - for standard input."),
    out: Path = typer.Option(..., "--out", "-o", help="Noisy corpus (tokenized, one utterance per line; - for "
                                                      "standard output); a directory when an option lists several "
                                                      "values."),
    substitute: str = typer.Option("0", "--substitute", help="Probability that a token is replaced by another word "
                                                             "type (clustering noise); or a comma-separated list."),
    weighting: noise.Weighting = typer.Option(noise.Weighting.UNIFORM, "--weighting", case_sensitive=False,
                                              help="Draw substitutes uniformly over the vocabulary or by frequency."),
    merge: str = typer.Option("0", "--merge", help="Probability that two adjacent tokens are concatenated; or a list."),
    split: str = typer.Option("0", "--split", help="Probability that a token is cut in two; or a list."),
    seed: int = ranged(SEED, 0, "--seed", help="Random seed (the same seed gives the same output)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the report as JSON (runs: one object "
                                                                 "per output; - for standard output)."),
    quiet: bool = QuietOption,
) -> None:
    """Simulate clustering errors (token substitution) and segmentation errors (merged or
    split tokens) on a text corpus, and report the realised rates.

    The output is the tokenized corpus (lower-cased, punctuation removed), so
    `--substitute 0` writes the clean reference with exactly the same tokens.
    """
    log = Log(quiet)
    options = {
        "substitute": parse_values(substitute, "--substitute"),
        "merge": parse_values(merge, "--merge"),
        "split": parse_values(split, "--split"),
    }
    check_stdio({"CORPUS": corpus}, {"--out": out, "--report": report})
    plan = plan_outputs(out, options, ".txt")
    check_paths([corpus], plan_paths(plan, out, report))
    sentences = read_corpus(corpus)
    results = []
    for values, path in plan:
        config = noise.TextNoiseConfig(**values, weighting=weighting, seed=seed)
        try:
            noisy, counts = noise.text_noise(sentences, config)
        except SpokenW2VError as exc:
            raise SpokenW2VError(f"{corpus}: {exc}") from None
        run = {"output": str(path), "input": str(corpus), "seed": seed, **values, "weighting": weighting.value}
        run.update(noise.counts_dict(counts))
        results.append((path, noisy, run))
    write_outputs(log, results, write_corpus, report,
                  f"text-noise: {corpus} ({results[0][2]['tokens_in']} tokens, seed {seed})", TEXT_COLUMNS)


UNIT_COLUMNS = [
    ("output", "output", _path), ("units_out", "units", str), ("realised_substitute", "substitute", _f3),
    ("realised_delete", "delete", _f3), ("realised_insert", "insert", _f3),
    ("sequences_per_type", "seqs/type", lambda x: f"{x:.2f}"),
]


@app.command("unit-noise")
@guarded
def unit_noise_command(
    word_units: Path = typer.Argument(..., help="Word-units TSV (utt start end word units): the word-units output, "
                                                "synthesize's phonemes.tsv or any tool's units."),
    out: Path = typer.Option(..., "--out", "-o", help="Edited word-units TSV; a directory when an option lists "
                                                      "several values."),
    substitute: str = typer.Option("0", "--substitute", help="Probability that a unit is replaced by another "
                                                             "symbol; or a comma-separated list."),
    delete: str = typer.Option("0", "--delete", help="Probability that a unit is deleted (a token keeps at "
                                                     "least one); or a list."),
    insert: str = typer.Option("0", "--insert", help="Probability that a random symbol is inserted after a "
                                                     "unit; or a list."),
    seed: int = ranged(SEED, 0, "--seed", help="Random seed (the same seed gives the same output)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the report as JSON (runs: one object "
                                                                 "per output)."),
    quiet: bool = QuietOption,
) -> None:
    """Edit the units of every word token (substitute, delete, insert units; seeded) and report
    the realised rates and the distinct sequences per word type: how inconsistent units
    must become before a model stops learning (train the outputs with --word-units)."""
    from ..io import read_word_units, write_word_units

    log = Log(quiet)
    options = {name: parse_values(value, f"--{name}")
               for name, value in (("substitute", substitute), ("delete", delete), ("insert", insert))}
    check_stdio({"WORD_UNITS": word_units}, {"--out": out, "--report": report})
    plan = plan_outputs(out, options, ".tsv")
    check_paths([word_units], plan_paths(plan, out, report))
    wu = read_word_units(word_units)
    before = noise.sequences_per_type(wu.sequences, wu.seg.word)
    results = []
    for values, path in plan:
        try:
            edited, counts = noise.unit_noise(wu.sequences, wu.k, noise.UnitNoiseConfig(**values, seed=seed))
        except SpokenW2VError as exc:
            raise SpokenW2VError(f"{word_units}: {exc}") from None
        run = {"output": str(path), "input": str(word_units), "seed": seed, **values, **noise.counts_dict(counts),
               "sequences_per_type_in": before, "sequences_per_type": noise.sequences_per_type(edited, wu.seg.word)}
        results.append((path, edited, run))

    def write(path: Path, edited: list) -> None:
        write_word_units(path, wu.seg, edited, wu.symbols)

    write_outputs(log, results, write, report,
                  f"unit-noise: {word_units} ({results[0][2]['units_in']} units in {results[0][2]['tokens']} tokens, "
                  f"{before:.2f} sequences per word type, seed {seed})", UNIT_COLUMNS)


@app.command("label-segments")
@guarded
def label_segments_command(
    boundaries: Path = typer.Argument(..., help="Segments TSV from any segmenter (utt start end; a word column "
                                                "is ignored); - for standard input."),
    gold: Path = typer.Option(..., "--gold", help="Gold word segments TSV (utt start end word), e.g. forced "
                                                  "alignments converted by `spokenw2v segments`."),
    out: Path = typer.Option(..., "--out", "-o", help="Labelled segments TSV (utt start end word gold ...); - for "
                                                      "standard output."),
    tolerance: float = ranged(AT_LEAST_ZERO, 0.02, "--tolerance",
                                             help="Boundary matching tolerance (seconds) of the report."),
    skip_missing: bool = typer.Option(False, "--skip-missing", help="Drop utterances that the gold file lacks "
                                                                    "(default: an error)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the report as JSON (runs: one object; "
                                                                 "- for standard output)."),
    quiet: bool = QuietOption,
) -> None:
    """Label externally found word segments with the gold word each overlaps most, and
    report their boundary F1 and token accuracy against the gold segments.

    A segment overlapping no gold word is labelled <sil>.  Scores cover the utterances
    of the boundaries file.
    """
    log = Log(quiet)
    check_stdio({"BOUNDARIES": boundaries, "--gold": gold}, {"--out": out, "--report": report})
    check_paths([boundaries, gold], [out, report])
    gold_seg = read_segments(gold, require_words=True)
    hyp = read_segments(boundaries)
    gold_utts = set(gold_seg.utt)
    missing = [u for u in hyp.utterances() if u not in gold_utts]
    if missing and not skip_missing:
        raise SpokenW2VError(f"{boundaries} (utterance {missing[0]}): utterance is not in the gold file {gold} "
                             f"({len(missing)} such utterance(s); --skip-missing drops them)")
    if missing:
        hyp = hyp.subset([i for i, u in enumerate(hyp.utt) if u in gold_utts])
        if not len(hyp):
            raise SpokenW2VError(f"{boundaries}: no utterance is in the gold file {gold}")
        log(f"Dropped {len(missing)} utterance(s) that {gold} lacks.")
    hyp_utts = set(hyp.utt)
    gold_seg = gold_seg.subset([i for i, u in enumerate(gold_seg.utt) if u in hyp_utts])
    labels = noise.overlap_labels(hyp, gold_seg)
    if hyp.word is not None:
        hyp = replace(hyp, word=None)
    result = noise.labelled(hyp, labels)
    run = {"output": str(out), "input": str(boundaries), "gold": str(gold), "segments_out": len(result),
           "gold_segments": len(gold_seg), "no_word": labels.word.count(segscores.NO_WORD)}
    run.update(segscores.segment_report(gold_seg, result, tolerance, labels))
    with all_or_nothing([out, report]):
        write_segments(out, result)
        write_report(report, [run])
    show_report(log, f"label-segments: {boundaries} against {gold}", [run], [
        ("output", "output", _path), ("segments_out", "segs", str), ("no_word", segscores.NO_WORD, str),
        ("boundary_precision", "bP", _f3), ("boundary_recall", "bR", _f3), ("boundary_f1", "bF1", _f3),
        ("token_precision", "tP", _f3), ("token_recall", "tR", _f3), ("token_f1", "tF1", _f3),
        ("unambiguous", "unamb", _f3)])
    log(f"Wrote {shown(out)}: {len(result)} labelled segments.")
