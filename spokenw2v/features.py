"""Audio -> frame features: MFCC, HuBERT, wav2vec 2.0, WavLM.

Feature kinds (see :data:`FEATURE_TABLE`):

========  =====  ==========  ============  ===========  =====================================
kind      dims   frame rate  frame offset  frame width  source
========  =====  ==========  ============  ===========  =====================================
mfcc      39     100 /s      0.0 s         0.025 s      torchaudio MFCC + deltas + delta-deltas
hubert    H      50 /s       0.0125 s      0.025 s      transformers ``HubertModel``
wav2vec2  H      50 /s       0.0125 s      0.025 s      transformers ``Wav2Vec2Model``
wavlm     H      50 /s       0.0125 s      0.025 s      transformers ``WavLMModel``
========  =====  ==========  ============  ===========  =====================================

(H = the model's ``hidden_size``, 768 for the base models.  The self-supervised
figures are those of the standard convolutional front-end, kernels (10,3,3,3,3,2,2),
strides (5,2,2,2,2,2,2); they are computed from each model's config.)

**Frame timing.**  Frame ``i`` is centred at ``frame_offset + i / frame_rate`` seconds
(the convention of :mod:`spokenw2v.frames`).

* MFCC: 25 ms Hann window, 10 ms hop, ``center=True``, so frame ``i`` is centred on
  sample ``160 i`` and an utterance of ``T`` samples has ``1 + T // 160`` frames.
* Self-supervised models: the convolutional front-end has total stride ``S`` (320
  samples = 20 ms) and receptive field ``R`` (400 samples = 25 ms); frame ``i`` sees
  samples ``[S i, S i + R)`` and is centred at ``(S i + R / 2) / 16000`` s.  An utterance
  of ``T >= R`` samples has ``floor((T - R) / S) + 1`` frames -- exactly what the model
  outputs (the per-layer conv length formula, see :func:`conv_num_frames`).

**Layer N** (``--layer``) is ``hidden_states[N]`` of the transformers model called with
``output_hidden_states=True``: ``N = 0`` is the input of the first transformer block
(conv features -> feature projection -> + convolutional positional embedding -> the
encoder LayerNorm for the post-LN base models; pre-LN "stable layer norm" models such
as the large ones skip that LayerNorm there), and ``N >= 1`` is the output of
transformer block ``N`` (counting from 1).  This is what fairseq's
``extract_features(output_layer=N)`` returns and what GSLM/textlesslib call HuBERT
layer 6 (the default).  Only the first ``N`` blocks are run.  (For pre-LN models the
last block's output is taken before the encoder's final LayerNorm, as transformers
5 returns it in ``hidden_states``.)

**Waveform normalisation** (:class:`Normalize`): ``auto`` follows the model's
``preprocessor_config.json`` (``do_normalize`` of its ``Wav2Vec2FeatureExtractor``)
when there is one, and otherwise normalises (zero mean, unit variance per utterance)
exactly when the front-end uses layer norm (``feat_extract_norm == "layer"``, the
large models, trained that way in fairseq); the base models (group norm) get raw
waveforms.

**Batches** (CUDA): utterances of similar length are padded into one batch and
the model runs under fp16 autocast.  Padding cannot change any frame: the attention
mask hides padded frames, and the group-norm first convolution of the base models is
replaced by the same normalisation computed over each utterance's own samples only
(:class:`MaskedGroupNormConv`).  Tests check batched == one-at-a-time output.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from glob import escape as glob_escape
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np

from .audio import SAMPLE_RATE, AudioInfo, find_audio, load_audio, probe_audio
from .errors import SpokenW2VError, where
from .io import (_DONE_RE, _PART_RE, FrameInfo, Ragged, Segments, atomic_write_text, part_done_name, part_name,
                 write_features)


class FeatureKind(str, Enum):
    MFCC = "mfcc"
    HUBERT = "hubert"
    WAV2VEC2 = "wav2vec2"
    WAVLM = "wavlm"


@dataclass(frozen=True)
class FeatureSpec:
    """Static facts about one feature kind."""

    model_class: str  # transformers class name ("" for MFCC)
    model_type: str  # transformers config.model_type the model must have
    default_model: str  # hub id used when --model is not given
    default_layer: int  # -1 for MFCC


#: The explicit table of feature kinds.
FEATURE_TABLE: dict[FeatureKind, FeatureSpec] = {
    FeatureKind.MFCC: FeatureSpec("", "", "", -1),
    FeatureKind.HUBERT: FeatureSpec("HubertModel", "hubert", "facebook/hubert-base-ls960", 6),
    FeatureKind.WAV2VEC2: FeatureSpec("Wav2Vec2Model", "wav2vec2", "facebook/wav2vec2-base", 6),
    FeatureKind.WAVLM: FeatureSpec("WavLMModel", "wavlm", "microsoft/wavlm-base", 6),
}


def _model_class(kind: FeatureKind):
    """The transformers model class of a self-supervised feature kind (explicit lookup)."""
    from transformers import HubertModel, Wav2Vec2Model, WavLMModel

    classes = {"HubertModel": HubertModel, "Wav2Vec2Model": Wav2Vec2Model, "WavLMModel": WavLMModel}
    return classes[FEATURE_TABLE[kind].model_class]


class Normalize(str, Enum):
    """Per-utterance waveform normalisation before a self-supervised model."""

    AUTO = "auto"
    ON = "on"
    OFF = "off"


class FeatureDtype(str, Enum):
    FLOAT16 = "float16"
    FLOAT32 = "float32"


DTYPES: dict[FeatureDtype, type] = {FeatureDtype.FLOAT16: np.float16, FeatureDtype.FLOAT32: np.float32}


# --------------------------------------------------------------------------- featurizers


class Featurizer(Protocol):
    """Turns 16 kHz mono waveforms into frames."""

    info: FrameInfo
    dim: int
    min_samples: int  # shortest waveform (samples at 16 kHz) that yields frames

    def n_frames(self, n_samples: int) -> int:
        """Frames produced for a waveform of ``n_samples`` samples at 16 kHz."""

    def __call__(self, waves: Sequence[np.ndarray]) -> list[np.ndarray]:
        """(T_b,) float32 waveforms -> (n_frames(T_b), dim) float32 arrays."""


@dataclass
class MFCCConfig:
    """MFCC hyperparameters (sample rate 16 kHz)."""

    n_mfcc: int = 13
    n_mels: int = 40
    n_fft: int = 400  # 25 ms window
    hop_length: int = 160  # 10 ms hop
    f_min: float = 20.0  # Hz
    f_max: float | None = None  # Hz; None = Nyquist
    deltas: bool = True  # append deltas and delta-deltas (3 * n_mfcc dims)
    delta_win_length: int = 5  # frames


class MFCCFeaturizer:
    """MFCC (+ deltas + delta-deltas) with torchaudio; frame ``i`` centred on sample ``hop * i``."""

    def __init__(self, config: MFCCConfig | None = None):
        import torch
        import torchaudio

        self.config = c = config or MFCCConfig()
        self._torch = torch
        self._transform = torchaudio.transforms.MFCC(
            sample_rate=SAMPLE_RATE, n_mfcc=c.n_mfcc,
            melkwargs=dict(n_fft=c.n_fft, win_length=c.n_fft, hop_length=c.hop_length, n_mels=c.n_mels,
                           f_min=c.f_min, f_max=c.f_max, center=True),
        )
        self.dim = c.n_mfcc * (3 if c.deltas else 1)
        self.min_samples = c.n_fft // 2 + 1  # reflect padding needs more samples than the pad
        self.info = FrameInfo(frame_rate=SAMPLE_RATE / c.hop_length, frame_offset=0.0,
                              frame_width=c.n_fft / SAMPLE_RATE, feature=FeatureKind.MFCC.value)

    def n_frames(self, n_samples: int) -> int:
        return 1 + n_samples // self.config.hop_length

    def __call__(self, waves: Sequence[np.ndarray]) -> list[np.ndarray]:
        import torchaudio.functional as AF

        torch = self._torch
        out = []
        with torch.inference_mode():
            for w in waves:
                m = self._transform(torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32)))  # (13, F)
                if self.config.deltas:
                    d = AF.compute_deltas(m, win_length=self.config.delta_win_length)
                    dd = AF.compute_deltas(d, win_length=self.config.delta_win_length)
                    m = torch.cat([m, d, dd], dim=0)  # (39, F)
                out.append(m.T.contiguous().numpy())
        return out


def conv_geometry(kernels: Sequence[int], strides: Sequence[int]) -> tuple[int, int]:
    """(total stride, receptive field) in samples of a stack of 1-D convolutions.

    ``(10,3,3,3,3,2,2)`` / ``(5,2,2,2,2,2,2)`` -> ``(320, 400)``.
    """
    stride, rf = 1, 1
    for k, s in zip(kernels, strides):
        rf += (k - 1) * stride
        stride *= s
    return stride, rf


def conv_num_frames(n_samples: int, kernels: Sequence[int], strides: Sequence[int]) -> int:
    """Output length of the conv stack (no padding): per layer ``floor((L - k) / s) + 1``;
    0 when the input is shorter than the receptive field."""
    n = int(n_samples)
    for k, s in zip(kernels, strides):
        if n < k:
            return 0
        n = (n - k) // s + 1
    return n


class MaskedGroupNormConv:
    """Stand-in for the first conv layer of a group-norm front-end that normalises each
    utterance over its own (unpadded) samples, so padding a batch changes nothing.

    Built by :func:`_masked_group_norm_module`; ``lengths`` (B,) holds the valid input
    samples of the current batch (None = no padding: plain GroupNorm).
    """


def _masked_group_norm_module(layer, kernel: int, stride: int):
    import torch
    from torch import nn

    class _Masked(nn.Module, MaskedGroupNormConv):
        def __init__(self):
            super().__init__()
            self.conv = layer.conv
            self.layer_norm = layer.layer_norm  # nn.GroupNorm(C, C): per channel over time
            self.activation = layer.activation
            self.lengths: torch.Tensor | None = None

        def forward(self, x):  # x (B, 1, T)
            y = self.conv(x)  # (B, C, T0)
            if self.lengths is None:
                return self.activation(self.layer_norm(y))
            y = y.float()
            n0 = torch.div(self.lengths - kernel, stride, rounding_mode="floor") + 1  # (B,)
            mask = (torch.arange(y.shape[-1], device=y.device)[None, :] < n0[:, None]).unsqueeze(1)  # (B, 1, T0)
            count = n0.clamp(min=1).to(y.dtype)[:, None, None]
            mean = (y * mask).sum(-1, keepdim=True) / count
            var = (((y - mean) * mask) ** 2).sum(-1, keepdim=True) / count
            gn = self.layer_norm
            y = (y - mean) / torch.sqrt(var + gn.eps) * gn.weight[None, :, None] + gn.bias[None, :, None]
            return self.activation(y)

    return _Masked()


class SSLFeaturizer:
    """Hidden states of layer ``layer`` of a HuBERT / wav2vec 2.0 / WavLM model.

    ``__call__`` takes a batch of waveforms (any lengths; padded internally with an
    attention mask) and returns one (n_frames, hidden_size) float32 array per waveform.
    """

    def __init__(self, kind: FeatureKind, model: str | os.PathLike | None = None, layer: int | None = None,
                 device="cpu", normalize: Normalize = Normalize.AUTO, half: bool | None = None):
        import torch

        self._torch = torch
        kind = FeatureKind(kind)
        if kind == FeatureKind.MFCC:
            raise ValueError("use MFCCFeaturizer for mfcc")
        spec = FEATURE_TABLE[kind]
        model_id = str(model) if model else spec.default_model
        self.device = torch.device(device)
        self.half = (self.device.type == "cuda") if half is None else bool(half and self.device.type == "cuda")
        cls = _model_class(kind)
        try:
            # float32 weights whatever the checkpoint's dtype (transformers 5 keeps a float16 checkpoint
            # in float16, which fails on the CPU); CUDA runs in float16 through autocast
            net = cls.from_pretrained(model_id, dtype=torch.float32)
        except (OSError, ValueError, EnvironmentError) as exc:
            raise SpokenW2VError(f"{model_id}: cannot load a {spec.model_class} ({_first_line(exc)})") from None
        cfg = net.config
        if cfg.model_type != spec.model_type:
            raise SpokenW2VError(
                f"{model_id}: is a {cfg.model_type} model, not {spec.model_type} (use --feature {cfg.model_type})"
            )
        n_layers = int(cfg.num_hidden_layers)
        layer = spec.default_layer if layer is None else int(layer)
        if not 0 <= layer <= n_layers:
            raise SpokenW2VError(f"{model_id}: --layer {layer} is out of range (the model has layers 0..{n_layers})")
        self.layer = layer
        # Run only the blocks needed for hidden_states[layer] (at least one, so hidden_states exist).
        keep = max(layer, 1)
        net.encoder.layers = net.encoder.layers[:keep]
        net.config.num_hidden_layers = keep
        net.eval()
        self._kernels = list(cfg.conv_kernel)
        self._strides = list(cfg.conv_stride)
        self._masked = None
        if cfg.feat_extract_norm == "group":
            self._masked = _masked_group_norm_module(net.feature_extractor.conv_layers[0], self._kernels[0],
                                                     self._strides[0])
            net.feature_extractor.conv_layers[0] = self._masked
        self.model = net.to(self.device)
        self.normalize = self._resolve_normalize(Normalize(normalize), model_id, cfg)
        stride, rf = conv_geometry(self._kernels, self._strides)
        self.stride, self.receptive_field = stride, rf
        self.min_samples = rf
        self.dim = int(cfg.hidden_size)
        self.info = FrameInfo(frame_rate=SAMPLE_RATE / stride, frame_offset=rf / 2 / SAMPLE_RATE,
                              frame_width=rf / SAMPLE_RATE, feature=kind.value, model=model_id, layer=layer)

    @staticmethod
    def _resolve_normalize(normalize: Normalize, model_id: str, cfg) -> bool:
        if normalize != Normalize.AUTO:
            return normalize == Normalize.ON
        from transformers import Wav2Vec2FeatureExtractor

        try:
            return bool(Wav2Vec2FeatureExtractor.from_pretrained(model_id).do_normalize)
        except (OSError, ValueError, EnvironmentError):
            return cfg.feat_extract_norm == "layer"

    def n_frames(self, n_samples: int) -> int:
        return conv_num_frames(n_samples, self._kernels, self._strides)

    def __call__(self, waves: Sequence[np.ndarray]) -> list[np.ndarray]:
        torch = self._torch
        lengths = [len(w) for w in waves]
        batch = np.zeros((len(waves), max(lengths)), dtype=np.float32)
        for b, w in enumerate(waves):
            w = np.asarray(w, dtype=np.float32)
            if self.normalize:
                w = (w - w.mean()) / np.sqrt(w.var() + 1e-7)
            batch[b, : len(w)] = w
        x = torch.from_numpy(batch)
        cuda = self.device.type == "cuda"
        if cuda:
            x = x.pin_memory()
        x = x.to(self.device, non_blocking=cuda)
        padded = len(set(lengths)) > 1
        mask = None
        if padded:
            lens = torch.tensor(lengths, device=self.device)
            mask = (torch.arange(x.shape[1], device=self.device)[None, :] < lens[:, None]).long()
        if self._masked is not None:
            self._masked.lengths = torch.tensor(lengths, device=self.device) if padded else None
        try:
            with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16, enabled=self.half):
                out = self.model(x, attention_mask=mask, output_hidden_states=True)
                hidden = out.hidden_states[self.layer].float()  # (B, F, H)
        finally:
            if self._masked is not None:
                self._masked.lengths = None
        hidden = hidden.cpu().numpy()
        return [hidden[b, : self.n_frames(n)] for b, n in enumerate(lengths)]


def make_featurizer(kind: FeatureKind | str = FeatureKind.MFCC, model: str | os.PathLike | None = None,
                    layer: int | None = None, device="cpu", normalize: Normalize | str = Normalize.AUTO,
                    mfcc: MFCCConfig | None = None) -> Featurizer:
    """Build the featurizer of a feature kind (``device`` only matters for the models)."""
    kind = FeatureKind(kind)
    if kind == FeatureKind.MFCC:
        if model:
            raise SpokenW2VError("--model does not apply to --feature mfcc")
        if layer is not None:
            raise SpokenW2VError("--layer does not apply to --feature mfcc")
        return MFCCFeaturizer(mfcc)
    return SSLFeaturizer(kind, model, layer, device, Normalize(normalize))


def featurize_waveform(featurizer: Featurizer, wave: np.ndarray) -> np.ndarray:
    """Frames (n_frames, dim) float32 of one 16 kHz mono waveform (T,)."""
    if len(wave) < featurizer.min_samples:
        raise SpokenW2VError(f"waveform of {len(wave)} samples is shorter than {featurizer.min_samples} samples")
    return featurizer([wave])[0]


# --------------------------------------------------------------------------- corpus driver


@dataclass
class FeaturizeOptions:
    """Options of :func:`featurize_corpus`."""

    feature: FeatureKind = FeatureKind.MFCC
    model: str | None = None  # hub id or local directory (self-supervised kinds)
    layer: int | None = None  # None = the kind's default (6)
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1" (MFCC always runs on the CPU)
    normalize: Normalize = Normalize.AUTO
    dtype: FeatureDtype = FeatureDtype.FLOAT16
    shard_index: int = 0  # this process's part of the corpus, 0-based
    shard_count: int = 1
    shard_frames: int = 200_000  # frames per output file (bounds peak memory)
    batch_seconds: float = 200.0  # padded audio per length batch
    batch: bool | None = None  # length batches for the models; None = on CUDA only (CPU: one at a time)
    window: int = 256  # utterances read ahead to sort into length batches (CUDA)
    workers: int | None = None  # threads reading/resampling audio; None = 8 on CUDA, 1 on CPU
    skip_bad: bool = False
    segments_tolerance: float = 0.02  # seconds a segment may end past the audio
    mfcc: MFCCConfig = field(default_factory=MFCCConfig)

    def __post_init__(self):
        self.feature = FeatureKind(self.feature)
        self.normalize = Normalize(self.normalize)
        self.dtype = FeatureDtype(self.dtype)
        from .devices import resolve_device

        self.device = str(resolve_device(str(self.device)))


@dataclass
class FeaturizeSummary:
    """What :func:`featurize_corpus` did."""

    info: FrameInfo
    dim: int
    utterances: int = 0
    frames: int = 0
    seconds: float = 0.0  # audio featurized
    files: list[Path] = field(default_factory=list)
    skipped: collections.Counter = field(default_factory=collections.Counter)  # reason -> count


ProgressCallback = Callable[[str, int, int], None]  # (phase, done, total)


def select_shard(items: Sequence[AudioInfo], index: int, count: int) -> list[AudioInfo]:
    """Contiguous block ``index`` of ``count`` of the utterances (in the given order),
    balanced by duration: utterance ``u`` goes to part ``floor(count * t_u / total)`` where
    ``t_u`` is the audio before its midpoint."""
    if not 0 <= index < count:
        raise SpokenW2VError(f"--shard {index}/{count}: expected 0 <= i < n")
    if count == 1:
        return list(items)
    total = sum(it.duration for it in items) or 1.0
    out, t = [], 0.0
    for it in items:
        mid = t + it.duration / 2
        if min(count - 1, int(count * mid / total)) == index:
            out.append(it)
        t += it.duration
    return out


def check_segments(seg: Segments, infos: dict[str, AudioInfo], source: str, audio_source: str,
                   skip_bad: bool, tolerance: float = 0.02) -> tuple[set[str], collections.Counter]:
    """Check word segments against the audio found.

    Returns (utterances to drop, counts of skipped problems).  Without ``skip_bad`` the
    first problem raises :class:`SpokenW2VError`: segments of an utterance without audio,
    audio without segments, a segment ending past the end of the audio.
    """
    drop: set[str] = set()
    counts: collections.Counter = collections.Counter()
    groups = seg.by_utterance()
    for utt in sorted(set(groups) - set(infos)):
        if not skip_bad:
            raise SpokenW2VError(f"{where(source, utt=utt)}: utterance has segments but no audio in {audio_source}")
        counts["utterances with segments but no audio"] += 1
    for utt in sorted(set(infos) - set(groups)):
        if not skip_bad:
            raise SpokenW2VError(f"{infos[utt].path}: utterance {utt} has no segments in {source}")
        drop.add(utt)
        counts["utterances with audio but no segments"] += 1
    for utt, rows in groups.items():
        if utt not in infos:
            continue
        end = float(seg.end[rows].max())
        dur = infos[utt].duration
        if end > dur + tolerance:
            if not skip_bad:
                raise SpokenW2VError(
                    f"{where(source, utt=utt)}: segment ends at {end:g} s, past the end of the audio "
                    f"{infos[utt].path} ({dur:g} s)"
                )
            drop.add(utt)
            counts["utterances with segments past the end of the audio"] += 1
    return drop, counts


def _iter_waves(items: Sequence[AudioInfo], workers: int) -> Iterator[tuple[AudioInfo, np.ndarray | SpokenW2VError]]:
    """Load waveforms in order, ``workers`` threads reading ahead (bounded)."""
    def load(it: AudioInfo):
        try:
            return load_audio(it.path)
        except SpokenW2VError as exc:
            return exc

    if workers <= 0:
        for it in items:
            yield it, load(it)
        return
    ahead = max(2, 4 * workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: collections.deque = collections.deque()
        it_iter = iter(items)
        for it in it_iter:
            pending.append((it, pool.submit(load, it)))
            if len(pending) >= ahead:
                break
        while pending:
            it, fut = pending.popleft()
            nxt = next(it_iter, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(load, nxt)))
            yield it, fut.result()


def _batches(lengths: dict[str, int], max_samples: int) -> list[list[str]]:
    """Group utterances of similar length so that (longest x count) <= max_samples."""
    order = sorted(lengths, key=lambda u: (lengths[u], u))
    out: list[list[str]] = []
    cur: list[str] = []
    for u in order:
        if cur and lengths[u] * (len(cur) + 1) > max_samples:
            out.append(cur)
            cur = []
        cur.append(u)
    if cur:
        out.append(cur)
    return out


#: Marks a directory of features shards as featurize's own (it may then be replaced).
FEATURES_MARKER = ".spokenw2v-features"
#: Marks a hidden staging folder of a running featurize (``pid host`` inside); a rerun removes
#: the staging folders of processes that no longer run.
STAGING_MARKER = ".spokenw2v-staging"
_STAGING_RE = re.compile(r"^\.part-\d+-of-\d+\..+$")


def check_features_dir(out: Path) -> None:
    """An existing ``--out`` directory is replaced (or parts are added to it) only when it holds
    nothing but featurize's own files: shards ``part-*.npz``, the marker and hidden staging
    folders.  Anything else: a one-line error and nothing is touched."""
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir():
        raise SpokenW2VError(f"{out}: exists and is not a directory (featurize writes a directory of shards "
                             f"there); nothing was touched")
    foreign = sorted(e.name for e in out.iterdir()
                     if not ((e.name == FEATURES_MARKER and e.is_file())
                             or ((_PART_RE.match(e.name) or _DONE_RE.match(e.name)) and e.is_file())
                             or (_STAGING_RE.match(e.name) and e.is_dir())))
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise SpokenW2VError(f"{out}: holds files that featurize did not write ({shown}); nothing was touched "
                             f"(give a new or empty directory)")


def _mark_staging(folder: Path) -> None:
    import socket

    (folder / STAGING_MARKER).write_text(f"{os.getpid()} {socket.gethostname()}\n", encoding="utf-8")


def _stale(folder: Path) -> bool:
    """True for a staging folder whose marker names a process of this host that no longer runs."""
    import socket

    try:
        pid_text, host = (folder / STAGING_MARKER).read_text(encoding="utf-8").split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return False
    if host != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def remove_stale_staging(folders: Iterator[Path]) -> None:
    """Remove the staging folders (ours by name and marker) left by killed featurize runs."""
    for folder in folders:
        if folder.is_dir() and not folder.is_symlink() and _stale(folder):
            shutil.rmtree(folder, ignore_errors=True)


class _ShardWriter:
    """Collects utterances and writes a features shard every ``shard_frames`` frames."""

    def __init__(self, directory: Path | None, single_file: Path | None, info: FrameInfo, dtype,
                 shard_index: int, shard_count: int, shard_frames: int):
        self.directory, self.single_file = directory, single_file
        self.info, self.dtype = info, dtype
        self.shard_index, self.shard_count, self.shard_frames = shard_index, shard_count, shard_frames
        self.utts: list[str] = []
        self.arrays: list[np.ndarray] = []
        self.durations: list[float] = []
        self.frames = 0
        self.files: list[Path] = []

    def add(self, utt: str, frames: np.ndarray, duration: float) -> None:
        self.utts.append(utt)
        self.arrays.append(frames)
        self.durations.append(duration)
        self.frames += len(frames)
        if self.single_file is None and self.frames >= self.shard_frames:
            self.flush()

    def flush(self) -> None:
        if not self.utts and (self.single_file is None or self.files):
            return
        r = Ragged.from_list(self.utts, self.arrays, self.durations, self.info, dtype=self.dtype)
        if self.single_file is not None:
            path = self.single_file
        else:
            path = self.directory / part_name(self.shard_index, self.shard_count, len(self.files))
        write_features(path, r)
        self.files.append(path)
        self.utts, self.arrays, self.durations, self.frames = [], [], [], 0


def featurize_corpus(audio: str | os.PathLike, out: str | os.PathLike, options: FeaturizeOptions | None = None,
                     segments: Segments | None = None, segments_source: str = "segments",
                     progress: ProgressCallback | None = None) -> FeaturizeSummary:
    """Featurize every utterance found at ``audio`` and write features to ``out``.

    ``audio``: a LibriSpeech-style tree, a directory of audio files, an audio list TSV or
    one file (see :func:`spokenw2v.audio.find_audio`).  Utterances are processed in
    sorted id order; with ``shard_count > 1`` only part ``shard_index`` (a contiguous
    block balanced by duration).

    ``out``: a ``.npz`` file (everything in one file; refused when more than
    ``shard_frames`` frames are expected) or a directory of shards
    ``part-{i}-of-{n}-{k}.npz`` (each at most ~``shard_frames`` frames, so memory stays
    bounded).  A single-process run replaces the directory atomically; a ``--shard i/n``
    process stages its parts in a hidden folder and moves them in only when all are
    written, replacing earlier parts ``i`` of ``n``.  A failure leaves no output.

    ``segments``: when given, checked against the audio (:func:`check_segments`).
    ``progress(phase, done, total)`` is called as utterances are processed.
    """
    opts = options or FeaturizeOptions()
    out = Path(out)
    single = out.suffix.lower() == ".npz"
    if single and opts.shard_count > 1:
        raise SpokenW2VError(f"{out}: --shard needs a directory for --out (several processes write parts into it)")
    if opts.shard_frames <= 0:
        raise SpokenW2VError("--shard-frames must be positive")
    if single and out.is_dir():
        raise SpokenW2VError(f"{out}: is a directory (a .npz --out is one file; give a new name, or a name "
                             f"without .npz for a directory of shards)")
    if not single:
        check_features_dir(out)

    found = find_audio(audio)
    skipped: collections.Counter = collections.Counter()
    infos: dict[str, AudioInfo] = {}
    for i, (utt, path) in enumerate(found.items()):
        try:
            infos[utt] = probe_audio(utt, path)
        except SpokenW2VError:
            if not opts.skip_bad:
                raise
            skipped["unreadable, missing or empty audio files"] += 1
        if progress:
            progress("checking audio", i + 1, len(found))

    if segments is not None:
        drop, counts = check_segments(segments, infos, segments_source, str(audio), opts.skip_bad,
                                      opts.segments_tolerance)
        skipped.update(counts)
        infos = {u: it for u, it in infos.items() if u not in drop}

    featurizer = make_featurizer(opts.feature, opts.model, opts.layer, opts.device, opts.normalize, opts.mfcc)
    items = []
    for utt in sorted(infos):
        it = infos[utt]
        if it.samples_16k < featurizer.min_samples:
            if not opts.skip_bad:
                raise SpokenW2VError(
                    f"{it.path}: audio of utterance {utt} is too short for {opts.feature.value} features "
                    f"({it.duration * 1000:.1f} ms; at least {featurizer.min_samples / SAMPLE_RATE * 1000:.1f} ms)"
                )
            skipped["audio files too short for one frame"] += 1
            continue
        items.append(it)
    if not items:
        raise SpokenW2VError(f"{audio}: no utterances left to featurize")
    items = select_shard(items, opts.shard_index, opts.shard_count)
    summary = FeaturizeSummary(featurizer.info, featurizer.dim, skipped=skipped)
    dtype = DTYPES[FeatureDtype(opts.dtype)]

    if single:
        expected = sum(featurizer.n_frames(it.samples_16k) for it in items)
        if expected > opts.shard_frames:
            raise SpokenW2VError(
                f"{out}: the corpus has {expected} frames, more than --shard-frames {opts.shard_frames} for one "
                "file; give a directory as --out (or raise --shard-frames)"
            )
        writer = _ShardWriter(None, out, featurizer.info, dtype, 0, 1, opts.shard_frames)
        _run(items, featurizer, writer, opts, summary, progress)
        writer.flush()
        summary.files = writer.files
        return summary

    if opts.shard_count == 1:
        from .io import atomic_path

        check_features_dir(out)
        remove_stale_staging(out.parent.glob(f".{glob_escape(out.name)}.*.tmp"))
        with atomic_path(out, suffix="") as tmp:
            tmp.mkdir()
            _mark_staging(tmp)
            writer = _ShardWriter(tmp, None, featurizer.info, dtype, 0, 1, opts.shard_frames)
            _run(items, featurizer, writer, opts, summary, progress)
            writer.flush()
            (tmp / FEATURES_MARKER).write_text("spokenw2v features shards\n", encoding="utf-8")
            (tmp / part_done_name(0, 1)).write_text("".join(f.name + "\n" for f in writer.files), encoding="utf-8")
            (tmp / STAGING_MARKER).unlink()
        summary.files = [out / f.name for f in writer.files]
        return summary

    check_features_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / FEATURES_MARKER).is_file():
        atomic_write_text(out / FEATURES_MARKER, "spokenw2v features shards\n")
    remove_stale_staging(out.glob(f".part-{opts.shard_index:05d}-of-{opts.shard_count:05d}.*"))
    for f in out.glob("part-*.npz"):
        m = _PART_RE.match(f.name)
        if m and int(m.group(2)) != opts.shard_count:
            raise SpokenW2VError(
                f"{out}: holds parts of a {int(m.group(2))}-way split ({f.name}); cannot add part "
                f"{opts.shard_index}/{opts.shard_count} (use another directory)"
            )
    stage = Path(tempfile.mkdtemp(prefix=f".part-{opts.shard_index:05d}-of-{opts.shard_count:05d}.", dir=out))
    try:
        _mark_staging(stage)
        writer = _ShardWriter(stage, None, featurizer.info, dtype, opts.shard_index, opts.shard_count,
                              opts.shard_frames)
        _run(items, featurizer, writer, opts, summary, progress)
        writer.flush()
        prefix = f"part-{opts.shard_index:05d}-of-{opts.shard_count:05d}-"
        done = out / part_done_name(opts.shard_index, opts.shard_count)
        done.unlink(missing_ok=True)  # until the new list is written, readers see the part as unfinished
        for old in out.glob(prefix + "*.npz"):
            old.unlink()
        for f in writer.files:
            os.replace(f, out / f.name)
        atomic_write_text(done, "".join(f.name + "\n" for f in writer.files))
        summary.files = [out / f.name for f in writer.files]
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return summary


def _run(items: Sequence[AudioInfo], featurizer: Featurizer, writer: _ShardWriter, opts: FeaturizeOptions,
         summary: FeaturizeSummary, progress: ProgressCallback | None) -> None:
    """Load, featurize and write ``items`` in order (batched by length on CUDA)."""
    cuda = str(opts.device).startswith("cuda")
    batched = (cuda if opts.batch is None else opts.batch) and opts.feature != FeatureKind.MFCC
    workers = opts.workers if opts.workers is not None else (min(8, os.cpu_count() or 1) if cuda else 1)
    window = max(1, opts.window) if batched else 1
    max_samples = int(opts.batch_seconds * SAMPLE_RATE)
    pending: list[tuple[AudioInfo, np.ndarray]] = []
    done = 0

    def emit(it: AudioInfo, feats: np.ndarray) -> None:
        nonlocal done
        expected = featurizer.n_frames(it.samples_16k)
        if feats.shape != (expected, featurizer.dim):
            raise SpokenW2VError(f"{it.path}: expected {expected} frames of {featurizer.dim} dims, "
                                 f"computed {feats.shape} (utterance {it.utt})")
        if not np.all(np.isfinite(feats)):  # computed so (before storing): --dtype cannot help
            hint = " (float16 overflow on the GPU? try --device cpu)" if getattr(featurizer, "half", False) else ""
            raise SpokenW2VError(f"{it.path}: the model computed non-finite features for utterance {it.utt}{hint}")
        stored = feats.astype(writer.dtype)
        if not np.all(np.isfinite(stored)):
            raise SpokenW2VError(f"{it.path}: non-finite features for utterance {it.utt} "
                                 "(overflow in float16? try --dtype float32)")
        writer.add(it.utt, stored, it.duration)
        summary.utterances += 1
        summary.frames += len(stored)
        summary.seconds += it.duration
        done += 1
        if progress:
            progress("featurizing", done, len(items))

    def run_window() -> None:
        waves = {it.utt: w for it, w in pending}
        results: dict[str, np.ndarray] = {}
        for group in _batches({u: len(w) for u, w in waves.items()}, max_samples):
            for u, f in zip(group, featurizer([waves[u] for u in group])):
                results[u] = f
        for it, _ in pending:
            emit(it, results[it.utt])
        pending.clear()

    for it, wave in _iter_waves(items, workers):
        if isinstance(wave, SpokenW2VError):
            if not opts.skip_bad:
                raise wave
            summary.skipped["unreadable audio files"] += 1
            done += 1
            continue
        if len(wave) != it.samples_16k:  # the header lied (e.g. a truncated file)
            it = AudioInfo(it.utt, it.path, SAMPLE_RATE, len(wave), 1)
        if len(wave) < featurizer.min_samples:
            if not opts.skip_bad:
                raise SpokenW2VError(f"{it.path}: audio of utterance {it.utt} is too short for one frame")
            summary.skipped["audio files too short for one frame"] += 1
            continue
        pending.append((it, wave))
        if len(pending) >= window:
            run_window()
    if pending:
        run_window()
    if items and summary.utterances == 0:
        raise SpokenW2VError(f"{items[0].path.parent}: every utterance was skipped; nothing to write")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
