"""The lexicon method against ES-KMeans at fixed settings on one split of a corpus (the rows of
bench/RESULTS.md, "Word discovery without a transcript, round 2").

    python bench/discover/bench_lexicon.py FEATURES GOLD_SEGMENTS {tuning,held-out,all} \\
        method=lexicon,lm_weight=1 method=eskmeans [...]

Splits as ``bench_discover.py``: the first half of the gold utterances (at most the first 300)
is the tuning half, the second half the held-out half.  Each SETTINGS argument is a comma list of
``DiscoverConfig`` fields over the ladder's base (clusters 400 unless given); prints one row per
setting: split, utterances, settings, boundary P/R/F1 (20 ms), token F1, CPU seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import replace

from bench_discover import BASE, score
from spokenw2v.discover import DiscoverConfig, Method
from spokenw2v.io import read_segments

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("features")
    parser.add_argument("gold")
    parser.add_argument("split", choices=["tuning", "held-out", "all"])
    parser.add_argument("settings", nargs="+")
    args = parser.parse_args(argv)
    gold = read_segments(args.gold, require_words=True)
    keep = split_utterances(gold.utterances(), args.split)
    for text in args.settings:
        report, cpu, _ = score(args.features, gold, keep, parse_settings(text))
        print(args.split, len(keep), text, *(f"{report[k]:.3f}" for k in
              ("boundary_precision", "boundary_recall", "boundary_f1", "token_f1")), f"{cpu:.1f}", flush=True)


if __name__ == "__main__":
    main()
