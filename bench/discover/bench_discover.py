"""Word discovery ladder: each method's boundary P/R/F1 and token F1 per corpus, tuned on the first
half of a corpus's utterances and reported on both halves, with a random-boundary floor.

    python bench/discover/bench_discover.py \\
        --corpus NAME FEATURES GOLD_SEGMENTS CLUSTERS ... [--transfer-from NAME] --out results.tsv

FEATURES from ``spokenw2v featurize`` (a file or shard directory), GOLD_SEGMENTS the gold word
segments (used only to score), CLUSTERS the number of word clusters for that corpus.  For every
corpus: the prominence grid on the tuning half picks the best prominence settings; ES-KMeans
starts from them and its grid (candidate prominence x penalty) is tuned on the same half; both are
then run on the held-out half (clusters fitted on that half's audio, no labels) and on the tuning
half.  ``--transfer-from NAME`` also runs every corpus with the settings tuned on corpus NAME (the
held-out number for corpora never tuned on).  Writes one TSV row per (corpus, method, split) and
prints a Markdown table.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from spokenw2v.discover import DiscoverConfig, Method, discover
from spokenw2v.io import Ragged, Segments, iter_features, read_segments, write_tsv
from spokenw2v.segscores import segment_report

PROMINENCE_GRID = {"prominence": [0.1, 0.2, 0.3, 0.5, 0.8], "window": [0.02, 0.04], "distance": [0.06, 0.1]}
ESKMEANS_GRID = {"candidate_prominence": [0.0, 0.05], "penalty": [1.0, 3.0, 6.0, 12.0]}
BASE = DiscoverConfig(method=Method.PROMINENCE, smooth=0.0, silence=0.1, min_word=0.04, max_span=6, iterations=4, fit_utterances=100_000)
COLUMNS = ["corpus", "method", "tuned_on", "split", "utterances", "boundary_precision", "boundary_recall",
           "boundary_f1", "token_f1", "over_segmentation", "cpu_s", "settings"]


def subset_shards(features: str, keep: set[str]):
    """A callable yielding the shards of ``features`` restricted to the utterances ``keep``."""

    def shards():
        for shard in iter_features(features):
            rows = [i for i, u in enumerate(shard.utt_ids) if u in keep]
            yield Ragged.from_list([shard.utt_ids[i] for i in rows], [shard[i] for i in rows],
                                   [float(shard.durations[i]) for i in rows], shard.info)

    return shards


def score(features: str, gold: Segments, keep: set[str], config: DiscoverConfig) -> tuple[dict, float, Segments]:
    t0 = time.process_time()
    found = discover(subset_shards(features, keep), config)
    cpu = time.process_time() - t0
    ref = gold.subset([i for i, u in enumerate(gold.utt) if u in keep])
    return segment_report(ref, found.segments), cpu, found.segments


def random_floor(hyp: Segments, seed: int = 0) -> Segments:
    """A null segmentation: in each utterance as many boundaries as ``hyp`` has, the first and last
    kept (edges of the speech), the inner ones drawn uniformly between them (seeded)."""
    rng = np.random.default_rng(seed)
    utt, start, end = [], [], []
    for u, rows in hyp.by_utterance().items():
        a, b = float(hyp.start[rows].min()), float(hyp.end[rows].max())
        cuts = np.concatenate([[a], np.sort(rng.uniform(a, b, len(rows) - 1)), [b]])
        keep = np.diff(cuts) > 0
        utt += [u] * int(keep.sum())
        start += cuts[:-1][keep].tolist()
        end += cuts[1:][keep].tolist()
    return Segments(utt, np.asarray(start), np.asarray(end), ["x"] * len(utt))


def grid(base: DiscoverConfig, axes: dict[str, list]) -> list[DiscoverConfig]:
    names = list(axes)
    return [replace(base, **dict(zip(names, values))) for values in itertools.product(*(axes[n] for n in names))]


def tune(features: str, gold: Segments, keep: set[str], clusters: int) -> dict[Method, DiscoverConfig]:
    """The best prominence and ES-KMeans settings on the utterances ``keep`` (boundary F1)."""
    base = replace(BASE, clusters=10)  # prominence boundaries do not depend on the clusters
    best = max(grid(base, PROMINENCE_GRID), key=lambda c: score(features, gold, keep, c)[0]["boundary_f1"])
    best = replace(best, clusters=clusters)
    es = grid(replace(best, method=Method.ESKMEANS), ESKMEANS_GRID)
    best_es = max(es, key=lambda c: score(features, gold, keep, c)[0]["boundary_f1"])
    return {Method.PROMINENCE: best, Method.ESKMEANS: best_es}


def settings(c: DiscoverConfig) -> str:
    text = f"prominence={c.prominence} window={c.window} distance={c.distance} clusters={c.clusters}"
    if c.method == Method.ESKMEANS:
        text += f" candidate_prominence={c.candidate_prominence} penalty={c.penalty}"
    return text


def row(name: str, method: str, tuned_on: str, split: str, keep: set[str], report: dict, cpu: float, text: str) -> dict:
    out = {"corpus": name, "method": method, "tuned_on": tuned_on, "split": split, "utterances": len(keep),
           "cpu_s": round(cpu, 1), "settings": text}
    out.update({k: round(float(report[k]), 3) for k in COLUMNS if k in report})
    return out


def run(corpora: list[tuple[str, str, str, int]], transfer_from: str | None, tune_max: int) -> list[dict]:
    rows: list[dict] = []
    tuned: dict[str, dict[Method, DiscoverConfig]] = {}
    for name, features, gold_path, clusters in corpora:
        gold = read_segments(gold_path, require_words=True)
        utts = gold.utterances()
        half = len(utts) // 2
        halves = {"tuning": set(utts[:min(half, tune_max)]), "held-out": set(utts[half:])}
        tuned[name] = tune(features, gold, halves["tuning"], clusters)
        print(f"{name}: tuned", file=sys.stderr, flush=True)
        for split, keep in halves.items():
            for method, config in tuned[name].items():
                report, cpu, hyp = score(features, gold, keep, config)
                rows.append(row(name, method.value, name, split, keep, report, cpu, settings(config)))
                if method == Method.PROMINENCE:
                    ref = gold.subset([i for i, u in enumerate(gold.utt) if u in keep])
                    rows.append(row(name, "random (floor)", "-", split, keep, segment_report(ref, random_floor(hyp)),
                                    0.0, "prominence's boundary count, inner times uniform"))
    if transfer_from is not None:
        for name, features, gold_path, clusters in corpora:
            if name == transfer_from:
                continue
            gold = read_segments(gold_path, require_words=True)
            keep = set(gold.utterances())
            for method, config in tuned[transfer_from].items():
                report, cpu, _ = score(features, gold, keep, replace(config, clusters=clusters))
                rows.append(row(name, method.value, transfer_from, "all (never tuned on)", keep, report, cpu,
                                settings(config)))
    return rows


def markdown(rows: list[dict]) -> str:
    head = ["corpus", "method", "tuned on", "split", "bP", "bR", "bF1", "tokF1", "CPU s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append(f"| {r['corpus']} | {r['method']} | {r['tuned_on']} | {r['split']} | {r['boundary_precision']:.3f} | "
                     f"{r['boundary_recall']:.3f} | {r['boundary_f1']:.3f} | {r['token_f1']:.3f} | {r['cpu_s']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", nargs=4, action="append", required=True,
                        metavar=("NAME", "FEATURES", "GOLD", "CLUSTERS"))
    parser.add_argument("--transfer-from", default=None)
    parser.add_argument("--tune-max", type=int, default=300, help="tune on at most this many of the first half's "
                                                                   "utterances (the first ones)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    corpora = [(n, f, g, int(k)) for n, f, g, k in args.corpus]
    rows = run(corpora, args.transfer_from, args.tune_max)
    write_tsv(args.out, COLUMNS, ([str(r[c]) for c in COLUMNS] for r in rows))
    print(markdown(rows))


if __name__ == "__main__":
    main()
