"""The Flite speech synthesizer (Debian package ``flite``) as a third engine of
``synthesize --engine flite``: whole utterances, word times aligned from Flite's segment times.

Flite's command line says when every segment (phone) of an utterance ends (``-psdur``:
``pau:0.255 ih:0.322 n:0.360 ...``, pauses are ``pau``) but not which word a segment belongs
to (``-pr`` prints the names of one relation's items only, never the links between relations).
So each utterance is spoken by one ``flite`` process (``-psdur``, the waveform at the voice's
own rate: 8 kHz for ``kal``, 16 kHz for the others), each token's phones are taken from Flite
itself speaking that token alone (``-ps``; once per voice and token in a worker, since the
voices' phone sets differ: ``kal`` has no ``ah``), and the utterance's phones are aligned to
the tokens' phones in order by minimum edit distance (:func:`align_phones`): substitutions
absorb Flite's post-lexical rules (*the* before a vowel is ``dh iy``, alone ``dh ax``), a
number is one token whatever words it is read as, and pauses belong to no token.  A token
runs from the start of its first aligned phone to the end of its last one; a token left with
no phone of its own shares the sound of the token before it (``merged``, as with the other
engines).

The speaking rate sets Flite's ``duration_stretch`` to 170 / rate (so 170 words per minute is
each voice's own speed); espeak-ng's pitch and voice variants do not apply.  Flite is
deterministic and keeps no state between processes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from .continuous import WordTimes, check_voices, segments_from_intervals, spoken_text, within_audio
from .errors import SpokenW2VError

#: The Debian package: the synthesizer and its voices (kal, kal16, awb, rms, slt, awb_time).
FLITE_PACKAGE = "flite"
#: The rate (words per minute) at which ``duration_stretch`` is 1.
NATIVE_RATE = 170
#: Flite's pause segment.
PAUSE = "pau"
#: The ``duration_stretch`` at which the phones of words alone are found.
LOOKUP_STRETCH = 0.1

_SEGMENT = re.compile(r"(\S+):(\d+(?:\.\d*)?)")


def missing_flite_message() -> str:
    return f"flite is not installed; install the Debian/Ubuntu package with: sudo apt-get install {FLITE_PACKAGE}"


class Flite:
    """The ``flite`` program of this machine: speaks one utterance per process and remembers
    the phones of every token it has spoken alone (see the module docstring)."""

    def __init__(self, program: str = "flite"):
        path = shutil.which(program)
        if path is None:
            raise SpokenW2VError(missing_flite_message())
        self.path = path
        self.tmp = Path(tempfile.mkdtemp(prefix="spokenw2v-flite-"))
        self.phones: dict[tuple[str, str], list[str]] = {}

    def _run(self, args: Sequence[str], what: str) -> str:
        """flite's standard output for ``args``; an error naming ``what`` if it cannot run."""
        try:
            proc = subprocess.run([self.path, *args], capture_output=True, text=True, encoding="utf-8",
                                  errors="replace")
        except OSError as exc:
            raise SpokenW2VError(f"flite could not {what} ({exc.strerror or exc})") from None
        if proc.returncode != 0:
            raise SpokenW2VError(f"flite could not {what} (exit status {proc.returncode})")
        return proc.stdout

    def voices(self) -> list[str]:
        """The voices this flite has (``flite -lv``)."""
        out = self._run(["-lv"], "list its voices")
        return out.split(":", 1)[1].split() if ":" in out else []

    def word_phones(self, voice: str, words: Sequence[str]) -> list[list[str]]:
        """The phones of each of ``words`` spoken alone by ``voice`` (pauses left out), remembered.

        The words not yet known are spoken in one flite call, each as an utterance of its own
        (flite ends an utterance at a blank line and prints one line of segments per utterance),
        at :data:`LOOKUP_STRETCH` (the phones do not depend on the durations; the waveform
        flite makes and discards is then short)."""
        new = sorted({w for w in words if (voice, w) not in self.phones})
        if new:
            listing = self.tmp / "words.txt"
            listing.write_text("\n\n".join(new) + "\n", encoding="utf-8")
            out = self._run(["-voice", voice, "--setf", f"duration_stretch={LOOKUP_STRETCH}", "-ps", "-f",
                             str(listing), "-o", "none"], f"find the phones of {new[0][:40]!r}")
            lines = out.splitlines()
            if len(lines) != len(new):
                raise SpokenW2VError(f"flite spoke {len(new)} words alone as {len(lines)} utterances")
            for word, line in zip(new, lines):
                self.phones[voice, word] = [p for p in line.split() if p != PAUSE]
        return [self.phones[voice, w] for w in words]

    def speak(self, text: str, voice: str, stretch: float) -> tuple[np.ndarray, int, list[tuple[str, float]]]:
        """Synthesize ``text`` with ``voice`` and ``duration_stretch`` ``stretch``: the audio (T,)
        float32, its sample rate and every segment as (name, end in seconds), in order."""
        import soundfile as sf

        wav = self.tmp / "utt.wav"
        wav.unlink(missing_ok=True)
        out = self._run(["-voice", voice, "--setf", f"duration_stretch={stretch:.4f}", "-psdur", "-t", text,
                         "-o", str(wav)], f"speak {text[:40]!r}")
        segments = [(name, float(end)) for name, end in _SEGMENT.findall(out)]
        if not segments or not wav.is_file():
            raise SpokenW2VError(f"flite could not speak {text[:40]!r}")
        audio, sr = sf.read(str(wav), dtype="float32")
        return (audio if audio.ndim == 1 else audio.mean(axis=1)), int(sr), segments

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def check_flite(voices: Sequence[str]) -> dict[str, str]:
    """Find flite and check every voice; returns each voice mapped to itself (the names
    ``flite -voice`` accepts).  Raises a one-line error otherwise."""
    return check_voices(Flite, "flite", voices)


def align_phones(spoken: Sequence[str], reference: Sequence[Sequence[str]]) -> list[int]:
    """The word of every phone of ``spoken`` (an utterance's segments in order, pauses
    :data:`PAUSE` included): an index into ``reference`` (each word's phones spoken alone), -1
    for a pause.

    The phones other than pauses are aligned to the words' phones in order by minimum edit
    distance (a match costs 0; a substitution, an extra spoken phone or a missing one 1).  A
    spoken phone aligned to a word's phone belongs to that word; an extra one to the word of
    the phone before it (at the start, to the first word with phones).  The words of the
    phones never go backwards; a word may get none."""
    ref = np.array([p for w in reference for p in w], dtype=str)
    owner = [i for i, w in enumerate(reference) for _ in w]
    keep = [k for k, p in enumerate(spoken) if p != PAUSE]
    hyp = [spoken[k] for k in keep]
    words = [-1] * len(spoken)
    if not hyp or not len(ref):
        return words
    n, m = len(hyp), len(ref)
    steps = np.arange(m + 1, dtype=np.int32)
    cost = np.empty((n + 1, m + 1), dtype=np.int32)
    cost[0] = steps
    for i in range(1, n + 1):
        row = np.empty(m + 1, dtype=np.int32)
        row[0] = cost[i - 1, 0] + 1
        row[1:] = np.minimum(cost[i - 1, :-1] + (ref != hyp[i - 1]), cost[i - 1, 1:] + 1)
        cost[i] = np.minimum.accumulate(row - steps) + steps  # then skip reference phones along the row
    i, j = n, m
    while i > 0:
        if j > 0 and cost[i, j] == cost[i - 1, j - 1] + (hyp[i - 1] != ref[j - 1]):
            words[keep[i - 1]] = owner[j - 1]
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            words[keep[i - 1]] = owner[j - 1] if j > 0 else owner[0]
            i -= 1
        else:
            j -= 1
    return words


def flite_word_times(segments: Sequence[tuple[str, float]], reference: Sequence[Sequence[str]], sr: int,
                     min_word: float) -> WordTimes:
    """Word segments (samples at ``sr``) of the words whose phones alone are ``reference``, from
    flite's (name, end in seconds) ``segments`` of the whole utterance (:func:`align_phones`)."""
    owners = align_phones([name for name, _ in segments], reference)
    phon: list[list[tuple[int, int]]] = [[] for _ in reference]
    start = 0
    for (_, end), word in zip(segments, owners):
        stop = int(round(end * sr))
        if word >= 0 and stop > start:
            phon[word].append((start, stop))
        start = max(start, stop)
    return segments_from_intervals(phon, [None] * len(reference), lambda i: len(reference[i]),
                                   int(np.ceil(min_word * sr)))


def speak_flite_words(engine: Flite, words: Sequence[str], punctuation: Sequence[str], voice: str, rate: int,
                      min_word: float) -> tuple[np.ndarray, int, WordTimes]:
    """Speak ``words`` in one flite call: audio (T,) float32, its rate, word segments."""
    text, _ = spoken_text(words, punctuation)
    audio, sr, segments = engine.speak(text, voice, NATIVE_RATE / rate)
    times = flite_word_times(segments, engine.word_phones(voice, words), sr, min_word)
    return audio, sr, within_audio(times, len(audio), "flite")
