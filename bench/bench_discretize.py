"""Benchmarks of ``discretize`` (results in bench/RESULTS.md).

(a) ``fit``: k-means with k=100 on 1M x 39 clustered frames (MFCC-sized), time and inertia
    of the spokenw2v torch implementation against scikit-learn MiniBatchKMeans and KMeans
    (Lloyd) and, when installed, faiss -- all in the same run, inertia measured the same way
    (sum over all frames of the squared standardized distance to the nearest centroid).
(b) ``memory``: peak RSS of fit + apply over a directory of float16 feature shards on disk
    (default 18M x 768 frames = 27.6 GB: LibriSpeech train-clean-100 at HuBERT scale),
    measured in a child process with ``resource.getrusage``.  ``--frames`` runs a smaller
    corpus; the shards are generated (seeded, clustered) before the measured run.

Run::

    OMP_WAIT_POLICY=PASSIVE python bench/bench_discretize.py fit
    OMP_WAIT_POLICY=PASSIVE python bench/bench_discretize.py memory --frames 18000000 --workdir /tmp/sw2v-bench
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from spokenw2v import discretize as D  # noqa: E402
from spokenw2v.kmeans import standardization  # noqa: E402
from spokenw2v.io import Codebook, FrameInfo, Ragged, write_features  # noqa: E402


def machine() -> str:
    import torch

    return (f"{os.cpu_count()} vCPU {platform.machine()}, Python {platform.python_version()}, "
            f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")


def clustered_frames(n: int, dim: int, n_centres: int = 100, seed: int = 0, spread: float = 3.0) -> np.ndarray:
    """(n, dim) float16 frames around ``n_centres`` Gaussian centres with unequal weights
    and per-dimension scales (so standardization matters), seeded."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_centres, dim)) * spread
    weights = rng.dirichlet(np.full(n_centres, 2.0))
    scales = np.exp(rng.normal(size=dim))
    labels = rng.choice(n_centres, size=n, p=weights)
    x = centres[labels] + rng.normal(size=(n, dim))
    return (x * scales).astype(np.float16)


# --------------------------------------------------------------------------- (a) fit


def inertia_of(centroids: np.ndarray, z: np.ndarray) -> float:
    """Sum of squared distances of standardized frames ``z`` (n, D) to the nearest centroid."""
    cb = Codebook(centroids.astype(np.float32), np.zeros(z.shape[1], np.float32), np.ones(z.shape[1], np.float32),
                  0, FrameInfo(100.0, 0.0, 0.025, "bench"))
    units = D.Assigner(cb).assign(z)
    return float(((z - centroids[units]) ** 2).sum(dtype=np.float64))


def bench_fit(args) -> dict:
    import torch

    x = clustered_frames(args.frames, args.dim, seed=args.seed)
    info = FrameInfo(100.0, 0.0125, 0.025, "mfcc")
    utt = 1000
    feats = Ragged.from_list([f"u{i}" for i in range(0, len(x), utt)], [x[a:a + utt] for a in range(0, len(x), utt)],
                             [utt / 100.0] * ((len(x) + utt - 1) // utt), info)
    mean, std = standardization(x)
    z = ((x.astype(np.float32) - mean) / std).astype(np.float32)
    k = args.k
    rows = []

    def run(name, fn):
        """``fn(seed) -> (centroids, note)``, once per seed: median time, inertia over seeds."""
        times, inertias, note = [], [], ""
        for seed in range(args.seeds):
            t = time.perf_counter()
            centroids, note = fn(seed)
            times.append(time.perf_counter() - t)
            inertias.append(inertia_of(centroids, z) / len(z))
        row = {"method": name, "median_s": float(np.median(times)), "times_s": [round(t, 2) for t in times],
               "inertia_per_frame_mean": float(np.mean(inertias)), "inertia_per_frame": [round(i, 4) for i in inertias],
               "note": note}
        rows.append(row)
        print(f"{name:60s} median {row['median_s']:6.2f} s {row['times_s']}  inertia/frame mean "
              f"{row['inertia_per_frame_mean']:.4f} {row['inertia_per_frame']}  ({note})", flush=True)

    def ours(device):
        def f(seed):
            cfg = D.KMeansConfig(k=k, sample_fraction=1.0, max_sample_frames=len(x), seed=seed)
            fit = D.fit_codebook_with_report(feats, cfg, device=device)
            if device == "cuda":
                torch.cuda.synchronize()
            return fit.codebook.centroids, f"{fit.n_iter} Lloyd iterations on all frames after the subset phase"
        return f

    run("spokenw2v fit_codebook, torch CPU (sample+standardize+k-means)", ours("cpu"))
    if torch.cuda.is_available():
        run(f"spokenw2v fit_codebook, torch CUDA ({torch.cuda.get_device_name()})", ours("cuda"))

    from sklearn.cluster import KMeans, MiniBatchKMeans

    def mbk(batch):
        def f(seed):
            m = MiniBatchKMeans(n_clusters=k, batch_size=batch, n_init=1, random_state=seed).fit(z)
            return m.cluster_centers_, f"{m.n_iter_} epochs, {m.n_steps_} steps"
        return f

    run("sklearn MiniBatchKMeans (batch 1024 = defaults, n_init=1)", mbk(1024))
    run("sklearn MiniBatchKMeans (batch 10000, n_init=1)", mbk(10_000))

    def gslm(seed):  # settings of the GSLM / textlesslib k-means script, n_init reduced to 1
        m = MiniBatchKMeans(n_clusters=k, init="k-means++", max_iter=100, batch_size=10_000, tol=0.0,
                            max_no_improvement=100, n_init=1, reassignment_ratio=0.0, random_state=seed).fit(z)
        return m.cluster_centers_, f"{m.n_iter_} epochs"

    run("sklearn MiniBatchKMeans (GSLM settings, n_init=1)", gslm)

    def lloyd(seed):
        m = KMeans(n_clusters=k, n_init=1, random_state=seed, algorithm="lloyd").fit(z)
        return m.cluster_centers_, f"{m.n_iter_} iterations"

    run("sklearn KMeans (lloyd, k-means++, n_init=1)", lloyd)
    try:
        import faiss
    except ImportError:
        faiss = None
    if faiss is not None:
        def fa(max_points):
            def f(seed):
                km = faiss.Kmeans(z.shape[1], k, niter=25, seed=seed + 1, max_points_per_centroid=max_points)
                km.train(z)
                return km.centroids, f"random init, 25 iterations on {min(len(z), k * max_points):,} frames"
            return f

        run(f"faiss {faiss.__version__} Kmeans (defaults: 256 frames per centroid)", fa(256))
        run(f"faiss {faiss.__version__} Kmeans (all frames)", fa(len(z)))
    return {"machine": machine(), "frames": args.frames, "dim": args.dim, "k": k, "rows": rows}


# --------------------------------------------------------------------------- (b) memory


def write_shards(directory: Path, n_frames: int, dim: int, shard_frames: int, seed: int) -> float:
    """Write seeded clustered float16 feature shards (25 s utterances at 50 frames/s).

    Frame = one of 100 Gaussian centres + unit noise.  To generate 27.6 GB in minutes on
    2 cores, one (shard_frames, dim) noise block is drawn once and each shard adds it,
    rotated by a shard-dependent number of rows, to freshly drawn centre labels.
    """
    info = FrameInfo(50.0, 0.0125, 0.025, "hubert", "bench", 6)
    rng = np.random.default_rng(seed)
    centres = (rng.standard_normal((100, dim), dtype=np.float32) * 2.0)
    noise = rng.standard_normal((shard_frames, dim), dtype=np.float32)
    utt = 1250
    t = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    for s, a in enumerate(range(0, n_frames, shard_frames)):
        n = min(shard_frames, n_frames - a)
        x = centres[rng.integers(0, 100, size=n)]
        shift = int(rng.integers(0, shard_frames))
        x += np.roll(noise, shift, axis=0)[:n] if n < shard_frames else np.roll(noise, shift, axis=0)
        offsets = np.append(np.arange(0, n, utt), n).astype(np.int64)
        feats = Ragged([f"s{s:04d}-{j:05d}" for j in range(len(offsets) - 1)], offsets, x.astype(np.float16),
                       np.diff(offsets) / 50.0, info)
        del x
        write_features(directory / f"part-{s:05d}.npz", feats)
        print(f"\rwrote shard {s + 1}, {a + n:,} of {n_frames:,} frames", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return time.perf_counter() - t


CHILD = r"""
import json, os, resource, sys, time
from spokenw2v import discretize as D
from spokenw2v.io import write_codebook, write_units
src, out = sys.argv[1], sys.argv[2]
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # GiB (ru_maxrss is KiB)
t0 = time.perf_counter()
fit = D.fit_codebook_with_report(src, D.KMeansConfig(k=100), device="cpu")
t1 = time.perf_counter(); r1 = rss()
write_codebook(os.path.join(out, "cb.npz"), fit.codebook)
units = D.apply_codebook(fit.codebook, src, device="cpu")
write_units(os.path.join(out, "units.npz"), units, 100, "cb.npz", fit.codebook.fingerprint())
t2 = time.perf_counter()
print(json.dumps({"fit_s": t1 - t0, "apply_s": t2 - t1, "peak_rss_after_fit_gib": r1, "peak_rss_gib": rss(),
                  "n_frames": fit.n_frames, "n_sample": fit.n_sample, "n_iter": fit.n_iter,
                  "converged": fit.converged, "units": int(len(units.values))}))
"""


def bench_memory(args) -> dict:
    work = Path(args.workdir)
    shards = work / "feats"
    need = args.frames * args.dim * 2 * 1.01
    if not (shards.is_dir() and any(shards.glob("*.npz"))):
        work.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(work).free
        if free < need + 2e9:
            raise SystemExit(f"{work}: {free / 1e9:.1f} GB free, the shards need {need / 1e9:.1f} GB")
        gen = write_shards(shards, args.frames, args.dim, args.shard_frames, args.seed)
        print(f"generated {args.frames:,} x {args.dim} float16 frames in {gen:.0f} s", file=sys.stderr)
    out = work / "out"
    out.mkdir(exist_ok=True)
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", PYTHONPATH=str(REPO))
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(shards), str(out)], env=env, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2
    on_disk = sum(p.stat().st_size for p in shards.glob("*.npz"))
    result = {"machine": machine(), "frames": args.frames, "dim": args.dim, "shard_frames": args.shard_frames,
              "bytes_on_disk": on_disk, "wall_s": wall, "children_peak_rss_gib": children_rss, **child}
    print(json.dumps(result, indent=1))
    if not args.keep:
        shutil.rmtree(work)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    a = sub.add_parser("fit", help="(a) k-means time and inertia, ours versus scikit-learn and faiss")
    a.add_argument("--frames", type=int, default=1_000_000)
    a.add_argument("--dim", type=int, default=39)
    a.add_argument("--k", type=int, default=100)
    a.add_argument("--seeds", type=int, default=3, help="runs per method, seeds 0..N-1")
    a.add_argument("--seed", type=int, default=0)
    b = sub.add_parser("memory", help="(b) peak RSS of fit + apply over feature shards on disk")
    b.add_argument("--frames", type=int, default=18_000_000)
    b.add_argument("--dim", type=int, default=768)
    b.add_argument("--shard-frames", type=int, default=200_000)
    b.add_argument("--workdir", default="/tmp/spokenw2v-bench-discretize")
    b.add_argument("--keep", action="store_true", help="keep the generated shards")
    b.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args()
    result = bench_fit(args) if args.what == "fit" else bench_memory(args)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
