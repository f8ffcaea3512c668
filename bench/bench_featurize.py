"""Featurize throughput, in times real time (seconds of audio per second of wall time).

``python bench/bench_featurize.py mfcc``    -- MFCC on one CPU thread: the whole
    ``featurize_corpus`` (FLAC decoding, MFCC + deltas, float16 shards) on the LibriSpeech
    sample (examples/data/librispeech-sample, else 5 minutes of generated audio), and the
    MFCC computation alone on waveforms already in memory.  Target: >= 500x per core.
``python bench/bench_featurize.py hubert [--device cpu|cuda] [--minutes M]``
    -- HuBERT-base layer 6 (randomly initialised from the real hubert-base configuration:
    12 blocks of 768 dims, of which 6 run; the same computation as the real model) on
    generated 12-second utterances written as WAV files, through ``featurize_corpus``
    (reading with worker threads, fp16 batches on CUDA, float16 shards), and the model
    alone.  Target on an H100: >= 1000x (LibriSpeech train-clean-100 in <= 6 minutes).
``python bench/bench_featurize.py memory`` -- peak RSS of MFCC featurize on 5 and 40
    minutes of generated audio (shards of 20000 frames): it must not grow with the corpus.

Run with ``OMP_WAIT_POLICY=PASSIVE``.  Results are recorded in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
import torch  # noqa: E402

from spokenw2v.audio import find_audio, load_audio  # noqa: E402
from spokenw2v.features import FeatureKind, make_featurizer  # noqa: E402
from spokenw2v.featurize import FeaturizeOptions, featurize_corpus  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "data" / "librispeech-sample" / "dev-clean"


def machine() -> str:
    gpu = f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return (f"{platform.machine()}, {os.cpu_count()} CPUs ({cpu}), "
            f"Python {platform.python_version()}, torch {torch.__version__}{gpu}")


def write_generated(directory: Path, n_utts: int, seconds: float, seed: int = 0) -> float:
    """Speech-like noise bursts (16 kHz WAV); returns total seconds."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    n = int(seconds * 16000)
    env = np.repeat(rng.uniform(0, 1, size=(n_utts, n // 3200 + 1)) > 0.3, 3200, axis=1)[:, :n]
    for u in range(n_utts):
        wave = 0.1 * rng.standard_normal(n).astype(np.float32) * env[u]
        sf.write(directory / f"gen-{u:05d}.wav", wave, 16000, subtype="PCM_16")
    return n_utts * n / 16000


def bench_mfcc(repeats: int = 3) -> None:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if SAMPLE.is_dir():
            audio, source = SAMPLE, "LibriSpeech sample (49 FLAC files)"
        else:
            audio, source = tmp / "gen", "generated WAV"
            write_generated(audio, 30, 10.0)
        opts = FeaturizeOptions(feature=FeatureKind.MFCC, workers=0)
        runs = []
        for r in range(repeats):
            t = time.perf_counter()
            s = featurize_corpus(audio, tmp / f"out{r}", opts)
            runs.append(time.perf_counter() - t)
        wall = min(runs)
        waves = [load_audio(p) for p in find_audio(audio).values()]
        f = make_featurizer("mfcc")
        compute = []
        for _ in range(repeats):
            t = time.perf_counter()
            f(waves)
            compute.append(time.perf_counter() - t)
    print(f"machine: {machine()}; torch threads 1")
    print(f"MFCC featurize_corpus on {source}, {s.seconds:.1f} s of audio, {s.frames} frames: "
          f"{wall:.2f} s -> {s.seconds / wall:.0f}x real time per core (best of {repeats})")
    print(f"MFCC computation alone: {min(compute):.2f} s -> {s.seconds / min(compute):.0f}x real time per core")


def bench_hubert(device: str, minutes: float, layer: int = 6) -> None:
    from transformers import HubertConfig, HubertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        torch.manual_seed(0)
        HubertModel(HubertConfig()).save_pretrained(tmp / "hubert-base")  # the hubert-base architecture
        n_utts = max(1, int(minutes * 60 / 12))
        total = write_generated(tmp / "audio", n_utts, 12.0)
        opts = FeaturizeOptions(feature=FeatureKind.HUBERT, model=str(tmp / "hubert-base"), layer=layer,
                                device=device)
        if device == "cuda":  # warm-up (cuDNN autotuning, kernels)
            featurize_corpus(tmp / "audio" / "gen-00000.wav", tmp / "warm.npz", opts)
            torch.cuda.synchronize()
        t = time.perf_counter()
        s = featurize_corpus(tmp / "audio", tmp / "out", opts)
        if device == "cuda":
            torch.cuda.synchronize()
        wall = time.perf_counter() - t
        f = make_featurizer("hubert", tmp / "hubert-base", layer, device=device)
        waves = [load_audio(p) for p in list(find_audio(tmp / "audio").values())[: max(1, n_utts // 2)]]
        batch = 16 if device == "cuda" else 1
        t = time.perf_counter()
        for i in range(0, len(waves), batch):
            f(waves[i: i + batch])
        if device == "cuda":
            torch.cuda.synchronize()
        model_wall = time.perf_counter() - t
    print(f"machine: {machine()}; torch threads {threads}; device {device}")
    print(f"HuBERT-base layer {layer} featurize_corpus: {total:.0f} s of audio ({n_utts} x 12 s), {s.frames} frames "
          f"x {s.dim}: {wall:.1f} s -> {total / wall:.1f}x real time")
    print(f"model alone (batch {batch}): {len(waves) * 12 / model_wall:.1f}x real time")


def bench_memory(minutes_list=(5.0, 40.0), shard_frames: int = 20_000) -> None:
    """Peak RSS of MFCC featurize_corpus (in a fresh process each) for growing corpora."""
    import subprocess
    import sys

    code = ("import resource, sys; from spokenw2v.featurize import FeaturizeOptions, featurize_corpus; "
            "s = featurize_corpus(sys.argv[1], sys.argv[2], FeaturizeOptions(shard_frames=int(sys.argv[3]))); "
            "print(s.seconds, s.frames, len(s.files), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for minutes in minutes_list:
            audio = tmp / f"gen{minutes:g}"
            write_generated(audio, int(minutes * 2), 30.0)
            out = subprocess.run([sys.executable, "-c", code, str(audio), str(tmp / f"out{minutes:g}"),
                                  str(shard_frames)], capture_output=True, text=True, check=True).stdout.split()
            seconds, frames, files, rss_kb = float(out[0]), int(out[1]), int(out[2]), int(out[3])
            print(f"MFCC featurize {seconds / 60:.0f} min of audio, {frames} frames in {files} shards of "
                  f"<= {shard_frames} frames: peak RSS {rss_kb / 1024:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["mfcc", "hubert", "memory"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--minutes", type=float, default=1.0, help="audio for the HuBERT benchmark")
    args = ap.parse_args()
    if args.what == "mfcc":
        bench_mfcc()
    elif args.what == "memory":
        bench_memory()
    else:
        bench_hubert(args.device, args.minutes)


if __name__ == "__main__":
    main()
