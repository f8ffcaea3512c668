"""The NPZ container and every NPZ format (the shard protocol of a features directory is in
:mod:`.shards`).

* **Features NPZ** (``format = spokenw2v-features``) -- ragged per-utterance frames:
  ``values`` (N, D) float16 by default, ``offsets`` (U+1,) int64, ``utt_ids`` (U,),
  ``durations`` (U,) seconds, ``frame_rate`` (frames per second), ``frame_offset``
  (seconds: the centre time of frame 0), ``frame_width`` (seconds: receptive field),
  ``feature``, ``model``, ``layer``, ``sample_rate``.  A large corpus is a directory of
  shards with the same schema; every reader accepts a file or a directory.
* **Units NPZ** (``format = spokenw2v-units``) -- the same ragged layout with int16
  unit ids per frame in ``values`` (N,), plus ``k`` and the codebook's path and
  fingerprint.
* **Codebook NPZ** (``format = spokenw2v-codebook``) -- ``centroids`` (k, D) float32,
  standardization ``mean`` and ``std`` (D,), ``k``, ``seed`` and the feature
  description.
* **Token vectors NPZ** (``format = spokenw2v-token-vectors``) -- one vector per word token.

All NPZ files carry ``format`` and ``version`` keys, use named arrays, store ragged
data as ``values`` + ``offsets`` and are always loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..errors import SpokenW2VError, where
from .files import atomic_path, check_readable_file, refuse_stdio_npz
from .header import check_header
from .shards import npz_files

FEATURES_FORMAT = "spokenw2v-features"
UNITS_FORMAT = "spokenw2v-units"
CODEBOOK_FORMAT = "spokenw2v-codebook"
TOKEN_VECTORS_FORMAT = "spokenw2v-token-vectors"
#: The layout version every NPZ file is written with (and the newest one read; see :mod:`.header`).
FORMAT_VERSION = 1

# --------------------------------------------------------------------------- the NPZ container


def _save_npz(path: str | os.PathLike, arrays: dict, compress: bool = False) -> None:
    """Save named arrays atomically; never adds a second ``.npz`` suffix."""
    refuse_stdio_npz(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            (np.savez_compressed if compress else np.savez)(fh, **arrays)


def _load_npz(path: str | os.PathLike, expected_format: str | tuple[str, ...],
              keys: Sequence[str] | None = None) -> dict:
    """Load an NPZ with ``allow_pickle=False`` and check its format key and version
    (:func:`.header.check_header`: versions 1 to :data:`FORMAT_VERSION`; NPZ files always
    carried the header, so a file without one is refused).

    ``expected_format`` is one format name or a tuple of accepted ones; ``keys`` limits which
    arrays are read (``None``: all), so metadata can be read without the frames.
    """
    refuse_stdio_npz(path)
    path = Path(path)
    formats = (expected_format,) if isinstance(expected_format, str) else tuple(expected_format)
    wanted = " or ".join(formats)
    check_readable_file(path, f"{wanted} NPZ file")
    if path.is_file():
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                raise SpokenW2VError(f"{path}: not an NPZ file (expected a zip of NumPy arrays, {wanted})")
    try:
        with np.load(path, allow_pickle=False) as data:
            header = {key: data[key] for key in ("format", "version") if key in data.files}
            fmt, _ = check_header(path, _scalar_text(header["format"]) if "format" in header else None,
                                  header["version"].item() if "version" in header else None, formats, FORMAT_VERSION)
            lacking = [key for key in (REQUIRED_KEYS.get(fmt, ()) if keys is None else keys)
                       if key not in data.files]
            arrays = {key: data[key] for key in (data.files if keys is None else keys) if key in data.files}
            if lacking:
                raise SpokenW2VError(f"{path}: incomplete {fmt} file (no {', '.join(lacking)} array)")
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise SpokenW2VError(f"{path}: not a readable NPZ file ({exc})") from None
    return {**header, **arrays}


_FRAME_KEYS = ("frame_rate", "frame_offset", "frame_width", "feature", "model", "layer", "sample_rate")
_RAGGED_KEYS = ("utt_ids", "offsets", "values", "durations") + _FRAME_KEYS

#: The arrays each NPZ format must hold (checked on load, so a reader never meets a missing key).
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    FEATURES_FORMAT: _RAGGED_KEYS,
    UNITS_FORMAT: _RAGGED_KEYS + ("k", "codebook", "codebook_id"),
    CODEBOOK_FORMAT: ("centroids", "mean", "std", "seed", "sample_fraction", "inertia") + _FRAME_KEYS,
    TOKEN_VECTORS_FORMAT: ("vectors", "words", "utt_ids", "start", "end"),
}


def _scalar_text(value) -> str:
    """The text of a string array read from an NPZ (a 0-d array's item)."""
    return str(np.asarray(value).item()) if np.ndim(value) == 0 else str(value)


# --------------------------------------------------------------------------- ragged frames


@dataclass
class FrameInfo:
    """How frames map to time.  Frame ``i`` of an utterance is centred at
    ``frame_offset + i / frame_rate`` seconds and spans ``frame_width`` seconds of audio."""

    frame_rate: float  # frames per second (100 for MFCC, 50 for HuBERT/wav2vec2/WavLM)
    frame_offset: float  # seconds, centre of frame 0
    frame_width: float  # seconds, receptive field of one frame
    feature: str  # "mfcc" | "hubert" | "wav2vec2" | "wavlm"
    model: str = ""  # hub id or local directory ("" for MFCC)
    layer: int = -1  # transformer layer (see features.py), -1 for MFCC
    sample_rate: int = 16000

    def to_arrays(self) -> dict:
        return {
            "frame_rate": np.float64(self.frame_rate),
            "frame_offset": np.float64(self.frame_offset),
            "frame_width": np.float64(self.frame_width),
            "feature": np.str_(self.feature),
            "model": np.str_(self.model),
            "layer": np.int64(self.layer),
            "sample_rate": np.int64(self.sample_rate),
        }

    @classmethod
    def from_arrays(cls, a: dict) -> "FrameInfo":
        return cls(float(a["frame_rate"]), float(a["frame_offset"]), float(a["frame_width"]),
                   _scalar_text(a["feature"]), _scalar_text(a["model"]), int(a["layer"]), int(a["sample_rate"]))

    def describe(self) -> str:
        if self.feature == "mfcc":
            return "mfcc"
        return f"{self.feature}:{self.model}:layer{self.layer}"


@dataclass
class Ragged:
    """Per-utterance arrays stored as ``values`` + ``offsets``.

    ``values[offsets[u]:offsets[u+1]]`` are the frames of utterance ``utt_ids[u]``;
    ``values`` is (N, D) for features and (N,) for units.  ``durations`` (U,) seconds.
    """

    utt_ids: list[str]
    offsets: np.ndarray  # (U+1,) int64
    values: np.ndarray
    durations: np.ndarray  # (U,) float64 seconds
    info: FrameInfo

    def __len__(self) -> int:
        return len(self.utt_ids)

    def __getitem__(self, u: int) -> np.ndarray:
        return self.values[self.offsets[u]: self.offsets[u + 1]]

    def index(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.utt_ids)}

    def items(self) -> Iterator[tuple[str, np.ndarray]]:
        for u, utt in enumerate(self.utt_ids):
            yield utt, self[u]

    @classmethod
    def from_list(cls, utt_ids: Sequence[str], arrays: Sequence[np.ndarray], durations: Sequence[float],
                  info: FrameInfo, dtype=None) -> "Ragged":
        lengths = np.asarray([len(a) for a in arrays], dtype=np.int64)
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if arrays:
            values = np.concatenate(arrays, axis=0)
        else:
            values = np.zeros((0,), dtype=dtype or np.float32)
        if dtype is not None:
            values = values.astype(dtype, copy=False)
        return cls(list(utt_ids), offsets, values, np.asarray(durations, dtype=np.float64), info)


def _ragged_to_arrays(r: Ragged, fmt: str, **more) -> dict:
    return {
        "format": np.str_(fmt),
        "version": np.int64(FORMAT_VERSION),
        "utt_ids": np.asarray(r.utt_ids, dtype=np.str_),
        "offsets": r.offsets.astype(np.int64),
        "values": r.values,
        "durations": r.durations.astype(np.float64),
        **r.info.to_arrays(),
        **more,
    }


#: Unsigned view and exponent mask per float size: a value is NaN or infinite when all its
#: exponent bits are set (3x faster than ``np.isfinite`` on float16 features).
_EXPONENT = {2: (np.uint16, 0x7C00), 4: (np.uint32, 0x7F800000), 8: (np.uint64, 0x7FF0000000000000)}


def all_finite(a: np.ndarray, chunk: int = 1 << 22) -> bool:
    """True when every element of ``a`` is finite (integers always are); ``chunk`` elements
    at a time so the check needs little memory."""
    if a.dtype.kind != "f":
        return True
    spec = _EXPONENT.get(a.dtype.itemsize)
    flat = a.reshape(-1)
    if spec is None or not a.flags.c_contiguous:
        return bool(np.isfinite(a).all())
    view, mask = spec[0], spec[0](spec[1])
    bits = flat.view(view)
    return not any(((bits[i:i + chunk] & mask) == mask).any() for i in range(0, len(bits), chunk))


def _ragged_from_arrays(arrays: dict, path: Path) -> Ragged:
    utt_ids = [str(u) for u in arrays["utt_ids"].tolist()]
    offsets = arrays["offsets"].astype(np.int64)
    values = arrays["values"]
    if len(offsets) != len(utt_ids) + 1 or offsets[0] != 0 or offsets[-1] != len(values) or np.any(np.diff(offsets) < 0):
        raise SpokenW2VError(f"{path}: corrupt file (offsets do not match values and utt_ids)")
    durations = arrays["durations"]
    if len(durations) != len(utt_ids):
        raise SpokenW2VError(f"{path}: corrupt file (utt_ids and durations differ in length)")
    for name, a in (("values", values), ("durations", durations)):
        if a.dtype.kind not in "biuf":
            raise SpokenW2VError(f"{path}: {name} must be numbers, found {a.dtype}")
        if not all_finite(a):
            bad = int(np.flatnonzero(~np.isfinite(a).reshape(len(a), -1).all(axis=1))[0])
            u = bad if name == "durations" else int(np.searchsorted(offsets, bad, side="right") - 1)
            raise SpokenW2VError(f"{where(path, utt=utt_ids[u])}: non-finite {name[:-1] if name == 'values' else 'duration'}"
                                 f" (NaN or infinity)")
    if len(durations) and durations.min() < 0:
        u = int(np.argmin(durations))
        raise SpokenW2VError(f"{where(path, utt=utt_ids[u])}: negative duration {float(durations[u]):g} s")
    return Ragged(utt_ids, offsets, values, arrays["durations"].astype(np.float64), _frame_info(arrays, path))


def _frame_info(arrays: dict, path: Path) -> FrameInfo:
    try:
        info = FrameInfo.from_arrays(arrays)
    except (TypeError, ValueError):
        raise SpokenW2VError(f"{path}: corrupt file (frame_rate, frame_offset, frame_width, layer or sample_rate "
                             f"is not a number)") from None
    if not (math.isfinite(info.frame_rate) and info.frame_rate > 0 and math.isfinite(info.frame_offset)
            and math.isfinite(info.frame_width)):
        raise SpokenW2VError(f"{path}: corrupt file (non-finite or non-positive frame rate, offset or width)")
    return info


def check_shard(shard: Ragged, name: str, info: FrameInfo | None, dim: int | None) -> None:
    """The shards of one features source agree: ``shard.values`` is (frames, dims) with the
    feature dimension ``dim`` and the :class:`FrameInfo` ``info`` of the shards before it
    (both None for the first shard).  Otherwise a one-line error naming ``name``."""
    if shard.values.ndim != 2:
        raise SpokenW2VError(f"{name}: features must be (frames, dims), found shape {shard.values.shape}")
    if dim is not None and shard.values.shape[1] != dim:
        raise SpokenW2VError(f"{name}: a shard has {shard.values.shape[1]} feature dimensions, others {dim}")
    if info is not None and shard.info != info:
        raise SpokenW2VError(f"{name}: a shard describes {shard.info.describe()}, others {info.describe()}")


# --------------------------------------------------------------------------- features and units


def write_features(path: str | os.PathLike, feats: Ragged) -> None:
    """Write one features NPZ (file or shard) atomically.  ``feats.values`` is (N, D)."""
    if feats.values.ndim != 2:
        raise ValueError("features values must be (N, D)")
    _save_npz(path, _ragged_to_arrays(feats, FEATURES_FORMAT))


def read_features(path: str | os.PathLike) -> Ragged:
    """Read one features NPZ file (not a directory; see :func:`iter_features`)."""
    path = Path(path)
    arrays = _load_npz(path, FEATURES_FORMAT)
    if arrays["values"].dtype.kind != "f" or arrays["values"].ndim != 2:
        raise SpokenW2VError(f"{path}: feature values must be (frames, dims) floats, found {arrays['values'].ndim} "
                             f"axes of {arrays['values'].dtype}")
    return _ragged_from_arrays(arrays, path)


def iter_features(path: str | os.PathLike) -> Iterator[Ragged]:
    """Stream the shards of a features file or directory, one :class:`Ragged` at a time, each
    checked against the ones before it (:func:`check_shard`)."""
    info: FrameInfo | None = None
    dim: int | None = None
    for f in npz_files(path):
        shard = read_features(f)
        check_shard(shard, str(f), info, dim)
        info, dim = shard.info, int(shard.values.shape[1])
        yield shard


def features_info(path: str | os.PathLike) -> tuple[FrameInfo, int]:
    """(FrameInfo, feature dimension) of a features file or directory, reading one shard."""
    f = npz_files(path)[0]
    shard = read_features(f)
    return shard.info, int(shard.values.shape[1])


def write_units(path: str | os.PathLike, units: Ragged, k: int, codebook_path: str, codebook_id: str) -> None:
    """Write a units NPZ atomically.  ``units.values`` is (N,) integer unit ids in [0, k)."""
    if units.values.ndim != 1:
        raise ValueError("unit values must be (N,)")
    _save_npz(path, _ragged_to_arrays(units, UNITS_FORMAT, values=units.values.astype(np.int16 if k <= 32767 else np.int32),
                                   k=np.int64(k), codebook=np.str_(codebook_path),
                                   codebook_id=np.str_(codebook_id)))


@dataclass
class Units:
    """Frame-level unit ids (ragged) plus the codebook they came from."""

    frames: Ragged  # values (N,) int
    k: int
    codebook: str
    codebook_id: str


def read_units(path: str | os.PathLike) -> Units:
    """Read a units NPZ file, or a directory of unit shards merged into one."""
    parts = []
    for f in npz_files(path):
        arrays = _load_npz(f, UNITS_FORMAT)
        if arrays["values"].dtype.kind not in "iu":
            raise SpokenW2VError(f"{f}: unit ids must be integers, found {arrays['values'].dtype} values")
        r = _ragged_from_arrays(arrays, f)
        k = int(arrays["k"])
        if len(r.values) and (int(r.values.min()) < 0 or int(r.values.max()) >= k):
            raise SpokenW2VError(f"{f}: unit ids outside [0, {k})")
        parts.append(Units(r, k, _scalar_text(arrays["codebook"]), _scalar_text(arrays["codebook_id"])))
    if len(parts) == 1:
        return parts[0]
    base = parts[0]
    for p, f in zip(parts[1:], npz_files(path)[1:]):
        if p.codebook_id != base.codebook_id:
            raise SpokenW2VError(f"{f}: shard was encoded with another codebook")
    frames = Ragged.from_list(
        [u for p in parts for u in p.frames.utt_ids],
        [p.frames[i] for p in parts for i in range(len(p.frames))],
        [d for p in parts for d in p.frames.durations],
        base.frames.info,
    )
    return Units(frames, base.k, base.codebook, base.codebook_id)


# --------------------------------------------------------------------------- codebook


@dataclass
class Codebook:
    """k-means codebook over standardized features: unit = argmin_k ||(x-mean)/std - c_k||."""

    centroids: np.ndarray  # (k, D) float32, in standardized space
    mean: np.ndarray  # (D,) float32
    std: np.ndarray  # (D,) float32
    seed: int
    info: FrameInfo
    sample_fraction: float = 0.1
    inertia: float = float("nan")

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])

    @property
    def dim(self) -> int:
        return int(self.centroids.shape[1])

    def fingerprint(self) -> str:
        h = hashlib.sha1()
        for a in (self.centroids, self.mean, self.std):
            h.update(np.ascontiguousarray(a, dtype=np.float32).tobytes())
        return h.hexdigest()[:16]


def write_codebook(path: str | os.PathLike, cb: Codebook) -> None:
    _save_npz(path, {
        "format": np.str_(CODEBOOK_FORMAT),
        "version": np.int64(FORMAT_VERSION),
        "centroids": cb.centroids.astype(np.float32),
        "mean": cb.mean.astype(np.float32),
        "std": cb.std.astype(np.float32),
        "k": np.int64(cb.k),
        "seed": np.int64(cb.seed),
        "sample_fraction": np.float64(cb.sample_fraction),
        "inertia": np.float64(cb.inertia),
        **cb.info.to_arrays(),
    })


def read_codebook(path: str | os.PathLike) -> Codebook:
    path = Path(path)
    a = _load_npz(path, CODEBOOK_FORMAT)
    c = a["centroids"].astype(np.float32)
    if c.ndim != 2 or a["mean"].shape != (c.shape[1],) or a["std"].shape != (c.shape[1],):
        raise SpokenW2VError(f"{path}: corrupt codebook (centroid/mean/std shapes disagree)")
    if "k" in a and int(a["k"]) != c.shape[0]:
        raise SpokenW2VError(f"{path}: corrupt codebook (k = {int(a['k'])} but {c.shape[0]} centroids)")
    if not all(a[key].dtype.kind in "biuf" and np.isfinite(a[key]).all() for key in ("centroids", "mean", "std")) \
            or not (a["std"] > 0).all():
        raise SpokenW2VError(f"{path}: corrupt codebook (non-finite centroids, mean or std, or std <= 0)")
    return Codebook(c, a["mean"].astype(np.float32), a["std"].astype(np.float32), int(a["seed"]),
                    _frame_info(a, path), float(a["sample_fraction"]), float(a["inertia"]))


# --------------------------------------------------------------------------- utterance durations


def read_durations(path: str | os.PathLike) -> dict[str, float]:
    """Utterance id -> duration in seconds from a features or units NPZ (file or directory
    of shards), reading only the ``utt_ids`` and ``durations`` arrays (no frames)."""
    out: dict[str, float] = {}
    for f in npz_files(path):
        arrays = _load_npz(f, (FEATURES_FORMAT, UNITS_FORMAT), keys=("utt_ids", "durations"))
        utts, durs = arrays["utt_ids"].tolist(), arrays["durations"].astype(np.float64).tolist()
        if len(utts) != len(durs):
            raise SpokenW2VError(f"{f}: corrupt file (utt_ids and durations differ in length)")
        if not all(math.isfinite(d) and d >= 0 for d in durs):
            raise SpokenW2VError(f"{f}: non-finite or negative utterance durations")
        for u, d in zip(utts, durs):
            if str(u) in out:
                raise SpokenW2VError(f"{f}: utterance {u} appears in more than one shard")
            out[str(u)] = float(d)
    return out


# --------------------------------------------------------------------------- per-token vectors


@dataclass
class TokenVectors:
    """One vector per word token (``format = spokenw2v-token-vectors``).

    ``vectors`` (N, D) float32; ``words`` (N,) the token's label; ``utt_ids`` (N,) its
    utterance; ``start``/``end`` (N,) seconds (NaN for tokens of a text corpus).
    """

    vectors: np.ndarray
    words: list[str]
    utt_ids: list[str]
    start: np.ndarray
    end: np.ndarray


def write_token_vectors(path: str | os.PathLike, tv: TokenVectors) -> None:
    """Write per-token vectors as an NPZ atomically."""
    _save_npz(path, {
        "format": np.str_(TOKEN_VECTORS_FORMAT),
        "version": np.int64(FORMAT_VERSION),
        "vectors": tv.vectors.astype(np.float32),
        "words": np.asarray(tv.words, dtype=np.str_),
        "utt_ids": np.asarray(tv.utt_ids, dtype=np.str_),
        "start": np.asarray(tv.start, dtype=np.float64),
        "end": np.asarray(tv.end, dtype=np.float64),
    })


def read_token_vectors(path: str | os.PathLike) -> TokenVectors:
    path = Path(path)
    a = _load_npz(path, TOKEN_VECTORS_FORMAT)
    v = a["vectors"].astype(np.float32)
    n = v.shape[0]
    if not (len(a["words"]) == len(a["utt_ids"]) == len(a["start"]) == len(a["end"]) == n):
        raise SpokenW2VError(f"{path}: corrupt file (array lengths differ)")
    if not np.isfinite(v).all():
        raise SpokenW2VError(f"{path}: non-finite token vector values (NaN or infinity)")
    return TokenVectors(v, [str(w) for w in a["words"].tolist()], [str(u) for u in a["utt_ids"].tolist()],
                        a["start"].astype(np.float64), a["end"].astype(np.float64))
