"""Word discovery: word tokens found in speech with no transcript, each labelled with a
discovered cluster id.

Three methods, all on the frames of a features file (MFCC, HuBERT, ...), one utterance at
a time:

1. **Prominence** (feature-change peak picking; Pasad et al. 2024).  Per utterance, the
   frames are standardized (every dimension to mean 0, variance 1); the change score at
   the boundary between frames ``b - 1`` and ``b`` is the Euclidean distance between the
   mean of the frames of the ``window`` seconds before and after, divided by sqrt(D);
   it is smoothed by a moving average over ``smooth`` seconds, and its peaks at
   least ``distance`` seconds apart with a prominence of at least ``prominence`` are word
   boundaries.  With MFCC features, **silences** are hard boundaries: frames whose energy
   (the 0th cepstral coefficient) lies below ``p5 + silence * (p95 - p5)`` of the
   utterance, in runs of at least ``min_silence`` seconds, belong to no word; a pause
   edge and the utterance edges always end a word, and no peak inside a pause counts.
   Pieces shorter than ``min_word`` seconds join their shorter neighbour.
2. **ES-KMeans** (embedded segmental k-means; Kamper, Livescu and Goldwater 2017).  Every
   local peak of the change score with a prominence of at least ``candidate_prominence``
   is a candidate boundary (no ``distance`` rule, so far more candidates than words); every
   stretch between candidates and every run of up to ``max_span`` stretches (at most
   ``max_word`` seconds) is a possible word; its **downsampled acoustic word
   embedding** is the mean of each of ``pieces`` equal parts of its standardized frames,
   concatenated and L2-normalised (the embedding of :mod:`spokenw2v.consensus`).  Start
   from method 1's words, cluster their embeddings into ``clusters`` types with k-means,
   then alternate: segment every utterance by dynamic programming, a word of F frames
   costing ``F * ||e - mu||^2`` against its nearest centroid ``mu`` plus ``penalty`` (a
   word-count prior in frames; larger = fewer, longer words); re-estimate each centroid as
   the mean of its words.  ``iterations`` rounds; the fit uses at most ``fit_utterances``
   utterances (bounded memory), the last round segments every utterance.
3. **Lexicon** (ES-KMeans with a lexicon prior; :mod:`spokenw2v.segment_lm`).  As method 2,
   but a possible word of type ``k`` costs ``lm_weight * -log p(k)`` in place of ``penalty``
   (a word costs its type's improbability, as in a unigram word model), the type's unigram
   probability in the previous round's segmentation (add-``lm_alpha`` smoothed; after the
   ES-KMeans rounds), minus ``duration_weight * log q(F)``, the probability of its
   length in frames among the previous round's words; each span takes the type of least cost
   and the centroids and both priors are re-estimated every round.  It runs ``iterations``
   ES-KMeans rounds, then ``iterations`` rounds with the priors.  Frequent types become
   cheap, so recurring chunks are preferred as words.

Every final word takes its nearest centroid (method 1: of the k-means of the fitted
utterances' words; method 2: of the ES-KMeans rounds; method 3: its type of least cost) and the word column carries the cluster id (``c00042``), never a
transcript word.  Seeded: the only randomness is k-means' seeding.

Shapes: frames (T, D) of one utterance at ``info.frame_rate`` frames per second; a
boundary ``b`` (0..T) lies between frames ``b - 1`` and ``b``, at ``frame_offset +
(b - 0.5) / frame_rate`` seconds (clipped to the audio).  Times in seconds unless a name
says frames.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np

from .errors import SpokenW2VError
from .io import FrameInfo, Ragged, Segments
from .segment_lm import lexicon_costs, log_prior


class Method(str, enum.Enum):
    PROMINENCE = "prominence"
    ESKMEANS = "eskmeans"
    LEXICON = "lexicon"


@dataclass(frozen=True)
class DiscoverConfig:
    """Parameters of word discovery (see the module docstring); times in seconds.  The
    defaults are the lexicon method with the settings tuned on continuous one-voice synthetic
    speech at 50 MFCC frames per second (``bench/discover``)."""

    method: Method = Method.LEXICON
    window: float = 0.02
    smooth: float = 0.0
    distance: float = 0.1
    prominence: float = 0.5
    silence: float = 0.1  # fraction of the p5..p95 energy range; 0 = no silence detection
    min_silence: float = 0.05
    min_word: float = 0.04
    clusters: int = 400
    pieces: int = 10
    candidate_prominence: float = 0.0
    max_span: int = 6
    max_word: float = 1.2
    penalty: float = 1.0
    iterations: int = 4
    fit_utterances: int = 2000
    lm_weight: float = 1.0
    lm_alpha: float = 1.0
    duration_weight: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        """A bad value is a :class:`SpokenW2VError` naming its ``discover`` option (``--min-word``)
        or, for a field no option sets, the field (``DiscoverConfig.lm_alpha``)."""
        for name in ("window", "distance", "min_word", "max_word"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise SpokenW2VError(f"{option_name(name)} must be a positive number of seconds, found {value!r}")
        for name in ("smooth", "prominence", "min_silence", "candidate_prominence", "penalty", "lm_weight",
                     "duration_weight"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise SpokenW2VError(f"{option_name(name)} must be at least 0, found {value!r}")
        if not 0.0 <= self.silence < 1.0:
            raise SpokenW2VError(f"--silence must be in [0, 1), found {self.silence!r}")
        for name in ("clusters", "pieces", "max_span", "iterations", "fit_utterances"):
            if getattr(self, name) < 1:
                raise SpokenW2VError(f"{option_name(name)} must be at least 1, found {getattr(self, name)!r}")
        if not (math.isfinite(self.lm_alpha) and self.lm_alpha > 0):
            raise SpokenW2VError(f"DiscoverConfig.lm_alpha must be above 0, found {self.lm_alpha!r}")
        if self.max_word <= self.min_word:
            raise SpokenW2VError(f"--max-word must exceed --min-word ({self.min_word!r}), found {self.max_word!r}")


#: The fields of :class:`DiscoverConfig` that ``spokenw2v discover`` has no option for.
LIBRARY_ONLY_FIELDS = ("pieces", "max_span", "lm_alpha")


def option_name(field: str) -> str:
    """How an error names a :class:`DiscoverConfig` field: its ``discover`` option
    (``min_word`` -> ``--min-word``), or ``DiscoverConfig.pieces`` where no option sets it."""
    return f"DiscoverConfig.{field}" if field in LIBRARY_ONLY_FIELDS else f"--{field.replace('_', '-')}"


# --------------------------------------------------------------------------- frames -> boundaries


def frames_of(seconds: float, rate: float) -> int:
    """A duration in seconds as a whole number of frames (at least 1)."""
    return max(1, int(round(seconds * rate)))


def standardized(frames: np.ndarray) -> np.ndarray:
    """(T, D) float32: every dimension to mean 0, variance 1 over the utterance."""
    x = np.asarray(frames, dtype=np.float32)
    if len(x) == 0:
        return x
    return (x - x.mean(0)) / (x.std(0) + 1e-5)


def change_score(x: np.ndarray, window: int, smooth: int = 1) -> np.ndarray:
    """(T + 1,) change score of standardized frames ``x`` (T, D) at every boundary (0 at the
    utterance edges): distance of the means of ``window`` frames either side, / sqrt(D),
    then a centred moving average of ``smooth`` boundaries."""
    t, d = x.shape
    score = np.zeros(t + 1, dtype=np.float64)
    if t < 2:
        return score
    cs = np.concatenate([np.zeros((1, d)), np.cumsum(x, axis=0, dtype=np.float64)])
    b = np.arange(1, t)
    lo, hi = np.maximum(b - window, 0), np.minimum(b + window, t)
    left = (cs[b] - cs[lo]) / (b - lo)[:, None]
    right = (cs[hi] - cs[b]) / (hi - b)[:, None]
    score[1:t] = np.linalg.norm(left - right, axis=1) / math.sqrt(d)
    if smooth > 1:
        score = np.convolve(score, np.ones(smooth) / smooth, mode="same")
    return score


def silence_mask(energy: np.ndarray, level: float, min_frames: int) -> np.ndarray:
    """(T,) bool: frames of ``energy`` (T,) below ``p5 + level * (p95 - p5)`` in runs of at
    least ``min_frames``.  ``level`` 0 gives no silence."""
    t = len(energy)
    if level <= 0 or t == 0:
        return np.zeros(t, dtype=bool)
    p5, p95 = np.percentile(energy, [5, 95])
    low = energy < p5 + level * (p95 - p5)
    out = np.zeros(t, dtype=bool)
    for a, b in runs(low):
        if b - a >= min_frames:
            out[a:b] = True
    return out


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[a, b)`` frame ranges of the True runs of ``mask`` (T,)."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def peaks(score: np.ndarray, distance: int, prominence: float) -> np.ndarray:
    """Boundary indices of the peaks of ``score`` at least ``distance`` apart with at least
    ``prominence`` (scipy.signal.find_peaks)."""
    from scipy.signal import find_peaks

    found, _ = find_peaks(score, distance=max(1, distance), prominence=prominence)
    return found.astype(np.int64)


@dataclass
class Utterance:
    """One utterance prepared for segmentation: standardized frames ``x`` (T, D), its
    change ``score`` (T + 1,), and its speech ``regions`` (``[a, b)`` frames between
    pauses and utterance edges)."""

    utt: str
    x: np.ndarray
    score: np.ndarray
    regions: list[tuple[int, int]]
    duration: float


def prepare(utt: str, frames: np.ndarray, duration: float, info: FrameInfo, config: DiscoverConfig,
            units_k: int | None = None) -> Utterance:
    """Standardize, score and split one utterance at its pauses: ``frames`` (T, D) features,
    or (T,) unit ids of a ``units_k``-unit codebook (one-hot frames; no pause detection)."""
    rate = info.frame_rate
    if units_k is not None:
        onehot = np.zeros((len(frames), units_k), dtype=np.float32)
        onehot[np.arange(len(frames)), np.asarray(frames, dtype=np.int64)] = 1.0
        x, level, energy = standardized(onehot), 0.0, np.zeros(len(frames))
    else:
        x = standardized(frames)
        level = config.silence if info.feature == "mfcc" else 0.0
        energy = np.asarray(frames[:, 0], dtype=np.float64) if len(frames) else np.zeros(0)
    score = change_score(x, frames_of(config.window, rate), frames_of(config.smooth, rate))
    sil = silence_mask(energy, level, frames_of(config.min_silence, rate))
    regions = runs(~sil) if len(frames) else []
    return Utterance(utt, x, score, regions, float(duration))


def split_region(u: Utterance, a: int, b: int, prominence: float, distance: int, config: DiscoverConfig,
                 rate: float) -> np.ndarray:
    """Boundaries (frame indices, sorted, with ``a`` and ``b``) of speech region ``[a, b)``:
    its score's peaks inside it (``distance`` frames apart), pieces shorter than ``min_word``
    merged into their shorter neighbour."""
    inner = peaks(u.score[a:b + 1], distance, prominence) + a
    bounds = np.concatenate([[a], inner[(inner > a) & (inner < b)], [b]]).astype(np.int64)
    return merge_short(bounds, frames_of(config.min_word, rate))


def merge_short(bounds: np.ndarray, min_frames: int) -> np.ndarray:
    """Drop inner boundaries until every piece between ``bounds`` has at least
    ``min_frames`` (a short piece joins its shorter neighbour; the first and last bound stay)."""
    b = list(bounds.tolist())
    while len(b) > 2:
        lens = np.diff(b)
        i = int(np.argmin(lens))
        if lens[i] >= min_frames:
            break
        if i == 0:
            del b[1]
        elif i == len(lens) - 1:
            del b[-2]
        else:
            del b[i if lens[i - 1] <= lens[i + 1] else i + 1]
    return np.asarray(b, dtype=np.int64)


def prominence_words(u: Utterance, config: DiscoverConfig, rate: float, min_region: int) -> list[tuple[int, int]]:
    """Method 1: ``[i0, i1)`` frame ranges of the words of one utterance (regions shorter
    than ``min_region`` frames are dropped as noise)."""
    words: list[tuple[int, int]] = []
    for a, b in u.regions:
        if b - a < min_region:
            continue
        bounds = split_region(u, a, b, config.prominence, frames_of(config.distance, rate), config, rate)
        words.extend(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
    return words


# --------------------------------------------------------------------------- embeddings


def span_embeddings(x: np.ndarray, starts: np.ndarray, ends: np.ndarray, pieces: int) -> np.ndarray:
    """(S, pieces * D) float32 downsampled embeddings of the frame spans ``[starts, ends)`` of
    ``x`` (T, D): the mean of each of ``pieces`` equal parts (a span shorter than ``pieces``
    frames takes the frame at each part's centre), concatenated, L2-normalised."""
    starts, ends = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
    s, d = len(starts), x.shape[1]
    if s == 0:
        return np.zeros((0, pieces * d), np.float32)
    cs = np.concatenate([np.zeros((1, d)), np.cumsum(x, axis=0, dtype=np.float64)])
    n = (ends - starts)[:, None]
    p = np.arange(pieces)[None, :]
    lo = starts[:, None] + (p * n) // pieces
    hi = starts[:, None] + ((p + 1) * n) // pieces
    empty = hi <= lo
    centre = starts[:, None] + ((2 * p + 1) * n) // (2 * pieces)
    lo = np.where(empty, np.minimum(centre, ends[:, None] - 1), lo)
    hi = np.where(empty, lo + 1, hi)
    emb = (cs[hi] - cs[lo]) / (hi - lo)[..., None]  # (S, pieces, D)
    emb = emb.reshape(s, pieces * d).astype(np.float32)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    return emb


# --------------------------------------------------------------------------- ES-KMeans


@dataclass
class Lattice:
    """The possible words of one utterance: spans ``[starts, ends)`` (frames) over its
    candidate boundaries, with embeddings ``emb`` (S, pieces * D); ``nodes`` the candidate
    boundaries of each speech region, ``arcs`` per region the spans ``(i, j, row)`` from
    node i to node j (``row`` indexes ``starts``/``ends``/``emb``)."""

    starts: np.ndarray
    ends: np.ndarray
    emb: np.ndarray
    nodes: list[np.ndarray]
    arcs: list[list[tuple[int, int, int]]]  # per region: (i, j, row)


def lattice(u: Utterance, config: DiscoverConfig, rate: float, min_region: int) -> Lattice:
    """All spans of up to ``max_span`` candidate stretches (at most ``max_word`` seconds, a
    single stretch always allowed) in every speech region of ``u``."""
    max_frames = frames_of(config.max_word, rate)
    starts: list[int] = []
    ends: list[int] = []
    nodes: list[np.ndarray] = []
    arcs: list[list[tuple[int, int, int]]] = []
    for a, b in u.regions:
        if b - a < min_region:
            continue
        c = split_region(u, a, b, config.candidate_prominence, 1, config, rate)
        region_arcs = []
        for j in range(1, len(c)):
            for i in range(max(0, j - config.max_span), j):
                if i == j - 1 or c[j] - c[i] <= max_frames:
                    region_arcs.append((i, j, len(starts)))
                    starts.append(int(c[i]))
                    ends.append(int(c[j]))
        nodes.append(c)
        arcs.append(region_arcs)
    s, e = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
    return Lattice(s, e, span_embeddings(u.x, s, e, config.pieces), nodes, arcs)


def span_costs(lat: Lattice, centroids: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """(cost (S,), cluster (S,)) of every span: ``F * ||e - mu||^2 + penalty`` against its
    nearest centroid ``mu`` (F = frames)."""
    if len(lat.emb) == 0:
        return np.zeros(0), np.zeros(0, np.int64)
    sq = 1.0 - 2.0 * lat.emb @ centroids.T + np.square(centroids).sum(1)[None, :]
    cluster = np.argmin(sq, axis=1)
    dist = np.maximum(sq[np.arange(len(sq)), cluster], 0.0)
    return (lat.ends - lat.starts) * dist + penalty, cluster


def best_path(lat: Lattice, cost: np.ndarray) -> list[int]:
    """Rows of the spans of the cheapest segmentation of every region (dynamic programming
    over the candidate boundaries), in time order."""
    rows: list[int] = []
    for c, region_arcs in zip(lat.nodes, lat.arcs):
        m = len(c)
        best = np.full(m, np.inf)
        best[0] = 0.0
        back = np.full(m, -1, np.int64)
        into: list[list[tuple[int, int]]] = [[] for _ in range(m)]
        for i, j, r in region_arcs:
            into[j].append((i, r))
        for j in range(1, m):
            for i, r in into[j]:
                v = best[i] + cost[r]
                if v < best[j]:
                    best[j], back[j] = v, r
        path, j = [], m - 1
        while j > 0:
            r = int(back[j])
            path.append(r)
            j = int(np.searchsorted(c, lat.starts[r]))
        rows.extend(reversed(path))
    return rows


def update_centroids(emb: np.ndarray, cluster: np.ndarray, old: np.ndarray) -> np.ndarray:
    """The mean embedding of each cluster's words (a cluster with no word keeps its centroid)."""
    k = len(old)
    sums = np.zeros_like(old, dtype=np.float64)
    np.add.at(sums, cluster, emb)
    counts = np.bincount(cluster, minlength=k)[:, None]
    return np.where(counts > 0, sums / np.maximum(counts, 1), old).astype(np.float32)


# --------------------------------------------------------------------------- the whole corpus


@dataclass
class Discovery:
    """The outcome: ``segments`` (word = cluster id), every utterance read (``utterances``,
    also those where no word was found), the number of ``clusters`` and, for ES-KMeans, the
    DP objective after each fitting round (``objective``, per frame)."""

    segments: Segments
    utterances: list[str]
    clusters: int
    fit_utterances: int
    objective: list[float]


MAX_FRAMES = 200  # word lengths of the duration prior: 0 .. MAX_FRAMES - 1 frames (longer: the last)


def cluster_name(k: int) -> str:
    return f"c{k:05d}"


def utterances(shards: Iterable[Ragged], config: DiscoverConfig,
               units_k: int | None = None) -> Iterator[tuple[Utterance, FrameInfo]]:
    """Every utterance of the features (or units), prepared (:func:`prepare`), one shard in
    memory at a time."""
    for shard in shards:
        for u, (utt, frames) in enumerate(shard.items()):
            yield prepare(utt, frames, float(shard.durations[u]), shard.info, config, units_k), shard.info


def word_frames(u: Utterance, config: DiscoverConfig, info: FrameInfo, centroids: np.ndarray | None,
                prior: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray, np.ndarray]:
    """(words as frame ranges, their embeddings, their DP costs, their types) of one
    utterance: method 1's words (types: nearest centroid, or -1 without ``centroids``), or
    with ``centroids`` the DP's of ES-KMeans (nearest centroid) or of the lexicon method
    (the type of least cost under ``prior``: log unigram prior of the types (K,), log prior of
    word lengths in frames)."""
    rate = info.frame_rate
    min_region = frames_of(config.min_word, rate)
    if config.method != Method.PROMINENCE and centroids is not None:
        lat = lattice(u, config, rate, min_region)
        if config.method == Method.LEXICON and prior is not None:
            cost, kind = lexicon_costs(lat.emb, lat.ends - lat.starts, centroids, prior[0], 0.0,
                                       config.lm_weight, prior[1], config.duration_weight)
        else:
            cost, kind = span_costs(lat, centroids, config.penalty)
        rows = best_path(lat, cost)
        words = [(int(lat.starts[r]), int(lat.ends[r])) for r in rows]
        return words, lat.emb[rows], cost[rows], kind[rows]
    words = prominence_words(u, config, rate, min_region)
    s = np.asarray([w[0] for w in words], np.int64)
    e = np.asarray([w[1] for w in words], np.int64)
    emb = span_embeddings(u.x, s, e, config.pieces)
    kind = nearest(emb, centroids) if centroids is not None else np.full(len(words), -1, np.int64)
    return words, emb, np.zeros(len(words)), kind


def nearest(emb: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """(S,) index of the nearest centroid of every embedding (S, E)."""
    if len(emb) == 0:
        return np.zeros(0, np.int64)
    return np.argmin(-2.0 * emb @ centroids.T + np.square(centroids).sum(1)[None, :], axis=1).astype(np.int64)


def initial_centroids(emb: np.ndarray, k: int, seed: int) -> np.ndarray:
    """(k', pieces * D) k-means centroids of ``emb`` (k' = min(k, rows)), seeded."""
    from .kmeans import kmeans

    k = max(1, min(k, len(emb)))
    return np.asarray(kmeans(emb, k, seed=seed).centroids, dtype=np.float32)


def lexicon_prior(found: list[tuple], cluster: np.ndarray, k: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(log unigram prior of the ``k`` types (K,), log prior of word lengths in frames
    (MAX_FRAMES,)) of a round's words ``found`` (:func:`word_frames` of every utterance) and
    their types ``cluster``, add-``alpha`` smoothed."""
    lengths = np.asarray([w[1] - w[0] for f in found for w in f[0]], np.int64)
    return (log_prior(np.bincount(cluster, minlength=k), alpha),
            log_prior(np.bincount(np.minimum(lengths, MAX_FRAMES - 1), minlength=MAX_FRAMES), alpha))


def fit(shards: Iterable[Ragged], config: DiscoverConfig, units_k: int | None = None
        ) -> tuple[np.ndarray, np.ndarray | None, int, list[float]]:
    """(centroids, the lexicon priors (lexicon method; else None), utterances used, objective
    per round): k-means of method 1's words of the first ``fit_utterances`` utterances, then
    ``iterations`` ES-KMeans rounds of re-segmentation and centroid updates on them; the
    lexicon method then takes its priors from the last segmentation and runs ``iterations``
    more rounds with them (re-estimating centroids and priors)."""
    held: list[tuple[Utterance, FrameInfo]] = []
    for item in utterances(shards, config, units_k):
        held.append(item)
        if len(held) >= config.fit_utterances:
            break
    if not held:
        raise SpokenW2VError("no utterances in the features")
    found = [word_frames(u, config, info, None) for u, info in held]
    if sum(len(f[0]) for f in found) == 0:
        raise SpokenW2VError(f"no word found in the first {len(held)} utterance(s) (all silence or too short)")
    first = np.concatenate([f[1] for f in found])
    centroids = initial_centroids(first, config.clusters, config.seed)
    prior = None
    objective: list[float] = []
    frames = sum(u.x.shape[0] for u, _ in held)
    rounds = {Method.PROMINENCE: 0, Method.ESKMEANS: config.iterations, Method.LEXICON: 2 * config.iterations}
    for r in range(rounds[config.method]):
        if config.method == Method.LEXICON and r == config.iterations:  # ES-KMeans rounds done: the priors
            prior = lexicon_prior(found, np.concatenate([f[3] for f in found]), len(centroids), config.lm_alpha)
        found = [word_frames(u, config, info, centroids, prior) for u, info in held]
        emb = np.concatenate([f[1] for f in found])
        if len(emb) == 0:
            break
        cluster = np.concatenate([f[3] for f in found])
        if prior is not None:
            prior = lexicon_prior(found, cluster, len(centroids), config.lm_alpha)
        centroids = update_centroids(emb, cluster, centroids)
        objective.append(float(sum(f[2].sum() for f in found)) / max(frames, 1))
    return centroids, prior, len(held), objective


def boundary_time(b: int, info: FrameInfo, duration: float) -> float:
    """Seconds of boundary ``b`` (between frames b - 1 and b), clipped to the audio."""
    return float(min(max(info.frame_offset + (b - 0.5) / info.frame_rate, 0.0), duration))


def discover(shards: Callable[[], Iterable[Ragged]], config: DiscoverConfig = DiscoverConfig(),
             units_k: int | None = None) -> Discovery:
    """Discover the word tokens of every utterance of ``shards()`` (called once to fit, once
    to segment; each call yields the same shards in the same order): features, or with
    ``units_k`` frame units of a codebook of that many units."""
    centroids, prior, n_fit, objective = fit(shards(), config, units_k)
    utt: list[str] = []
    start: list[float] = []
    end: list[float] = []
    word: list[str] = []
    seen: list[str] = []
    for u, info in utterances(shards(), config, units_k):
        seen.append(u.utt)
        words, emb, _, kind = word_frames(u, config, info, centroids, prior)
        if not words:
            continue
        cluster = kind if config.method == Method.LEXICON else nearest(emb, centroids)
        for (i0, i1), k in zip(words, cluster.tolist()):
            s, e = boundary_time(i0, info, u.duration), boundary_time(i1, info, u.duration)
            if e > s:
                utt.append(u.utt)
                start.append(s)
                end.append(e)
                word.append(cluster_name(k))
    seg = Segments(utt, np.asarray(start, np.float64), np.asarray(end, np.float64), word)
    return Discovery(seg, seen, len(centroids), n_fit, objective)
