"""Time to meaning: wall and CPU time until an e2e model reaches a target quality.

The anchor is MLPerf's *time to train*: not words per second, but the time until the model is
good enough.  Here: test-split A_partial (metric A with spelling and word frequency partialled
out) of ``train e2e`` on a demo run's one-voice MFCC units (target 0.40) and on its characters
(target 0.50), against the demo's text reference and the test set ``train`` itself draws
(seed 0).  Settings are compared side by side in one process (the seeds interleaved, so both
see the same machine load), each run stopping at the first epoch whose test A_partial reaches
the target or at its epoch budget.

Time is counted two ways, both from the first training step: ``train`` is the wall (and CPU)
time of the training steps alone; ``total`` adds the per-epoch metrics (every word type's
vector, metrics on both halves of the test set) and the checkpoints, as ``spokenw2v train``
spends them with ``--reference``.  CPU time is the process's (user + system) and is steadier
than wall time on a shared machine.

    OMP_WAIT_POLICY=PASSIVE python bench/time_to_meaning.py --demo DEMO_DIR
    python bench/time_to_meaning.py --demo DEMO_DIR --data units --seeds 0 --settings new \\
        --set lr=0.01 --set epochs=20 --full        # one ad-hoc variant, whole curve

``DEMO_DIR`` is a finished ``spokenw2v demo`` directory, or one holding at least
``speech/segments.tsv``, ``speech/corpus.txt``, ``units.npz`` and ``runs/text/vectors.vec``.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spokenw2v.config import TrainConfig  # noqa: E402
from spokenw2v.data import TokenStream, char_stream, unit_stream  # noqa: E402
from spokenw2v.monitor import Evaluator  # noqa: E402
from spokenw2v.train import Hooks, NeuralTrainer  # noqa: E402

#: Targets on the test split (A_partial).
TARGETS = {"units": 0.40, "chars": 0.50}

#: The settings before this benchmark (the ``fast`` preset and the demo's 45 epochs), spelled
#: out so that they stay fixed whatever the defaults become.
OLD = dict(preset="fast", lr=5e-3, warmup=100, subsample=1e-3, noise_power=0.75, batch_tokens=512,
           pool_size=512, negatives=50, window=5, epochs=45, lr_schedule="constant")

#: Larger steps: 2048 centre words (and a 2048-token negative pool) at twice the rate, a
#: 25-step warm-up.  A step's fixed cost (the recurrence's per-time-step work) is shared by 4
#: times as many words.  Since 2026-12-02 the ``fast`` preset on characters at s = 1 (``new``
#: there); on units it learned less per epoch.
LARGE = dict(preset="fast", lr=1e-2, warmup=25, subsample=1e-3, noise_power=0.75, batch_tokens=2048,
             pool_size=2048, negatives=50, window=5, epochs=60, lr_schedule="constant")

SETTINGS: dict[str, dict] = {
    "old": OLD,  # run with the recurrence as it was: one call per length bucket
    "old-merged": OLD,  # the same settings with the buckets merged into one call (the current code)
    "large": LARGE,
    "new": {},  # the current defaults of ``train e2e`` (the ``fast`` preset)
}


def per_bucket_recurrence(enabled: bool) -> None:
    """Run every length bucket as its own recurrence call (the code before the buckets were
    merged; the same function, more Python steps), or restore the current behaviour."""
    from spokenw2v import models

    if not hasattr(models.SequenceEncoder, "_merged_forward"):
        models.SequenceEncoder._merged_forward = models.SequenceEncoder.forward
    if enabled:
        models.SequenceEncoder.forward = lambda self, plan: torch.cat(
            [self.encode(t, n) for t, n in plan.buckets], dim=0)
    else:
        models.SequenceEncoder.forward = models.SequenceEncoder._merged_forward


@dataclass
class Clock:
    """Wall and CPU seconds spent outside the training steps (metrics, checkpoints)."""

    wall: float = 0.0
    cpu: float = 0.0
    t: tuple = field(default_factory=tuple)

    def start(self):
        self.t = (time.perf_counter(), time.process_time())

    def stop(self):
        self.wall += time.perf_counter() - self.t[0]
        self.cpu += time.process_time() - self.t[1]


class Reached(Exception):
    pass


class TimedTrainer(NeuralTrainer):
    """The library's trainer with the time of the per-epoch metrics measured apart."""

    clock: Clock

    def type_vectors(self, words=None):
        self.clock.start()
        try:
            return super().type_vectors(words)
        finally:
            self.clock.stop()


def load(demo: Path, data: str) -> tuple[TokenStream, Evaluator]:
    from spokenw2v.frames import word_unit_sequences
    from spokenw2v.io import read_corpus, read_segments, read_units, read_vectors

    ref = read_vectors(demo / "runs" / "text" / "vectors.vec")
    if data == "units":
        seg = read_segments(demo / "speech" / "segments.tsv", require_words=True)
        u = read_units(demo / "units.npz")
        seqs, kept = word_unit_sequences(u, seg, merge=True)
        stream = unit_stream(seqs, [seg.word[i] for i in kept], [seg.utt[i] for i in kept], u.k)
        sentences = [[seg.word[i] for i in rows] for rows in seg.by_utterance().values()]
    else:
        sentences = read_corpus(demo / "speech" / "corpus.txt")
        stream = char_stream(sentences)
    return stream, Evaluator.build(ref, sentences, seed=0)


def run_one(stream: TokenStream, evaluator: Evaluator, overrides: dict, seed: int, target: float,
            full: bool, live: bool = True) -> dict:
    """Train until test A_partial >= ``target`` (or the epoch budget); the per-epoch curve."""
    values = dict(overrides)
    cfg = TrainConfig(kind="e2e", symbols=stream.symbols, vocab_size=stream.vocab_size, seed=seed,
                      **values).resolved()
    clock = Clock()
    curve: list[dict] = []
    state = {"reached": None}
    t0, c0 = time.perf_counter(), time.process_time()

    def metrics(vectors):
        clock.start()
        try:
            return evaluator(vectors)
        finally:
            clock.stop()

    metrics.words = evaluator.words  # the trainer encodes only the test words per epoch

    def on_epoch(row: dict) -> None:
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if row["epoch"] == 0:  # the starting point is not training time
            clock.wall, clock.cpu = wall, cpu
        point = {"epoch": row["epoch"], "loss": row["loss"], "A": row["A"], "A_partial": row["A_partial"],
                 "dev_A_partial": row["dev_A_partial"], "B": row["B"], "wall": wall - clock.wall,
                 "cpu": cpu - clock.cpu, "total_wall": wall, "total_cpu": cpu}
        curve.append(point)
        if live:
            print("\t".join([str(point["epoch"]), fmt(point["loss"]), fmt(point["A"]), fmt(point["A_partial"]),
                             fmt(point["dev_A_partial"]), fmt(point["B"]), fmt(point["wall"], ".1f"),
                             fmt(point["cpu"], ".1f"), fmt(wall, ".1f"), fmt(cpu, ".1f")]), flush=True)
        if state["reached"] is None and row["epoch"] > 0 and float(row["A_partial"]) >= target:
            state["reached"] = point
            if not full:
                raise Reached
        clock.start()  # the checkpoint written after this hook counts as overhead

    with tempfile.TemporaryDirectory() as tmp:
        trainer = TimedTrainer(stream, cfg, torch.device("cpu"), tmp, evaluator=metrics,
                               hooks=Hooks(on_epoch=on_epoch))
        trainer.clock = clock
        original = trainer._train_epoch

        def train_epoch(*args, **kwargs):
            clock.stop()  # the previous epoch's checkpoint ends here
            return original(*args, **kwargs)

        trainer._train_epoch = train_epoch
        try:
            trainer.run()
        except Reached:
            pass
    return {"curve": curve, "reached": state["reached"], "epochs": cfg.epochs, "config": cfg}


def fmt(x, spec=".3f") -> str:
    return "" if x in ("", None) or (isinstance(x, float) and math.isnan(x)) else format(float(x), spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demo", type=Path, required=True, help="a demo run directory")
    ap.add_argument("--data", default="units,chars")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--settings", default="old,new")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a TrainConfig field in every setting but 'old' (exploration)")
    ap.add_argument("--full", action="store_true", help="run every epoch (the whole curve), not only to the target")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    extra = {}
    for item in args.set:
        key, value = item.split("=", 1)
        default = getattr(TrainConfig(), key)
        extra[key] = type(default)(value) if default is not None and not isinstance(default, bool) else \
            (value if key in ("lr_schedule",) else float(value) if "." in value or "e" in value else int(value))
    names = args.settings.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; settings: "
          + "; ".join(f"{n} = {SETTINGS[n] if n.startswith('old') else {**SETTINGS[n], **extra} or 'the defaults'}"
                      for n in names), flush=True)
    summary = []
    for data in args.data.split(","):
        stream, evaluator = load(args.demo, data)
        target = TARGETS[data]
        print(f"\n## {data}: {len(stream)} tokens, {stream.n_sequences} distinct sequences, target test "
              f"A_partial >= {target}", flush=True)
        for seed in seeds:
            for name in names:
                overrides = dict(SETTINGS[name]) if name.startswith("old") else {**SETTINGS[name], **extra}
                c = TrainConfig(kind="e2e", symbols=stream.symbols, vocab_size=stream.vocab_size, seed=seed,
                                **overrides).resolved()
                print(f"\n{data} {name} seed {seed} (lr {c.lr}, warm-up {c.warmup}, schedule {c.lr_schedule}, "
                      f"batch {c.batch_tokens}, pool {c.pool_size}, negatives {c.negatives}, subsample "
                      f"{c.subsample}, epochs {c.epochs})")
                print("epoch\tloss\tA\tA_partial\tdev_A_partial\tB\ttrain_wall_s\ttrain_cpu_s\ttotal_wall_s\t"
                      "total_cpu_s", flush=True)
                per_bucket_recurrence(name == "old")
                result = run_one(stream, evaluator, overrides, seed, target, args.full)
                summary.append((data, name, seed, result))
    print("\n## time to target (first epoch with test A_partial >= target)")
    print("data\tsetting\tseed\tepoch\ttest A_partial\ttrain wall s\ttrain CPU s\ttotal wall s\ttotal CPU s")
    for data, name, seed, result in summary:
        r = result["reached"]
        if r is None:
            last = result["curve"][-1]
            print(f"{data}\t{name}\t{seed}\tnot reached in {result['epochs']} (last {fmt(last['A_partial'])})"
                  f"\t\t>{fmt(last['wall'], '.1f')}\t>{fmt(last['cpu'], '.1f')}\t>{fmt(last['total_wall'], '.1f')}"
                  f"\t>{fmt(last['total_cpu'], '.1f')}")
        else:
            print(f"{data}\t{name}\t{seed}\t{r['epoch']}\t{fmt(r['A_partial'])}\t{fmt(r['wall'], '.1f')}\t"
                  f"{fmt(r['cpu'], '.1f')}\t{fmt(r['total_wall'], '.1f')}\t{fmt(r['total_cpu'], '.1f')}")
    if "old" in names and len(names) > 1:
        print("\n## ratios old / other (medians over seeds; reached runs only)")
        for data in args.data.split(","):
            for name in names:
                if name == "old":
                    continue
                for key in ("wall", "cpu", "total_wall", "total_cpu"):
                    pairs = [(o[3]["reached"][key], n[3]["reached"][key]) for o in summary for n in summary
                             if o[0] == n[0] == data and o[1] == "old" and n[1] == name and o[2] == n[2]
                             and o[3]["reached"] and n[3]["reached"]]
                    if pairs:
                        ratios = [a / b for a, b in pairs]
                        print(f"{data}\t{name}\t{key}\t{np.median(ratios):.2f}x (seeds: "
                              f"{', '.join(f'{r:.2f}' for r in ratios)})")


if __name__ == "__main__":
    main()
