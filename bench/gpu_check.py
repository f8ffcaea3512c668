"""The GPU check: CUDA tests and the GPU speed figures in one command, each step on its own budget.

    bash bench/gpu_check.sh                       # on the GPU machine (installs bench/wheels first)
    python bench/gpu_check.py check --out DIR     # the same without the install
    python bench/gpu_check.py check --dry-run     # tiny sizes on the CPU (what the tests run)
    python bench/gpu_check.py scale --data DIR    # the science run at scale (see bench/GPU.md)
    python bench/gpu_check.py prepare --words N --out DIR   # its corpus, on the CPU beforehand

``check`` runs every step in its own subprocess with its own time limit (a crash, a hung kernel
or a failed test in one step never stops the others) and writes ``results.json`` (every figure
with its unit, target and device), ``results.md`` (the same as a table) and ``gpu_check.log``
(every step's output) to ``--out`` (default ``$OUT``, else ``bench/out/gpu-check``).  Steps:

- ``env``: device, driver, torch/CUDA/Python versions, packages.
- ``cuda-tests``: ``pytest -m cuda`` (the tests marked ``requires_cuda``).
- ``train``: centre words per second of the e2e training step at s = 1 and s = 4 on a unit
  corpus generated here from random data (Zipfian word types of 2-12 letters, each type a unit
  pattern of about 6 + 2.8 units per letter, every token its type's pattern with seeded
  per-token unit edits and length changes; the realised units per token and sequences per
  type are recorded; on 30k tokens it has 14.5 units per token, 4.9 sequences per type and
  15.8k distinct sequences, near the demo's MFCC units: 14.6, 4.3-8.1 and 17.6k), comparing
  the product's path (bf16 autocast, GRUs in float32) with bf16 and fp16 GRUs (fp16 with a
  GradScaler; a benchmark-only switch, the product is unchanged).  Targets (H100): >= 50,000 centre
  words/s at s = 1, >= 8,000 at s = 4.
- ``featurize``: HuBERT-base (randomly initialised ``HubertConfig()``, layer 6) in fp16 batches,
  model alone and through ``featurize_corpus``, in x real time.  Target >= 1000x.
- ``kmeans``: CUDA k-means fit on 1M x 768 frames, k = 100 (target <= 5 s), then codebook
  fit + apply on feature shards of growing size while the budget lasts.
- ``quick-tests``: the fast part of the suite (``-m "not slow and not cuda"``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

#: step -> seconds it may take on the GPU machine (the whole check: about 7.5 minutes at most)
BUDGETS = {"env": 30, "cuda-tests": 100, "train": 110, "featurize": 60, "kmeans": 90, "quick-tests": 120}
DRY_BUDGETS = {"env": 30, "cuda-tests": 60, "train": 60, "featurize": 60, "kmeans": 60, "quick-tests": 60}
TARGETS = {  # figure name -> (comparison, value)
    "train_s1_words_per_s": (">=", 50_000),
    "train_s4_words_per_s": (">=", 8_000),
    "hubert_model_x_real_time": (">=", 1000),
    "hubert_featurize_corpus_x_real_time": (">=", 1000),
    "kmeans_fit_1M_x_768_k100_s": ("<=", 5.0),
}


# --------------------------------------------------------------------------- helpers


def device_name(torch) -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def sync(torch, device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


class Step:
    """What one step records: figures (name, value, unit, note) and free-form details, saved to
    ``part`` (JSON) after every figure, so a step killed at its time limit keeps its figures."""

    def __init__(self, name: str, dry_run: bool, budget: float, part: Path | None = None):
        self.name = name
        self.dry_run = dry_run
        self.budget = budget
        self.part = part
        self.t0 = time.perf_counter()
        self.figures: list[dict] = []
        self.details: dict = {}

    def save(self, status: str = "running", error: str = "") -> None:
        if self.part is None:
            return
        record = {"step": self.name, "status": status, "error": error,
                  "seconds": round(time.perf_counter() - self.t0, 1), "figures": self.figures, "details": self.details}
        tmp = self.part.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1, default=str))
        tmp.replace(self.part)

    def left(self) -> float:
        return self.budget - (time.perf_counter() - self.t0)

    def figure(self, name: str, value: float, unit: str, note: str = "") -> None:
        row = {"name": name, "value": float(value), "unit": unit, "note": note}
        if name in TARGETS and not self.dry_run:  # tiny CPU sizes say nothing about the targets
            op, target = TARGETS[name]
            row["target"] = f"{op} {target:g}"
            row["met"] = bool(value >= target if op == ">=" else value <= target)
        self.figures.append(row)
        self.save()
        met = "" if "met" not in row else f" (target {row['target']}: {'met' if row['met'] else 'MISSED'})"
        print(f"[{self.name}] {name} = {value:.4g} {unit}{met}{'  ' + note if note else ''}", flush=True)


# --------------------------------------------------------------------------- steps


def step_env(st: Step, work: Path) -> None:
    import importlib.metadata as md

    import torch

    st.details["python"] = sys.version.split()[0]
    st.details["torch"] = torch.__version__
    st.details["cuda"] = torch.version.cuda
    st.details["cuda_available"] = torch.cuda.is_available()
    st.details["device"] = device_name(torch)
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        st.details.update(capability=f"{p.major}.{p.minor}", memory_gib=round(p.total_memory / 2**30, 1),
                          multiprocessors=p.multi_processor_count,
                          bf16=torch.cuda.is_bf16_supported(including_emulation=False),
                          cudnn=torch.backends.cudnn.version())
    versions = {}
    for pkg in ("numpy", "scipy", "scikit-learn", "transformers", "typer", "rich", "matplotlib", "gensim",
                "soundfile", "rapidfuzz", "smart_open", "pytest", "pytest-xdist", "spokenw2v"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    st.details["packages"] = versions
    missing = [p for p in ("gensim", "soundfile", "rapidfuzz") if versions[p] is None]
    if shutil.which("nvidia-smi"):
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm",
                              "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
        st.details["nvidia_smi"] = out.stdout.strip()
    print(json.dumps(st.details, indent=1))
    if missing:
        raise RuntimeError(f"packages missing (copy them over as wheels, see bench/GPU.md): {', '.join(missing)}")


def _pytest(st: Step, args: list[str]) -> None:
    """Run pytest in a child process; record passed/failed/skipped counts from its JUnit XML."""
    import xml.etree.ElementTree as ET

    junit = Path(tempfile.mkdtemp(prefix="gpu-check-junit-")) / "junit.xml"
    cmd = [sys.executable, "-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider", f"--junitxml={junit}", *args]
    print("$ " + " ".join(cmd), flush=True)
    rc = subprocess.call(cmd, cwd=REPO)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    failed: list[str] = []
    if junit.exists():
        root = ET.parse(junit).getroot()
        for suite in root.iter("testsuite"):
            for key in counts:
                counts[key] += int(suite.get(key, 0))
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(f"{case.get('classname')}::{case.get('name')}")
        shutil.rmtree(junit.parent, ignore_errors=True)
    passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    st.details.update(counts, passed=passed, failed_tests=failed, pytest_exit=rc)
    st.figure("passed", passed, "tests")
    st.figure("failed", counts["failures"] + counts["errors"], "tests")
    st.figure("skipped", counts["skipped"], "tests")
    if rc not in (0, 5):  # 5 = nothing collected
        raise RuntimeError(f"pytest exited with {rc}: {len(failed)} failed")


def step_cuda_tests(st: Step, work: Path) -> None:
    _pytest(st, ["-m", "cuda", "tests"])


def step_quick_tests(st: Step, work: Path) -> None:
    if st.dry_run:  # one small file: the dry run checks the mechanics, not the suite
        _pytest(st, ["tests/test_io.py"])
        return
    args = ["-m", "not slow and not cuda", "--ignore=tests/test_gpu_check.py", "-x"]
    try:
        import xdist  # noqa: F401

        args += ["-n", str(min(8, os.cpu_count() or 1))]
    except ImportError:
        pass
    _pytest(st, [*args, "tests"])


# -- train ---------------------------------------------------------------------------------------


def unit_corpus(n_tokens: int, seed: int = 0, k: int = 100):
    """A speech-like unit corpus: (sequences, words, utts).

    Word types: 4000 random letter strings of 2-12 letters (short types more frequent), token
    frequencies Zipfian (exponent 1).  Each type has a base unit pattern of about 3.5 units
    letter plus 6 (consecutive duplicates removed).  Each token copies its type's pattern, then
    with a seeded per-token draw keeps it unchanged (p 0.55) or changes 1-2 units and may drop
    or insert one, so frequent types have several distinct sequences, as real units do.
    Utterances of 8-25 tokens.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    n_types = 4000
    letters = rng.integers(2, 13, size=n_types)
    letters = np.sort(letters)  # rank 1 = shortest: frequent words are short
    patterns = []
    for n in letters:
        m = max(3, int(round(6 + n * 2.8 + rng.normal(0, 2))))
        p = rng.integers(0, k, size=m)
        keep = np.concatenate([[True], p[1:] != p[:-1]])
        patterns.append(p[keep])
    ranks = np.arange(1, n_types + 1)
    prob = 1.0 / ranks
    ids = rng.choice(n_types, size=n_tokens, p=prob / prob.sum())
    sequences, words, utts = [], [], []
    u, left = 0, int(rng.integers(8, 26))
    edits = rng.random(n_tokens)
    for i, t in enumerate(ids):
        seq = patterns[t].copy()
        if edits[i] >= 0.55:
            j = rng.integers(0, len(seq), size=int(rng.integers(1, 3)))
            seq[j] = rng.integers(0, k, size=len(j))
            r = rng.random()
            if r < 0.2 and len(seq) > 2:
                seq = np.delete(seq, rng.integers(0, len(seq)))
            elif r < 0.4:
                c = int(rng.integers(0, len(seq)))
                seq = np.insert(seq, c, rng.integers(0, k))
        sequences.append(seq)
        words.append(f"w{t}")
        utts.append(f"u{u}")
        left -= 1
        if left == 0:
            u, left = u + 1, int(rng.integers(8, 26))
    return sequences, words, utts


class _GRUPrecision:
    """Benchmark-only switch: let the GRUs follow autocast instead of the product's float32 rule."""

    def __init__(self, follow_autocast: bool):
        self.follow = follow_autocast

    def __enter__(self):
        from spokenw2v.models import PadInvariantBiGRU

        self.saved = PadInvariantBiGRU.forward
        if self.follow:
            PadInvariantBiGRU.forward = lambda m, x, lengths, all_steps=False: m._forward(x, lengths, all_steps)
        return self

    def __exit__(self, *exc):
        from spokenw2v.models import PadInvariantBiGRU

        PadInvariantBiGRU.forward = self.saved


#: variant -> (autocast dtype name, GRUs follow autocast, GradScaler)
VARIANTS = {
    "gru-fp32 (product)": ("bfloat16", False, False),
    "gru-bf16": ("bfloat16", True, False),
    "gru-fp16+scaler": ("float16", True, True),
}


def train_variant(stream, cfg, device, variant: str, steps: int, warmup: int, seconds: float) -> dict:
    """Time the e2e training step the way the trainer runs it (prefetched pinned batches, autocast,
    AdamW, gradient clipping) under ``variant``; the same seed and batches for every variant."""
    import numpy as np
    import torch

    from spokenw2v.data import EpochBatches, NoiseSampler
    from spokenw2v.models import build_skipgram
    from spokenw2v.train import prefetch

    dtype_name, follow, use_scaler = VARIANTS[variant]
    dtype = getattr(torch, dtype_name)
    amp = device.type == "cuda" or dtype == torch.bfloat16  # CPU autocast: bf16 only in the dry run
    torch.manual_seed(cfg.seed)
    model = build_skipgram(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    scaler = torch.amp.GradScaler(device.type, enabled=use_scaler and device.type == "cuda")
    sampler = NoiseSampler(stream.word_ids, len(stream.words), cfg.noise_power)
    batches = EpochBatches(stream, cfg, 0, sampler)
    source = iter(batches)
    if device.type == "cuda":
        source = prefetch((b.pin_memory() for b in batches), depth=4)
    gru_dtypes: set = set()
    hook = model.target.gru.forward_layers[0].register_forward_hook(
        lambda m, i, o: gru_dtypes.add(str(o[0].dtype).replace("torch.", "")))
    losses: list[float] = []
    words = 0
    t0 = None
    n = 0
    with _GRUPrecision(follow):
        for n, batch in enumerate(source):
            if n == warmup:
                sync(torch, device)
                t0 = time.perf_counter()
            batch = batch.to(device, non_blocking=device.type == "cuda")
            with torch.autocast(device_type=device.type, dtype=dtype, enabled=amp):
                loss = model(batch)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if cfg.grad_clip > 0:  # as the trainer does
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            scaler.step(opt)
            scaler.update()
            losses.append(loss.detach())
            if n >= warmup:
                words += batch.size
            if n + 1 >= warmup + steps or (t0 is not None and time.perf_counter() - t0 > seconds):
                break
    sync(torch, device)
    wall = time.perf_counter() - (t0 if t0 is not None else time.perf_counter())
    if hasattr(source, "close"):
        source.close()  # stops the prefetch thread
    hook.remove()
    values = torch.stack(losses).float().cpu().numpy()
    return {"variant": variant, "words_per_s": words / wall if wall > 0 else float("nan"), "steps": n + 1 - warmup,
            "losses": [float(x) for x in values], "finite": bool(np.all(np.isfinite(values))),
            "gru_dtype": ",".join(sorted(gru_dtypes)),
            "loss_scale": float(scaler.get_scale()) if scaler.is_enabled() else None}


def step_train(st: Step, work: Path) -> None:
    import numpy as np
    import torch

    from spokenw2v.data import unit_stream
    from spokenw2v.config import TrainConfig
    from spokenw2v.frames import unit_statistics

    device = torch.device("cuda" if torch.cuda.is_available() and not st.dry_run else "cpu")
    n_tokens = 1000 if st.dry_run else 400_000
    t = time.perf_counter()
    seqs, words, utts = unit_corpus(n_tokens)
    stream = unit_stream(seqs, words, utts, 100)
    stats = unit_statistics(seqs, words)
    st.details["corpus"] = {"tokens": len(stream), "types": len(stream.words), "distinct_sequences": stream.n_sequences,
                            "seconds_to_build": round(time.perf_counter() - t, 1), **stats}
    print("corpus:", st.details["corpus"], flush=True)
    scales = (1, 4)
    batch_sizes = (32,) if st.dry_run else (512, 4096)  # 512: the training default; 4096: a GPU-sized step
    runs: list[dict] = []
    st.details["runs"] = runs
    n_runs = len(scales) * len(batch_sizes) * len(VARIANTS)
    for s in scales:
        for bt in batch_sizes:
            cfg = TrainConfig(vocab_size=stream.vocab_size, symbols=stream.symbols, scale=s, batch_tokens=bt,
                              seed=0).resolved()
            ref = None  # the float32-GRU run of this scale and batch size (the first variant)
            for variant in VARIANTS:
                per_run = max(2.0, (st.left() - 5) / max(1, n_runs - len(runs)) - 4)
                steps = 2 if st.dry_run else 400
                try:
                    r = train_variant(stream, cfg, device, variant, steps, 1 if st.dry_run else 5, per_run)
                except Exception as exc:  # one variant failing must not hide the others
                    r = {"variant": variant, "error": f"{type(exc).__name__}: {exc}"}
                r.update(scale=s, batch_tokens=bt)
                runs.append(r)
                print(json.dumps({k: v for k, v in r.items() if k != "losses"}), flush=True)
                if "error" in r:
                    st.save()
                    continue
                if variant.startswith("gru-fp32"):
                    ref = r
                note = f"GRU {r['gru_dtype']}; finite loss {r['finite']}"
                if ref is not None:  # same seed, same batches: the loss curves should agree
                    m = min(len(r["losses"]), len(ref["losses"]))
                    x, y = np.array(r["losses"][:m]), np.array(ref["losses"][:m])
                    r["max_rel_loss_diff_vs_fp32"] = float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-6)))
                    r["final_loss_rel_diff_vs_fp32"] = float(abs(x[-1] - y[-1]) / max(abs(y[-1]), 1e-6))
                    note += (f"; rel. loss diff vs fp32 GRUs over {m} steps: max {r['max_rel_loss_diff_vs_fp32']:.3g}, "
                             f"last {r['final_loss_rel_diff_vs_fp32']:.3g}")
                if r["loss_scale"] is not None:
                    note += f"; final loss scale {r['loss_scale']:g}"
                st.figure(f"train_s{s}_b{bt}_{variant.split()[0]}_words_per_s", r["words_per_s"], "centre words/s",
                          note)
        product = [r for r in runs if r["scale"] == s and "error" not in r and r["variant"].startswith("gru-fp32")]
        if product:
            best = max(product, key=lambda r: r["words_per_s"])
            st.figure(f"train_s{s}_words_per_s", best["words_per_s"], "centre words/s",
                      f"product path (bf16 autocast, fp32 GRUs), batch {best['batch_tokens']}, {device}")
    errors = [f"{r['variant']} s={r['scale']}: {r['error']}" for r in runs if "error" in r]
    if errors:
        raise RuntimeError("; ".join(errors))


# -- featurize -----------------------------------------------------------------------------------


def step_featurize(st: Step, work: Path) -> None:
    import numpy as np
    import torch
    from transformers import HubertConfig, HubertModel
    from transformers.utils import logging as hf_logging

    from spokenw2v.features import FeatureKind, Normalize, SSLFeaturizer
    from spokenw2v.featurize import FeaturizeOptions, featurize_corpus

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    device = "cuda" if torch.cuda.is_available() and not st.dry_run else "cpu"
    torch.manual_seed(0)
    if st.dry_run:
        config = HubertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                              conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
        layer, n_utts, mean_s, batch = 2, 4, 1.5, 2
    else:
        config = HubertConfig()  # the hubert-base architecture (12 x 768); layer 6 as in the paper
        layer, n_utts, mean_s, batch = 6, 600, 12.3, 16  # 600 LibriSpeech-like utterances, about 2 hours
    model_dir = work / "hubert-random"
    HubertModel(config).save_pretrained(model_dir)
    rng = np.random.default_rng(0)
    seconds = np.clip(rng.gamma(4.0, mean_s / 4.0, size=n_utts), 1.0, 35.0)  # LibriSpeech-like lengths
    waves = [(0.1 * rng.standard_normal(int(s * 16000))).astype(np.float32) for s in seconds]
    total = float(seconds.sum())
    st.details.update(device=device, utterances=n_utts, audio_s=round(total, 1), layer=layer, batch=batch,
                      config="HubertConfig()" if not st.dry_run else "tiny HubertConfig (dry run)")
    f = SSLFeaturizer(FeatureKind.HUBERT, model_dir, layer=layer, device=device, normalize=Normalize.OFF)
    st.details["half"] = f.half
    order = np.argsort(seconds)  # length-sorted batches, as featurize_corpus forms them
    batches = [[waves[i] for i in order[a:a + batch]] for a in range(0, n_utts, batch)]
    f(batches[-1])  # warm-up on the longest batch (kernels, cuDNN autotuning)
    f(batches[0])
    sync(torch, torch.device(device))
    t = time.perf_counter()
    done_s = 0.0
    for b in batches:
        f(b)
        done_s += sum(len(w) for w in b) / 16000
        if time.perf_counter() - t > st.left() * 0.4:
            break
    sync(torch, torch.device(device))
    wall = time.perf_counter() - t
    st.figure("hubert_model_x_real_time", done_s / wall, "x real time",
              f"model alone, fp16={f.half}, batches of {batch} length-sorted, {done_s:.0f} s of audio, {device}")
    del f
    try:
        import soundfile as sf
    except ImportError as exc:
        raise RuntimeError("soundfile is missing: featurize_corpus was not measured") from exc
    audio = work / "audio"
    audio.mkdir()
    n_corpus = max(2, n_utts // 3)
    for i in range(n_corpus):
        sf.write(audio / f"utt-{i:05d}.wav", waves[i], 16000, subtype="PCM_16")
    corpus_s = float(seconds[:n_corpus].sum())
    opts = FeaturizeOptions(feature=FeatureKind.HUBERT, model=str(model_dir), layer=layer, device=device,
                            normalize=Normalize.OFF)
    featurize_corpus(audio / "utt-00000.wav", work / "warm.npz", opts)
    sync(torch, torch.device(device))
    t = time.perf_counter()
    summary = featurize_corpus(audio, work / "feats", opts)
    sync(torch, torch.device(device))
    wall = time.perf_counter() - t
    st.figure("hubert_featurize_corpus_x_real_time", corpus_s / wall, "x real time",
              f"featurize_corpus: WAV reading, {'fp16 ' if device == 'cuda' else ''}batches, float16 shards; "
              f"{corpus_s:.0f} s of audio, "
              f"{summary.frames} frames, {device}")


# -- k-means -------------------------------------------------------------------------------------


def mixture_frames(torch, n: int, d: int, device, seed: int, n_modes: int = 300):
    """(n, d) float16 frames from a Gaussian mixture (speech frames cluster; pure noise would not)."""
    g = torch.Generator(device=device).manual_seed(seed)
    centres = torch.randn(n_modes, d, generator=g, device=device) * 2.0
    out = torch.empty(n, d, dtype=torch.float16, device=device)
    for a in range(0, n, 262_144):
        m = min(262_144, n - a)
        lab = torch.randint(0, n_modes, (m,), generator=g, device=device)
        out[a:a + m] = (centres[lab] + torch.randn(m, d, generator=g, device=device)).half()
    return out.cpu().numpy()


def step_kmeans(st: Step, work: Path) -> None:
    import numpy as np
    import torch

    from spokenw2v.discretize import KMeansConfig, apply_codebook, fit_codebook_with_report
    from spokenw2v.kmeans import kmeans, standardization
    from spokenw2v.io import FrameInfo, Ragged, write_features

    cuda = torch.cuda.is_available() and not st.dry_run
    device = torch.device("cuda" if cuda else "cpu")
    n, d, k = (1_000_000, 768, 100) if not st.dry_run else (4000, 768, 10)
    x = mixture_frames(torch, n, d, device, 0)
    mean, std = standardization(x)
    if cuda:  # warm-up: kernels and allocator
        kmeans(x[:50_000], k, mean=mean, std=std, seed=0, max_iter=2, device=device)
        sync(torch, device)
    t = time.perf_counter()
    res = kmeans(x, k, mean=mean, std=std, seed=0, device=device)
    sync(torch, device)
    fit_s = time.perf_counter() - t
    label = "kmeans_fit_1M_x_768_k100_s" if not st.dry_run else "kmeans_fit_dry_s"
    st.figure(label, fit_s, "s", f"{n} x {d} float16 frames, k={k}, {res.n_iter} Lloyd iterations, "
                                 f"converged {res.converged}, {device}")
    st.details["fit"] = {"frames": n, "dim": d, "k": k, "n_iter": int(res.n_iter), "converged": bool(res.converged),
                         "seconds": fit_s}
    del x
    # fit + apply on shard sets of growing size (float16 HuBERT-like shards, 50 frames/s, 12 s utterances)
    info = FrameInfo(50.0, 0.0125, 0.025, "hubert", "random", 6)
    sizes = [20_000, 40_000] if st.dry_run else [1_000_000, 4_000_000, 12_000_000, 24_000_000]
    shard_frames = 10_000 if st.dry_run else 1_000_000
    ladder = []
    last = None
    for total in sizes:
        if last is not None and st.left() < 1.5 * last["seconds_total"] * total / last["frames"] + 10:
            break  # the next size would not fit the budget
        shards = work / f"shards-{total}"
        shards.mkdir()
        t = time.perf_counter()
        for i, a in enumerate(range(0, total, shard_frames)):
            m = min(shard_frames, total - a)
            vals = mixture_frames(torch, m, d, device, 1 + i)
            lens = np.full(m // 600, 600, dtype=np.int64)
            lens[-1] += m - lens.sum()
            offsets = np.concatenate([[0], np.cumsum(lens)])
            write_features(shards / f"part-{i:05d}.npz",
                           Ragged([f"s{i}-u{j}" for j in range(len(lens))], offsets, vals, lens / 50.0, info))
        write_s = time.perf_counter() - t
        t = time.perf_counter()
        fit = fit_codebook_with_report(shards, KMeansConfig(k=k, seed=0), device=device)
        sync(torch, device)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        units = apply_codebook(fit.codebook, shards, device=device)
        sync(torch, device)
        apply_s = time.perf_counter() - t
        row = {"frames": total, "shards": len(list(shards.glob("*.npz"))), "sampled": int(fit.n_sample),
               "write_s": write_s, "fit_s": fit_s, "apply_s": apply_s, "seconds_total": write_s + fit_s + apply_s,
               "units": int(len(units.values))}
        ladder.append(row)
        last = row
        shutil.rmtree(shards)
        st.figure(f"codebook_fit_apply_{total}_frames_s", fit_s + apply_s, "s",
                  f"{row['shards']} shards; fit {fit_s:.1f} s (sample {fit.n_sample} frames), apply {apply_s:.1f} s "
                  f"= {total / apply_s:.3g} frames/s; writing the shards {write_s:.1f} s; {device}")
    st.details["ladder"] = ladder


STEPS = {"env": step_env, "cuda-tests": step_cuda_tests, "train": step_train, "featurize": step_featurize,
         "kmeans": step_kmeans, "quick-tests": step_quick_tests}


def run_step(name: str, part: Path, dry_run: bool, budget: float) -> int:
    """Run one step in this process; write its record to ``part`` (JSON) whatever happens."""
    st = Step(name, dry_run, budget, part)
    status, error = "ok", ""
    work = part.parent / f"{name}-work"  # the caller removes it, also after a kill
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        STEPS[name](st, work)
    except BaseException as exc:  # recorded, then the step's process ends; the other steps go on
        import traceback

        traceback.print_exc()
        status, error = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    st.save(status, error)
    return 0 if status == "ok" else 1


# --------------------------------------------------------------------------- orchestration


def _run_child(cmd: list[str], log, timeout: float, env: dict | None = None) -> tuple[int | None, float]:
    """Run ``cmd`` in its own process group, output appended to ``log``; kill the group at ``timeout``."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        rc = None
    return rc, time.perf_counter() - t


def write_report(out: Path, results: dict) -> None:
    """results.json and results.md (one row per figure, the device named)."""
    dev = results["device"]
    lines = [f"# GPU check: {dev}", "",
             f"{results['started']}; torch {results.get('torch', '?')}; dry run: {results['dry_run']}; "
             f"{results['seconds']:.0f} s in all", "",
             "| step | status | s | figure | value | unit | target | met | note |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results["steps"]:
        figs = r["figures"] or [{"name": "", "value": math.nan, "unit": "", "note": ""}]
        for i, f in enumerate(figs):
            head = f"| {r['step']} | {r['status']} | {r['seconds']:.0f} |" if i == 0 else "| | | |"
            met = "" if "met" not in f else ("yes" if f["met"] else "**no**")
            value = "" if not f["name"] else f"{f['value']:.4g}"
            lines.append(f"{head} {f['name']} | {value} | {f['unit']} | {f.get('target', '')} | {met} | "
                         f"{f['note'].replace('|', '/')} |")
        if r["error"]:
            lines.append(f"| | | | error | | | | | {r['error'][:300].replace('|', '/')} |")
    text = "\n".join(lines) + "\n"
    for name, body in (("results.json", json.dumps(results, indent=1, default=str)), ("results.md", text)):
        tmp = out / (name + ".tmp")
        tmp.write_text(body)
        tmp.replace(out / name)


def check(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = [s for s in args.steps.split(",") if s] if args.steps else list(STEPS)
    unknown = [s for s in names if s not in STEPS]
    if unknown:
        print(f"Error: unknown step(s) {', '.join(unknown)}; steps: {', '.join(STEPS)}", file=sys.stderr)
        return 1
    budgets = DRY_BUDGETS if args.dry_run else BUDGETS
    parts = Path(tempfile.mkdtemp(prefix="gpu-check-parts-"))
    t0 = time.perf_counter()
    import torch

    results = {"device": device_name(torch) if not args.dry_run else f"{device_name(torch)} (dry run)",
               "torch": torch.__version__, "dry_run": args.dry_run, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
               "steps": []}
    del torch
    with open(out / "gpu_check.log", "a") as log:
        for name in names:
            left = args.total - (time.perf_counter() - t0)
            budget = min(budgets[name] * args.budget_scale, left)
            part = parts / f"{name}.json"
            if budget < 5:
                rec = {"step": name, "status": "skipped", "error": "no time left", "seconds": 0, "figures": [],
                       "details": {}}
            else:
                log.write(f"\n===== {name} (budget {budget:.0f} s) =====\n")
                log.flush()
                cmd = [sys.executable, str(Path(__file__).resolve()), "step", name, "--part", str(part),
                       "--budget", str(budget)] + (["--dry-run"] if args.dry_run else [])
                rc, took = _run_child(cmd, log, budget + 15)
                if part.exists():
                    rec = json.loads(part.read_text())
                    if rc is None or rec["status"] == "running":  # killed: keep the figures it had
                        rec["status"] = "timeout" if rc is None else "crashed"
                        rec["error"] = (f"the step {'timed out' if rc is None else f'exited with {rc}'} after "
                                        f"{took:.0f} s; figures until then kept")
                else:
                    why = "timed out" if rc is None else f"exited with {rc} (crashed)"
                    rec = {"step": name, "status": "timeout" if rc is None else "crashed",
                           "error": f"the step {why} after {took:.0f} s", "seconds": round(took, 1), "figures": [],
                           "details": {}}
            results["steps"].append(rec)
            state = rec["status"] + (f": {rec['error']}" if rec["error"] else "")
            print(f"== {name}: {state} ({rec['seconds']:.0f} s)", flush=True)
            for f in rec["figures"]:
                met = "" if "met" not in f else f"  [target {f['target']}: {'met' if f['met'] else 'MISSED'}]"
                print(f"   {f['name']} = {f['value']:.4g} {f['unit']}{met}", flush=True)
            results["seconds"] = time.perf_counter() - t0
            write_report(out, results)  # after every step: a later kill still leaves the figures so far
    shutil.rmtree(parts, ignore_errors=True)
    print(f"device: {results['device']}; results in {out}/results.json and {out}/results.md", flush=True)
    return 0 if all(r["status"] == "ok" for r in results["steps"]) else 1


# --------------------------------------------------------------------------- the science run at scale


def prepare(args) -> int:
    """The scale run's corpus on the CPU: the first WORDS words of the embedded text, one voice,
    synthesized, MFCC, k-means k=100 in words, the text reference model; a compact copy in DATA."""
    import numpy as np

    from spokenw2v.corpus import demo_corpus
    from spokenw2v.io import atomic_write_text

    out = Path(args.out)
    build = Path(args.build) if args.build else out.with_name(out.name + "-build")
    build.mkdir(parents=True, exist_ok=True)
    text = build / "text.txt"
    if not text.exists():
        atomic_write_text(text, "\n".join(demo_corpus(args.words)) + "\n")
    sw = [sys.executable, "-m", "spokenw2v"]
    steps = [
        ("synthesize", [*sw, "synthesize", str(text), "--out", str(build / "speech"), "--voices", args.voices,
                        "--variants", args.variants, "--rates", args.rates, "--seed", "0", "--jobs", str(args.jobs)],
         build / "speech" / "segments.tsv"),
        ("featurize", [*sw, "featurize", str(build / "speech" / "audio.tsv"), "--out", str(build / "mfcc"),
                       "--feature", "mfcc", "--segments", str(build / "speech" / "segments.tsv"), "--device", "cpu"],
         build / "mfcc"),
        ("discretize", [*sw, "discretize", str(build / "mfcc"), "--out", str(build / "units.npz"), "--codebook",
                        str(build / "codebook.npz"), "--k", "100", "--segments", str(build / "speech" / "segments.tsv"),
                        "--in-words", "--seed", "0", "--device", "cpu"], build / "units.npz"),
        ("text", [*sw, "train", "text", "--corpus", str(build / "speech" / "corpus.txt"), "--out",
                  str(build / "text-model"), "--seed", "0"], build / "text-model" / "vectors.vec"),
    ]
    for name, cmd, done in steps:
        if done.exists():
            print(f"{name}: done already ({done})", flush=True)
            continue
        print("$ " + " ".join(cmd), flush=True)
        t = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, check=True)
        print(f"{name}: {time.perf_counter() - t:.0f} s", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    with np.load(build / "units.npz", allow_pickle=False) as z:  # the same arrays and keys, compressed
        arrays = {key: z[key] for key in z.files}
    np.savez_compressed(out / "units.npz.tmp.npz", **arrays)
    os.replace(out / "units.npz.tmp.npz", out / "units.npz")
    for src, dst in ((build / "speech" / "segments.tsv", "segments.tsv"),
                     (build / "speech" / "corpus.txt", "corpus.txt"),
                     (build / "text-model" / "vectors.vec", "reference.vec")):
        shutil.copyfile(src, out / (dst + ".tmp"))
        os.replace(out / (dst + ".tmp"), out / dst)
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"scale corpus: {args.words} words -> {out} ({size / 2**20:.1f} MiB: units.npz, segments.tsv, corpus.txt, "
          f"reference.vec)", flush=True)
    return 0


def scale(args) -> int:
    """e2e training on the prepared units for about ``--minutes``, metrics every epoch; the curve
    (scale-metrics.tsv, scale-curves.png), a final evaluation and a summary go to ``--out``.

    One epoch runs first to time an epoch (evaluation included); the run then resumes with as
    many epochs as fit the rest of the time (at most ``--epochs``), so it ends normally with its
    vectors.  A run still going at the time limit is stopped; its metrics so far are kept."""
    data = Path(args.data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    need = [data / n for n in ("units.npz", "segments.tsv", "reference.vec", "corpus.txt")]
    missing = [str(p) for p in need if not p.exists()]
    if missing:
        print(f"Error: {', '.join(missing)}: missing (run `python bench/gpu_check.py prepare` first)", file=sys.stderr)
        return 1
    t_start = time.perf_counter()
    limit = args.minutes * 60
    run = Path(tempfile.mkdtemp(prefix="gpu-check-scale-")) / "run"
    base = [sys.executable, "-m", "spokenw2v", "train", "e2e", "--segments", str(data / "segments.tsv"), "--units",
            str(data / "units.npz"), "--reference", str(data / "reference.vec"), "--out", str(run), "--scale",
            str(args.scale), "--seed", "0", "--device", args.device]
    if args.batch_tokens:
        base += ["--batch-tokens", str(args.batch_tokens)]
    summary: dict = {"command": base, "minutes_limit": args.minutes, "data": str(data)}
    metrics = run / "metrics.tsv"

    def rows() -> list[dict]:
        if not metrics.exists():
            return []
        header, *body = [line.split("\t") for line in metrics.read_text().splitlines()]
        return [dict(zip(header, r)) for r in body]

    with open(out / "scale.log", "a") as log:
        first = [*base, "--epochs", "1"]
        print("$ " + " ".join(first), flush=True)
        rc, took = _run_child(first, log, limit)
        summary["first_epoch"] = {"exit": rc, "seconds": round(took, 1)}
        table = rows()
        if rc == 0 and len(table) >= 2:
            epoch_s = float(table[1]["elapsed_s"] or took)  # training + per-epoch evaluation
            startup = max(0.0, took - epoch_s)  # loading the data, the test set, writing the vectors
            left = limit - (time.perf_counter() - t_start) - startup - 60  # 60 s for the final evaluation
            total = int(min(args.epochs, 1 + max(0, left // max(epoch_s, 1e-3))))
            summary.update(epoch_seconds=round(epoch_s, 1), epochs_planned=total)
            if total > 1:
                more = [*base, "--epochs", str(total), "--resume"]
                print("$ " + " ".join(more), flush=True)
                rc, took = _run_child(more, log, max(10.0, limit - (time.perf_counter() - t_start)))
                summary["resumed"] = {"exit": rc, "seconds": round(took, 1), "stopped_at_time_limit": rc is None}
        vectors = run / "vectors.vec"
        if rc == 0 and vectors.exists():
            ev = [sys.executable, "-m", "spokenw2v", "evaluate", str(vectors), "--reference",
                  str(data / "reference.vec"), "--corpus", str(data / "corpus.txt"), "--seed", "0", "--no-benchmarks",
                  "--tsv", str(out / "scale-evaluate.tsv")]
            print("$ " + " ".join(ev), flush=True)
            log.flush()
            erc, _ = _run_child(ev, log, max(30.0, limit + 90 - (time.perf_counter() - t_start)))
            summary["evaluate_exit"] = erc
    table = rows()
    if table:
        shutil.copyfile(metrics, out / "scale-metrics.tsv")
        summary["epochs_done"] = len(table) - 1
        summary["curve"] = [{k: row.get(k, "") for k in ("epoch", "loss", "examples_per_s", "elapsed_s", "A", "B")}
                            for row in table]
        print("epoch\tloss\tcentre words/s\tA\tB", flush=True)
        for row in table:
            print("\t".join(row.get(k, "") for k in ("epoch", "loss", "examples_per_s", "A", "B")), flush=True)
        plot = subprocess.run([sys.executable, "-m", "spokenw2v", "plot", "curves", str(metrics), "--out",
                               str(out / "scale-curves.png"), "--title",
                               "e2e on MFCC units at scale: A (solid) and B (dashed) per epoch"],
                              cwd=REPO, capture_output=True, text=True)
        if plot.returncode:
            summary["plot_error"] = plot.stderr.strip()[-500:]
    if (run / "config.json").exists():
        summary["config"] = json.loads((run / "config.json").read_text())
    summary["seconds"] = round(time.perf_counter() - t_start, 1)
    (out / "scale.json").write_text(json.dumps(summary, indent=1, default=str))
    shutil.rmtree(run.parent, ignore_errors=True)
    print(f"scale run: {summary.get('epochs_done', 0)} epochs in {summary['seconds']:.0f} s; results in {out}",
          flush=True)
    return 0 if table else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode")
    default_out = os.environ.get("OUT") or str(REPO / "bench" / "out" / "gpu-check")
    c = sub.add_parser("check", help="all steps (the default)")
    c.add_argument("--out", default=default_out, help="where results.json/results.md/gpu_check.log go "
                                                      "(default $OUT, else bench/out/gpu-check)")
    c.add_argument("--dry-run", action="store_true", help="tiny sizes on the CPU")
    c.add_argument("--steps", default="", help=f"comma-separated subset of {','.join(STEPS)}")
    c.add_argument("--total", type=float, default=480.0, help="seconds for all steps together (default 480)")
    c.add_argument("--budget-scale", type=float, default=1.0, help="multiply every step's budget")
    s = sub.add_parser("step", help="one step (used by check)")
    s.add_argument("name", choices=list(STEPS))
    s.add_argument("--part", required=True)
    s.add_argument("--budget", type=float, required=True)
    s.add_argument("--dry-run", action="store_true")
    p = sub.add_parser("prepare", help="the scale run's corpus, on the CPU (slow: run it before the GPU call)")
    p.add_argument("--words", type=int, default=300_000, help="first N words of the embedded text (default 300000)")
    p.add_argument("--out", default=str(REPO / "bench" / "scale-data"), help="compact corpus to copy to the GPU machine")
    p.add_argument("--build", default="", help="intermediate files (audio, MFCC; default OUT-build)")
    p.add_argument("--voices", default="en-us")
    p.add_argument("--variants", default="m1")
    p.add_argument("--rates", default="170")
    p.add_argument("--jobs", type=int, default=2)
    r = sub.add_parser("scale", help="e2e training at scale for a fixed time, the curve per epoch")
    r.add_argument("--data", default=str(REPO / "bench" / "scale-data"))
    r.add_argument("--out", default=default_out)
    r.add_argument("--minutes", type=float, default=5.0)
    r.add_argument("--epochs", type=int, default=200, help="at most this many epochs (the time decides)")
    r.add_argument("--scale", type=int, default=1,
                   help="model scale s (default 1: more epochs in the time; the paper used 4)")
    r.add_argument("--batch-tokens", type=int, default=0, help="default: the training default")
    r.add_argument("--device", default="auto")
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["check", *argv]
    args = ap.parse_args(argv)
    if args.mode == "step":
        return run_step(args.name, Path(args.part), args.dry_run, args.budget)
    return {"check": check, "prepare": prepare, "scale": scale}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
