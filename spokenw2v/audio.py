"""Finding and loading audio.

Audio is found from

* a LibriSpeech-style tree (``SPEAKER/CHAPTER/UTT.flac``) or any directory: every
  ``*.wav``, ``*.flac`` and ``*.ogg`` below it, recursively; the utterance id is the
  file name without its extension;
* an audio list TSV (``utt  path``, see :func:`spokenw2v.io.read_audio_list`);
* a single audio file (utterance id = file name without extension).

Audio is read with soundfile, stereo is averaged to mono and any sample rate is
resampled to 16 kHz (``torchaudio.functional.resample``, its default windowed-sinc
filter).  Waveforms are float32 in [-1, 1], shape (T,) at :data:`SAMPLE_RATE`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import SpokenW2VError
from .io import read_audio_list

SAMPLE_RATE = 16000
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")


@dataclass(frozen=True)
class AudioInfo:
    """One audio file as found on disk (no samples loaded)."""

    utt: str
    path: Path
    sample_rate: int  # Hz, as stored
    frames: int  # samples per channel, as stored
    channels: int

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.frames / self.sample_rate

    @property
    def samples_16k(self) -> int:
        """Number of samples after resampling to 16 kHz (what :func:`load_audio` returns)."""
        return resampled_length(self.frames, self.sample_rate)


def resampled_length(frames: int, sample_rate: int, target_rate: int = SAMPLE_RATE) -> int:
    """Length of ``torchaudio.functional.resample`` output: ceil(frames * target / rate)."""
    if sample_rate == target_rate:
        return frames
    return -(-frames * target_rate // sample_rate)


def find_audio(path: str | os.PathLike) -> dict[str, Path]:
    """Utterance id -> audio file, sorted by utterance id.

    ``path`` is a directory (searched recursively for .wav/.flac/.ogg), an audio list
    TSV (``utt  path``) or one audio file.  Two files with the same utterance id are an
    error naming both.
    """
    path = Path(path)
    if path.is_dir():
        found: dict[str, Path] = {}
        for p in sorted(path.rglob("*")):
            if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file() and not p.name.startswith("."):
                if p.stem in found:
                    raise SpokenW2VError(f"{p}: utterance id {p.stem} is also used by {found[p.stem]}")
                found[p.stem] = p
        if not found:
            raise SpokenW2VError(f"{path}: no audio files (*.wav, *.flac, *.ogg) found in this directory")
        return dict(sorted(found.items()))
    if not path.exists():
        raise SpokenW2VError(f"{path}: no such file or directory")
    if path.suffix.lower() in AUDIO_EXTENSIONS:
        return {path.stem: path}
    return dict(sorted(read_audio_list(path).items()))


def check_wav_length(path: Path) -> None:
    """A WAV file whose ``data`` chunk declares more bytes than the file holds (a copy or a
    download cut short) is a one-line error naming the file and the shortfall; libsndfile would
    read the part that is there without a word.  Other formats, and WAV headers that leave the
    length open (0 or 0xFFFFFFFF, as streaming writers do), are not checked here."""
    import struct

    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return
            size = os.fstat(fh.fileno()).st_size
            fmt = None
            while True:
                chunk = fh.read(8)
                if len(chunk) < 8:
                    return
                cid, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"fmt ":
                    fmt = fh.read(min(length, 16))
                    fh.seek(length - len(fmt) + (length & 1), os.SEEK_CUR)
                    continue
                if cid != b"data":
                    fh.seek(length + (length & 1), os.SEEK_CUR)
                    continue
                if length in (0, 0xFFFFFFFF):
                    return
                held = size - fh.tell()
                if held >= length:
                    return
                break
    except OSError:
        return  # the reader reports an unreadable file itself
    what = f"{length - held:,} bytes missing"
    if fmt is not None and len(fmt) >= 16:
        _, channels, rate, byte_rate, _, _ = struct.unpack("<HHIIHH", fmt[:16])
        if byte_rate > 0:
            what = f"{(length - held) / byte_rate:.3f} s of audio ({length - held:,} bytes) missing: it holds " \
                   f"{held / byte_rate:.3f} s of the {length / byte_rate:.3f} s its header declares"
    raise SpokenW2VError(f"{path}: truncated WAV file, {what}")


def probe_audio(utt: str, path: str | os.PathLike) -> AudioInfo:
    """Sample rate, length and channels of one file without decoding it.

    Raises :class:`SpokenW2VError` naming the file when it is missing, unreadable or empty.
    """
    import soundfile as sf

    path = Path(path)
    if not path.exists():
        raise SpokenW2VError(f"{path}: no such audio file (utterance {utt})")
    if path.is_dir():
        raise SpokenW2VError(f"{path}: is a directory, not an audio file (utterance {utt})")
    try:
        info = sf.info(str(path))
    except Exception as exc:  # soundfile raises several types for unreadable data
        raise SpokenW2VError(f"{path}: unreadable audio (utterance {utt}): {_short(exc, path)}") from None
    check_wav_length(path)
    if info.frames <= 0:
        raise SpokenW2VError(f"{path}: zero-length audio (utterance {utt})")
    return AudioInfo(utt, path, int(info.samplerate), int(info.frames), int(info.channels))


def load_audio(path: str | os.PathLike, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Read one file as mono float32 at ``target_rate``: shape (T,), values in [-1, 1].

    Channels are averaged; other sample rates are resampled.  Missing, unreadable and
    zero-length files raise :class:`SpokenW2VError` naming the file.
    """
    import soundfile as sf

    path = Path(path)
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except FileNotFoundError:
        raise SpokenW2VError(f"{path}: no such audio file") from None
    except Exception as exc:
        raise SpokenW2VError(f"{path}: unreadable audio: {_short(exc, path)}") from None
    check_wav_length(path)
    if data.shape[0] == 0:
        raise SpokenW2VError(f"{path}: zero-length audio")
    if not np.isfinite(data).all():
        bad = int(np.flatnonzero(~np.isfinite(data).all(axis=1))[0])
        raise SpokenW2VError(f"{path}: the audio has NaN or infinite samples (first at {bad / rate:.3f} s)")
    wave = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if rate != target_rate:
        wave = resample(wave, rate, target_rate)
    return np.ascontiguousarray(wave, dtype=np.float32)


def resample(wave: np.ndarray, rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Resample a (T,) float32 waveform with ``torchaudio.functional.resample``."""
    import torch
    import torchaudio.functional as AF

    with torch.inference_mode():
        out = AF.resample(torch.from_numpy(np.ascontiguousarray(wave)), int(rate), int(target_rate))
    return out.numpy()


def _short(exc: Exception, path: Path | None = None) -> str:
    text = str(exc)
    if path is not None:
        text = text.replace(f" '{path}'", "").replace(str(path), "")
    text = " ".join(text.split())
    return text[:160] if text else type(exc).__name__
