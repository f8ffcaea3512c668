"""The textless ladder (bench/RESULTS.md, "Meaning without a transcript"): unit models trained
on gold or found word boundaries, with word types from the labels or from the unit sequences
alone, all scored the same way: token vectors -> ``label-vectors`` (each token takes the gold
word it overlaps most) -> ``evaluate`` beside the null rows.

    python bench/textless/ladder.py units DIR AUDIO.tsv            # MFCC + k-means units, no transcript
    python bench/textless/ladder.py run DIR --units U.npz --gold SEGS.tsv --text TEXT.txt \\
        --condition gold-seq:e2e:SEGS.tsv:sequences:0,1,2 --condition gold-lab:e2e:SEGS.tsv:labels:0

A condition is ``NAME:KIND:SEGMENTS:TYPES:SEEDS`` (``train`` KIND on SEGMENTS with --units,
``--types TYPES``, one run per seed).  Runs that finished are kept; each writes
``DIR/runs/NAME-sSEED/`` and its token vectors; ``DIR/eval/NAME-seedSEED.vec`` are the gold-word
vectors, and ``DIR/results.tsv`` the evaluation (seed groups, nulls, intervals).  The text
reference is ``DIR/runs/text`` (trained on TEXT).  One thread per command; run it under ``nice``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Condition:
    name: str
    kind: str  # e2e | two-stage
    segments: Path
    types: str  # labels | clusters | sequences
    seeds: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> "Condition":
        name, kind, segments, types, seeds = text.split(":")
        return cls(name, kind, Path(segments), types, tuple(int(s) for s in seeds.split(",")))


def spokenw2v(*args: object) -> None:
    """Run one ``spokenw2v`` command (one thread), stopping on failure."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    subprocess.run(["spokenw2v", *map(str, args)], check=True, env=env)


def make_units(out: Path, audio: Path, seed: int = 0, k: int = 100) -> Path:
    """MFCC (20 ms hop) and a k-means codebook fitted on every frame (no word boundaries read)."""
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "mfcc").exists():
        spokenw2v("featurize", audio, "--out", out / "mfcc", "--feature", "mfcc", "--hop-ms", 20, "--device", "cpu", "-q")
    units = out / "units.npz"
    if not units.exists():
        spokenw2v("discretize", out / "mfcc", "--out", units, "--codebook", out / "codebook.npz", "--k", k,
                  "--seed", seed, "--device", "cpu", "-q")
    return units


def train_run(out: Path, cond: Condition, seed: int, units: Path, epochs: int, ae_epochs: int) -> Path:
    """Train one seed of a condition (kept when it finished); returns its token vectors."""
    run, tokens = out / "runs" / f"{cond.name}-s{seed}", out / "runs" / f"{cond.name}-s{seed}.tv.npz"
    if not ((run / "vectors.vec").exists() and tokens.exists()):
        extra = ["--ae-epochs", ae_epochs] if cond.kind == "two-stage" else []
        spokenw2v("train", cond.kind, "--segments", cond.segments, "--units", units, "--types", cond.types,
                  "--out", run, "--epochs", epochs, "--seed", seed, "--device", "cpu", "--token-vectors", tokens,
                  *extra, "-q")
    return tokens


def gold_vectors(out: Path, cond: Condition, seed: int, tokens: Path, gold: Path) -> Path:
    """The run's token vectors averaged by the gold word each token overlaps most."""
    vec = out / "eval" / f"{cond.name}-seed{seed}.vec"
    vec.parent.mkdir(parents=True, exist_ok=True)
    spokenw2v("label-vectors", tokens, "--gold", gold, "--out", vec, "-q")
    return vec


def run_ladder(out: Path, conditions: list[Condition], units: Path, gold: Path, text: Path,
               epochs: int = 45, ae_epochs: int = 5) -> Path:
    """Train every condition and seed, then evaluate all of them together."""
    reference = out / "runs" / "text" / "vectors.vec"
    if not reference.exists():
        spokenw2v("train", "text", "--corpus", text, "--out", reference.parent, "--seed", 0, "-q")
    vecs = []
    for cond in conditions:
        for seed in cond.seeds:
            vecs.append(gold_vectors(out, cond, seed, train_run(out, cond, seed, units, epochs, ae_epochs), gold))
    spokenw2v("evaluate", *vecs, "--reference", reference, "--corpus", text, "--seed", 0, "--no-benchmarks",
              "--tsv", out / "results.tsv", "--json", out / "results.json")
    return out / "results.tsv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    u = sub.add_parser("units", help="MFCC + k-means units of AUDIO (no transcript)")
    u.add_argument("dir", type=Path)
    u.add_argument("audio", type=Path)
    u.add_argument("--seed", type=int, default=0)
    r = sub.add_parser("run", help="train, label and evaluate the conditions")
    r.add_argument("dir", type=Path)
    r.add_argument("--units", type=Path, required=True)
    r.add_argument("--gold", type=Path, required=True, help="gold word segments (evaluation only)")
    r.add_argument("--text", type=Path, required=True, help="the transcript text (reference model, test words)")
    r.add_argument("--condition", action="append", type=Condition.parse, required=True)
    r.add_argument("--epochs", type=int, default=45)
    r.add_argument("--ae-epochs", type=int, default=5)
    args = parser.parse_args(argv)
    if args.command == "units":
        print(make_units(args.dir, args.audio, args.seed))
    else:
        print(run_ladder(args.dir, args.condition, args.units, args.gold, args.text, args.epochs, args.ae_epochs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
