"""The lexicon method against ES-KMeans at fixed settings on one split of a corpus (the rows of
bench/RESULTS.md, "Word discovery without a transcript, round 2").

    python bench/discover/bench_lexicon.py FEATURES GOLD_SEGMENTS {tuning,held-out,all} \\
        method=lexicon,lm_weight=1 method=eskmeans [...]

Splits as ``bench_discover.py``: the first half of the gold utterances (at most the first 300)
is the tuning half, the second half the held-out half.  Each SETTINGS argument is a comma list of
``DiscoverConfig`` fields over the ladder's base (clusters 400 unless given); prints one row per
setting: split, utterances, settings, boundary P/R/F1 (20 ms), token F1, CPU seconds.  With
``--paired``, the first two settings are also compared by a paired bootstrap over utterances
(95 % interval of the boundary F1 difference, second minus first).
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import replace

import numpy as np

from bench_discover import BASE, score
from spokenw2v.discover import DiscoverConfig, Method
from spokenw2v.io import Segments, read_segments
from spokenw2v.segscores import boundary_scores

INTEGER_FIELDS = {f.name for f in dataclasses.fields(DiscoverConfig) if f.type in ("int", int)}


def parse_settings(text: str) -> DiscoverConfig:
    """``method=lexicon,lm_weight=1`` -> the ladder's base config with those fields."""
    given: dict[str, object] = {"clusters": 400}
    for item in text.split(","):
        name, value = item.split("=", 1)
        given[name] = Method(value) if name == "method" else int(value) if name in INTEGER_FIELDS else float(value)
    return replace(BASE, **given)


def split_utterances(utts: list[str], split: str, tune_max: int = 300) -> set[str]:
    half = len(utts) // 2
    return {"tuning": set(utts[:min(half, tune_max)]), "held-out": set(utts[half:]), "all": set(utts)}[split]


def utterance_counts(gold: Segments, hyp: Segments, utts: list[str]) -> np.ndarray:
    """(U, 3) matched, hypothesis and reference boundary counts (20 ms) of every utterance."""
    g, h = gold.by_utterance(), hyp.by_utterance()
    out = np.zeros((len(utts), 3))
    for i, u in enumerate(utts):
        if u not in g:
            continue
        ref = gold.subset(g[u])
        mine = hyp.subset(h[u]) if u in h else Segments([], np.zeros(0), np.zeros(0))
        b = boundary_scores(ref, mine, 0.02)
        out[i] = (b.matched, b.hyp_boundaries, b.ref_boundaries)
    return out


def f1(counts: np.ndarray) -> float:
    m, h, r = counts.sum(0)
    return 2 * m / max(h + r, 1)


def paired_interval(a: np.ndarray, b: np.ndarray, draws: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """(F1(b) - F1(a), 2.5 %, 97.5 % bootstrap quantiles) over utterances drawn with replacement."""
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(draws):
        idx = rng.integers(0, len(a), len(a))
        diffs.append(f1(b[idx]) - f1(a[idx]))
    lo, hi = np.quantile(diffs, [0.025, 0.975])
    return f1(b) - f1(a), float(lo), float(hi)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("features")
    parser.add_argument("gold")
    parser.add_argument("split", choices=["tuning", "held-out", "all"])
    parser.add_argument("settings", nargs="+")
    parser.add_argument("--paired", action="store_true", help="bootstrap the first two settings' difference")
    args = parser.parse_args(argv)
    gold = read_segments(args.gold, require_words=True)
    keep = split_utterances(gold.utterances(), args.split)
    counts = []
    utts = sorted(keep)
    for text in args.settings:
        report, cpu, hyp = score(args.features, gold, keep, parse_settings(text))
        if args.paired and len(counts) < 2:
            counts.append(utterance_counts(gold, hyp, utts))
        print(args.split, len(keep), text, *(f"{report[k]:.3f}" for k in
              ("boundary_precision", "boundary_recall", "boundary_f1", "token_f1")), f"{cpu:.1f}", flush=True)
    if len(counts) == 2:
        diff, lo, hi = paired_interval(*counts)
        print(f"boundary F1 difference {diff:+.3f} (95 % paired bootstrap over {len(utts)} utterances: "
              f"{lo:+.3f} to {hi:+.3f})")


if __name__ == "__main__":
    main()
