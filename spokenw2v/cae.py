"""A correspondence autoencoder (cAE) frame encoder trained on word pairs found without labels.

Frames of two speakers saying one word differ more than frames of one speaker saying two
words (``bench/RESULTS.md``, "Units across speakers"), so k-means units of MFCC frames spell a
word differently for every voice.  The correspondence autoencoder (Kamper et al. 2015,
"Unsupervised neural network based feature extraction using weak top-down constraints";
Renshaw et al. 2015) learns frames that two speakers share from pairs of word tokens that
are probably the same word:

1. **pairs**: every word token gets a downsampled acoustic word embedding
   (:func:`spokenw2v.consensus.word_embeddings`); for every two speakers, a token of one and
   a token of the other are a pair when each is the other's nearest token (cosine distance)
   among that speaker's tokens -- mutual nearest neighbours across speakers -- and their
   distance is at most ``max_distance``.  Word labels are never read.
2. **alignment**: the frames of the two tokens of a pair are aligned by dynamic time warping
   (Euclidean distance between standardized frames; steps (1, 0), (0, 1), (1, 1)).
3. **training**: a small MLP (``layers`` tanh layers of ``hidden`` units, then a linear
   output) takes a standardized frame (with ``context`` frames on each side) and predicts, with
   ``target`` "partner", its aligned frame of the other token (both directions; the original
   cAE), or with "mean" the mean of the two aligned frames: with two speakers a partner target
   swaps voices, so the network must keep the voice to know which way to map, while the mean
   is one target for both (``tests/test_cae.py`` shows the difference on a warped toy).  This
   comes after ``pretrain_epochs`` of
   plain autoencoding of the tokens' frames (the cAE's initialisation).  Mean squared error,
   Adam, seeded.
4. **features**: the network's output (``feature_layer`` 0) or the activations of hidden layer
   ``feature_layer`` (1-based) are the new frame features; k-means on them (``discretize``)
   gives the units.

With ``speaker_norm`` every speaker's input frames are first brought to zero mean and unit
variance per dimension (:func:`speaker_normalize`): pairs are then mined, and the encoder
trained and applied, on frames in which a voice's channel and spectral tilt no longer tell
speakers apart (without it, the nearest token of another voice is often another word).

The encoder is saved with its configuration and input standardization and applies to new
audio's features of the same kind (:func:`encode_features`; normalised per speaker first when
it was trained so).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Optional, Sequence

import numpy as np

from .errors import SpokenW2VError
from .frames import frame_range
from .io import FrameInfo, Ragged, Segments
from .numbers import fixed

CAE_FORMAT = "spokenw2v-cae"
CAE_VERSION = 1


class Target(str, Enum):
    """What the network predicts from a frame: its aligned ``partner`` frame (Kamper et al.'s
    correspondence autoencoder), or the ``mean`` of the two aligned frames -- the same target
    from both speakers, so the output itself becomes the same for both."""

    PARTNER = "partner"
    MEAN = "mean"


@dataclass(frozen=True)
class CAEConfig:
    """Parameters of pair mining and training (see the module docstring)."""

    max_distance: float = 1.0  # cosine distance of a pair's embeddings, at most (1: any but opposite)
    pieces: int = 10  # parts of a token in its word embedding
    hidden: int = 100
    layers: int = 3
    feature_layer: int = 0  # 1-based hidden layer whose activations are the features; 0 the output
    context: int = 0  # frames on each side stacked to the input
    pretrain_epochs: int = 5
    epochs: int = 20
    batch: int = 64
    lr: float = 1e-3
    seed: int = 0
    target: Target = Target.MEAN
    speaker_norm: bool = False  # each speaker's input frames to zero mean, unit variance (pairs, training, use)

    def __post_init__(self) -> None:
        """A bad value is a :class:`SpokenW2VError` naming its ``cae`` option (``--hidden``) or,
        for a field no option sets, the field (``CAEConfig.batch``)."""
        if not 0.0 <= self.max_distance <= 2.0:
            raise SpokenW2VError(f"--max-distance must be a cosine distance in [0, 2], found {self.max_distance!r}")
        for name, value in (("CAEConfig.pieces", self.pieces), ("--hidden", self.hidden), ("--layers", self.layers),
                            ("CAEConfig.batch", self.batch)):
            if value < 1:
                raise SpokenW2VError(f"{name} must be at least 1, found {value!r}")
        if self.target not in {t.value for t in Target}:
            raise SpokenW2VError(f"--target must be {' or '.join(t.value for t in Target)}, found {self.target!r}")
        object.__setattr__(self, "target", Target(self.target))
        if not 0 <= self.feature_layer <= self.layers:
            raise SpokenW2VError(f"--feature-layer must be in [0, --layers = {self.layers}] (0: the output), "
                                 f"found {self.feature_layer!r}")
        for name, value in (("--context", self.context), ("--pretrain-epochs", self.pretrain_epochs),
                            ("--epochs", self.epochs)):
            if value < 0:
                raise SpokenW2VError(f"{name} must be at least 0, found {value!r}")
        if not self.lr > 0.0:
            raise SpokenW2VError(f"CAEConfig.lr must be above 0, found {self.lr!r}")


@dataclass
class Encoder:
    """A trained encoder: ``config``, the input standardization ``mean``/``std`` (D,), the
    network's ``state`` (a torch state dict) and the ``info`` of the features it reads."""

    config: CAEConfig
    mean: np.ndarray
    std: np.ndarray
    state: dict
    info: FrameInfo

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    def fingerprint(self) -> str:
        h = hashlib.sha1()
        for name in sorted(self.state):
            h.update(name.encode())
            h.update(np.ascontiguousarray(self.state[name].detach().cpu().numpy()).tobytes())
        h.update(self.mean.tobytes())
        return h.hexdigest()[:12]


@dataclass
class Training:
    """What :func:`train_encoder` did: pairs found, aligned frame pairs, the losses, and the
    mean distance of aligned frames in the encoder's features before (at its initialisation)
    and after training (each feature dimension standardized, so they compare)."""

    encoder: Encoder
    pairs: int
    frame_pairs: int
    pretrain_loss: list[float]
    loss: list[float]
    aligned_distance_before: float
    aligned_distance_after: float

    def summary(self) -> str:
        """One line: pairs, the first and last epoch's loss, and the aligned frames' distance
        before and after training."""
        first, last = (self.loss[0], self.loss[-1]) if self.loss else (None, None)
        return (f"{self.pairs:,} word pairs, {self.frame_pairs:,} aligned frame pairs; loss "
                f"{fixed(first, 4, missing='nan')} -> {fixed(last, 4, missing='nan')}; distance of aligned frames "
                f"in the features {fixed(self.aligned_distance_before, missing='nan')} (untrained) -> "
                f"{fixed(self.aligned_distance_after, missing='nan')}")


# --------------------------------------------------------------------------- 1. pairs


def token_frames(features: Iterable[Ragged], seg: Segments, source: str = "features") -> tuple[list[np.ndarray], FrameInfo]:
    """(frames of every segment (F_j, D) float32, the features' info).  A segment whose
    utterance is in no shard is an error naming ``source``."""
    rows: dict[str, list[int]] = {}
    for i, u in enumerate(seg.utt):
        rows.setdefault(u, []).append(i)
    out: list[Optional[np.ndarray]] = [None] * len(seg)
    info = None
    for shard in features:
        info = shard.info
        for utt, frames in shard.items():
            for i in rows.get(utt, ()):
                i0, i1 = frame_range(float(seg.start[i]), float(seg.end[i]), info, len(frames))
                out[i] = np.asarray(frames[i0:max(i1, i0 + 1)], dtype=np.float32)
    missing = [i for i, x in enumerate(out) if x is None]
    if missing or info is None:
        utt = seg.utt[missing[0]] if missing else "?"
        raise SpokenW2VError(f"{source}: utterance {utt!r} of the segments is not in the features")
    return out, info  # type: ignore[return-value]


def mutual_pairs(emb: np.ndarray, speakers: Sequence[str], max_distance: float) -> np.ndarray:
    """(P, 2) token index pairs ``i < j``: tokens of two different speakers, each the other's
    nearest among the other speaker's tokens by cosine distance (rows of ``emb`` are unit
    vectors), at most ``max_distance`` apart.  Ties go to the lower index."""
    import torch

    spk = np.asarray(speakers, dtype=object)
    names = sorted(set(speakers))
    groups = {s: np.flatnonzero(spk == s) for s in names}
    x = torch.from_numpy(np.ascontiguousarray(emb, dtype=np.float32))
    found = []
    for a_i, a in enumerate(names):
        for b in names[a_i + 1:]:
            ia, ib = groups[a], groups[b]
            sim = x[torch.from_numpy(ia)] @ x[torch.from_numpy(ib)].T  # (|A|, |B|)
            best_b = sim.argmax(1).numpy()  # for each token of a, its nearest of b
            best_a = sim.argmax(0).numpy()
            mutual = best_a[best_b] == np.arange(len(ia))
            dist = 1.0 - sim[np.arange(len(ia)), best_b].numpy()
            keep = mutual & (dist <= max_distance)
            found.append(np.stack([ia[keep], ib[best_b[keep]]], 1))
    if not found:
        return np.zeros((0, 2), np.int64)
    pairs = np.concatenate(found).astype(np.int64)
    return np.sort(pairs, axis=1)


# --------------------------------------------------------------------------- 2. alignment


def dtw_path(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dynamic-time-warping alignment of (n, D) and (m, D) frames: index arrays ``(ia,
    ib)`` of equal length, from (0, 0) to (n - 1, m - 1), minimising the summed Euclidean
    distance with steps (1, 0), (0, 1) and (1, 1)."""
    n, m = len(a), len(b)
    d = np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0.0))
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    # anti-diagonal sweep: every cell of diagonal k depends only on diagonals k - 1 and k - 2
    for k in range(2, n + m + 1):
        i = np.arange(max(1, k - m), min(n, k - 1) + 1)
        j = k - i
        acc[i, j] = d[i - 1, j - 1] + np.minimum(np.minimum(acc[i - 1, j], acc[i, j - 1]), acc[i - 1, j - 1])
    ia, ib = [n - 1], [m - 1]
    i, j = n, m
    while i > 1 or j > 1:
        steps = ((acc[i - 1, j - 1], i - 1, j - 1), (acc[i - 1, j], i - 1, j), (acc[i, j - 1], i, j - 1))
        _, i, j = min(steps, key=lambda s: s[0])
        ia.append(i - 1)
        ib.append(j - 1)
    return np.asarray(ia[::-1], np.int64), np.asarray(ib[::-1], np.int64)


def stack_context(x: np.ndarray, context: int) -> np.ndarray:
    """(F, D) -> (F, D * (2 context + 1)): each frame with ``context`` frames on each side
    (edge frames repeated)."""
    if context == 0:
        return x
    p = np.pad(x, ((context, context), (0, 0)), mode="edge")
    return np.concatenate([p[i:i + len(x)] for i in range(2 * context + 1)], 1)


def aligned_frames(tokens: Sequence[np.ndarray], pairs: np.ndarray,
                   context: int, mean_target: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inputs (N, D * (2 context + 1)), targets (N, D), the targets' own inputs (N, D * (2
    context + 1))): the DTW-aligned frames of every pair, in both directions.  ``tokens``
    standardized frames (F_j, D)."""
    dim = tokens[0].shape[1] if len(tokens) else 0
    xs, ys, zs = [], [], []
    for i, j in pairs.tolist():
        a, b = tokens[i], tokens[j]
        ia, ib = dtw_path(a, b)
        sa, sb = stack_context(a, context), stack_context(b, context)
        xs += [sa[ia], sb[ib]]
        if mean_target:
            m = 0.5 * (a[ia] + b[ib])
            ys += [m, m]
        else:
            ys += [b[ib], a[ia]]
        zs += [sb[ib], sa[ia]]
    if not xs:
        empty = np.zeros((0, dim * (2 * context + 1)), np.float32)
        return empty, np.zeros((0, dim), np.float32), empty
    return tuple(np.concatenate(v).astype(np.float32) for v in (xs, ys, zs))  # type: ignore[return-value]


# --------------------------------------------------------------------------- 3. training


def build_network(dim: int, config: CAEConfig):
    """The MLP of the module docstring (a ``torch.nn.Sequential``: Linear, Tanh pairs, then a
    Linear output of ``dim`` units)."""
    import torch

    width = dim * (2 * config.context + 1)
    layers: list = []
    for _ in range(config.layers):
        layers += [torch.nn.Linear(width, config.hidden), torch.nn.Tanh()]
        width = config.hidden
    layers.append(torch.nn.Linear(width, dim))
    return torch.nn.Sequential(*layers)


def _minimise_mse(net, x: np.ndarray, y: np.ndarray, epochs: int, config: CAEConfig, generator) -> list[float]:
    """Train ``net`` to map inputs ``x`` to targets ``y`` (mean squared error, Adam, batches of
    ``config.batch`` in a seeded order) for ``epochs`` epochs; the mean loss of every epoch."""
    import torch

    if epochs == 0 or len(x) == 0:
        return []
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=generator)
        total = 0.0
        for s in range(0, len(xt), config.batch):
            idx = order[s:s + config.batch]
            loss = torch.nn.functional.mse_loss(net(xt[idx]), yt[idx])
            if not torch.isfinite(loss):
                raise SpokenW2VError("the encoder's loss is not finite (features with NaN or absurd values?)")
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(xt))
    return losses


def hidden_features(net, x: np.ndarray, layer: int) -> np.ndarray:
    """(N, width) float32 activations of hidden layer ``layer`` (1-based; 0 the output) for
    inputs ``x``."""
    import torch

    part = net if layer == 0 else net[: 2 * layer]
    with torch.inference_mode():
        return part(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).numpy()


def _aligned_distance(net, x_in: np.ndarray, y_in: np.ndarray, layer: int) -> float:
    """Mean Euclidean distance between the features of aligned frame inputs ``x_in`` and
    ``y_in``, each feature dimension scaled by its standard deviation over both."""
    if len(x_in) == 0:
        return float("nan")
    fx, fy = hidden_features(net, x_in, layer), hidden_features(net, y_in, layer)
    scale = np.concatenate([fx, fy]).std(0) + 1e-6
    return float(np.linalg.norm((fx - fy) / scale, axis=1).mean())


def train_encoder(tokens: Sequence[np.ndarray], pairs: np.ndarray, info: FrameInfo,
                  config: CAEConfig = CAEConfig()) -> Training:
    """Train the encoder (steps 2-3 of the module docstring) on the frames of word tokens
    (``tokens[j]`` (F_j, D)) and the token pairs ``pairs`` (P, 2)."""
    import torch

    if len(pairs) == 0:
        raise SpokenW2VError("no word pairs to train on: no two speakers' tokens are mutual nearest neighbours "
                             "within the distance allowed (raise --max-distance, or check the speakers)")
    allx = np.concatenate(tokens).astype(np.float64)
    mean, std = allx.mean(0), allx.std(0) + 1e-5
    std_tokens = [((t - mean) / std).astype(np.float32) for t in tokens]
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    net = build_network(len(mean), config)
    x, y, partner = aligned_frames(std_tokens, pairs, config.context, config.target == Target.MEAN)
    before = _aligned_distance(net, x, partner, config.feature_layer)
    own = np.concatenate([stack_context(t, config.context) for t in std_tokens]).astype(np.float32)
    centre = np.concatenate(std_tokens).astype(np.float32)
    pre = _minimise_mse(net, own, centre, config.pretrain_epochs, config, generator)
    loss = _minimise_mse(net, x, y, config.epochs, config, generator)
    after = _aligned_distance(net, x, partner, config.feature_layer)
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    enc = Encoder(config, mean.astype(np.float32), std.astype(np.float32), state, info)
    return Training(enc, len(pairs), len(x), pre, loss, before, after)


def fit_cae(features: Iterable[Ragged], seg: Segments, speakers: Sequence[str], config: CAEConfig = CAEConfig(),
            pairs_from: Iterable[Ragged] | None = None, source: str = "features",
            pairs_source: str = "pair features") -> Training:
    """Steps 1-3 of the module docstring: pairs of ``seg``'s tokens (``speakers[j]`` token j's
    speaker) by the word embeddings of ``pairs_from`` (default: ``features``), then the encoder
    trained on the frames of ``features``."""
    features = list(features)
    emb_source = features if pairs_from is None else pairs_from
    from .consensus import word_embeddings

    emb = word_embeddings(emb_source, seg, config.pieces, source=source if pairs_from is None else pairs_source)
    pairs = mutual_pairs(emb, speakers, config.max_distance)
    tokens, info = token_frames(features, seg, source=source)
    return train_encoder(tokens, pairs, info, config)


def learn_encoder(features: Sequence[Ragged], seg: Segments, speakers: Mapping[str, str] | None,
                  config: CAEConfig = CAEConfig(), pairs_from: Iterable[Ragged] | None = None,
                  source: str = "features", pairs_source: str = "pair features", speakers_source: str = "speakers",
                  log: Callable[[str], None] = lambda line: None) -> Encoder:
    """:func:`fit_cae` on the tokens of ``seg``, each token's speaker its utterance's in
    ``speakers`` (utterance id -> speaker; None: every utterance its own speaker; a missing one
    is an error naming ``speakers_source``), telling ``log`` what it paired and learned."""
    from .speakers import token_speakers

    if config.speaker_norm:
        if speakers is None:
            raise SpokenW2VError("per-speaker normalisation needs the speakers of the utterances")
        features = speaker_normalize(features, dict(speakers), source=source)
    spk = token_speakers(seg.utt, speakers, speakers_source) if speakers is not None else list(seg.utt)
    log(f"pairing {len(seg):,} word tokens of {len(set(spk)):,} speakers (max distance {config.max_distance:g})")
    found = fit_cae(features, seg, spk, config, pairs_from=pairs_from, source=source, pairs_source=pairs_source)
    log(found.summary())
    return found.encoder


# --------------------------------------------------------------------------- 4. features, saving


def encode_features(encoder: Encoder, features: Iterable[Ragged], source: str = "features") -> Iterator[Ragged]:
    """The encoder's features of every shard of ``features`` (float32; frame rate and offset
    unchanged, ``info.feature`` "cae")."""
    net = build_network(encoder.dim, encoder.config)
    net.load_state_dict(encoder.state)
    net.eval()
    ci = encoder.info
    info = FrameInfo(ci.frame_rate, ci.frame_offset, ci.frame_width, "cae", f"{ci.describe()}:{encoder.fingerprint()}",
                     encoder.config.feature_layer, ci.sample_rate)
    for shard in features:
        si = shard.info
        if (si.feature, si.model, si.layer, si.frame_rate) != (ci.feature, ci.model, ci.layer, ci.frame_rate):
            raise SpokenW2VError(f"{source}: features are {si.describe()} at {si.frame_rate:g} frames/s, the encoder "
                                 f"reads {ci.describe()} at {ci.frame_rate:g} frames/s")
        if shard.values.shape[1] != encoder.dim:
            raise SpokenW2VError(f"{source}: features have {shard.values.shape[1]} dims, the encoder reads {encoder.dim}")
        arrays = []
        for _, frames in shard.items():
            z = ((np.asarray(frames, dtype=np.float32) - encoder.mean) / encoder.std).astype(np.float32)
            arrays.append(hidden_features(net, stack_context(z, encoder.config.context), encoder.config.feature_layer))
        yield Ragged.from_list(shard.utt_ids, arrays, shard.durations, info, dtype=np.float32)


def speaker_normalize(shards: Iterable[Ragged], speakers: dict[str, str], source: str = "features") -> list[Ragged]:
    """Each speaker's frames to zero mean and unit variance per dimension (statistics over all
    the speaker's frames); ``speakers`` utterance id -> speaker."""
    shards = list(shards)
    sums: dict[str, list] = {}
    for shard in shards:
        for utt, f in shard.items():
            if utt not in speakers:
                raise SpokenW2VError(f"{source}: no speaker for utterance {utt!r}")
            f = np.asarray(f, dtype=np.float64)
            acc = sums.setdefault(speakers[utt], [0, 0.0, 0.0])
            acc[0] += len(f)
            acc[1] = acc[1] + f.sum(0)
            acc[2] = acc[2] + (f * f).sum(0)
    stats = {s: (a[1] / max(a[0], 1), np.sqrt(np.maximum(a[2] / max(a[0], 1) - (a[1] / max(a[0], 1)) ** 2, 0)) + 1e-5)
             for s, a in sums.items()}
    out = []
    for shard in shards:
        arrays = [((np.asarray(f, np.float64) - stats[speakers[u]][0]) / stats[speakers[u]][1]).astype(np.float32)
                  for u, f in shard.items()]
        out.append(Ragged.from_list(shard.utt_ids, arrays, shard.durations, shard.info, dtype=np.float32))
    return out


def encode_corpus(encoder: Encoder, shards: Sequence[Ragged], speakers: Mapping[str, str] | None = None,
                  source: str = "features") -> Ragged:
    """The encoder's features of every utterance of ``shards`` as one :class:`Ragged` (float32),
    normalised per speaker (:func:`speaker_normalize`) when ``speakers`` (utterance id ->
    speaker) is given; an encoder trained on per-speaker normalised input (``speaker_norm``)
    reads its input normalised so too, and then needs ``speakers``."""
    if encoder.config.speaker_norm:
        if speakers is None:
            raise SpokenW2VError(f"{source}: the encoder was trained on features normalised per speaker; "
                                 f"give --speaker-norm with --speakers or --speaker-pattern")
        shards = speaker_normalize(shards, dict(speakers), source=source)
    coded = list(encode_features(encoder, shards, source=source))
    if speakers is not None:
        coded = speaker_normalize(coded, speakers, source=source)
    return Ragged.from_list([u for s in coded for u in s.utt_ids], [s[i] for s in coded for i in range(len(s))],
                            [d for s in coded for d in s.durations.tolist()], coded[0].info, dtype="float32")


def save_encoder(path: str | os.PathLike, enc: Encoder) -> None:
    """Save atomically (``torch.save`` of tensors and plain values only)."""
    import torch

    from .checkpoints import save_checkpoint

    save_checkpoint(path, {"format": CAE_FORMAT, "version": CAE_VERSION, "config": {**asdict(enc.config), "target": enc.config.target.value},
                           "mean": torch.from_numpy(enc.mean), "std": torch.from_numpy(enc.std),
                           "state": enc.state, "info": {k: (v.item() if hasattr(v, "item") else v)
                                                        for k, v in enc.info.to_arrays().items()}})


def load_encoder(path: str | os.PathLike) -> Encoder:
    """Load an encoder saved by :func:`save_encoder` (tensors only, no pickled code)."""
    from .checkpoints import load_tensor_file  # torch: only commands that load an encoder import it

    ck = load_tensor_file(path, CAE_FORMAT, CAE_VERSION, "encoder", "no such encoder file",
                          " (an encoder from `spokenw2v cae`)")
    try:
        config = CAEConfig(**ck["config"])
        info = FrameInfo.from_arrays(ck["info"])
        enc = Encoder(config, ck["mean"].numpy().astype(np.float32), ck["std"].numpy().astype(np.float32),
                      dict(ck["state"]), info)
        build_network(enc.dim, config).load_state_dict(enc.state)
    except (KeyError, TypeError, ValueError, RuntimeError, SpokenW2VError) as exc:
        raise SpokenW2VError(f"{path}: a damaged encoder ({type(exc).__name__}: {exc})") from None
    return enc
