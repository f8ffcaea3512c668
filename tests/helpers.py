"""Shared test helpers: tiny generated "speech" with exact word segments.

Usage::

    from helpers import make_tiny_speech

    tiny = make_tiny_speech(tmp_path, n_utts=4)
    tiny.audio_dir      # directory of audio files (utterance id = file name)
    tiny.audio_list     # audio list TSV: utt  path
    tiny.segments       # segments TSV: utt  start  end  word   (exact, seconds)
    tiny.utts           # ["utt000", "utt001", ...] sorted
    tiny.durations      # {utt: seconds}
    tiny.samples_16k    # {utt: number of samples after resampling to 16 kHz}

Each word type is a fixed two-tone chord plus a little noise (so equal words sound
alike), words are separated by short silences, and utterances begin and end with
silence.  With ``mixed_formats=True`` (default) utterances cycle through WAV 16 kHz
mono (or ``sample_rate``), FLAC 22.05 kHz stereo, OGG 44.1 kHz mono and WAV 44.1 kHz
stereo, so loading, down-mixing and resampling are exercised; with False every file is
a mono WAV at ``sample_rate``.  Everything is seeded: same arguments, same files.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from spokenw2v.io import Segments, TestSet, WordVectors

REPO = Path(__file__).resolve().parents[1]
LIBRISPEECH_SAMPLE = REPO / "examples" / "data" / "librispeech-sample"

#: Marks a test that needs a CUDA GPU; conftest.py skips it when none is present.
requires_cuda = pytest.mark.cuda


def espeak_available() -> bool:
    """True when the espeak-ng library that ``synthesize`` speaks with can be found."""
    import ctypes.util

    from spokenw2v.espeak import LIBRARY_NAMES

    if ctypes.util.find_library("espeak-ng"):
        return True
    for name in LIBRARY_NAMES:
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


#: Marks a test that speaks with espeak-ng; it skips where espeak-ng is not installed.
requires_espeak = pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng (apt-get install espeak-ng)")


def assert_one_error_line(result, *needles) -> str:
    """A failed command (a ``CliRunner`` result): exit code 1, no traceback, and exactly one
    ``Error:`` line, the last one (logs may come before it), containing every needle.
    Returns that line."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), result.output
    lines = result.output.strip().splitlines()
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.output
    for needle in needles:
        assert str(needle) in errors[0], (needle, errors[0])
    return errors[0]


def invoke(*args, cwd: Path | None = None):
    """Run the command line ``args`` (paths and numbers as they are written) with ``CliRunner``,
    in ``cwd`` when given."""
    from typer.testing import CliRunner

    from spokenw2v.cli import app

    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(app, [str(a) for a in args])
    finally:
        os.chdir(old)


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file below ``root`` (relative path -> hash; special files by their kind)."""
    import stat

    out = {}
    for p in sorted(Path(root).rglob("*")):
        mode = os.lstat(p).st_mode
        if stat.S_ISREG(mode):
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif not stat.S_ISDIR(mode):
            out[str(p.relative_to(root))] = f"special {stat.S_IFMT(mode):o} {os.lstat(p).st_rdev}"
    return out


def cuda_available() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False


VOCABULARY = ("the", "cat", "sat", "on", "mat", "dog", "ran", "a", "big", "red")

#: (extension, sample rate or None for ``sample_rate``, channels) cycled over utterances.
MIXED_FORMATS = ((".wav", None, 1), (".flac", 22050, 2), (".ogg", 44100, 1), (".wav", 44100, 2))


@dataclass
class TinySpeech:
    root: Path
    audio_dir: Path
    audio_list: Path
    segments: Path
    utts: list[str]
    durations: dict[str, float]
    samples_16k: dict[str, int]
    words: dict[str, list[tuple[float, float, str]]] = field(default_factory=dict)  # utt -> [(start, end, word)]


def _word_sound(word_index: int, n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / rate
    f1, f2 = 200.0 + 60.0 * word_index, 900.0 + 170.0 * word_index
    env = np.clip(np.sin(np.pi * np.arange(n) / max(n - 1, 1)), 0.0, 1.0) ** 0.5
    wave = 0.3 * np.sin(2 * np.pi * f1 * t) + 0.2 * np.sin(2 * np.pi * f2 * t)
    return (env * wave + 0.01 * rng.standard_normal(n)).astype(np.float32)


def make_tiny_speech(tmp_path: Path, n_utts: int = 4, sample_rate: int = 16000, *, words_per_utt: tuple[int, int] = (3, 6),
                     mixed_formats: bool = True, vocabulary: tuple[str, ...] = VOCABULARY, seed: int = 0) -> TinySpeech:
    """Write ``n_utts`` generated utterances under ``tmp_path/tiny`` and return their paths.

    Words last 0.15-0.40 s, silences 0.05-0.20 s (0.10-0.30 s at both ends); times in the
    segments TSV are exact (sample positions in the file's own rate, divided by it).
    """
    import soundfile as sf

    from spokenw2v.audio import resampled_length

    rng = np.random.default_rng(seed)
    root = Path(tmp_path) / "tiny"
    audio_dir = root / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    utts, durations, samples, words_of = [], {}, {}, {}
    list_rows, seg_rows = [], []
    for k in range(n_utts):
        ext, rate, channels = MIXED_FORMATS[k % len(MIXED_FORMATS)] if mixed_formats else (".wav", None, 1)
        rate = rate or sample_rate
        utt = f"utt{k:03d}"
        pieces = [np.zeros(int(rng.uniform(0.10, 0.30) * rate), np.float32)]
        pos = len(pieces[0])
        words = []
        for j in range(int(rng.integers(words_per_utt[0], words_per_utt[1] + 1))):
            if j:
                gap = np.zeros(int(rng.uniform(0.05, 0.20) * rate), np.float32)
                pieces.append(gap)
                pos += len(gap)
            wi = int(rng.integers(len(vocabulary)))
            n = int(rng.uniform(0.15, 0.40) * rate)
            pieces.append(_word_sound(wi, n, rate, rng))
            words.append((pos / rate, (pos + n) / rate, vocabulary[wi]))
            pos += n
        pieces.append(np.zeros(int(rng.uniform(0.10, 0.30) * rate), np.float32))
        wave = np.concatenate(pieces)
        data = wave if channels == 1 else np.stack([wave, 0.5 * wave], axis=1)
        path = audio_dir / f"{utt}{ext}"
        sf.write(str(path), data, rate)
        utts.append(utt)
        durations[utt] = len(wave) / rate
        samples[utt] = resampled_length(len(wave), rate)
        words_of[utt] = words
        list_rows.append(f"{utt}\taudio/{path.name}\n")
        seg_rows.extend(f"{utt}\t{s!r}\t{e!r}\t{w}\n" for s, e, w in words)
    audio_list = root / "audio.tsv"
    audio_list.write_text("utt\tpath\n" + "".join(list_rows), encoding="utf-8")
    segments = root / "segments.tsv"
    segments.write_text("utt\tstart\tend\tword\n" + "".join(seg_rows), encoding="utf-8")
    return TinySpeech(root, audio_dir, audio_list, segments, utts, durations, samples, words_of)


def write_librispeech_alignment(tiny: TinySpeech, path: Path) -> Path:
    """Write ``tiny``'s words as one librispeech-alignments file (end times, silences as
    empty words, no trailing newline and a space after the closing quote, as real files)."""
    lines = []
    for utt in tiny.utts:
        words, ends, prev = [], [], 0.0
        for s, e, w in tiny.words[utt]:
            if s > prev:
                words.append("")
                ends.append(s)
            words.append(w.upper())
            ends.append(e)
            prev = e
        words.append("")
        ends.append(tiny.durations[utt])
        lines.append(f'{utt} "{",".join(words)}" "{",".join(f"{t:.6f}" for t in ends)}" ')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- tiny models and corpora

#: Sizes of the tiny self-supervised speech models the tests save and load.
TINY_SSL = dict(hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64,
            conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)


def save_tiny_model(directory, kind, **overrides):
    """Save a tiny randomly initialised HuBERT / wav2vec2 / WavLM model (``kind``) with
    ``save_pretrained`` into ``directory``; ``overrides`` change its config."""
    import torch
    from transformers import (HubertConfig, HubertModel, Wav2Vec2Config, Wav2Vec2Model, WavLMConfig,
                              WavLMModel)

    classes = {"hubert": (HubertConfig, HubertModel), "wav2vec2": (Wav2Vec2Config, Wav2Vec2Model),
               "wavlm": (WavLMConfig, WavLMModel)}
    cfg_cls, model_cls = classes[kind]
    kw = dict(TINY_SSL, **overrides)
    if kind == "wavlm":
        kw.update(num_buckets=32, max_bucket_distance=100)
    torch.manual_seed(0)
    model_cls(cfg_cls(**kw)).save_pretrained(directory)
    return directory


def noise_waves(*lengths, seed=0):
    """Seeded low-amplitude noise waveforms (float32) of the given lengths in samples."""
    rng = np.random.default_rng(seed)
    return [(0.1 * rng.standard_normal(n)).astype(np.float32) for n in lengths]


#: Sizes of the tiny skipgram models the training tests build.
#: a constant rate (not the characters' cosine), so that a run resumed with more --epochs trains as
#: one run of those epochs would
TINY_TRAIN = dict(embed_dim=8, hidden=8, dim=16, negatives=5, pool_size=64, batch_tokens=64, window=2, warmup=0,
                  lr_schedule="constant")


def topic_corpus(n_sentences: int = 120, seed: int = 0) -> list[list[str]]:
    """Sentences drawn from two topics with disjoint vocabularies plus shared function words."""
    rng = np.random.default_rng(seed)
    topics = [["cat", "dog", "mouse", "horse", "cow", "sheep", "goat", "bird"],
              ["red", "blue", "green", "yellow", "black", "white", "pink", "brown"]]
    shared = ["the", "a", "and", "of"]
    out = []
    for _ in range(n_sentences):
        words = topics[rng.integers(2)]
        out.append([str(rng.choice(words)) if rng.random() < 0.7 else str(rng.choice(shared))
                    for _ in range(rng.integers(5, 12))])
    return out


def tiny_cfg(stream, **more):
    """A tiny resolved TrainConfig for ``stream`` (TINY_TRAIN sizes, ``more`` overrides)."""
    from spokenw2v.config import TrainConfig

    return TrainConfig(vocab_size=stream.vocab_size, symbols=stream.symbols, **{**TINY_TRAIN, **more}).resolved()


# --------------------------------------------------------------------------- evaluation fixtures

#: A five-word toy whose distances are worked out by hand.
WORDS = ["cat", "cap", "dog", "cart", "bat"]
REF = WordVectors(WORDS, np.array([[1, 0], [0, 1], [1, 1], [1, -1], [-1, 0]], dtype=np.float32))
MODEL = WordVectors(WORDS, np.array([[1, 0], [1, 1], [0, 1], [2, 0], [1, -1]], dtype=np.float32))
PAIRS = TestSet(["cat", "cat", "cat", "cat", "dog"], ["cap", "dog", "cart", "bat", "cap"],
                ["semantic", "semantic", "orthographic", "orthographic", "random"], seed=0)
H = 1 - 1 / np.sqrt(2)  # cosine distance at 45 degrees
# Cosine distances worked out by hand from the vectors above, pair by pair.
REF_D = np.array([1.0, H, H, 2.0, H])
MODEL_D = np.array([H, 1.0, 0.0, H, H])
# Levenshtein / longer length: cat-cap 1/3, cat-dog 3/3, cat-cart 1/4, cat-bat 1/3, dog-cap 3/3.
EDIT_D = np.array([1 / 3, 1.0, 1 / 4, 1 / 3, 1.0])

TOPICS = {
    "animals": ["dog", "cat", "horse", "cow", "sheep", "goat", "lion", "tiger", "wolf", "bear"],
    "food": ["bread", "cheese", "apple", "rice", "soup", "meat", "fish", "cake", "milk", "honey"],
    "tools": ["hammer", "saw", "drill", "nail", "screw", "wrench", "axe", "knife", "rope", "ladder"],
    "places": ["city", "village", "forest", "river", "mountain", "valley", "island", "desert", "lake", "harbor"],
    "people": ["king", "queen", "farmer", "baker", "smith", "sailor", "doctor", "child", "priest", "soldier"],
}
VERBS = {"animals": ["runs", "sleeps", "eats", "hunts"], "food": ["tastes", "smells", "cooks", "spoils"],
         "tools": ["breaks", "cuts", "hangs", "rusts"], "places": ["lies", "stretches", "floods", "shines"],
         "people": ["speaks", "works", "sings", "prays"]}
FILLER = ["the", "a", "and", "of", "in", "with", "near", "very", "old", "new"]


def generated_sentences(n: int = 3000, seed: int = 0) -> list[list[str]]:
    """Sentences whose words co-occur within topics, so a skipgram model learns the topics."""
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    out = []
    for _ in range(n):
        topic = names[rng.integers(len(names))]
        words = []
        for _ in range(rng.integers(5, 10)):
            r = rng.random()
            pool = TOPICS[topic] if r < 0.5 else VERBS[topic] if r < 0.7 else FILLER
            words.append(pool[rng.integers(len(pool))])
        out.append(words)
    return out


def gensim_vectors(sentences, seed: int) :
    from gensim.models import Word2Vec

    m = Word2Vec(sentences, vector_size=32, window=4, min_count=1, sg=1, negative=5, epochs=5, seed=seed,
                 workers=1)
    return WordVectors(list(m.wv.index_to_key), m.wv.vectors.astype(np.float32))


# --------------------------------------------------------------------------- example scripts and unit data

#: The example scripts.
EXAMPLES = REPO / "examples"


def example_env(**extra: str) -> dict[str, str]:
    """The environment an example script runs in: this interpreter's tools first on PATH, offline,
    passive OpenMP waiting, ``TINY=1``, and ``extra``."""
    env = dict(os.environ)
    # the interpreter's own bin directory first: `spokenw2v`, `python3` and `torchrun` of this
    # environment, without version-manager shims in between
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(OMP_WAIT_POLICY="PASSIVE", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TINY="1", **extra)
    return env


def run_example(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run an example script with bash; fail the test with its stderr when it fails."""
    result = subprocess.run(["bash", *map(str, args)], env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"{args[0]} failed:\n{result.stderr[-4000:]}"
    return result


def unit_data(tmp_path, k: int = 12, seed: int = 0):
    """Units NPZ (50 frames/s) + segments TSV: every word type has a base unit pattern."""
    rng = np.random.default_rng(seed)
    sentences = topic_corpus(30, seed)
    base = {w: rng.integers(0, k, size=rng.integers(2, 5)) for s in sentences for w in s}
    from spokenw2v import io

    info = io.FrameInfo(frame_rate=50.0, frame_offset=0.01, frame_width=0.025, feature="hubert",
                        model="test", layer=6)
    utts, arrays, durs, rows = [], [], [], []
    for u, s in enumerate(sentences):
        utt = f"utt{u:03d}"
        frames = []
        for i, w in enumerate(s):
            pattern = np.repeat(base[w], 2)
            if rng.random() < 0.5:
                pattern[-1] = rng.integers(0, k)
            frames.append(np.pad(pattern, (0, 10 - len(pattern)), mode="edge"))  # 10 frames = 0.2 s
            rows.append((utt, 0.2 * i, 0.2 * (i + 1), w))
        utts.append(utt)
        arrays.append(np.concatenate(frames).astype(np.int16))
        durs.append(0.2 * len(s))
    units = tmp_path / "units.npz"
    io.write_units(units, io.Ragged.from_list(utts, arrays, durs, info), k, "codebook.npz", "test")
    seg = io.Segments([r[0] for r in rows], np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
                      [r[3] for r in rows])
    segments = tmp_path / "segments.tsv"
    io.write_segments(segments, seg)
    return units, segments, seg


def two_word_units(path: Path, utts: tuple[str, str] = ("u1", "u2")) -> Segments:
    """Write a units NPZ to ``path`` of two utterances of 1 s at 100 frames/s in which word "a" is
    units 1 1 2 (merged 1 2) both times and "b" is 3, then 4; return the words' segments."""
    from spokenw2v.io import FrameInfo, Ragged, write_units

    info = FrameInfo(frame_rate=100.0, frame_offset=0.0, frame_width=0.025, feature="mfcc")
    frames = np.zeros(200, dtype=np.int64)
    frames[0:20], frames[20:30], frames[30:60] = 1, 2, 3
    frames[100:120], frames[120:130], frames[130:160] = 1, 2, 4
    write_units(path, Ragged(list(utts), np.array([0, 100, 200]), frames, np.array([1.0, 1.0]), info), 5, "cb.npz", "x")
    return Segments([utts[0], utts[0], utts[1], utts[1]], np.array([0.0, 0.3, 0.0, 0.3]),
                    np.array([0.3, 0.6, 0.3, 0.6]), ["a", "b", "a", "b"])
