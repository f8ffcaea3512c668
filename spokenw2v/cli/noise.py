"""``spokenw2v segment-noise``, ``text-noise``, ``unit-noise`` and ``label-segments``: controlled
segmentation and clustering errors, and gold labels for boundaries from an external segmenter.

A rate option may hold a comma-separated list (``--split 0,0.1,0.2``): that is a sweep
(:mod:`spokenw2v.sweep` plans, runs and writes it; :mod:`spokenw2v.noiseruns` computes each
output).  These doors parse the options, read the inputs and render the report's runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import typer
from rich.table import Table
from rich.text import Text

from .. import noise
from ..io import read_corpus, read_durations, read_segments, write_corpus, write_segments
from ..noiseruns import SegmentNoiseRun, TextNoiseRun, UnitNoiseRun, label_segments
from ..numbers import fixed
from ..segscores import NO_WORD
from ..sweep import Output, parse_values, plan_sweep, run_sweep, write_runs
from .common import Log, QuietOption, app, check_paths, check_stdio, err_console, guarded, refuse_stdio, shown
from .options import ABOVE_ZERO, AT_LEAST_ZERO, SEED, ranged

# --------------------------------------------------------------------------- the report on stderr

#: A column of the report table: (key of a run, header, how its value is written).
Column = tuple[str, str, Callable[[object], str]]


def three_decimals(value: object) -> str:
    """``0.123``; an empty cell where there is no number."""
    return fixed(value, missing="")


def two_decimals(value: object) -> str:
    return fixed(value, digits=2, missing="")


def file_stem(path: object) -> str:
    """The name of an output file without its directory and extension (``merge-0.20``)."""
    return Path(path).stem


#: What each shortened column header means (printed under a table that uses it).
ABBREVIATIONS = {
    "segs": "segments written", NO_WORD: "segments over no gold word", "del": "realised delete rate", "mrg": "realised merge rate",
    "spl": "realised split rate", "ins": "inserted segments per word", "jit": "RMS boundary shift (s)",
    "bP": "boundary precision", "bR": "boundary recall", "bF1": "boundary F1 (within --tolerance)",
    "tP": "token precision", "tR": "token recall", "tF1": "token F1",
    "unamb": "share of segments whose gold word is unambiguous",
}


def show_report(log: Log, title: str, runs: list[dict], columns: list[Column]) -> None:
    """One row per run on stderr, then what its shortened headers mean (nothing when quiet); a
    cell is printed as it is (a file name in brackets is not rich markup)."""
    if log.quiet:
        return
    log(title)
    table = Table(box=None, pad_edge=False, padding=(0, 0, 0, 1))
    for _, header, _ in columns:
        table.add_column(header, justify="right", no_wrap=True, header_style="bold")
    for run in runs:
        table.add_row(*[Text(write(run[key]) if key in run else "") for key, _, write in columns])
    err_console.print(table)
    shortened = [f"{header} {ABBREVIATIONS[header]}" for _, header, _ in columns if header in ABBREVIATIONS]
    if shortened:
        log("Columns: " + "; ".join(shortened) + ".")


def show_runs(log: Log, title: str, runs: list[dict], columns: list[Column], paths: list[Path]) -> None:
    """The report table of a command's runs, then the files it wrote."""
    show_report(log, title, runs, columns)
    log(f"Wrote {len(runs)} file(s): {', '.join(shown(path) for path in paths)}")


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

#: The shortened headers are explained under the table (ABBREVIATIONS).
SEGMENT_COLUMNS: list[Column] = [
    ("output", "output", file_stem), ("segments_out", "segs", str),
    ("realised_delete", "del", three_decimals), ("realised_merge", "mrg", three_decimals),
    ("realised_split", "spl", three_decimals), ("realised_insert", "ins", three_decimals),
    ("realised_jitter_rms", "jit", three_decimals), ("boundary_precision", "bP", three_decimals),
    ("boundary_recall", "bR", three_decimals), ("boundary_f1", "bF1", three_decimals),
    ("token_f1", "tF1", three_decimals), ("unambiguous", "unamb", three_decimals),
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
    plan = plan_sweep(out, options, ".tsv")
    check_paths([segments, durations], plan.outputs(report))
    durs = load_durations(durations) if durations is not None else None
    seg = read_segments(segments, durations=durs)
    runs = run_sweep(plan, SegmentNoiseRun(seg, str(segments), durs, min_duration, seed, tolerance),
                     write_segments, report)
    show_runs(log, f"segment-noise: {segments} ({len(seg)} segments, seed {seed})", runs, SEGMENT_COLUMNS,
              plan.paths)


TEXT_COLUMNS: list[Column] = [
    ("output", "output", file_stem), ("tokens_out", "tokens", str),
    ("realised_substitute", "substitute", three_decimals), ("realised_merge", "merge", three_decimals),
    ("realised_split", "split", three_decimals),
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
    plan = plan_sweep(out, options, ".txt")
    check_paths([corpus], plan.outputs(report))
    sentences = read_corpus(corpus)
    runs = run_sweep(plan, TextNoiseRun(sentences, str(corpus), weighting, seed), write_corpus, report)
    show_runs(log, f"text-noise: {corpus} ({runs[0]['tokens_in']} tokens, seed {seed})", runs, TEXT_COLUMNS,
              plan.paths)


UNIT_COLUMNS: list[Column] = [
    ("output", "output", file_stem), ("units_out", "units", str),
    ("realised_substitute", "substitute", three_decimals), ("realised_delete", "delete", three_decimals),
    ("realised_insert", "insert", three_decimals), ("sequences_per_type", "seqs/type", two_decimals),
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
    from ..io import read_word_units

    log = Log(quiet)
    options = {name: parse_values(value, f"--{name}")
               for name, value in (("substitute", substitute), ("delete", delete), ("insert", insert))}
    check_stdio({"WORD_UNITS": word_units}, {"--out": out, "--report": report})
    plan = plan_sweep(out, options, ".tsv")
    check_paths([word_units], plan.outputs(report))
    edit = UnitNoiseRun(read_word_units(word_units), str(word_units), seed)
    runs = run_sweep(plan, edit, edit.write, report)
    show_runs(log, f"unit-noise: {word_units} ({runs[0]['units_in']} units in {runs[0]['tokens']} tokens, "
                   f"{edit.sequences_per_type_in:.2f} sequences per word type, seed {seed})", runs, UNIT_COLUMNS,
              plan.paths)


LABEL_COLUMNS: list[Column] = [
    ("output", "output", file_stem), ("segments_out", "segs", str), ("no_word", NO_WORD, str),
    ("boundary_precision", "bP", three_decimals), ("boundary_recall", "bR", three_decimals),
    ("boundary_f1", "bF1", three_decimals), ("token_precision", "tP", three_decimals),
    ("token_recall", "tR", three_decimals), ("token_f1", "tF1", three_decimals),
    ("unambiguous", "unamb", three_decimals),
]


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
    gold_segments = read_segments(gold, require_words=True)
    found = label_segments(read_segments(boundaries), gold_segments, tolerance=tolerance, skip_missing=skip_missing,
                           output=str(out), source=str(boundaries), gold_source=str(gold))
    if found.dropped:
        log(f"Dropped {found.dropped} utterance(s) that {gold} lacks.")
    write_runs([Output(out, found.segments, found.run)], write_segments, report)
    show_report(log, f"label-segments: {boundaries} against {gold}", [found.run], LABEL_COLUMNS)
    log(f"Wrote {shown(out)}: {len(found.segments)} labelled segments.")
