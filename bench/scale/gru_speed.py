"""Training-step speed of the CPU recurrence against nn.GRU at model scales s = 1..4.

Both paths train the same model (``spokenw2v``'s ``fast`` defaults for characters at each s)
on the same batches of a character stream of the embedded text; rounds alternate the two paths
(fused, nn.GRU, fused, ...) so both see the same machine load, and the speed-up is the median
over rounds of the per-round ratio of centre words per CPU second (and per wall second).  The
first step of every round is a warm-up and is not timed.

    OMP_WAIT_POLICY=PASSIVE python bench/scale/gru_speed.py [--scales 1 2 3 4] [--rounds 5] [--steps 8]
    OMP_WAIT_POLICY=PASSIVE python bench/scale/gru_speed.py --profile 3   # where the time goes at s = 3

``--against REV`` adds a third path: the fused recurrence of ``spokenw2v/models.py`` as it was at
git revision REV (e.g. ``main``), to measure a change of the recurrence in the same run.

``--profile S`` prints torch.profiler's table of operators (self CPU time) for a few fused
training steps at scale S.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from spokenw2v.config import TrainConfig  # noqa: E402
from spokenw2v.corpus import demo_corpus  # noqa: E402
from spokenw2v.data import EpochBatches, NoiseSampler, TokenStream, char_stream  # noqa: E402
from spokenw2v.io import tokenize  # noqa: E402
from spokenw2v.models import PadInvariantBiGRU, build_skipgram  # noqa: E402


def kjv_chars(words: int) -> TokenStream:
    """Characters of the first ``words`` words of the embedded text (what the study trains on)."""
    return char_stream([tokenize(line) for line in demo_corpus(words)])


REPO = Path(__file__).resolve().parents[2]


def bigru_at(rev: str) -> type:
    """The ``PadInvariantBiGRU`` class of ``spokenw2v/models.py`` at git revision ``rev``."""
    src = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:spokenw2v/models.py"], check=True,
                         capture_output=True, text=True).stdout
    name = "spokenw2v.models_at_" + "".join(c if c.isalnum() else "_" for c in rev)
    mod = types.ModuleType(name)
    mod.__package__ = "spokenw2v"
    sys.modules[name] = mod  # dataclasses look their module up
    exec(compile(src, f"{rev}:spokenw2v/models.py", "exec"), mod.__dict__)
    return mod.PadInvariantBiGRU


def set_path(model: torch.nn.Module, fused: bool, cls: type | None = None) -> None:
    """Every BiGRU of ``model`` on one path: the fused recurrence or nn.GRU over the padded
    tensor; with ``cls``, that class's implementation (same parameters)."""
    for m in model.modules():
        if isinstance(m, PadInvariantBiGRU):
            m.fused = fused
            if cls is not None:
                m.__class__ = cls


def timed_steps(stream: TokenStream, cfg: TrainConfig, fused: bool, steps: int, epoch: int,
                cls: type | None = None) -> tuple[float, float]:
    """(centre words per wall second, per CPU second) over ``steps`` training steps after one
    untimed step; batch building is part of the time."""
    torch.manual_seed(0)
    model = build_skipgram(cfg)
    set_path(model, fused, cls)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    sampler = NoiseSampler(stream.word_ids, len(stream.words), cfg.noise_power)
    it = iter(EpochBatches(stream, cfg, epoch, sampler))

    def step(batch):
        loss = model(batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step(next(it))
    words, t0, c0 = 0, time.perf_counter(), time.process_time()
    for _ in range(steps):
        batch = next(it)
        step(batch)
        words += batch.size
    return words / (time.perf_counter() - t0), words / (time.process_time() - c0)


def compare(stream: TokenStream, scales: list[int], rounds: int, steps: int, against: type | None = None):
    """Yield one row per scale: median words/s of each path and the median per-round speed-ups
    over nn.GRU (``rev_*``: the fused path of ``against``, when given)."""
    paths = {"fused": (True, None), "gru": (False, None)}
    if against is not None:
        paths["rev"] = (True, against)
    for s in scales:
        cfg = TrainConfig(vocab_size=stream.vocab_size, symbols="chars", scale=s).resolved()
        rate: dict[str, list[tuple[float, float]]] = {k: [] for k in paths}
        for r in range(rounds):
            names = list(paths) if r % 2 == 0 else list(reversed(paths))  # alternate the order
            for k in names:
                fused, cls = paths[k]
                rate[k].append(timed_steps(stream, cfg, fused, steps, epoch=1 + r, cls=cls))
        row = {"scale": s, "batch_tokens": cfg.batch_tokens}
        for k in paths:
            row[f"{k}_words_per_cpu_s"] = float(np.median([c for _, c in rate[k]]))
            if k != "gru":
                ratio_c = [a[1] / b[1] for a, b in zip(rate[k], rate["gru"])]
                row[f"{k}_speedup_cpu"] = float(np.median(ratio_c))
                row[f"{k}_speedup_cpu_min"], row[f"{k}_speedup_cpu_max"] = float(min(ratio_c)), float(max(ratio_c))
                row[f"{k}_speedup_wall"] = float(np.median([a[0] / b[0] for a, b in zip(rate[k], rate["gru"])]))
        yield row


def profile(stream: TokenStream, scale: int, steps: int, fused: bool = True) -> str:
    """torch.profiler's operator table (by self CPU time) of ``steps`` training steps."""
    from torch.profiler import ProfilerActivity, profile as torch_profile

    cfg = TrainConfig(vocab_size=stream.vocab_size, symbols="chars", scale=scale).resolved()
    torch.manual_seed(0)
    model = build_skipgram(cfg)
    set_path(model, fused)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    sampler = NoiseSampler(stream.word_ids, len(stream.words), cfg.noise_power)
    it = iter(EpochBatches(stream, cfg, 1, sampler))
    batches = [next(it) for _ in range(steps + 1)]

    def step(batch):
        loss = model(batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step(batches[0])
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        for b in batches[1:]:
            step(b)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", nargs="+", type=int, default=[1, 2, 3, 4])
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds per scale")
    ap.add_argument("--steps", type=int, default=8, help="timed steps per round and path")
    ap.add_argument("--words", type=int, default=30000, help="words of the embedded text")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--profile", type=int, default=None, metavar="S", help="profile the fused path at scale S")
    ap.add_argument("--profile-gru", action="store_true", help="with --profile: the nn.GRU path instead")
    ap.add_argument("--against", default=None, metavar="REV", help="also time the fused path of git revision REV")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    stream = kjv_chars(args.words)
    if args.profile is not None:
        print(profile(stream, args.profile, args.steps, fused=not args.profile_gru))
        return 0
    print(f"{len(stream)} tokens; torch threads {args.threads}; {args.rounds} rounds x {args.steps} steps")
    against = bigru_at(args.against) if args.against else None
    kinds = ["fused"] + (["rev"] if against is not None else [])
    label = {"fused": "fused", "rev": f"fused@{args.against}"}
    print("s\tbatch\tnn.GRU words/cpu-s\t" + "\t".join(
        f"{label[k]} words/cpu-s\t{label[k]} speed-up cpu (median [min, max])\t{label[k]} speed-up wall"
        for k in kinds))
    for r in compare(stream, args.scales, args.rounds, args.steps, against):
        cells = [f"{r[k + '_words_per_cpu_s']:.0f}\t{r[k + '_speedup_cpu']:.2f}x [{r[k + '_speedup_cpu_min']:.2f}, "
                 f"{r[k + '_speedup_cpu_max']:.2f}]\t{r[k + '_speedup_wall']:.2f}x" for k in kinds]
        print(f"{r['scale']}\t{r['batch_tokens']}\t{r['gru_words_per_cpu_s']:.0f}\t" + "\t".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
