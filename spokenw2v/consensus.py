"""Consensus units: each word token takes the unit sequence of the most typical token of its
acoustic neighbourhood, found without labels.

Units of many speakers spell one word many ways (``bench/RESULTS.md``, "Many-voice units"):
two tokens of a word said by two different speakers share less than half their units, and an
end-to-end model sees eight spellings per word, too many to learn from.  Whole word tokens are
far easier to match than their units: the nearest token of a word token, by a fixed-size
acoustic word embedding, is a token of the same word about nine times in ten on the demo's
24 voices.  So:

1. every token gets a **downsampled acoustic word embedding** (Levin et al. 2013; the
   frames of the token cut into ``pieces`` equal parts, each part averaged, the parts
   concatenated; every dimension standardized over the tokens, the vector L2-normalised);
2. its ``neighbours`` nearest tokens by cosine distance;
3. **quick shift** (Vedaldi and Soatto 2008), a mode seeker: a token's density is the sum of
   ``exp(-(d / bandwidth)^2)`` over its neighbours; each token links to its nearest
   neighbour of higher density within ``radius``, if any; the tokens that link nowhere are
   the modes, and every token belongs to the mode its links lead to;
4. every token's unit sequence becomes its mode's (a real token's units, so the output is the
   same kind of word-units file; a token that is its own mode keeps its units).

Word labels are never read.  ``radius`` sets how far tokens are pulled: larger radii merge
more spellings of a word, and, past some point, different words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .errors import SpokenW2VError
from .frames import frame_range
from .io import Ragged, Segments


@dataclass(frozen=True)
class ConsensusConfig:
    """Parameters of the consensus (see the module docstring)."""

    radius: float = 0.3
    bandwidth: float = 0.1
    neighbours: int = 50
    pieces: int = 10

    def __post_init__(self) -> None:
        """A bad value is a :class:`SpokenW2VError` naming its ``word-units`` option (``--radius``)
        or, for a field no option sets, the field (``ConsensusConfig.bandwidth``)."""
        if not 0.0 <= self.radius <= 2.0:
            raise SpokenW2VError(f"--radius must be a cosine distance in [0, 2], found {self.radius!r}")
        if not self.bandwidth > 0.0:
            raise SpokenW2VError(f"ConsensusConfig.bandwidth must be above 0, found {self.bandwidth!r}")
        if self.neighbours < 1:
            raise SpokenW2VError(f"--neighbours must be at least 1, found {self.neighbours!r}")
        if self.pieces < 1:
            raise SpokenW2VError(f"ConsensusConfig.pieces must be at least 1, found {self.pieces!r}")


@dataclass
class Consensus:
    """The outcome: ``mode[j]`` the token whose units token ``j`` takes (``j`` itself for a
    mode)."""

    mode: np.ndarray

    @property
    def n_modes(self) -> int:
        return int(np.unique(self.mode).size)

    @property
    def changed(self) -> int:
        """Tokens that take another token's units."""
        return int((self.mode != np.arange(len(self.mode))).sum())

    def agreement(self, labels: Sequence[str]) -> float:
        """Share of tokens whose mode carries the same label (e.g. the same transcribed word): a
        measure of the consensus against a transcript, which the consensus itself never reads."""
        labels = np.asarray(labels, dtype=object)
        return float(np.mean(labels[self.mode] == labels)) if len(labels) else 1.0

    def sequences(self, sequences: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [sequences[m] for m in self.mode.tolist()]


def word_embeddings(features: Iterable[Ragged], seg: Segments, pieces: int = 10,
                    source: str = "features") -> np.ndarray:
    """(N, pieces * D) float32 downsampled embedding of every segment (step 1 of the module
    docstring).  ``features`` the shards of a features file; a segment shorter than ``pieces``
    frames repeats its frames.  A segment whose utterance is in no shard raises an error."""
    where_in: dict[str, list[int]] = {}
    for i, u in enumerate(seg.utt):
        where_in.setdefault(u, []).append(i)
    out: np.ndarray | None = None
    done = np.zeros(len(seg), dtype=bool)
    for shard in features:
        info = shard.info
        for utt, frames in shard.items():
            rows = where_in.get(utt)
            if rows is None:
                continue
            frames = np.asarray(frames, dtype=np.float32)
            if out is None:
                out = np.zeros((len(seg), pieces * frames.shape[1]), dtype=np.float32)
            for i in rows:
                i0, i1 = frame_range(float(seg.start[i]), float(seg.end[i]), info, len(frames))
                out[i] = _downsample(frames[i0:max(i1, i0 + 1)], pieces).reshape(-1)
                done[i] = True
    if not done.all():
        missing = seg.utt[int(np.flatnonzero(~done)[0])]
        raise SpokenW2VError(f"{source}: utterance {missing!r} of the segments is not in the features")
    assert out is not None
    out -= out.mean(0)
    out /= out.std(0) + 1e-6
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


def _downsample(x: np.ndarray, pieces: int) -> np.ndarray:
    """(F, D) frames -> (pieces, D): the mean of each of ``pieces`` equal parts (with fewer
    frames than parts, the frame at each part's centre)."""
    n = len(x)
    if n < pieces:
        centres = ((np.arange(pieces) + 0.5) * n / pieces).astype(np.int64)
        return x[np.minimum(centres, n - 1)]
    edges = np.linspace(0, n, pieces + 1).astype(np.int64)
    sums = np.add.reduceat(x, edges[:-1], axis=0)
    return sums / np.diff(edges)[:, None]


def nearest_neighbours(emb: np.ndarray, k: int, device: str = "cpu",
                       block_elements: int = 50_000_000) -> tuple[np.ndarray, np.ndarray]:
    """(dist (N, k), index (N, k)): each row's ``k`` nearest other rows by cosine distance
    (rows are unit vectors), nearest first.  Exact (blocked matrix products; ``device`` a torch
    device string).  ``k`` is capped at N - 1."""
    import torch

    n = len(emb)
    k = min(k, n - 1)
    if k < 1:
        return np.zeros((n, 0), np.float32), np.zeros((n, 0), np.int64)
    x = torch.from_numpy(np.ascontiguousarray(emb, dtype=np.float32)).to(device)
    dist = np.empty((n, k), np.float32)
    index = np.empty((n, k), np.int64)
    block = max(1, block_elements // n)
    for a in range(0, n, block):
        sim = x[a:a + block] @ x.T
        rows = torch.arange(sim.shape[0], device=sim.device)
        sim[rows, rows + a] = -3.0  # never one's own neighbour
        v, i = sim.topk(k, dim=1)  # sorted, largest similarity first
        dist[a:a + block] = (1.0 - v).clamp_(min=0.0).cpu().numpy()
        index[a:a + block] = i.cpu().numpy()
    return dist, index


def quick_shift(dist: np.ndarray, index: np.ndarray, bandwidth: float, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """(mode (N,), density (N,)) of quick shift on a nearest-neighbour graph (step 3 of the
    module docstring).  Ties in density are broken by position, so the result is deterministic."""
    n = len(dist)
    density = np.exp(-np.square(dist.astype(np.float64) / bandwidth)).sum(1)
    # strict order: equal densities are ordered by index (the later token counts as denser)
    rank = np.empty(n, np.int64)
    rank[np.lexsort((np.arange(n), density))] = np.arange(n)
    ok = (rank[index] > rank[:, None]) & (dist <= radius)
    has = ok.any(1) if ok.size else np.zeros(n, dtype=bool)
    parent = np.arange(n)
    parent[has] = index[has, ok[has].argmax(1)]  # rows are sorted: the first allowed is the nearest
    mode = parent
    while True:  # pointer jumping; parents are strictly denser, so this ends
        nxt = mode[mode]
        if np.array_equal(nxt, mode):
            return mode, density
        mode = nxt


def consensus(features: Iterable[Ragged], seg: Segments, config: ConsensusConfig = ConsensusConfig(),
              device: str = "cpu", source: str = "features") -> Consensus:
    """Find every token's mode (steps 1-3 of the module docstring)."""
    emb = word_embeddings(features, seg, config.pieces, source=source)
    dist, index = nearest_neighbours(emb, config.neighbours, device=device)
    mode, _ = quick_shift(dist, index, config.bandwidth, config.radius)
    return Consensus(mode)
