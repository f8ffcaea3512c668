"""Training speed: centre words per second of the SGNS step, fast path vs a naive per-slot path.

The fast path is spokenw2v's own (contiguous spans, every distinct sequence encoded once per
step, shared negative pool, length buckets).  The naive path, written here, is the reference
design of the same model: for every centre word the encoder runs on 1 target, 2*window
contexts and ``negatives`` negatives, each slot its own sequence, padded into one batch.

    OMP_WAIT_POLICY=PASSIVE python bench/bench_train.py                # CPU, s = 1..4
    OMP_WAIT_POLICY=PASSIVE python bench/bench_train.py --device cuda  # GPU when present

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
from spokenw2v.models import TrainConfig, build_skipgram  # noqa: E402


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


def main() -> None:
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
