"""Benchmarks of the evaluation module.

``python bench/bench_evaluate.py speed``    -- time build_test_set and paper_metrics on
    synthetic vocabularies of 5k words x 100 dims and 50k words x 300 dims (a large reference).
``python bench/bench_evaluate.py ceiling``  -- the seed-to-seed ceiling of metric A: gensim
    Word2Vec models trained on the King James Bible (printed by the Debian ``bible`` program,
    package bible-kjv) with different seeds, compared with the paper's protocol.

Run with ``OMP_WAIT_POLICY=PASSIVE``.  Results are recorded in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import time

import numpy as np

from spokenw2v import evaluate as ev
from spokenw2v.io import TestSet, WordVectors, tokenize


def speed(vocab: int = 50_000, dim: int = 300, repeats: int = 5) -> None:
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = list(dict.fromkeys("".join(rng.choice(letters, size=rng.integers(3, 11))) for _ in range(vocab * 2)))
    words = words[:vocab]
    ref = WordVectors(words, rng.normal(size=(len(words), dim)).astype(np.float32))
    freqs = collections.Counter({w: len(words) - i for i, w in enumerate(words)})
    t = time.perf_counter()
    ts = ev.build_test_set(ref, freqs, seed=0)
    build = time.perf_counter() - t
    model = WordVectors(words, (ref.vectors + rng.normal(size=ref.vectors.shape)).astype(np.float32))
    times = {}
    for boot in (0, 1000):
        runs = []
        for _ in range(repeats):
            t = time.perf_counter()
            ev.paper_metrics(model, ref, ts, bootstrap=boot)
            runs.append(time.perf_counter() - t)
        times[boot] = (float(np.min(runs)), float(np.median(runs)))
    print(f"\nvocabulary {len(words)} x {dim}, test set {len(ts.test_words())} words / {len(ts)} pairs")
    print(f"build_test_set: {build:.2f} s")
    for boot, (best, median) in times.items():
        print(f"paper_metrics (bootstrap {boot}): best {best * 1000:.0f} ms, median {median * 1000:.0f} ms "
              f"of {repeats}")


def kjv_sentences() -> list[list[str]]:
    if shutil.which("bible") is None:
        raise SystemExit("the 'bible' program is missing: apt-get install -y bible-kjv")
    text = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], capture_output=True, text=True, check=True).stdout
    verses = (re.sub(r"^\S+\d+:\d+ ", "", line) for line in text.splitlines())
    return [toks for toks in map(tokenize, verses) if toks]


def train(sentences, seed: int) -> WordVectors:
    from gensim.models import Word2Vec

    m = Word2Vec(sentences, vector_size=100, window=5, min_count=5, sg=1, negative=5, epochs=5, seed=seed,
                 workers=1)
    return WordVectors(list(m.wv.index_to_key), m.wv.vectors.astype(np.float32))


def subset(ts: TestSet, relation: str) -> TestSet:
    keep = [i for i, r in enumerate(ts.relation) if r == relation]
    return TestSet([ts.word1[i] for i in keep], [ts.word2[i] for i in keep], [relation] * len(keep), ts.seed)


def ceiling() -> None:
    sentences = kjv_sentences()
    n_words = sum(map(len, sentences))
    print(f"KJV: {len(sentences)} verses, {n_words} words")
    for limit in (n_words, 100_000, 30_000):
        part, count = [], 0
        for s in sentences:
            if count >= limit:
                break
            part.append(s)
            count += len(s)
        models = {seed: train(part, seed) for seed in (1, 2, 3)}
        ts = ev.build_test_set(models[1], ev.word_frequencies(part), seed=0)
        print(f"\n{count} words, vocabulary (min_count 5) {len(models[1])}, test set {len(ts.test_words())} "
              f"words / {len(ts)} pairs (skip {ts.params['skip_used']})")
        for a, b in ((1, 2), (1, 3), (2, 3)):
            m = ev.paper_metrics(models[b], models[a], ts, bootstrap=1000)
            per = {r: ev.paper_metrics(models[b], models[a], subset(ts, r))["A"]
                   for r in ("semantic", "orthographic", "random")}
            print(f"  seed {b} vs reference seed {a}: A = {m['A']:.3f} [{m['A_low']:.3f}, {m['A_high']:.3f}], "
                  f"A_spearman = {m['A_spearman']:.3f}, B = {m['B']:.3f}; A within relation: "
                  + ", ".join(f"{r} {v:.3f}" for r, v in per.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["speed", "ceiling"])
    args = parser.parse_args()
    if args.what == "speed":
        speed(5_000, 100)
        speed(50_000, 300)
    else:
        ceiling()


if __name__ == "__main__":
    main()
