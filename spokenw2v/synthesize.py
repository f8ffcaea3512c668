"""Speak a text corpus with espeak-ng, Festival or Flite, with word timings, resumably and reproducibly.

Two styles (:attr:`SynthesisConfig.style`): ``words`` (below: every word alone, joined with
pauses, exact boundaries in silence) and ``continuous`` (a whole utterance in one call, word
times from the engine itself: :mod:`spokenw2v.continuous` for espeak-ng,
:mod:`spokenw2v.festival` for Festival, :mod:`spokenw2v.flite` for Flite).

How an utterance is made in the ``words`` style (all at espeak-ng's native 22,050 Hz, then
resampled once):

1. The line is tokenized with :func:`spokenw2v.io.tokenize`; every token is one word.
2. Each word is synthesized *on its own* through espeak-ng's C library (``libespeak-ng``,
   loaded with :mod:`ctypes` by :mod:`spokenw2v.espeak`; no process per word), in the
   utterance's voice and variant, at the utterance's speaking rate and base pitch with a
   small seeded per-word jitter of rate and pitch (so tokens of one word differ even within
   one voice).
3. The clip's leading and trailing silence is trimmed (samples below -60 dB of the clip's
   peak; espeak-ng's edges are digital silence, so no speech is cut).
4. The clips are concatenated with seeded pauses between words (longer where the text
   has ``, ; : . ? !``) and silence at both ends; a word's segment is exactly its trimmed
   clip, so every word has exactly one segment, boundaries are real silences, segments
   never overlap and lie inside the audio.
5. The utterance gets a seeded gain and is resampled to 16 kHz
   (:func:`scipy.signal.resample_poly`, 320/441).

Why word by word rather than one call per utterance with SSML ``<mark/>`` events: with
marks espeak-ng runs short function words into the next word and places both marks at the
same sample (3.7% of the words of the demo text get a zero-length segment), and a mark
before a pause puts the pause into the previous word.  See ``bench/synthesize_timing.py``
and docs/commands.md ("synthesize") for the measurements.  The price is no coarticulation
across words; the ``continuous`` style keeps it and handles both problems from espeak-ng's
word and phoneme events instead of marks.

Everything is seeded per utterance (``numpy.random.default_rng([seed, index])``), and
espeak-ng's hidden state between calls is controlled by speaking each block of
:data:`BLOCK_SIZE` utterances in a freshly forked process (see :func:`_make_block`), so
the result does not depend on the number of worker processes or on resuming.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

import numpy as np

from .continuous import WordTimes, engine_for_worker, speak_continuous
from .errors import SpokenW2VError, where
from .espeak import Espeak, check_espeak, espeak, token_phonemes
from .festival import Festival, check_festival, speak_festival_words
from .flite import Flite, check_flite, speak_flite_words
from .io import SYNTHESIS_FORMAT, Segments, atomic_path, atomic_write_text, read_segments, record_payload, \
    write_audio_list, write_corpus, write_record, write_segments, write_tsv, write_word_units
from .speechplan import (ENGINES, STYLES, SpokenUtterance, SynthesisConfig, SynthesisResult, Utterance,  # noqa: F401
                         UtteranceSettings, choose_settings, read_text_lines, speaker_name, utterance_punctuation,
                         utterance_words)

CONFIG_FILE = "synthesis.json"

# --------------------------------------------------------------------------- one utterance


def trim_silence(clip: np.ndarray, threshold_db: float = -60.0) -> tuple[int, int]:
    """``[first, last + 1)`` sample range of ``clip`` (T,) above ``threshold_db`` relative to
    its peak (and above 8/32768 in absolute terms); (0, 0) when the clip is silent."""
    mag = np.abs(clip.astype(np.float32))
    peak = float(mag.max()) if len(mag) else 0.0
    loud = np.flatnonzero(mag > max(8.0, peak * 10 ** (threshold_db / 20)))
    if len(loud) == 0:
        return 0, 0
    return int(loud[0]), int(loud[-1]) + 1


def speak_utterance(engine: Espeak, words: Sequence[str], pauses: Sequence[bool], settings: UtteranceSettings,
                    voice_name: str, rng: np.random.Generator, config: SynthesisConfig,
                    label: str = "") -> SpokenUtterance:
    """Synthesize ``words`` one at a time and concatenate them (see the module docstring).

    ``voice_name`` is the resolved espeak-ng name of ``settings.voice``; ``rng`` draws the
    per-word jitter and pauses; ``label`` names the utterance in errors.
    """
    sr = engine.sample_rate
    engine.set_voice(voice_name, settings.variant)
    edge = int(round(config.edge_silence * sr))
    pieces: list[np.ndarray] = [np.zeros(edge, dtype=np.int16)]
    pos = edge
    starts, ends = [], []
    for i, word in enumerate(words):
        rate = int(round(settings.rate * (1 + rng.uniform(-config.rate_jitter, config.rate_jitter))))
        pitch = int(np.clip(settings.pitch + rng.integers(-config.pitch_jitter, config.pitch_jitter + 1), 0, 100))
        clip = engine.speak(word, min(max(rate, 80), 450), pitch)
        a, b = trim_silence(clip)
        if b <= a:
            raise SpokenW2VError(f"{label or 'synthesize'}: espeak-ng produced no sound for the word {word!r}")
        pieces.append(clip[a:b])
        starts.append(pos)
        pos += b - a
        ends.append(pos)
        if i + 1 < len(words):
            gap = rng.uniform(*config.word_gap) + (rng.uniform(*config.punctuation_pause) if pauses[i] else 0.0)
            n = int(round(gap * sr))
            pieces.append(np.zeros(n, dtype=np.int16))
            pos += n
    pieces.append(np.zeros(edge, dtype=np.int16))
    audio = np.concatenate(pieces).astype(np.float32) * (settings.gain / 32768.0)
    audio = resample(audio, sr, config.sample_rate)
    start = np.asarray(starts, dtype=np.float64) / sr
    end = np.asarray(ends, dtype=np.float64) / sr
    start, end = widen_short(start, end, config.min_word, len(audio) / config.sample_rate)
    return SpokenUtterance(audio, config.sample_rate, list(words), start, end)


def place_words(audio: np.ndarray, sr: int, start: np.ndarray, end: np.ndarray, words: Sequence[str],
                settings: UtteranceSettings, config: SynthesisConfig) -> SpokenUtterance:
    """A whole spoken utterance ``audio`` (T,) float in [-1, 1] at ``sr`` Hz with word segments
    ``start``/``end`` (W,) in samples: edge silence added, the utterance's gain applied,
    resampled to ``config.sample_rate``; segments in seconds."""
    edge = int(round(config.edge_silence * sr))
    audio = np.concatenate([np.zeros(edge), audio, np.zeros(edge)]).astype(np.float32) * settings.gain
    audio = resample(audio, sr, config.sample_rate)
    return SpokenUtterance(audio, config.sample_rate, list(words), (np.asarray(start, dtype=np.float64) + edge) / sr,
                           (np.asarray(end, dtype=np.float64) + edge) / sr)


def speak_continuous_espeak(engine: Espeak, words: Sequence[str], punctuation: Sequence[str],
                            settings: UtteranceSettings, voice_name: str, config: SynthesisConfig,
                            label: str) -> tuple[SpokenUtterance, tuple[int, int]]:
    """Speak a whole utterance in one espeak-ng call (:mod:`spokenw2v.continuous`); returns it
    and its (merged, widened) word counts."""
    engine.set_voice(voice_name, settings.variant)
    try:
        clip, times = speak_continuous(engine, words, punctuation, settings.rate, settings.pitch, config.min_word)
    except SpokenW2VError as exc:
        raise SpokenW2VError(f"{label}: {exc}") from None
    spoken = place_words(clip.astype(np.float32) / 32768.0, engine.sample_rate, times.start, times.end, words,
                         settings, config)
    return spoken, (times.merged, times.widened)


class WholeUtteranceEngine(NamedTuple):
    """An engine that speaks whole utterances only: its program (one per worker), its voice
    check and its word-timing call."""

    make: Callable[[], Festival | Flite]
    check: Callable[[Sequence[str]], dict[str, str]]
    speak_words: Callable[..., tuple[np.ndarray, int, WordTimes]]


#: The whole-utterance engines besides espeak-ng.
WHOLE_UTTERANCE = {"festival": WholeUtteranceEngine(Festival, check_festival, speak_festival_words),
                   "flite": WholeUtteranceEngine(Flite, check_flite, speak_flite_words)}


def speak_whole(engine: Festival | Flite, words: Sequence[str], punctuation: Sequence[str],
                settings: UtteranceSettings, voice_name: str, config: SynthesisConfig,
                label: str) -> tuple[SpokenUtterance, tuple[int, int]]:
    """Speak a whole utterance with festival or flite (``config.engine``; :mod:`spokenw2v.festival`,
    :mod:`spokenw2v.flite`); returns it and its (merged, widened) word counts."""
    try:
        audio, sr, times = WHOLE_UTTERANCE[config.engine].speak_words(engine, words, punctuation, voice_name,
                                                                      settings.rate, config.min_word)
    except SpokenW2VError as exc:
        raise SpokenW2VError(f"{label}: {exc}") from None
    return place_words(audio, sr, times.start, times.end, words, settings, config), (times.merged, times.widened)


def check_engine(config: SynthesisConfig) -> dict[str, str]:
    """Check the engine and every voice (and espeak-ng variant) of ``config``; returns each
    voice mapped to the name the engine accepts.  Raises a one-line error otherwise."""
    if config.engine != "espeak" and config.variants:
        raise SpokenW2VError(f"--variants: {config.engine} voices have no variants; give --variants ''")
    if config.engine in WHOLE_UTTERANCE:
        return WHOLE_UTTERANCE[config.engine].check(config.voices)
    return check_espeak(config.voices, config.variants)


def resample(audio: np.ndarray, orig: int, new: int) -> np.ndarray:
    """Polyphase resampling of (T,) float32 audio from ``orig`` to ``new`` Hz."""
    if orig == new:
        return audio.astype(np.float32)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(orig, new)
    out = resample_poly(audio, new // g, orig // g).astype(np.float32)
    return np.clip(out, -1.0, 1.0)


def widen_short(start: np.ndarray, end: np.ndarray, min_len: float, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Widen segments shorter than ``min_len`` seconds symmetrically into the surrounding
    silence, never past a neighbour or the audio; (W,) seconds in, (W,) seconds out."""
    start, end = start.copy(), end.copy()
    for i in np.flatnonzero(end - start < min_len):
        need = (min_len - (end[i] - start[i])) / 2
        lo = end[i - 1] if i > 0 else 0.0
        hi = start[i + 1] if i + 1 < len(start) else duration
        start[i] = max(lo, start[i] - need)
        end[i] = min(hi, end[i] + need)
    return start, end


def check_utterance(spoken: SpokenUtterance, words: Sequence[str], min_word: float, label: str) -> None:
    """The checks every synthesized utterance passes: one segment per word, in order,
    non-overlapping, inside the audio, none shorter than ``min_word`` seconds."""
    if spoken.words != list(words) or len(spoken.start) != len(words) or len(spoken.end) != len(words):
        raise SpokenW2VError(f"{label}: {len(spoken.start)} segments for {len(words)} words")
    dur = spoken.duration
    s, e = spoken.start, spoken.end
    if len(s) and (s[0] < 0 or e[-1] > dur + 1e-9):
        raise SpokenW2VError(f"{label}: a word segment lies outside the audio ({dur:.3f} s)")
    if np.any(e - s < min_word - 1e-9):
        i = int(np.argmin(e - s))
        raise SpokenW2VError(f"{label}: the word {words[i]!r} is only {1000 * (e[i] - s[i]):.0f} ms long")
    if np.any(s[1:] < e[:-1]):
        raise SpokenW2VError(f"{label}: word segments overlap")


# --------------------------------------------------------------------------- a corpus


def corpus_fingerprint(utterances: Sequence[Utterance]) -> str:
    h = hashlib.sha1()
    for u in utterances:
        h.update(f"{u.utt}\t{u.text}\n".encode("utf-8"))
    return h.hexdigest()[:16]


def _wav_path(out_dir: Path, utt: str) -> Path:
    return out_dir / "audio" / f"{utt}.wav"


def _words_path(out_dir: Path, utt: str) -> Path:
    return out_dir / "words" / f"{utt}.tsv"


def _write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    from io import BytesIO

    import soundfile as sf

    with atomic_path(path) as tmp:
        buffer = BytesIO()  # encoded in memory: libsndfile reports a failed write as "System error."
        sf.write(buffer, audio, sample_rate, subtype="PCM_16", format="WAV")
        with open(tmp, "wb") as fh:  # a full disk is an OSError naming the file
            fh.write(buffer.getbuffer())


def _fixes_path(out_dir: Path, utt: str) -> Path:
    return out_dir / "words" / f"{utt}.fixes"


def _read_fixes(out_dir: Path, utt: str) -> tuple[int, int] | None:
    """The (merged, widened) word counts of a continuous utterance, or None when unreadable."""
    try:
        merged, widened = (int(x) for x in _fixes_path(out_dir, utt).read_text(encoding="utf-8").split())
    except (OSError, ValueError):
        return None
    return merged, widened


def _read_done(out_dir: Path, u: Utterance, words: list[str],
               continuous: bool = False) -> tuple[Segments, float] | None:
    """The kept segments and duration of a complete utterance, or None to (re)make it."""
    wav, side = _wav_path(out_dir, u.utt), _words_path(out_dir, u.utt)
    if not (wav.is_file() and side.is_file()) or (continuous and _read_fixes(out_dir, u.utt) is None):
        return None
    import soundfile as sf

    try:
        info = sf.info(str(wav))
        seg = read_segments(side, require_words=True)
    except (RuntimeError, SpokenW2VError):
        return None
    if seg.word != words or set(seg.utt) != {u.utt}:
        return None
    return seg, info.frames / info.samplerate


#: Utterances are made in fixed blocks of this many consecutive corpus lines (see below).
BLOCK_SIZE = 16

# worker state (one per process; set by _init_worker)
_WORKER: dict = {}


def _init_worker(config: SynthesisConfig, voices: dict[str, str], out_dir: str) -> None:
    """Worker start-up: load espeak-ng (never used for speech in this process itself) and
    the modules the forked children need, so that forking is cheap."""
    import scipy.signal  # noqa: F401
    import soundfile  # noqa: F401

    _WORKER.update(config=config, voices=voices, out_dir=Path(out_dir))
    if config.engine in WHOLE_UTTERANCE:
        _WORKER["engine"] = engine_for_worker(WHOLE_UTTERANCE[config.engine].make)
        return
    engine = espeak()
    # Load every voice's data and warm espeak-ng up here, once, instead of in every forked
    # child.  This changes espeak-ng's hidden state, but identically in every worker.
    for name in sorted(set(voices.values())):
        engine.set_voice(name)
        engine.speak("warm", 175, 50)
    speak_utterance(engine, ["warm", "up"], [False, False], UtteranceSettings(config.voices[0], "", 175, 50, 1.0),
                    voices[config.voices[0]], np.random.default_rng(0), config)


def _speak_block(block: list[tuple[int, Utterance, bool]]) -> None:
    """Speak the utterances of one block in corpus order; check and write those flagged."""
    config: SynthesisConfig = _WORKER["config"]
    voices: dict[str, str] = _WORKER["voices"]
    out_dir: Path = _WORKER["out_dir"]
    engine = espeak() if config.engine == "espeak" else _WORKER["engine"]
    for index, u, write in block:
        words, puncts = utterance_punctuation(u.text)
        settings, rng = choose_settings(config, index)
        label = f"line {u.line} (utterance {u.utt})"
        if config.engine in WHOLE_UTTERANCE:
            spoken, fixes = speak_whole(engine, words, puncts, settings, voices[settings.voice], config, label)
        elif config.style == "continuous":
            spoken, fixes = speak_continuous_espeak(engine, words, puncts, settings, voices[settings.voice], config,
                                                    label)
        else:
            spoken = speak_utterance(engine, words, [bool(p) for p in puncts], settings, voices[settings.voice],
                                     rng, config, label)
        if write:
            check_utterance(spoken, words, config.min_word, label)
            if config.style == "continuous":
                atomic_write_text(_fixes_path(out_dir, u.utt), f"{fixes[0]}\t{fixes[1]}\n")
            _write_wav(_wav_path(out_dir, u.utt), spoken.audio, spoken.sample_rate)
            write_segments(_words_path(out_dir, u.utt),
                           Segments([u.utt] * len(words), spoken.start, spoken.end, words))


def _make_block(block: list[tuple[int, Utterance, bool]]) -> int:
    """Worker: make one block in a forked child; returns how many utterances it wrote.

    espeak-ng keeps hidden synthesis state (its waveform generator's counters) from one
    call to the next, so the same word sounds slightly different depending on everything
    spoken before it in the process.  Each block is therefore spoken by a child forked
    from a worker that has never spoken: a block's audio depends only on the block, never
    on the number of workers, the order of the work or an earlier interrupted run.
    Without ``os.fork`` (Windows) the block is spoken in the worker itself and the output
    is reproducible only for the same ``--jobs``.
    """
    if not hasattr(os, "fork") or _WORKER["config"].engine != "espeak":  # festival and flite keep no such state
        _speak_block(block)
        return sum(w for _, _, w in block)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_end)
            _speak_block(block)
        except SpokenW2VError as exc:
            os.write(write_end, str(exc).encode("utf-8", "replace"))
            code = 1
        except OSError as exc:  # a full disk, a denied write: the file and the reason
            from .io import os_error_text

            os.write(write_end, os_error_text(exc).encode("utf-8", "replace"))
            code = 1
        except BaseException as exc:  # report, never hang the parent
            first = block[0][1]
            os.write(write_end, f"line {first.line} (utterance {first.utt}): synthesis failed "
                                f"({type(exc).__name__}: {exc})".encode("utf-8", "replace"))
            code = 2
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        message = fh.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    if status != 0:
        first = block[0][1]
        raise SpokenW2VError(message or f"line {first.line} (utterance {first.utt}): synthesis process failed "
                                        f"(status {status})")
    return sum(w for _, _, w in block)


def _check_config(out_dir: Path, config: SynthesisConfig, fingerprint: str) -> None:
    path = out_dir / CONFIG_FILE
    wanted = {"config": config.to_json(), "corpus": fingerprint}
    if path.is_file():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise SpokenW2VError(f"{path}: not a readable synthesis record; remove it or use another --out") from None
        found = record_payload(doc, SYNTHESIS_FORMAT, path)
        if found != wanted:
            what = "from another corpus" if found.get("corpus") != fingerprint else "with other settings"
            raise SpokenW2VError(
                f"{out_dir}: was synthesized {what} (see {path}); use another --out or remove the directory"
            )
    else:
        write_record(path, SYNTHESIS_FORMAT, wanted)


def write_phonemes(path: Path, seg: Segments, utt_voices: Sequence[str], utt_words: Sequence[int],
                   resolved: dict[str, str]) -> None:
    """``phonemes.tsv`` in the word-units layout (utt start end word units): the phonemes of
    every token in its utterance's voice (``utt_voices[j]`` for the ``utt_words[j]`` tokens
    of utterance j), for ``spokenw2v train --word-units``."""
    voices = [resolved[v] for v, n in zip(utt_voices, utt_words) for _ in range(n)]
    write_word_units(path, seg, token_phonemes(seg.word, voices))


def synthesize_corpus(utterances: Sequence[Utterance], out_dir: str | os.PathLike, config: SynthesisConfig,
                      jobs: int = 1, progress: Callable[[int], None] | None = None,
                      source: str = "corpus", limit: int = 0, voices: dict[str, str] | None = None) -> SynthesisResult:
    """Speak ``utterances`` into ``out_dir`` (resumable) and write the corpus-level files.

    Writes ``audio/UTT.wav`` (16-bit PCM, ``config.sample_rate`` Hz, mono) and
    ``words/UTT.tsv`` (that utterance's segments) for each utterance, each atomically, and
    skips utterances whose two files already exist; then ``audio.tsv`` (utt path speaker),
    ``segments.tsv`` (utt start end word), ``corpus.txt`` (tokens, one utterance per line),
    ``utterances.tsv`` (the seeded choices), ``phonemes.tsv`` (espeak-ng's phonemes of every
    token in its utterance's voice, in the word-units layout) and ``synthesis.json`` (config and corpus
    fingerprint; a resume with other settings or another corpus is refused).
    ``progress(n)`` is called with the number of utterances finished since the last call.
    ``jobs`` worker processes (spawned; each loads its own espeak-ng); the work is
    split into blocks of :data:`BLOCK_SIZE` consecutive utterances (see :func:`_make_block`
    for why), so the output does not depend on ``jobs``.  ``limit`` > 0
    speaks only the first ``limit`` utterances (the corpus fingerprint still covers all of
    them, so a later run without the limit resumes).  ``voices``: what
    :func:`spokenw2v.espeak.check_espeak` returned for ``config`` when the caller has already
    checked espeak-ng and the voices (None: they are checked here).
    """
    import time

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    if voices is None:
        voices = check_engine(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    _check_config(out_dir, config, corpus_fingerprint(utterances))
    if limit > 0:
        utterances = utterances[:limit]
    (out_dir / "audio").mkdir(exist_ok=True)
    (out_dir / "words").mkdir(exist_ok=True)

    words_of = {u.utt: utterance_words(u.text)[0] for u in utterances}
    continuous = config.style == "continuous"
    needed = [_read_done(out_dir, u, words_of[u.utt], continuous) is None for u in utterances]
    skipped = len(utterances) - sum(needed)
    if progress and skipped:
        progress(skipped)
    blocks = []
    for first in range(0, len(utterances), BLOCK_SIZE):
        block = [(i, utterances[i], needed[i]) for i in range(first, min(first + BLOCK_SIZE, len(utterances)))]
        while block and not block[-1][2]:  # the tail after the last needed utterance is not spoken
            block.pop()
        if block:
            blocks.append(block)
    if blocks:
        ctx = multiprocessing.get_context("spawn")  # workers never inherit the caller's threads
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(blocks))), mp_context=ctx,
                                 initializer=_init_worker, initargs=(config, voices, str(out_dir))) as pool:
            pending = {pool.submit(_make_block, b) for b in blocks}
            try:
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        n = fut.result()
                        if progress:
                            progress(n)
            except BaseException:
                for fut in pending:
                    fut.cancel()
                raise

    # corpus-level outputs, in corpus order, from the per-utterance files
    parts, audio_list, speakers, durations, rows = [], {}, {}, 0.0, []
    per_voice: dict[str, int] = {}
    fixed = np.zeros(2, dtype=np.int64)
    for i, u in enumerate(utterances):
        done = _read_done(out_dir, u, words_of[u.utt], continuous)
        if done is None:
            raise SpokenW2VError(f"{where(source, u.line, u.utt)}: synthesized audio is missing or incomplete")
        seg, dur = done
        parts.append(seg)
        audio_list[u.utt] = Path("audio") / f"{u.utt}.wav"
        durations += dur
        settings, _ = choose_settings(config, i)
        per_voice[settings.voice] = per_voice.get(settings.voice, 0) + 1
        speakers[u.utt] = speaker_name(settings)
        pitch = settings.pitch if config.engine == "espeak" else "-"  # festival, flite: the voice's own pitch
        rows.append([u.utt, u.line, settings.voice, settings.variant or "-", settings.rate, pitch,
                     f"{settings.gain:.4f}", len(seg), f"{dur:.4f}"])
        if continuous:
            fixes = _read_fixes(out_dir, u.utt) or (0, 0)
            fixed += fixes
            rows[-1].extend(fixes)
    all_seg = Segments([x for p in parts for x in p.utt], np.concatenate([p.start for p in parts]),
                       np.concatenate([p.end for p in parts]), [w for p in parts for w in p.word])
    write_segments(out_dir / "segments.tsv", all_seg)
    write_audio_list(out_dir / "audio.tsv", audio_list, speakers)
    write_corpus(out_dir / "corpus.txt", [words_of[u.utt] for u in utterances])
    write_tsv(out_dir / "utterances.tsv", ["utt", "line", "voice", "variant", "rate", "pitch", "gain", "words",
                                           "duration", *(["merged", "widened"] if continuous else [])], rows)
    if config.engine == "espeak":  # espeak-ng's phonemes; another engine's voices are not espeak-ng voices
        write_phonemes(out_dir / "phonemes.tsv", all_seg, [r[2] for r in rows], [len(p) for p in parts], voices)
    return SynthesisResult(len(utterances), len(all_seg), sum(needed), skipped, durations,
                           time.perf_counter() - t0, per_voice, int(fixed[0]), int(fixed[1]))
