"""Speed of segment-noise and text-noise at LibriSpeech train-clean-100 scale.

    OMP_WAIT_POLICY=PASSIVE python bench/bench_noise.py [--utterances 28539] [--words 35] [--tokens 800000]

Generates word segments shaped like train-clean-100 (28,539 utterances x 35 words
~ 1M segments, words 0.1-0.5 s, 40% followed by a pause) and a Zipf-distributed text
corpus, then times the library calls and the command line end to end (TSV read and write
included).  Prints one Markdown table row per measurement.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from spokenw2v import noise, segscores
from spokenw2v.io import Segments, write_corpus, write_segments


def make_segments(n_utts: int, words: int, seed: int = 0) -> tuple[Segments, dict[str, float]]:
    rng = np.random.default_rng(seed)
    d = rng.uniform(0.1, 0.5, size=(n_utts, words))
    pause = np.where(rng.random((n_utts, words)) < 0.6, 0.0, rng.uniform(0, 0.3, size=(n_utts, words)))
    lead = rng.uniform(0, 0.5, size=(n_utts, 1))
    step = d + pause
    start = lead + np.concatenate([np.zeros((n_utts, 1)), np.cumsum(step, axis=1)[:, :-1]], axis=1)
    end = start + d
    utts = [f"{u // 1000}-{u % 1000:06d}" for u in range(n_utts)]
    vocab = [f"w{k}" for k in range(20000)]
    p = 1 / np.arange(1, len(vocab) + 1)
    ids = rng.choice(len(vocab), size=n_utts * words, p=p / p.sum())
    seg = Segments([u for u in utts for _ in range(words)], start.ravel(), end.ravel(), [vocab[k] for k in ids])
    durations = {u: float(end[i, -1] + 0.3) for i, u in enumerate(utts)}
    return seg, durations


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--utterances", type=int, default=28539)
    ap.add_argument("--words", type=int, default=35)
    ap.add_argument("--tokens", type=int, default=800000)
    args = ap.parse_args()

    seg, durations = make_segments(args.utterances, args.words)
    n = len(seg)
    print("| what | size | time |\n|---|---|---|")
    config = noise.SegmentNoiseConfig(jitter=0.02, split=0.1, merge=0.1, delete=0.05, insert=0.05, seed=0)
    noisy, t = timed(lambda: noise.segment_noise(seg, config, durations)[0])
    print(f"| `segment_noise` (all five operations) | {n:,} segments | {t:.1f} s |")
    _, t = timed(lambda: segscores.boundary_scores(seg, noisy))
    print(f"| `boundary_scores` (20 ms) | {n:,} vs {len(noisy):,} segments | {t:.1f} s |")
    _, t = timed(lambda: segscores.token_scores(seg, noisy))
    print(f"| `token_scores` (overlap labels included) | same | {t:.1f} s |")

    rng = np.random.default_rng(1)
    vocab = [f"word{k}" for k in range(30000)]
    p = 1 / np.arange(1, len(vocab) + 1)
    ids = rng.choice(len(vocab), size=args.tokens, p=p / p.sum())
    sentences = [[vocab[k] for k in ids[i:i + 25]] for i in range(0, args.tokens, 25)]
    tconf = noise.TextNoiseConfig(substitute=0.2, weighting=noise.Weighting.UNIGRAM, merge=0.05, split=0.05)
    _, t = timed(lambda: noise.text_noise(sentences, tconf))
    print(f"| `text_noise` (substitute, merge, split) | {args.tokens:,} tokens | {t:.1f} s |")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_segments(tmp / "segs.tsv", seg)
        write_corpus(tmp / "corpus.txt", sentences)
        cmd = [sys.executable, "-m", "spokenw2v", "segment-noise", str(tmp / "segs.tsv"), "--out", str(tmp / "sw"),
               "--split", "0,0.1,0.2", "--jitter", "0.02", "-q"]
        _, t = timed(lambda: subprocess.run(cmd, check=True))
        print(f"| `spokenw2v segment-noise --split 0,0.1,0.2 --jitter 0.02` (3 outputs, CLI start included) "
              f"| {n:,} segments | {t:.1f} s |")
        cmd = [sys.executable, "-m", "spokenw2v", "text-noise", str(tmp / "corpus.txt"), "--out", str(tmp / "tw"),
               "--substitute", "0,0.1,0.2,0.3,0.4", "-q"]
        _, t = timed(lambda: subprocess.run(cmd, check=True))
        print(f"| `spokenw2v text-noise --substitute 0,0.1,0.2,0.3,0.4` (5 outputs, CLI start included) "
              f"| {args.tokens:,} tokens | {t:.1f} s |")


if __name__ == "__main__":
    main()
