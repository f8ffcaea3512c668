"""What ``synthesize`` says and how: its settings (:class:`SynthesisConfig`), the utterances
of a text corpus and their tokens with the punctuation after each, the seeded per-utterance
choices (voice, variant, rate, pitch, gain) and the containers of spoken results.  The engines
(:mod:`spokenw2v.synthesize`, :mod:`spokenw2v.continuous`, :mod:`spokenw2v.festival`,
:mod:`spokenw2v.flite`) speak it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

import numpy as np

from .errors import SpokenW2VError
from .io import read_text, tokenize

#: Punctuation after which the pause between two words is longer.
PAUSE_PUNCTUATION = ",;:.?!"
#: How words are spoken: one at a time joined with pauses, or whole utterances.
STYLES = ("words", "continuous")
#: Speech engines (festival, flite: whole utterances only).
ENGINES = ("espeak", "festival", "flite")


@dataclass
class SynthesisConfig:
    """How a corpus is spoken.  Saved as ``synthesis.json`` in the output directory.

    Per utterance (seeded): one voice, one variant, one speaking rate (words per minute,
    espeak-ng's scale), a base pitch in ``pitch`` (espeak-ng's 0-100 scale, 50 = the
    voice's normal) and a gain in ``gain``.  Per word (seeded): rate times
    ``1 + U(-rate_jitter, rate_jitter)`` and pitch plus an integer in
    ``[-pitch_jitter, pitch_jitter]``.  Times are in seconds.
    """

    voices: tuple[str, ...] = ("en-us", "en-gb")
    variants: tuple[str, ...] = ("m1", "m3", "f1", "f3")  # () = each voice's own default
    rates: tuple[int, ...] = (140, 170, 200)
    seed: int = 0
    pitch: tuple[int, int] = (35, 65)
    pitch_jitter: int = 8
    rate_jitter: float = 0.1
    gain: tuple[float, float] = (0.5, 1.0)
    word_gap: tuple[float, float] = (0.05, 0.12)
    punctuation_pause: tuple[float, float] = (0.12, 0.25)  # added to word_gap after , ; : . ? !
    edge_silence: float = 0.15
    min_word: float = 0.03  # a word's segment is at least this long (widened into the pauses)
    sample_rate: int = 16000
    style: str = "words"  # "words": one call per word, joined with pauses; "continuous": one call per utterance
    engine: str = "espeak"  # "espeak" (espeak-ng), "festival" or "flite" (these two continuous only)

    def __post_init__(self):
        if self.style not in STYLES:
            raise SpokenW2VError(f"--style: expected one of {', '.join(STYLES)}, got {self.style!r}")
        if self.engine not in ENGINES:
            raise SpokenW2VError(f"--engine: expected one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.engine != "espeak" and self.style != "continuous":
            raise SpokenW2VError(f"--engine {self.engine}: speaks whole utterances only; use --style continuous")
        self.voices = tuple(self.voices)
        self.variants = tuple(v for v in self.variants if v)
        self.rates = tuple(int(r) for r in self.rates)
        if not self.voices:
            raise SpokenW2VError("synthesize: give at least one voice")
        if not self.rates or any(not 80 <= r <= 450 for r in self.rates):
            raise SpokenW2VError("--rates: speaking rates must be 80-450 words per minute, got "
                                 + ",".join(map(str, self.rates)))
        if self.word_gap[0] < self.min_word:
            raise SpokenW2VError("synthesize: the shortest pause between words must be at least min_word")
        if self.sample_rate not in (8000, 16000, 22050, 24000, 44100, 48000):
            raise SpokenW2VError(f"synthesize: unsupported sample rate {self.sample_rate}")

    def to_json(self) -> dict:
        """The fields as JSON; ``style`` and ``engine`` only where they are not the defaults (so
        directories made before they existed resume)."""
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        for key, default in (("style", "words"), ("engine", "espeak")):
            if out[key] == default:
                del out[key]
        return out

    @classmethod
    def from_json(cls, data: dict) -> "SynthesisConfig":
        known = set(cls.__dataclass_fields__)
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Utterance:
    """One line of the input corpus: ``utt`` id, its 1-based ``line`` number, its ``text``."""

    utt: str
    line: int
    text: str


@dataclass(frozen=True)
class UtteranceSettings:
    """The seeded choices for one utterance."""

    voice: str
    variant: str  # "" = the voice's default
    rate: int  # words per minute
    pitch: int  # 0-100
    gain: float


@dataclass
class SpokenUtterance:
    """A synthesized utterance: ``audio`` (T,) float32 in [-1, 1] at ``sample_rate`` Hz;
    ``start``/``end`` (W,) seconds, one segment per word of ``words``."""

    audio: np.ndarray
    sample_rate: int
    words: list[str]
    start: np.ndarray
    end: np.ndarray

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


@dataclass
class SynthesisResult:
    """What :func:`synthesize_corpus` did (counts, seconds of audio, wall-clock seconds)."""

    utterances: int
    words: int
    synthesized: int  # utterances made in this run
    skipped: int  # utterances found complete and kept (resume)
    audio_seconds: float
    elapsed: float
    per_voice: dict[str, int] = field(default_factory=dict)
    merged: int = 0  # continuous style: words with no engine event of their own, split from a neighbour
    widened: int = 0  # continuous style: words lengthened to min_word from a neighbour or a pause


# --------------------------------------------------------------------------- text


def utterance_punctuation(text: str) -> tuple[list[str], list[str]]:
    """Tokens of a line (exactly :func:`tokenize`'s) and, per token, the pause punctuation
    (one of ``, ; : . ? !``, possibly followed by quotes or brackets) the text has after it,
    or ''."""
    words: list[str] = []
    puncts: list[str] = []
    for chunk in text.split():
        toks = tokenize(chunk)
        if not toks:
            marks = [ch for ch in chunk if ch in PAUSE_PUNCTUATION]
            if puncts and marks and not puncts[-1]:
                puncts[-1] = marks[0]
            continue
        words.extend(toks)
        puncts.extend([""] * (len(toks) - 1))
        tail = chunk.rstrip("\"')]}\u2019\u201d")
        puncts.append(tail[-1] if tail and tail[-1] in PAUSE_PUNCTUATION else "")
    return words, puncts


def utterance_words(text: str) -> tuple[list[str], list[bool]]:
    """Tokens of a line (exactly :func:`tokenize`'s) and, per token, whether the text has
    pause punctuation (``, ; : . ? !``, possibly followed by quotes or brackets) after it."""
    words, puncts = utterance_punctuation(text)
    return words, [bool(p) for p in puncts]


def read_text_lines(path: str | os.PathLike) -> list[Utterance]:
    """The non-empty lines of a text corpus (``-``: standard input) as utterances ``utt`` =
    ``utt`` + 6-digit line number."""
    lines = read_text(path, "text corpus (UTF-8, one utterance per line)").splitlines()
    out = [Utterance(f"utt{i:06d}", i, line.strip()) for i, line in enumerate(lines, start=1) if tokenize(line)]
    if not out:
        raise SpokenW2VError(f"{path}: the corpus has no words")
    return out


def choose_settings(config: SynthesisConfig, index: int) -> tuple[UtteranceSettings, np.random.Generator]:
    """The seeded settings of the utterance at position ``index`` of the corpus, and the
    generator (seeded by ``[seed, index]``) that then draws its per-word jitter and pauses."""
    rng = np.random.default_rng([config.seed, index])
    voice = config.voices[int(rng.integers(len(config.voices)))]
    variant = config.variants[int(rng.integers(len(config.variants)))] if config.variants else ""
    rate = config.rates[int(rng.integers(len(config.rates)))]
    pitch = int(rng.integers(config.pitch[0], config.pitch[1] + 1))
    gain = round(float(rng.uniform(*config.gain)), 4)
    return UtteranceSettings(voice, variant, rate, pitch, gain), rng


def speaker_name(settings: UtteranceSettings) -> str:
    """The speaker of an utterance in ``audio.tsv``: its voice and variant (``en-us-f3``; the
    voice alone without a variant). Rate, pitch and gain vary within one speaker."""
    return f"{settings.voice}-{settings.variant}" if settings.variant else settings.voice
