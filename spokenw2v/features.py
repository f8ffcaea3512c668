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

import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .audio import SAMPLE_RATE
from .errors import SpokenW2VError
from .io import FrameInfo


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

        self.warp = 1.0
        self._plain_fb = self._transform.MelSpectrogram.mel_scale.fb.clone()

    def n_frames(self, n_samples: int) -> int:
        return 1 + n_samples // self.config.hop_length

    def set_warp(self, alpha: float) -> None:
        """Vocal-tract-length warp factor of the following calls (1.0 = plain MFCC):
        the mel filters' edge frequencies go through Kaldi's piecewise-linear VTLN warp
        (:func:`vtln_filterbank`), so ``alpha`` < 1 moves them up (for shorter vocal tracts)."""
        if alpha == self.warp:
            return
        fb = self._plain_fb if alpha == 1.0 else vtln_filterbank(self.config, alpha)
        self._transform.MelSpectrogram.mel_scale.fb.copy_(fb)
        self.warp = float(alpha)

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


#: Warp factors :func:`vtln_filterbank` accepts (Kaldi's warp needs the factor near 1).
WARP_RANGE = (0.7, 1.3)
#: Below and above these frequencies (Hz; the upper one below the top filter edge) the warp
#: is linear pieces that keep the band's ends in place (Kaldi's ``vtln_low`` 100 and ``vtln_high`` -500).
VTLN_LOW, VTLN_HIGH_MARGIN = 100.0, 500.0


def vtln_filterbank(config: MFCCConfig, alpha: float):
    """The (n_fft // 2 + 1, n_mels) triangular mel filterbank of ``config`` (HTK mel scale, no
    normalisation, as torchaudio's MFCC) whose filter edge frequencies ``f`` are warped to
    ``F(f)`` by Kaldi's piecewise-linear VTLN function (``F(f) = f / alpha`` in the middle of
    the band, linear pieces to the band's ends; torchaudio's ``vtln_warp_freq``).  ``alpha`` 1
    gives torchaudio's own filterbank (to float rounding; the tests check it)."""
    import torch
    import torchaudio.compliance.kaldi as kaldi

    if not WARP_RANGE[0] <= alpha <= WARP_RANGE[1]:
        raise SpokenW2VError(f"VTLN warp factor {alpha:g} is outside [{WARP_RANGE[0]:g}, {WARP_RANGE[1]:g}]")
    f_max = config.f_max if config.f_max is not None else SAMPLE_RATE / 2
    n_freqs = config.n_fft // 2 + 1
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # the HTK scale torchaudio's MFCC uses
    pts = 700.0 * (10.0 ** (np.linspace(mel(config.f_min), mel(f_max), config.n_mels + 2) / 2595.0) - 1.0)
    f_pts = torch.tensor(pts, dtype=torch.float32)
    if alpha != 1.0:
        f_pts = kaldi.vtln_warp_freq(VTLN_LOW, f_max - VTLN_HIGH_MARGIN, config.f_min, f_max, float(alpha), f_pts)
    all_freqs = torch.linspace(0, SAMPLE_RATE // 2, n_freqs)
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)  # (n_freqs, n_mels + 2)
    diff = f_pts[1:] - f_pts[:-1]
    down = -slopes[:, :-2] / diff[:-1]
    up = slopes[:, 2:] / diff[1:]
    return torch.clamp(torch.minimum(down, up), min=0.0)


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
        if _looks_local(model_id) and not Path(model_id).expanduser().is_dir():
            raise SpokenW2VError(f"{model_id}: no such model directory (a local --model is a directory saved with "
                                 f"save_pretrained; a Hugging Face id looks like facebook/hubert-base-ls960)")
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _looks_local(model: str) -> bool:
    """True when ``--model`` names a directory rather than a Hugging Face id (``org/name``):
    it exists, begins with ``.``, ``/`` or ``~``, or has more than one ``/``."""
    return os.path.exists(model) or model.startswith((".", "/", "~")) or model.count("/") > 1
