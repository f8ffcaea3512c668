"""``spokenw2v discretize`` (features -> units + codebook) and ``spokenw2v word-units``
(units + segments -> a readable TSV of each word token's units)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import SpokenW2VError
from ..io import Codebook
from .options import CONSENSUS_RADIUS, FRACTION, POSITIVE, SEED, ranged
from .common import Log, QuietOption, app, check_paths, check_stdio, guarded, refuse_stdio, shown


class _Bars:
    """rich progress bars driven by the library's ``progress(stage, done, total)`` callback."""

    LABELS = {"sample": "sampling frames (shards)", "kmeans-init": "k-means on the seeding subset",
              "kmeans": "k-means (iterations)", "assign": "assigning units (shards)"}

    def __init__(self, progress, totals: dict[str, Optional[int]]):
        self.progress = progress
        self.totals = totals
        self.tasks: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: Optional[int]) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(self.LABELS.get(stage, stage),
                                                       total=self.totals.get(stage, total))
        self.progress.update(self.tasks[stage], completed=done)


@app.command("discretize")
@guarded
def discretize_command(
    features: Path = typer.Argument(..., help="Features .npz file or directory of shards (from featurize)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output units .npz (one unit id per frame)."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Fit a codebook and write it here (.npz)."),
    use_codebook: Optional[Path] = typer.Option(None, "--use-codebook",
                                                help="Apply this saved codebook instead of fitting one."),
    k: Optional[int] = ranged(POSITIVE, None, "--k", help="Number of units (k-means clusters). Default 100."),
    sample_fraction: Optional[float] = ranged(FRACTION, None, "--sample-fraction",
                                              help="Fraction of the frames sampled for the fit. Default 0.1."),
    max_sample_frames: Optional[int] = ranged(POSITIVE, None, "--max-sample-frames",
                                              help="At most this many sampled frames (bounds memory: frames x "
                                                   "dims x 2 bytes for float16 features). Default 1000000."),
    seed: Optional[int] = ranged(SEED, None, "--seed", help="Seed of the frame sample and k-means++. Default 0."),
    max_iter: Optional[int] = ranged(POSITIVE, None, "--max-iter", help="At most this many k-means iterations. "
                                               "Default 100."),
    segments: Optional[Path] = typer.Option(None, "--segments", help="Word segments TSV (with --in-words); - for "
                                                                      "standard input."),
    in_words: bool = typer.Option(False, "--in-words", help="Sample only frames inside the word segments "
                                                           "of --segments."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    quiet: bool = QuietOption,
) -> None:
    """Fit a k-means codebook on a seeded sample of standardized frames (--codebook) or load one
    (--use-codebook), then write the unit id of every frame."""
    from ..devices import resolve_device
    from ..discretize import apply_codebook
    from ..io import all_or_nothing, npz_files, read_codebook, write_codebook, write_units

    log = Log(quiet)
    for option, path in (("FEATURES", features), ("--out", out), ("--codebook", codebook),
                         ("--use-codebook", use_codebook)):
        refuse_stdio(path, option, "NPZ files are binary zip archives, read by seeking")
    fit_options = {"--k": k, "--sample-fraction": sample_fraction, "--max-sample-frames": max_sample_frames,
                   "--seed": seed, "--max-iter": max_iter, "--segments": segments,
                   "--in-words": in_words or None}
    check_codebook_options(codebook, use_codebook, fit_options)
    check_paths([features, use_codebook, segments], [out, codebook])

    dev = resolve_device(device)
    n_shards = len(npz_files(features))
    if use_codebook is not None:
        cb = read_codebook(use_codebook)
        log(f"applying codebook {use_codebook} (k={cb.k}, {cb.info.describe()}, {cb.dim} dims) on {dev}")
    else:
        given = dict(k=k, sample_fraction=sample_fraction, max_sample_frames=max_sample_frames, seed=seed,
                     max_iter=max_iter)
        cb = fit_codebook_logged(features, given, segments, dev, n_shards, log)
    cb_path = use_codebook if use_codebook is not None else codebook
    with log.progress() as progress:
        units = apply_codebook(cb, features, device=dev, source_name=str(features), codebook_name=str(cb_path),
                               progress=_Bars(progress, {"assign": n_shards}))
    with all_or_nothing([codebook, out]):
        if codebook is not None:
            write_codebook(codebook, cb)
            log(f"wrote codebook {codebook}")
        write_units(out, units, cb.k, str(cb_path), cb.fingerprint())
    log(f"wrote {len(units.values):,} frame units of {len(units)} utterances to {out}")


def check_codebook_options(codebook: Optional[Path], use_codebook: Optional[Path],
                           fit_options: dict[str, object]) -> None:
    """Exactly one of --codebook (fit) and --use-codebook (apply); the options of a fit
    (``fit_options``: option -> value, None when not given) only with --codebook; --in-words
    with --segments."""
    if (codebook is None) == (use_codebook is None):
        raise SpokenW2VError("give --codebook CB.npz (fit and save a codebook) or --use-codebook CB.npz "
                             "(apply a saved one), exactly one of them")
    if use_codebook is not None:
        given = [name for name, value in fit_options.items() if value is not None]
        if given:
            raise SpokenW2VError(f"{', '.join(given)} only apply when fitting a codebook (--codebook), "
                                 f"not with --use-codebook")
    if (fit_options["--in-words"] is not None) != (fit_options["--segments"] is not None):
        raise SpokenW2VError("--in-words needs --segments SEGS.tsv, and --segments is only used with --in-words")


def fit_codebook_logged(features: Path, given: dict[str, object], segments: Optional[Path], device: object,
                        n_shards: int, log: Log) -> Codebook:
    """Fit a codebook on ``features`` (``n_shards`` shards) on ``device`` with the k-means options
    ``given`` (None: the default), sampling only frames inside the words of ``segments`` when
    given; logs the fit."""
    from ..discretize import KMeansConfig, fit_codebook_with_report
    from ..io import read_segments

    config = KMeansConfig(**{name: value for name, value in given.items() if value is not None})
    seg = read_segments(segments) if segments is not None else None
    log(f"fitting a codebook of k={config.k} units on {features} on {device}")
    with log.progress() as progress:
        fit = fit_codebook_with_report(features, config, in_words=seg, segments_name=str(segments),
                                       source_name=str(features), device=device,
                                       progress=_Bars(progress, {"sample": n_shards}))
    inside = " inside words" if seg is not None else ""
    log(f"sampled {fit.n_sample:,} of {fit.n_eligible:,} frames{inside} ({fit.n_frames:,} in all); "
        f"k-means: {fit.n_iter} iterations{'' if fit.converged else ' (not converged)'}, "
        f"inertia per frame {fit.codebook.inertia / fit.n_sample:.4g}")
    return fit.codebook


@app.command("word-units")
@guarded
def word_units_command(
    units: Path = typer.Argument(..., help="Units .npz (from discretize)."),
    segments: Path = typer.Argument(..., help="Word segments TSV (utt start end word); - for standard input."),
    out: Path = typer.Option(..., "--out", "-o", help="Output TSV: utt start end word units; - for standard output."),
    merge: bool = typer.Option(True, "--merge/--no-merge",
                               help="Collapse runs of the same unit (5 5 3 3 5 -> 5 3 5)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Also write the statistics as JSON (- for "
                                                                  "standard output)."),
    min_count: int = ranged(POSITIVE, 10, "--min-count", help="Word types with at least this many tokens are "
                                                              "measured by the share and ABX measures."),
    triplets: int = ranged(POSITIVE, 10000, "--triplets", help="Sampled ABX triplets."),
    seed: int = ranged(SEED, 0, "--seed", help="Seed of the ABX triplet sample."),
    consensus_features: Optional[Path] = typer.Option(
        None, "--consensus", help="Features .npz file or directory (from featurize, e.g. with --vtln auto): "
                                  "each token takes the units of the most typical token of its acoustic "
                                  "neighbourhood (quick shift on downsampled word embeddings; no labels "
                                  "read). Makes the units of many speakers consistent."),
    radius: Optional[float] = ranged(CONSENSUS_RADIUS, None, "--radius",
                                     help="With --consensus: how far (cosine distance) a token may link to a "
                                          "denser one; larger merges more spellings, and past some point "
                                          "different words. Default 0.3."),
    neighbours: Optional[int] = ranged(POSITIVE, None, "--neighbours",
                                       help="With --consensus: nearest tokens searched. Default 50."),
    device: Optional[str] = typer.Option(None, "--device", help="With --consensus: auto, cpu or cuda. Default auto."),
    speakers: Optional[Path] = typer.Option(None, "--speakers", help="TSV with utt and speaker columns (an audio "
                                                                     "list with its speaker column): also measure "
                                                                     "across-speaker ABX and distances."),
    speaker_pattern: Optional[str] = typer.Option(None, "--speaker-pattern", help="The speaker of an utterance: "
                                                  "the first group of this regular expression in its id (e.g. "
                                                  "'^([^-]+)-' for LibriSpeech); also measure across speakers."),
    quiet: bool = QuietOption,
) -> None:
    """Write the unit sequence of every word token as a readable TSV, with statistics on stderr:
    distinct sequences per type, the share of tokens whose sequence no other word has, the
    chance that two tokens of one type have the same sequence, and a same-word/different-word
    ABX error on normalized edit distances (types with at least --min-count tokens); with
    --speakers or --speaker-pattern also ABX across speakers (A and B one word by two speakers, X
    another word by B's speaker) and within a speaker, and the distances of one word's tokens
    across and within speakers."""
    from ..io import WORD_UNITS_REPORT_FORMAT, all_or_nothing, read_segments, read_units, write_record, \
        write_word_units
    from ..wordunits import WordUnitsOptions, measure_word_units

    log = Log(quiet)
    check_stdio({"SEGMENTS": segments}, {"--out": out, "--report": report})
    if consensus_features is not None:
        refuse_stdio(consensus_features, "--consensus", "NPZ files are binary zip archives, read by seeking")
    options = WordUnitsOptions(merge=merge, min_count=min_count, triplets=triplets, seed=seed,
                               consensus=consensus_features, radius=radius, neighbours=neighbours, device=device,
                               speakers=speakers, speaker_pattern=speaker_pattern)
    check_paths([units, segments, consensus_features, speakers], [out, report])
    u = read_units(units)
    seg = read_segments(segments, require_words=True,
                        durations=dict(zip(u.frames.utt_ids, u.frames.durations.tolist())))
    found = measure_word_units(u, seg, options, units_source=str(units), segments_source=str(segments), log=log)
    with all_or_nothing([out, report]):
        write_word_units(out, seg, found.sequences)
        if report is not None:
            write_record(report, WORD_UNITS_REPORT_FORMAT, found.record())
    for line in found.lines():
        log(line)
    log(f"wrote {shown(out)}" + (f" and {shown(report)}" if report is not None else ""))
