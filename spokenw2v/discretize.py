"""Discrete units: a k-means codebook over standardized frame features.

* :func:`fit_codebook` -- draw a seeded sample of frames (default 10 %, at most
  ``max_sample_frames``; optionally only frames inside word segments), standardize each
  feature dimension with the sample's mean and standard deviation (as the paper does before
  k-means), run k-means (:mod:`spokenw2v.kmeans`: k-means++ seeding, then Lloyd iterations
  in PyTorch on CPU or CUDA) and return an :class:`~spokenw2v.io.Codebook`.
* :func:`apply_codebook` -- give every frame the id of its nearest centroid in the
  standardized space, so new audio is encoded exactly as the training audio was.

Memory is bounded: features are streamed one shard (or one chunk) at a time and never
loaded whole.  The sample is at most ``max_sample_frames`` frames, kept in the features'
own dtype (float16 by default): 1M frames x 768 dims = 1.5 GB, 1M x 39 = 78 MB.

Functions here take arrays and dataclasses and never print; a ``progress`` callback
``progress(stage, done, total)`` reports work done (stages ``sample``, ``kmeans-init``,
``kmeans``, ``assign``) for the command line's progress bars.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Iterator, Union

import numpy as np

from .errors import SpokenW2VError, where
from .frames import frame_range
from .io import Codebook, FrameInfo, Ragged, Segments, check_shard, npz_files, read_features
from .kmeans import Progress, kmeans, standardization, standardize

#: A features file, a directory of feature shards, or any iterable of :class:`Ragged`
#: shards whose ``values`` are (N_i, D) frames (for example views of a memory map).
FeatureSource = Union[str, os.PathLike, Ragged, Iterable[Ragged]]

#: Slack (seconds) allowed between a segment's end and the end of the audio, as in
#: :func:`spokenw2v.io.validate_segments`.
END_TOLERANCE = 0.02


@dataclass
class KMeansConfig:
    """Hyperparameters of the codebook fit (saved in part in the codebook).

    ``k``: number of units.  ``sample_fraction``: fraction of the (eligible) frames drawn
    for the fit, each frame independently with a seeded uniform key; when more than
    ``max_sample_frames`` frames qualify, the ``max_sample_frames`` with the smallest
    keys are kept (a uniform sample without replacement).  ``seed`` drives the sample and
    the k-means seeding.  k-means: greedy k-means++ seeds from a seeded subset of the
    sample; when the sample has more than 4 x ``init_frames`` frames, Lloyd iterations
    first converge on ``init_frames`` of them (coarse to fine), then run on the whole
    sample.  Lloyd stops when an iteration lowers the inertia by at most ``tol``
    (relative) or after ``max_iter`` iterations.  ``chunk_frames`` bounds the
    (chunk x k) distance matrices; standardized float32 copies of the sample are cached
    while they take at most ``cache_bytes``.
    """

    k: int = 100
    sample_fraction: float = 0.1
    max_sample_frames: int = 1_000_000
    seed: int = 0
    max_iter: int = 100
    tol: float = 1e-4
    init_frames: int = 100_000
    chunk_frames: int = 8192
    cache_bytes: int = 1 << 30

    def check(self) -> None:
        if self.k < 1:
            raise SpokenW2VError(f"k must be at least 1, found {self.k}")
        if not (0.0 < self.sample_fraction <= 1.0):
            raise SpokenW2VError(f"the sample fraction must be in (0, 1], found {self.sample_fraction:g}")
        if self.max_sample_frames < self.k:
            raise SpokenW2VError(
                f"max sample frames ({self.max_sample_frames}) must be at least k ({self.k})"
            )
        if self.max_iter < 1 or self.chunk_frames < 1 or self.init_frames < 1:
            raise SpokenW2VError("max_iter, chunk_frames and init_frames must be positive")


@dataclass
class FitResult:
    """A fitted codebook with what the fit saw: ``n_frames`` frames streamed,
    ``n_eligible`` of them eligible (inside words with ``in_words``), ``n_sample`` used
    for k-means, ``n_iter`` Lloyd iterations, ``converged``."""

    codebook: Codebook
    n_frames: int
    n_eligible: int
    n_sample: int
    n_iter: int
    converged: bool


# --------------------------------------------------------------------------- sources


def _shards(source: FeatureSource, name: str | None) -> tuple[Iterator[Ragged], str]:
    """(iterator of shards, name for messages).  Files are read one at a time and no
    reference to a shard is kept while the next one loads (consistency of the shards'
    descriptions is checked by the callers with :func:`~spokenw2v.io.check_shard`)."""
    if isinstance(source, (str, os.PathLike)):
        return (read_features(f) for f in npz_files(source)), str(name or source)
    if isinstance(source, Ragged):
        return iter([source]), name or "features"
    return iter(source), name or "features"


# --------------------------------------------------------------------------- sampling


class _BottomSample:
    """Streaming uniform sample without replacement of at most ``size`` rows.

    Every offered row carries a uniform key in [0, 1); rows with key < ``fraction`` are
    candidates and the ``size`` candidates with the smallest keys are kept.  Memory is a
    buffer of ``size + slack`` rows allocated once (pages are touched only as they fill).
    The kept rows stay in stream order, so the result does not depend on how the stream
    was cut into shards.
    """

    def __init__(self, dim: int, dtype, size: int, fraction: float):
        self.size = size
        self.slack = max(size // 16, 4096)
        cap = size + self.slack
        self.rows = np.empty((cap, dim), dtype=dtype)
        self.keys = np.empty(cap, dtype=np.float64)
        self.n = 0
        self.tau = fraction  # rows need key < tau

    def offer(self, rows: np.ndarray, keys: np.ndarray) -> None:
        """``rows`` (m, D) with their ``keys`` (m,)."""
        for a in range(0, len(keys), self.slack):
            k = keys[a:a + self.slack]
            sel = np.flatnonzero(k < self.tau)
            if self.n + len(sel) > len(self.keys):
                self._prune()
                sel = sel[k[sel] < self.tau]
            m = len(sel)
            self.rows[self.n:self.n + m] = rows[a + sel]
            self.keys[self.n:self.n + m] = k[sel]
            self.n += m

    def _prune(self) -> None:
        if self.n <= self.size:
            return
        keep = np.argpartition(self.keys[:self.n], self.size - 1)[:self.size]
        keep.sort()
        self.tau = float(self.keys[keep].max())
        # in-place forward compaction: keep[j] >= j, blocks read before they are written
        block = 65_536
        for a in range(0, self.size, block):
            ix = keep[a:a + block]
            self.rows[a:a + len(ix)] = self.rows[ix]
            self.keys[a:a + len(ix)] = self.keys[ix]
        self.n = self.size

    def result(self) -> np.ndarray:
        self._prune()
        return self.rows[:self.n]


def _word_mask(shard: Ragged, segments: Segments, groups: dict[str, np.ndarray], seen: set,
               seg_name: str) -> np.ndarray:
    """(N,) bool: frames of ``shard`` inside a word segment (frame convention of frames.py)."""
    mask = np.zeros(len(shard.values), dtype=bool)
    for u, utt in enumerate(shard.utt_ids):
        rows = groups.get(utt)
        if rows is None:
            continue
        seen.add(utt)
        a, b = int(shard.offsets[u]), int(shard.offsets[u + 1])
        dur = float(shard.durations[u])
        for r in rows:
            s, e = float(segments.start[r]), float(segments.end[r])
            if e > dur + END_TOLERANCE or s >= dur:
                raise SpokenW2VError(
                    f"{where(seg_name, utt=utt)}: segment {s:g}-{e:g} s ends past the end of the audio ({dur:g} s)"
                )
            if b > a:
                i0, i1 = frame_range(s, e, shard.info, b - a)
                mask[a + i0:a + i1] = True
    return mask


@dataclass
class FrameSample:
    """A seeded sample of frames: ``frames`` (n, D) in the features' dtype (raw, not
    standardized), ``info`` and counts of frames streamed / eligible."""

    frames: np.ndarray
    info: FrameInfo
    n_frames: int
    n_eligible: int


def sample_frames(source: FeatureSource, config: KMeansConfig, *, in_words: Segments | None = None,
                  segments_name: str = "segments", source_name: str | None = None,
                  progress: Progress | None = None) -> FrameSample:
    """Stream ``source`` once and keep a seeded uniform sample of its frames.

    ``source``: a features path (file or directory of shards) or an iterable of
    :class:`Ragged` shards.  With ``in_words`` only frames whose centres fall inside a
    word segment are eligible; a segment past the end of its utterance's audio, or a
    segment utterance that is not in the features, is an error naming ``segments_name``.
    Each frame, in stream order, gets a key from ``numpy.random.default_rng(seed)``, so
    the sample does not depend on the sharding.
    """
    config.check()
    shards, name = _shards(source, source_name)
    rng = np.random.default_rng(config.seed)
    groups = in_words.by_utterance() if in_words is not None else None
    seen: set = set()
    sampler: _BottomSample | None = None
    info: FrameInfo | None = None
    dim: int | None = None
    n_frames = n_eligible = 0
    for i, shard in enumerate(shards):
        check_shard(shard, name, info, dim)
        if sampler is None:
            info, dim = shard.info, int(shard.values.shape[1])
            sampler = _BottomSample(dim, shard.values.dtype, config.max_sample_frames, config.sample_fraction)
        keys = rng.random(len(shard.values))
        if groups is not None:
            mask = _word_mask(shard, in_words, groups, seen, segments_name)
            keys[~mask] = 2.0  # never sampled
            n_eligible += int(mask.sum())
        else:
            n_eligible += len(shard.values)
        n_frames += len(shard.values)
        sampler.offer(shard.values, keys)
        del shard, keys  # free before the next shard loads
        if progress is not None:
            progress("sample", i + 1, None)
    if sampler is None:
        raise SpokenW2VError(f"{name}: no feature shards")
    if groups is not None:
        missing = [u for u in groups if u not in seen]
        if missing:
            raise SpokenW2VError(
                f"{where(segments_name, utt=missing[0])}: utterance is not in the features {name} "
                f"({len(missing)} segment utterance(s) missing)"
            )
    frames = sampler.result()
    if len(frames) < config.k:
        what = "frames inside words" if groups is not None else "frames"
        raise SpokenW2VError(
            f"{name}: the sample holds {len(frames)} {what} (of {n_eligible} eligible), fewer than k = {config.k}; "
            f"raise the sample fraction or lower k"
        )
    return FrameSample(frames, info, n_frames, n_eligible)




# --------------------------------------------------------------------------- fit / apply


def fit_codebook_with_report(source: FeatureSource, config: KMeansConfig | None = None, *, in_words: Segments | None = None,
                             segments_name: str = "segments", source_name: str | None = None, device="cpu",
                             progress: Progress | None = None) -> FitResult:
    """Like :func:`fit_codebook`, also returning what the fit saw (:class:`FitResult`)."""
    config = config or KMeansConfig()
    sample = sample_frames(source, config, in_words=in_words, segments_name=segments_name,
                           source_name=source_name, progress=progress)
    mean, std = standardization(sample.frames, config.chunk_frames)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std))):
        name = source_name or (str(source) if isinstance(source, (str, os.PathLike)) else "features")
        raise SpokenW2VError(f"{name}: features contain non-finite values (NaN or infinity)")
    try:
        res = kmeans(sample.frames, config.k, mean=mean, std=std, seed=config.seed, max_iter=config.max_iter,
                     tol=config.tol, init_frames=config.init_frames, chunk_frames=config.chunk_frames,
                     cache_bytes=config.cache_bytes, device=device, progress=progress)
    except SpokenW2VError as exc:
        name = source_name or (str(source) if isinstance(source, (str, os.PathLike)) else "features")
        raise SpokenW2VError(f"{name}: {exc}") from None
    cb = Codebook(res.centroids, mean, std, config.seed, sample.info, config.sample_fraction, res.inertia)
    return FitResult(cb, sample.n_frames, sample.n_eligible, len(sample.frames), res.n_iter, res.converged)


def fit_codebook(source: FeatureSource, config: KMeansConfig | None = None, *, in_words: Segments | None = None,
                 segments_name: str = "segments", source_name: str | None = None, device="cpu",
                 progress: Progress | None = None) -> Codebook:
    """Fit a k-means codebook on a seeded sample of the frames of ``source``.

    ``source``: a features NPZ path, a directory of feature shards, or an iterable of
    :class:`~spokenw2v.io.Ragged` shards with ``values`` (N_i, D) -- streamed once.
    ``config``: :class:`KMeansConfig` (k, sample fraction and cap, seed, iterations).
    ``in_words``: sample only frames inside these word segments.  ``device``:
    ``"auto" | "cpu" | "cuda"`` or a ``torch.device``.
    Returns a :class:`~spokenw2v.io.Codebook`: centroids (k, D) float32 in standardized
    space, the sample's ``mean``/``std`` (D,), seed, feature description and inertia
    (sum over sample frames of the squared standardized distance to the nearest centroid).
    """
    return fit_codebook_with_report(source, config, in_words=in_words, segments_name=segments_name,
                                    source_name=source_name, device=device, progress=progress).codebook


def check_compatible(codebook: Codebook, info: FrameInfo, dim: int, features_name: str,
                     codebook_name: str) -> None:
    """Raise a one-line error naming both files when features of ``dim`` dimensions
    described by ``info`` cannot be encoded with ``codebook``."""
    if dim != codebook.dim:
        raise SpokenW2VError(
            f"{features_name}: features have {dim} dimensions but the codebook {codebook_name} "
            f"was fitted on {codebook.dim}-dimensional features ({codebook.info.describe()})"
        )
    ci = codebook.info
    fields = [("features", info.describe(), ci.describe()),
              ("frame rate", f"{info.frame_rate:g} frames/s", f"{ci.frame_rate:g} frames/s")]
    diffs = [(name, mine, theirs) for name, mine, theirs in fields if mine != theirs]
    if diffs:
        said = "; ".join(f"{name} {mine} (the codebook's: {theirs})" for name, mine, theirs in diffs)
        raise SpokenW2VError(f"{features_name}: do not match the codebook {codebook_name}: {said}; fit a codebook on "
                             f"these features or featurize the audio as the codebook's features were")


class Assigner:
    """Nearest-centroid assignment with a codebook: ``assign(frames (n, D)) -> (n,) int64``."""

    def __init__(self, codebook: Codebook, device="cpu", chunk_frames: int = 8192):
        import torch

        from .devices import resolve_device

        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        self.chunk = chunk_frames if self.device.type != "cuda" else max(chunk_frames, 65_536)
        self.mean = torch.as_tensor(codebook.mean, dtype=torch.float32, device=self.device)
        self.inv_std = 1.0 / torch.as_tensor(codebook.std, dtype=torch.float32, device=self.device)
        self.centers = torch.as_tensor(codebook.centroids, dtype=torch.float32, device=self.device)
        self.centers_t = self.centers.T.contiguous()
        self.c_sq = (self.centers * self.centers).sum(1)

    def assign(self, frames: np.ndarray) -> np.ndarray:
        """``frames`` (n, D) raw features -> (n,) int64 unit ids.  Non-finite frames raise
        ``ValueError`` (callers name the file)."""
        import torch

        out = np.empty(len(frames), dtype=np.int64)
        with torch.no_grad():
            for a in range(0, len(frames), self.chunk):
                x = torch.from_numpy(np.ascontiguousarray(frames[a:a + self.chunk]))
                x = standardize(x, self.mean, self.inv_std, self.device)
                dist = torch.addmm(self.c_sq.unsqueeze(0), x, self.centers_t, alpha=-2.0)
                dmin, units = dist.min(1)
                if not bool(torch.isfinite(dmin).all()):  # a NaN or infinite feature value
                    raise ValueError("non-finite feature values")
                out[a:a + len(x)] = units.cpu().numpy()
        return out


def apply_codebook(codebook: Codebook, source: FeatureSource, *, device="cpu", chunk_frames: int = 8192,
                   source_name: str | None = None, codebook_name: str = "codebook",
                   progress: Progress | None = None) -> Ragged:
    """Unit id of every frame of ``source`` (features path, directory or iterable of
    :class:`Ragged` shards), streamed shard by shard.

    Returns a :class:`Ragged` over all utterances with ``values`` (N,) int16 unit ids
    (int32 when k > 32767), the features' offsets, durations and :class:`FrameInfo`.
    The features must have the codebook's dimension and feature description
    (feature, model, layer, frame rate); otherwise a :class:`SpokenW2VError` names both
    ``source_name`` and ``codebook_name``.
    """
    shards, name = _shards(source, source_name)
    assigner = Assigner(codebook, device, chunk_frames)
    dtype = np.int16 if codebook.k <= np.iinfo(np.int16).max else np.int32
    utt_ids: list[str] = []
    values: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    durations: list[np.ndarray] = []
    info: FrameInfo | None = None
    dim: int | None = None
    seen: set = set()
    for i, shard in enumerate(shards):
        check_shard(shard, name, info, dim)
        check_compatible(codebook, shard.info, int(shard.values.shape[1]), name, codebook_name)
        info, dim = shard.info, int(shard.values.shape[1])
        for utt in shard.utt_ids:
            if utt in seen:
                raise SpokenW2VError(f"{where(name, utt=utt)}: utterance appears twice")
            seen.add(utt)
        try:
            units = assigner.assign(shard.values)
        except ValueError:
            raise SpokenW2VError(f"{name}: features contain non-finite values (NaN or infinity)") from None
        utt_ids.extend(shard.utt_ids)
        values.append(units.astype(dtype))
        lengths.append(np.diff(shard.offsets))
        durations.append(np.asarray(shard.durations, dtype=np.float64))
        del shard, units  # free before the next shard loads
        if progress is not None:
            progress("assign", i + 1, None)
    if info is None:
        raise SpokenW2VError(f"{name}: no feature shards")
    lens = np.concatenate(lengths)
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    return Ragged(utt_ids, offsets, np.concatenate(values), np.concatenate(durations), info)
