"""``spokenw2v discover``: word tokens found in untranscribed speech -> segments TSV (word = cluster id)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..discover import Method
from ..errors import SpokenW2VError
from .common import Log, QuietOption, app, check_paths, check_stdio, guarded, refuse_stdio, shown
from .options import ABOVE_ZERO, AT_LEAST_ZERO, POSITIVE, SEED, Range, ranged

SILENCE_LEVEL = Range(0, 1, high_open=True)


@app.command("discover")
@guarded
def discover_command(
    features: Optional[Path] = typer.Argument(None, help="Features .npz file or directory of shards (from "
                                                         "featurize); MFCC features also give pause detection."),
    out: Path = typer.Option(..., "--out", "-o", help="Segments TSV to write (utt start end word; word = a "
                                                      "discovered cluster id such as c00042); - for standard output."),
    units: Optional[Path] = typer.Option(None, "--units", help="Frame units .npz (from discretize) instead of "
                                                               "FEATURES (one-hot frames; no pause detection)."),
    method: Method = typer.Option(Method.LEXICON, "--method", case_sensitive=False,
                                  help="prominence (feature-change peaks), eskmeans (embedded segmental k-means "
                                       "from those peaks) or lexicon (eskmeans, then rounds with a type-frequency "
                                       "and a word-length prior)."),
    prominence: Optional[float] = ranged(AT_LEAST_ZERO, None, "--prominence",
                                         help="Least prominence of a change-score peak that is a word boundary. "
                                              "Default 0.5."),
    window: Optional[float] = ranged(ABOVE_ZERO, None, "--window", help="Seconds of frames either side compared "
                                                                        "by the change score. Default 0.02."),
    smooth: Optional[float] = ranged(AT_LEAST_ZERO, None, "--smooth", help="Seconds of moving-average smoothing "
                                                                           "of the change score. Default 0."),
    distance: Optional[float] = ranged(ABOVE_ZERO, None, "--distance", help="Least seconds between two peaks. "
                                                                            "Default 0.1."),
    silence: Optional[float] = ranged(SILENCE_LEVEL, None, "--silence",
                                      help="MFCC pause threshold: fraction of the utterance's 5th-95th percentile "
                                           "energy range (0 = no pause detection). Default 0.1."),
    min_silence: Optional[float] = ranged(AT_LEAST_ZERO, None, "--min-silence",
                                          help="Shortest pause (seconds) that separates words. Default 0.05."),
    min_word: Optional[float] = ranged(ABOVE_ZERO, None, "--min-word", help="Shortest word (seconds); shorter "
                                                                            "pieces join a neighbour. Default 0.04."),
    max_word: Optional[float] = ranged(ABOVE_ZERO, None, "--max-word", help="eskmeans: longest word of several "
                                                                            "candidate stretches (seconds). Default 1.2."),
    clusters: Optional[int] = ranged(POSITIVE, None, "--clusters", help="Number of word clusters (the word "
                                                                        "column's types). Default 400."),
    candidate_prominence: Optional[float] = ranged(AT_LEAST_ZERO, None, "--candidate-prominence",
                                                   help="eskmeans: least prominence of a candidate boundary. "
                                                        "Default 0."),
    penalty: Optional[float] = ranged(AT_LEAST_ZERO, None, "--penalty", help="eskmeans (and lexicon's first rounds): "
                                                                             "cost of every word in frames (larger = "
                                                                             "fewer words). Default 1."),
    iterations: Optional[int] = ranged(POSITIVE, None, "--iterations", help="eskmeans: rounds of segmentation "
                                                                            "and centroid updates (lexicon: as many "
                                                                            "again with its priors). Default 4."),
    lm_weight: Optional[float] = ranged(AT_LEAST_ZERO, None, "--lm-weight",
                                        help="lexicon: weight of a word type's -log unigram probability, the "
                                             "cost of a word in its last rounds (in place of --penalty). "
                                             "Default 1."),
    duration_weight: Optional[float] = ranged(AT_LEAST_ZERO, None, "--duration-weight",
                                              help="lexicon: weight of the -log probability of a word's length. "
                                                   "Default 0."),
    fit_utterances: Optional[int] = ranged(POSITIVE, None, "--fit-utterances",
                                           help="Fit the clusters on at most this many utterances (the first; "
                                                "bounds memory). Default 2000."),
    seed: Optional[int] = ranged(SEED, None, "--seed", help="Seed of k-means. Default 0."),
    gold: Optional[Path] = typer.Option(None, "--gold", help="Gold segments TSV (utt start end word): only to "
                                                             "print boundary and token scores; never used to "
                                                             "discover."),
    quiet: bool = QuietOption,
) -> None:
    """Find the word tokens of untranscribed speech (no transcript, no aligner): feature-change
    peaks, pauses and utterance edges as boundaries, optionally refined by embedded segmental
    k-means and a lexicon prior that favours recurring word types; every token is labelled with
    a discovered cluster id."""
    from ..discover import DiscoverConfig, discover
    from ..io import iter_features, read_segments, read_units, write_segments
    from ..segscores import segment_report

    log = Log(quiet)
    if (features is None) == (units is None):
        raise SpokenW2VError("give FEATURES (a features .npz or directory) or --units UNITS.npz, exactly one")
    for option, path in (("FEATURES", features), ("--units", units)):
        refuse_stdio(path, option, "NPZ files are binary zip archives, read by seeking")
    check_stdio({"--gold": gold}, {"--out": out})
    check_paths([features, units, gold], [out])
    given = dict(prominence=prominence, window=window, smooth=smooth, distance=distance, silence=silence,
                 min_silence=min_silence, min_word=min_word, max_word=max_word, clusters=clusters,
                 candidate_prominence=candidate_prominence, penalty=penalty, iterations=iterations,
                 fit_utterances=fit_utterances, lm_weight=lm_weight, duration_weight=duration_weight, seed=seed)
    config = DiscoverConfig(method=method, **{k: v for k, v in given.items() if v is not None})
    gold_seg = read_segments(gold, require_words=True) if gold is not None else None
    if units is not None:
        unit_file = read_units(units)
        found = discover(lambda: [unit_file.frames], config, units_k=unit_file.k)
    else:
        found = discover(lambda: iter_features(features), config)
    seg = found.segments
    if not len(seg):
        raise SpokenW2VError(f"{features or units}: no word found in any utterance (all silence or too short); "
                             f"nothing was written")
    write_segments(out, seg)
    log(f"Wrote {shown(out)}: {len(seg)} word tokens in {len(set(seg.word or []))} of {found.clusters} clusters, "
        f"{len(seg.utterances())} utterances ({config.method.value}; clusters fitted on {found.fit_utterances} "
        f"utterances).")
    if gold_seg is not None:
        utts = set(found.utterances)
        scores = segment_report(gold_seg.subset([i for i, u in enumerate(gold_seg.utt) if u in utts]), seg)
        log(f"Against {gold} ({len(utts)} utterances): boundary P {scores['boundary_precision']:.3f} "
            f"R {scores['boundary_recall']:.3f} F1 {scores['boundary_f1']:.3f} (tolerance 20 ms); "
            f"token P {scores['token_precision']:.3f} R {scores['token_recall']:.3f} F1 {scores['token_f1']:.3f}.")
