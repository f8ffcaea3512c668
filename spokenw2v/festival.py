"""The Festival speech synthesizer (Debian package ``festival`` and its ``festvox-*`` voices) as
a second engine of ``synthesize --engine festival``: whole utterances, word times from
Festival's own utterance structure.

One long-lived ``festival --pipe`` process per worker reads Scheme commands on its standard
input.  For each utterance it synthesizes the text, saves the waveform (the voice's own rate:
16 kHz for the diphone voices, 32 kHz for ``cmu_us_slt_arctic_hts``) and prints, for every
token of its Token relation in order, the start and end of every word under it that has
segments (a number read as several words gives its token several words; punctuation words
have none).  A word runs from the start of its first segment to the end of its last one
(its syllables' segments in the SylStructure relation); pauses (``pau``) belong to no word.

The speaking rate sets Festival's ``Duration_Stretch`` to 170 / rate (so 170 words per minute
is each voice's own speed; the HTS voice ignores it); espeak-ng's pitch and voice variants
do not apply.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from .continuous import WordTimes, check_voices, segments_from_intervals, spoken_text, within_audio
from .errors import SpokenW2VError

#: The Debian packages: the synthesizer and three English voices.
FESTIVAL_PACKAGES = "festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts"
#: The rate (words per minute) at which ``Duration_Stretch`` is 1.
NATIVE_RATE = 170

_SCHEME = r"""
(define (sw2v_segs w)
  (if (item.relation w 'SylStructure)
      (apply append (mapcar item.daughters (item.daughters (item.relation w 'SylStructure))))
      nil))
(define (sw2v_token tok)
  (format t "T\n")
  (mapcar
   (lambda (w)
     (let ((segs (sw2v_segs w)))
       (if segs
           (format t "W %f %f\n" (item.feat (car segs) 'segment_start) (item.feat (car (reverse segs)) 'end)))))
   (item.daughters tok)))
(define (sw2v_say text wav)
  (let ((utt (utt.synth (eval (list 'Utterance 'Text text)))) (tok nil))
    (utt.save.wave utt wav 'riff)
    (set! tok (utt.relation.first utt 'Token))
    (while tok (sw2v_token tok) (set! tok (item.next tok)))
    (format t "DONE\n")
    t))
(define (sw2v_voices) (mapcar (lambda (v) (format t "V %s\n" v)) (voice.list)) (format t "END\n") (fflush nil))
"""


def missing_festival_message() -> str:
    return ("festival is not installed; install the Debian/Ubuntu packages with: "
            f"sudo apt-get install {FESTIVAL_PACKAGES}")


class Festival:
    """A ``festival --pipe`` process speaking one utterance at a time (see the module docstring)."""

    def __init__(self, program: str = "festival"):
        path = shutil.which(program)
        if path is None:
            raise SpokenW2VError(missing_festival_message())
        self.tmp = Path(tempfile.mkdtemp(prefix="spokenw2v-festival-"))
        (self.tmp / "sw2v.scm").write_text(_SCHEME, encoding="utf-8")
        self.proc = subprocess.Popen([path, "--pipe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        self._send(f'(load "{self.tmp / "sw2v.scm"}")')
        self.voice = ""

    def _send(self, command: str) -> None:
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise SpokenW2VError("festival stopped unexpectedly") from None

    def _read_until(self, marker: str) -> list[str]:
        """Output lines up to the line ``marker`` (an error if festival ends first)."""
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise SpokenW2VError("festival stopped unexpectedly")
            line = line.strip()
            if line == marker:
                return lines
            lines.append(line)

    def voices(self) -> list[str]:
        """The voices this festival has (``voice.list``)."""
        self._send('(sw2v_voices)')
        return [x[2:] for x in self._read_until("END") if x.startswith("V ")]

    def set_voice(self, voice: str, stretch: float) -> None:
        if voice != self.voice:
            self._send(f"(voice_{voice})")
            self.voice = voice
        self._send(f"(Parameter.set 'Duration_Stretch {stretch:.4f})")

    def speak(self, text: str) -> tuple[np.ndarray, int, list[list[tuple[float, float]]]]:
        """Synthesize ``text`` (letters, digits, apostrophes, spaces and ``, ; : . ? !`` only):
        the audio (T,) float32, its sample rate and, per token, the (start, end) seconds of
        its words that have sound."""
        import soundfile as sf

        wav = self.tmp / "utt.wav"
        wav.unlink(missing_ok=True)
        self._send(f'(sw2v_say "{text}" "{wav}")\n(format t "END\\n")\n(fflush nil)')
        lines = self._read_until("END")
        if "DONE" not in lines or not wav.is_file():
            raise SpokenW2VError(f"festival could not speak {text[:40]!r}")
        tokens: list[list[tuple[float, float]]] = []
        for line in lines:
            if line == "T":
                tokens.append([])
            elif line.startswith("W ") and tokens:
                a, b = line.split()[1:3]
                tokens[-1].append((float(a), float(b)))
        audio, sr = sf.read(str(wav), dtype="float32")
        return (audio if audio.ndim == 1 else audio.mean(axis=1)), int(sr), tokens

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def check_festival(voices: Sequence[str]) -> dict[str, str]:
    """Start festival and check every voice; returns each voice mapped to itself (the names
    festival's ``voice_NAME`` accepts).  Raises a one-line error otherwise."""
    return check_voices(Festival, "festival", voices)


def festival_word_times(tokens: list[list[tuple[float, float]]], words: Sequence[str], sr: int,
                        min_word: float) -> WordTimes:
    """Word segments (samples at ``sr``) of ``words`` from festival's per-token word times."""
    if len(tokens) != len(words):
        raise SpokenW2VError(f"festival read {len(tokens)} tokens for {len(words)} words")
    phon = [[(int(round(a * sr)), int(round(b * sr))) for a, b in t if b > a] for t in tokens]
    return segments_from_intervals(phon, [None] * len(words), lambda i: len(words[i]),
                                   int(np.ceil(min_word * sr)))


def speak_festival_words(engine: Festival, words: Sequence[str], punctuation: Sequence[str], voice: str,
                         rate: int, min_word: float) -> tuple[np.ndarray, int, WordTimes]:
    """Speak ``words`` in one festival call: audio (T,) float32, its rate, word segments."""
    engine.set_voice(voice, NATIVE_RATE / rate)
    text, _ = spoken_text(words, punctuation)
    audio, sr, tokens = engine.speak(text)
    times = festival_word_times(tokens, words, sr, min_word)
    return audio, sr, within_audio(times, len(audio), "festival")
