"""``spokenw2v discretize`` (features -> units + codebook) and ``spokenw2v word-units``
(units + segments -> a readable TSV of each word token's units)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import SpokenW2VError
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
    from ..discretize import KMeansConfig, apply_codebook, fit_codebook_with_report
    from ..io import all_or_nothing, npz_files, read_codebook, read_segments, write_codebook, write_units

    log = Log(quiet)
    for option, path in (("FEATURES", features), ("--out", out), ("--codebook", codebook),
                         ("--use-codebook", use_codebook)):
        refuse_stdio(path, option, "NPZ files are binary zip archives, read by seeking")
    fit_options = {"--k": k, "--sample-fraction": sample_fraction, "--max-sample-frames": max_sample_frames,
                   "--seed": seed, "--max-iter": max_iter, "--segments": segments,
                   "--in-words": in_words or None}
    if (codebook is None) == (use_codebook is None):
        raise SpokenW2VError("give --codebook CB.npz (fit and save a codebook) or --use-codebook CB.npz "
                             "(apply a saved one), exactly one of them")
    if use_codebook is not None:
        given = [name for name, value in fit_options.items() if value is not None]
        if given:
            raise SpokenW2VError(f"{', '.join(given)} only apply when fitting a codebook (--codebook), "
                                 f"not with --use-codebook")
    if in_words != (segments is not None):
        raise SpokenW2VError("--in-words needs --segments SEGS.tsv, and --segments is only used with --in-words")
    check_paths([features, use_codebook, segments], [out, codebook])

    dev = resolve_device(device)
    n_shards = len(npz_files(features))
    if use_codebook is not None:
        cb = read_codebook(use_codebook)
        cb_path = use_codebook
        log(f"applying codebook {use_codebook} (k={cb.k}, {cb.info.describe()}, {cb.dim} dims) on {dev}")
    else:
        given = dict(k=k, sample_fraction=sample_fraction, max_sample_frames=max_sample_frames, seed=seed,
                     max_iter=max_iter)
        config = KMeansConfig(**{name: value for name, value in given.items() if value is not None})
        seg = read_segments(segments) if segments is not None else None
        log(f"fitting a codebook of k={config.k} units on {features} on {dev}")
        with log.progress() as progress:
            fit = fit_codebook_with_report(features, config, in_words=seg, segments_name=str(segments),
                                           source_name=str(features), device=dev,
                                           progress=_Bars(progress, {"sample": n_shards}))
        cb, cb_path = fit.codebook, codebook
        inside = " inside words" if seg is not None else ""
        log(f"sampled {fit.n_sample:,} of {fit.n_eligible:,} frames{inside} ({fit.n_frames:,} in all); "
            f"k-means: {fit.n_iter} iterations{'' if fit.converged else ' (not converged)'}, "
            f"inertia per frame {cb.inertia / fit.n_sample:.4g}")
    with log.progress() as progress:
        units = apply_codebook(cb, features, device=dev, source_name=str(features), codebook_name=str(cb_path),
                               progress=_Bars(progress, {"assign": n_shards}))
    with all_or_nothing([codebook, out]):
        if codebook is not None:
            write_codebook(codebook, cb)
            log(f"wrote codebook {codebook}")
        write_units(out, units, cb.k, str(cb_path), cb.fingerprint())
    log(f"wrote {len(units.values):,} frame units of {len(units)} utterances to {out}")


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
    from ..frames import unit_discrimination, unit_statistics, word_unit_sequences
    from ..io import WORD_UNITS_REPORT_FORMAT, all_or_nothing, read_segments, read_units, write_record, \
        write_word_units

    log = Log(quiet)
    check_stdio({"SEGMENTS": segments}, {"--out": out, "--report": report})
    consensus_options = {"--radius": radius, "--neighbours": neighbours, "--device": device}
    if consensus_features is None:
        given = [name for name, value in consensus_options.items() if value is not None]
        if given:
            raise SpokenW2VError(f"{', '.join(given)} only apply with --consensus FEATURES")
    else:
        refuse_stdio(consensus_features, "--consensus", "NPZ files are binary zip archives, read by seeking")
    if speakers is not None and speaker_pattern is not None:
        raise SpokenW2VError("give --speakers FILE or --speaker-pattern REGEX, not both")
    check_paths([units, segments, consensus_features, speakers], [out, report])
    u = read_units(units)
    durations = dict(zip(u.frames.utt_ids, u.frames.durations.tolist()))
    seg = read_segments(segments, require_words=True, durations=durations)
    sequences, _ = word_unit_sequences(u, seg, merge=merge, source=str(segments))
    found = None
    if consensus_features is not None:
        from ..consensus import ConsensusConfig, consensus
        from ..devices import resolve_device
        from ..io import iter_features

        given = dict(radius=radius, neighbours=neighbours)
        config = ConsensusConfig(**{name: value for name, value in given.items() if value is not None})
        dev = resolve_device(device)
        found = consensus(iter_features(consensus_features), seg, config, device=str(dev),
                          source=str(consensus_features))
        changed, agreement = found.changed, found.agreement(seg.word)
        log(f"consensus: {found.n_modes:,} modes among {len(seg):,} tokens (radius {config.radius:g}, "
            f"{config.neighbours} neighbours); {changed:,} tokens took the units of their mode; the mode of "
            f"{100 * agreement:.1f}% of tokens is a token of the same word")
        sequences = found.sequences(sequences)
    stats = unit_statistics(sequences, seg.word)
    disc = unit_discrimination(sequences, seg.word, min_count=min_count, triplets=triplets, seed=seed)
    across = None
    if speakers is not None or speaker_pattern is not None:
        from ..speakers import speaker_discrimination, speaker_table, token_speakers

        table = speaker_table(sorted(set(seg.utt)), speakers, speaker_pattern)
        spk = token_speakers(seg.utt, table, source=str(speakers or "--speaker-pattern"))
        across = speaker_discrimination(sequences, seg.word, spk, triplets=triplets, seed=seed)
    with all_or_nothing([out, report]):
        write_word_units(out, seg, sequences)
        if report is not None:
            write_record(report, WORD_UNITS_REPORT_FORMAT,
                         {"units": str(units), "segments": str(segments), "merge": merge, "seed": seed,
                          "consensus": None if found is None else {
                              "features": str(consensus_features), "radius": config.radius,
                              "neighbours": config.neighbours,
                              "bandwidth": config.bandwidth, "pieces": config.pieces, "modes": found.n_modes,
                              "changed": changed, "mode_same_word": agreement},
                          "statistics": {**stats, **disc},
                          "speakers": across})
    text = (f"{stats['tokens']:,} word tokens, {stats['mean_units']:.2f} units per token "
            f"({'merged' if merge else 'not merged'}), {stats['distinct_sequences']:,} distinct sequences")
    if "types" in stats:
        text += (f"; {stats['types']:,} word types, {stats['mean_sequences_per_type']:.2f} distinct sequences "
                 f"per type, {100 * stats['unique_fraction']:.1f}% of tokens have a sequence no other word shares")
    log(text)
    if disc["same_type_share"] is not None:
        text = (f"{disc['measured_types']:,} types with >= {min_count} tokens: two tokens of a type share their "
                f"sequence {100 * disc['same_type_share']:.1f}% of the time")
        if disc["abx_error"] is not None:
            text += (f"; ABX error {100 * disc['abx_error']:.1f}% ({disc['abx_triplets']:,} triplets; normalized "
                     f"edit distance {disc['same_word_distance']:.3f} same word, "
                     f"{disc['different_word_distance']:.3f} different words)")
        log(text)
    if across is not None:
        log(_across_text(across))
    log(f"wrote {shown(out)}" + (f" and {shown(report)}" if report is not None else ""))


def _across_text(m: dict) -> str:
    """One log line of :func:`spokenw2v.speakers.speaker_discrimination`'s measures."""
    def pct(v):
        return "n/a" if v is None else f"{100 * v:.1f}%"

    def num(v):
        return "n/a" if v is None else f"{v:.3f}"

    return (f"{m['speakers']} speakers, {m['across_types']:,} words said by two or more: ABX error across "
            f"speakers {pct(m['abx_across'])}, within a speaker {pct(m['abx_within'])} ({m['triplets']:,} "
            f"triplets each); normalized edit distance of one word's tokens {num(m['same_word_across'])} across "
            f"speakers, {num(m['same_word_within'])} within a speaker, {num(m['different_words'])} different words")
