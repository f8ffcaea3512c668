"""Training speed: centre words per second of the SGNS step, fast path vs a naive per-slot path.

The fast path is spokenw2v's own (contiguous spans, every distinct sequence encoded once per
step, shared negative pool, length buckets).  The naive path, written here, is the reference
design of the same model: for every centre word the encoder runs on 1 target, 2*window
contexts and ``negatives`` negatives, each slot its own sequence, padded into one batch.

    OMP_WAIT_POLICY=PASSIVE python bench/bench_train.py                # CPU, s = 1..4
    OMP_WAIT_POLICY=PASSIVE python bench/bench_train.py --device cuda  # GPU when present
    python bench/bench_train.py units-speed --units DEMO/units.npz --segments DEMO/speech/segments.tsv
    python bench/bench_train.py units-curves --units ... --segments ... --reference DEMO/runs/text/vectors.vec

Two data sets, generated here with a fixed seed: ``chars`` (a Zipfian word corpus; a
token's sequence is its word's characters, so distinct sequences = word types) and ``units``
(speech-like: every token's unit sequence is its type's pattern with random edits, so most
tokens have a sequence no other token shares).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spokenw2v.data import EpochBatches, NoiseSampler, TokenStream, char_stream, unit_stream  # noqa: E402
from spokenw2v.config import TrainConfig  # noqa: E402
from spokenw2v.models import build_skipgram  # noqa: E402


def zipf_words(n_tokens: int, n_types: int, seed: int) -> tuple[list[list[str]], np.ndarray]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = sorted({"".join(rng.choice(letters, size=rng.integers(2, 10))) for _ in range(n_types * 2)})[:n_types]
    p = 1.0 / np.arange(1, len(vocab) + 1)
    ids = rng.choice(len(vocab), size=n_tokens, p=p / p.sum())
    sentences = [[vocab[i] for i in ids[a: a + 15]] for a in range(0, n_tokens, 15)]
    return sentences, ids


def char_data(n_tokens: int) -> TokenStream:
    sentences, _ = zipf_words(n_tokens, 5000, 0)
    return char_stream(sentences)


def unit_data(n_tokens: int, k: int = 100) -> TokenStream:
    rng = np.random.default_rng(1)
    sentences, _ = zipf_words(n_tokens, 5000, 1)
    patterns: dict[str, np.ndarray] = {}
    seqs, words, utts = [], [], []
    for u, s in enumerate(sentences):
        for w in s:
            base = patterns.setdefault(w, rng.integers(0, k, size=max(2, int(len(w) * 1.5))))
            seq = base.copy()
            edits = rng.integers(0, len(seq), size=2)
            seq[edits] = rng.integers(0, k, size=2)  # speaker/context variation
            seqs.append(seq)
            words.append(w)
            utts.append(f"u{u}")
    return unit_stream(seqs, words, utts, k)


def fast_rate(stream: TokenStream, cfg: TrainConfig, device: torch.device, steps: int) -> float:
    torch.manual_seed(0)
    model = build_skipgram(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    sampler = NoiseSampler(stream.word_ids, len(stream.words), cfg.noise_power)
    it = iter(EpochBatches(stream, cfg, 1, sampler))
    amp = device.type == "cuda"

    def step(batch):
        batch = batch.to(device, non_blocking=amp)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
            loss = model(batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step(next(it))  # warm-up
    if amp:
        torch.cuda.synchronize()
    words, t0 = 0, time.perf_counter()
    for _ in range(steps):
        batch = next(it)  # batch building is part of the measured time
        step(batch)
        words += batch.size
    if amp:
        torch.cuda.synchronize()
    return words / (time.perf_counter() - t0)


def naive_rate(stream: TokenStream, cfg: TrainConfig, device: torch.device, steps: int, centres: int) -> float:
    """Per-slot reference design: 1 + 2w + K encodings per centre word, no sharing."""
    torch.manual_seed(0)
    model = build_skipgram(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    rng = np.random.default_rng(0)
    sampler = NoiseSampler(stream.word_ids, len(stream.words), cfg.noise_power)
    offsets = np.concatenate([np.arange(-cfg.window, 0), np.arange(1, cfg.window + 1)])
    amp = device.type == "cuda"
    lengths_all = stream.seq_lengths

    def padded(tokens: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        ids = stream.seq_ids[tokens]
        lens = lengths_all[ids]
        width = int(lens.max())
        pos = stream.seq_offsets[ids][:, None] + np.arange(width)[None]
        valid = np.arange(width)[None] < lens[:, None]
        tok = np.where(valid, stream.seq_values[np.minimum(pos, len(stream.seq_values) - 1)], 0)
        return torch.from_numpy(tok).to(device), torch.from_numpy(lens).to(device)

    def step():
        c = rng.integers(cfg.window, len(stream) - cfg.window, size=centres)
        ctx = (c[:, None] + offsets[None]).ravel()
        neg = sampler.sample(centres * cfg.negatives, rng)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
            t = model.target.encode(*padded(c)).float()  # (B, D)
            cv = model.context.encode(*padded(ctx)).float().view(centres, -1, t.shape[1])
            nv = model.context.encode(*padded(neg)).float().view(centres, -1, t.shape[1])
        pos = torch.einsum("bkd,bd->bk", cv, t)
        ngs = torch.einsum("bkd,bd->bk", nv, t)
        loss = (torch.nn.functional.softplus(-pos).sum(1) + torch.nn.functional.softplus(ngs).sum(1)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()
    if amp:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if amp:
        torch.cuda.synchronize()
    return centres * steps / (time.perf_counter() - t0)


def speech_stream(units: str, segments: str) -> TokenStream:
    """The token stream ``spokenw2v train e2e --segments SEGMENTS --units UNITS`` trains on."""
    from spokenw2v.frames import word_unit_sequences
    from spokenw2v.io import read_segments, read_units

    u = read_units(units)
    seg = read_segments(segments, require_words=True)
    seqs, kept = word_unit_sequences(u, seg, merge=True)
    return unit_stream(seqs, [seg.word[i] for i in kept], [seg.utt[i] for i in kept], u.k)


def force_gru_path(fused: bool) -> None:
    """Make every encoder run one implementation: ``fused`` (the CPU default) or nn.GRU over
    the padded tensor (the code before the fused recurrence, still the CUDA path)."""
    from spokenw2v.models import PadInvariantBiGRU

    PadInvariantBiGRU.use_fused = lambda self, device: fused


def unit_speed(args) -> None:
    """Centre words/s of the two GRU paths on real units, alternating rounds in one process."""
    stream = speech_stream(args.units, args.segments)
    torch.set_num_threads(args.threads)
    print(f"{args.units}: {len(stream)} tokens, {stream.n_sequences} distinct sequences, "
          f"{stream.seq_lengths[stream.seq_ids].mean():.2f} units per token; torch threads {args.threads}")
    variants = [("nn.GRU, padded (before)", False, 4), ("fused (after)", True, 4), ("fused, 1 bucket", True, 1),
                ("fused, 2 buckets", True, 2)]
    wall: dict[str, list[float]] = {v[0]: [] for v in variants}
    cpu: dict[str, list[float]] = {v[0]: [] for v in variants}
    for _ in range(args.rounds):
        for name, fused, buckets in variants:
            force_gru_path(fused)
            cfg = TrainConfig(vocab_size=stream.vocab_size, symbols="units", length_buckets=buckets).resolved()
            torch.manual_seed(0)
            model = build_skipgram(cfg)
            opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
            sampler = NoiseSampler(stream.word_ids, len(stream.words), cfg.noise_power)
            it = iter(EpochBatches(stream, cfg, 1, sampler))
            words, t0, c0 = 0, time.perf_counter(), time.process_time()
            for _ in range(args.steps):
                batch = next(it)  # batch building is part of the measured time
                loss = model(batch)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                words += batch.size
            wall[name].append(words / (time.perf_counter() - t0))
            cpu[name].append(words / (time.process_time() - c0))
    base_w, base_c = np.median(wall[variants[0][0]]), np.median(cpu[variants[0][0]])
    print("path\tbuckets\tcentre_words_per_s_wall\tper_cpu_s\tspeed-up wall\tspeed-up cpu")
    for name, _, buckets in variants:
        w, c = np.median(wall[name]), np.median(cpu[name])
        print(f"{name}\t{buckets}\t{w:.0f}\t{c:.0f}\t{w / base_w:.2f}x\t{c / base_c:.2f}x")


def unit_curves(args) -> None:
    """Per-epoch loss, A and B of both GRU paths (same seed, same batches)."""
    from spokenw2v.io import read_vectors
    from spokenw2v.monitor import Evaluator
    from spokenw2v.train import NeuralTrainer
    import tempfile

    stream = speech_stream(args.units, args.segments)
    torch.set_num_threads(args.threads)
    evaluator = Evaluator.build(read_vectors(args.reference), stream.sentences(), seed=0)
    rows = {}
    for name, fused in (("fused", True), ("nn.GRU", False)):
        force_gru_path(fused)
        cfg = TrainConfig(vocab_size=stream.vocab_size, symbols="units", epochs=args.epochs)
        with tempfile.TemporaryDirectory() as tmp:
            rows[name] = NeuralTrainer(stream, cfg, torch.device("cpu"), tmp, evaluator=evaluator).run().rows
        print(f"{name} done", flush=True)
    print("epoch\tloss fused\tloss nn.GRU\tA fused\tA nn.GRU\tB fused\tB nn.GRU\twords/s fused\twords/s nn.GRU")
    for a, b in zip(rows["fused"], rows["nn.GRU"]):
        def f(r, k):
            return "" if r[k] == "" else f"{float(r[k]):.3f}" if k != "examples_per_s" else f"{float(r[k]):.0f}"
        print("\t".join([str(a["epoch"])] + [f(r, k) for k in ("loss", "A", "B", "examples_per_s") for r in (a, b)]))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("units-speed", "units-curves"):
        ap = argparse.ArgumentParser(description="GRU paths on real speech units (a demo run's files)")
        ap.add_argument("mode")
        ap.add_argument("--units", required=True, help="units NPZ (e.g. DEMO/units.npz)")
        ap.add_argument("--segments", required=True, help="word segments (e.g. DEMO/speech/segments.tsv)")
        ap.add_argument("--reference", help="reference vectors (units-curves)")
        ap.add_argument("--threads", type=int, default=1)
        ap.add_argument("--rounds", type=int, default=3)
        ap.add_argument("--steps", type=int, default=8)
        ap.add_argument("--epochs", type=int, default=10)
        args = ap.parse_args()
        (unit_speed if args.mode == "units-speed" else unit_curves)(args)
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--scales", default="1,2,3,4")
    ap.add_argument("--tokens", type=int, default=30000)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch-tokens", type=int, default=None, help="default 512 on CPU, 4096 on CUDA")
    ap.add_argument("--length-buckets", type=int, default=None, help="default: the training default")
    ap.add_argument("--naive-centres", type=int, default=None, help="default 16 on CPU, 256 on CUDA")
    ap.add_argument("--data", default="chars,units")
    args = ap.parse_args()
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    batch = args.batch_tokens or (4096 if cuda else 512)
    naive_centres = args.naive_centres or (256 if cuda else 16)
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, batch {batch} centre "
          f"words (pool {batch}), naive batch {naive_centres} centre words, length buckets "
          f"{args.length_buckets or TrainConfig().length_buckets}")
    print("data\ts\tdistinct/tokens\tfast_words_per_s\tnaive_words_per_s\tspeed-up")
    for name in args.data.split(","):
        stream = char_data(args.tokens) if name == "chars" else unit_data(args.tokens)
        for s in (int(x) for x in args.scales.split(",")):
            more = {"length_buckets": args.length_buckets} if args.length_buckets else {}
            cfg = TrainConfig(vocab_size=stream.vocab_size, symbols=stream.symbols, scale=s, batch_tokens=batch,
                              pool_size=batch, subsample=0.0, **more).resolved()
            fast = fast_rate(stream, cfg, device, args.steps)
            naive = naive_rate(stream, cfg, device, max(1, args.steps // 2), naive_centres)
            ratio = stream.n_sequences / len(stream)
            print(f"{name}\t{s}\t{ratio:.2f}\t{fast:.0f}\t{naive:.0f}\t{fast / naive:.1f}x", flush=True)


if __name__ == "__main__":
    main()
