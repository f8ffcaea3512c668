"""k-means in PyTorch (CPU or CUDA) over rows of standardized frames.

* :func:`standardization` -- per-dimension mean and standard deviation of a sample.
* :func:`standardize` -- ``(x - mean) * inv_std`` as float32; the codebook fit and its
  application both use it, so they see bit-identical standardized frames.
* :func:`kmeans` -- greedy k-means++ seeding, then Lloyd iterations (coarse to fine on
  large inputs), with chunked distance computations so the rows are never copied whole.

Functions here take arrays and never print; a ``progress`` callback
``progress(stage, done, total)`` reports work done (stages ``kmeans-init``, ``kmeans``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .errors import SpokenW2VError

#: ``progress(stage, done, total)``; ``total`` is None when unknown.
Progress = Callable[[str, int, Optional[int]], None]


@dataclass
class KMeansResult:
    """Output of :func:`kmeans`: ``centroids`` (k, D) float32 in the space k-means ran in,
    ``labels`` (n,) int64 nearest centroid of each input row (for the final centroids),
    ``inertia`` = sum of squared distances of rows to their centroid, ``n_iter`` Lloyd
    iterations run, ``converged`` whether the shift tolerance was met."""

    centroids: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    converged: bool


def standardization(frames: np.ndarray, chunk_frames: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and standard deviation, (D,) float32 each, of ``frames`` (n, D),
    computed in float64 in two chunked passes.  A constant dimension gets std 1."""
    n, d = frames.shape
    total = np.zeros(d, dtype=np.float64)
    for a in range(0, n, chunk_frames):
        total += frames[a:a + chunk_frames].sum(axis=0, dtype=np.float64)
    mean = total / max(n, 1)
    sq = np.zeros(d, dtype=np.float64)
    for a in range(0, n, chunk_frames):
        x = frames[a:a + chunk_frames].astype(np.float64) - mean
        sq += np.einsum("ij,ij->j", x, x)
    std = np.sqrt(sq / max(n, 1))
    std[~(std > 1e-6)] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


def standardize(x, mean, inv_std, device):
    """``(x - mean) * inv_std`` as a new float32 tensor on ``device`` (``x`` is not modified).
    Fit and apply both use this, so they see bit-identical standardized frames."""
    import torch

    return x.to(device, dtype=torch.float32, copy=True).sub_(mean).mul_(inv_std)


class _Standardized:
    """Chunks of ``frames`` (n, D) as standardized float32 tensors on ``device``,
    ``(frames - mean) / std``; cached when they take at most ``cache_bytes``."""

    def __init__(self, frames, mean, std, device, chunk_frames: int, cache_bytes: int):
        import torch

        self.device = device
        self.n = len(frames)
        self.chunk = chunk_frames
        self.mean = torch.as_tensor(np.asarray(mean, dtype=np.float32), device=device)
        self.inv_std = 1.0 / torch.as_tensor(np.asarray(std, dtype=np.float32), device=device)
        raw = frames if isinstance(frames, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(frames))
        self.raw = raw.to(device) if device.type == "cuda" else raw
        self.cache: list | None = None
        if self.n * raw.shape[1] * 4 <= cache_bytes:
            self.cache = [self._make(a) for a in range(0, self.n, self.chunk)]

    def _make(self, a: int):
        return standardize(self.raw[a:a + self.chunk], self.mean, self.inv_std, self.device)

    def __iter__(self):
        for j, a in enumerate(range(0, self.n, self.chunk)):
            yield a, (self.cache[j] if self.cache is not None else self._make(a))

    def rows(self, index: np.ndarray):
        """Standardized rows ``index`` (m,) as an (m, D) float32 tensor."""
        import torch

        ix = torch.as_tensor(index, dtype=torch.long)
        return standardize(self.raw[ix.to(self.raw.device)], self.mean, self.inv_std, self.device)

    def subset(self, index: np.ndarray) -> "_Standardized":
        """The rows ``index`` as a new (cached) source."""
        import torch

        return _Standardized(self.raw[torch.as_tensor(index, dtype=torch.long).to(self.raw.device)], self.mean.cpu().numpy(), 1.0 / self.inv_std.cpu().numpy(),
                             self.device, self.chunk, 1 << 62)


def _init_subset(n: int, rng: np.random.Generator, init_frames: int) -> np.ndarray:
    m = min(n, init_frames)
    return np.sort(rng.choice(n, size=m, replace=False)) if m < n else np.arange(n)


def _kmeans_pp(data: _Standardized, k: int, rng: np.random.Generator, max_elements: int = 16_000_000):
    """Greedy k-means++ seeding (2 + ln k trials per centre, as scikit-learn) on a seeded
    subset of the rows of ``data`` holding at most ``max_elements`` numbers (every step
    reads the whole subset, so it is kept small enough to stay fast: 100k rows of 39 dims,
    20k rows of 768).  Returns (k, D) float32 centroids."""
    import torch

    dim = data.raw.shape[1]
    m = min(data.n, max(max_elements // dim, 20 * k))
    rows = np.sort(rng.choice(data.n, size=m, replace=False)) if m < data.n else np.arange(data.n)
    x = data.rows(rows)  # (m, D)
    x_sq = (x * x).sum(1)
    trials = 2 + int(math.log(k))
    centers = torch.empty((k, dim), dtype=x.dtype, device=x.device)

    def dist(c):  # (m, t) squared distances of all rows to the t rows ``c``
        d = torch.addmm((c * c).sum(1).unsqueeze(0), x, c.T, alpha=-2.0)
        return (d + x_sq.unsqueeze(1)).clamp_(min=0.0)

    first = int(rng.integers(m))
    centers[0] = x[first]
    closest = dist(x[first:first + 1])[:, 0]
    pot = float(closest.sum())
    for c in range(1, k):
        if pot <= 0.0:  # fewer distinct rows than k: take any rows
            cand = rng.integers(m, size=trials)
        else:
            cum = np.cumsum(closest.double().cpu().numpy())
            cand = np.minimum(np.searchsorted(cum, rng.random(trials) * cum[-1]), m - 1)
        cand_t = torch.as_tensor(cand, dtype=torch.long, device=x.device)
        d = torch.minimum(closest.unsqueeze(1), dist(x[cand_t]))  # (m, trials)
        pots = d.double().sum(0)
        best = int(torch.argmin(pots))
        centers[c] = x[cand_t[best]]
        closest = d[:, best].contiguous()
        pot = float(pots[best])
    return centers


def _e_step(data: _Standardized, centers, accumulate: bool, distances: bool):
    """Assign every row to its nearest centre.

    Returns ``(labels, mind, inertia, sums, counts)``: labels (n,) int64 (CPU tensor);
    with ``distances`` the min squared distances (n,) float32 (CPU) and the inertia
    (float), else None and nan; with ``accumulate`` per-centre float64 sums (k, D) and
    counts (k,), else None.
    """
    import torch

    k, d = centers.shape
    c_sq = (centers * centers).sum(1)
    c_t = centers.T.contiguous()
    labels = torch.empty(data.n, dtype=torch.long)
    mind = torch.empty(data.n, dtype=torch.float32) if distances else None
    sums = torch.zeros((k, d), dtype=torch.float64, device=centers.device) if accumulate else None
    counts = torch.zeros(k, dtype=torch.float64, device=centers.device) if accumulate else None
    inertia = 0.0 if distances else float("nan")
    for a, x in data:
        dist = torch.addmm(c_sq.unsqueeze(0), x, c_t, alpha=-2.0)  # (c, k)
        dmin, lab = dist.min(1)
        labels[a:a + len(x)] = lab.cpu()
        if distances:
            dmin = (dmin + (x * x).sum(1)).clamp_(min=0.0)
            inertia += float(dmin.double().sum())
            mind[a:a + len(x)] = dmin.cpu()
        if accumulate:
            if x.device.type == "cuda":  # one-hot matmul: deterministic, unlike atomics
                onehot = torch.nn.functional.one_hot(lab, k).to(x.dtype)
                sums += (onehot.T @ x).double()
                counts += onehot.sum(0).double()
            else:
                sums += torch.zeros((k, d), dtype=x.dtype).index_add_(0, lab, x).double()
                counts += torch.bincount(lab, minlength=k).double()
    return labels, mind, inertia, sums, counts


def _lloyd(data: _Standardized, centers, max_iter: int, tol: float, progress: Progress | None,
           stage: str):
    """Lloyd iterations from ``centers`` (k, D) until an assignment step lowers the
    inertia by at most ``tol`` (relative) or ``max_iter`` updates were made.

    Returns ``(centers, labels, inertia, n_iter, converged)`` where labels (n,) and inertia
    belong to the returned centers.
    """
    import torch

    prev = None
    for it in range(max_iter + 1):
        labels, mind, inertia, sums, counts = _e_step(data, centers, accumulate=True, distances=True)
        if prev is not None and prev - inertia <= tol * abs(inertia):
            return centers, labels, inertia, it, True
        if it == max_iter:
            break
        new = (sums / counts.clamp(min=1.0).unsqueeze(1)).to(centers.dtype)
        empty = torch.nonzero(counts == 0).flatten()
        if len(empty) and float(mind.max()) <= 1e-5 * max(1, centers.shape[1]):
            # every row sits on a centre: there are fewer distinct rows than k, re-seeding cannot help
            raise SpokenW2VError(f"the sampled frames hold fewer than k = {len(centers)} distinct values "
                                 f"({len(centers) - len(empty)} clusters have rows; constant features?); lower k")
        if len(empty):  # re-seed empty clusters at the rows farthest from their centre
            far = torch.topk(mind, len(empty)).indices.numpy()
            new[empty] = data.rows(np.sort(far)).to(new.device)
            inertia = float("inf")  # never stop right after a re-seed
        centers, prev = new, inertia
        if progress is not None:
            progress(stage, it + 1, max_iter)
    return centers, labels, inertia, max_iter, False


def _kmeans_standardized(data: _Standardized, k: int, seed: int, max_iter: int, tol: float,
                         init_frames: int, progress: Progress | None) -> KMeansResult:
    if data.n < k:
        raise SpokenW2VError(f"k-means needs at least k = {k} frames, found {data.n}")
    rng = np.random.default_rng(seed)
    subset = _init_subset(data.n, rng, init_frames)
    small = data.subset(subset) if len(subset) < data.n else data
    centers = _kmeans_pp(small, k, rng)
    if small is not data and 4 * small.n <= data.n:
        # coarse to fine: converge on the seeding subset first, then refine on all rows
        centers = _lloyd(small, centers, max_iter, tol, progress, "kmeans-init")[0]
    centers, labels, inertia, n_iter, converged = _lloyd(data, centers, max_iter, tol, progress, "kmeans")
    if not converged:  # labels and inertia of the last update
        labels, _, inertia, _, _ = _e_step(data, centers, accumulate=False, distances=True)
    return KMeansResult(centers.float().cpu().numpy(), labels.numpy(), inertia, n_iter, converged)


def kmeans(x: np.ndarray, k: int, *, mean: np.ndarray | None = None, std: np.ndarray | None = None,
           seed: int = 0, max_iter: int = 100, tol: float = 1e-4, init_frames: int = 100_000,
           chunk_frames: int = 8192, cache_bytes: int = 1 << 30, device="cpu",
           progress: Progress | None = None) -> KMeansResult:
    """k-means of the rows of ``x`` (n, D), any float dtype; the rows are never copied
    whole (chunks are converted to float32 as they are used).

    With ``mean``/``std`` (D,) the rows are standardized, ``(x - mean) / std``, chunk by
    chunk, and centroids and inertia are in the standardized space.  Seeding: greedy
    k-means++ (2 + ln k trials per centre) on a ``seed``-drawn subset (at most 16M numbers:
    100k rows of 39 dims, 20k rows of 768).  Lloyd iterations then run on ``init_frames``
    rows first when ``x`` has more than 4 x ``init_frames`` rows, then on all rows, each
    phase until an iteration lowers the inertia by at most ``tol`` (relative) or after
    ``max_iter`` iterations.  An empty cluster is re-seeded at the row farthest from its
    centre.  Distances are float32 ``||x||^2 - 2 x.c + ||c||^2`` over (``chunk_frames``
    x k) blocks.  On CPU the result is the same for the same seed and thread count; on
    CUDA centroid sums use a one-hot matmul (no atomics).
    ``labels`` and ``inertia`` of the result belong to the returned centroids.
    """
    import torch

    from .devices import resolve_device

    dev = device if isinstance(device, torch.device) else resolve_device(device)
    d = x.shape[1]
    mean = np.zeros(d, np.float32) if mean is None else mean
    std = np.ones(d, np.float32) if std is None else std
    data = _Standardized(x, mean, std, dev, chunk_frames, cache_bytes)
    with torch.no_grad():
        return _kmeans_standardized(data, k, seed, max_iter, tol, init_frames, progress)
