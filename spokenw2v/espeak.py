"""espeak-ng's C library (``libespeak-ng``) through :mod:`ctypes`: one engine per process that
speaks a word or a line (int16 audio at espeak-ng's 22,050 Hz, with SSML ``<mark/>`` events),
resolves voices and variants, and gives a word's phonemes (IPA).  Nothing here decides what is
said or how it is assembled: that is :mod:`spokenw2v.synthesize`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import SpokenW2VError

#: The Debian/Ubuntu package that provides ``libespeak-ng``.
ESPEAK_PACKAGE = "espeak-ng"
#: Shared-library names tried in order (Linux, then macOS/Homebrew).
LIBRARY_NAMES: tuple[str, ...] = ("libespeak-ng.so.1", "libespeak-ng.so", "libespeak-ng.1.dylib")

# espeak-ng C API constants (speak_lib.h, API revision 12)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_INITIALIZE_PHONEME_EVENTS = 0x0001
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_EE_OK = 0
_PARAM_RATE = 1
_PARAM_PITCH = 3
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_MARK = 3
_EVENT_PHONEME = 7
_SSML = 0x10


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


def missing_espeak_message(detail: str = "") -> str:
    extra = f" ({detail})" if detail else ""
    return (f"espeak-ng is not installed{extra}; install the Debian/Ubuntu package with: "
            f"sudo apt-get install {ESPEAK_PACKAGE}")


#: ``espeak_TextToPhonemes`` mode: IPA (bit 1) with a space between phonemes (bits 8-23).
_PHONEMES_IPA_SPACED = 0x02 | (ord(" ") << 8)
#: Primary and secondary stress marks (dropped from the phonemes).
_STRESS = str.maketrans("", "", "\u02c8\u02cc")
#: The symbol written for a token espeak-ng gives no phonemes.
NO_PHONEMES = "-"


@dataclass(frozen=True)
class SpeechEvent:
    """One event of espeak-ng during synthesis: ``kind`` ``word`` (a word starts) or ``phoneme``
    (a phoneme starts; ``name`` is espeak-ng's mnemonic, pauses start with ``_``),
    ``text_position`` (1-based character index of the word in the text) and ``sample`` (the
    sample index in the utterance's audio where it starts)."""

    kind: str
    text_position: int
    sample: int
    name: str = ""


class Espeak:
    """espeak-ng's C library in synchronous mode: one instance per process.

    Audio comes back through ``espeak_SetSynthCallback`` as int16 samples at
    :attr:`sample_rate` (22,050 Hz for espeak-ng's own voices).
    """

    def __init__(self, library_names: Sequence[str] | None = None):
        self.lib = self._load(library_names)
        lib = self.lib
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByProperties.restype = ctypes.c_int
        lib.espeak_SetVoiceByProperties.argtypes = [ctypes.POINTER(_Voice)]
        lib.espeak_GetCurrentVoice.restype = ctypes.POINTER(_Voice)
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None,
                                                 _INITIALIZE_DONT_EXIT | _INITIALIZE_PHONEME_EVENTS)
        if self.sample_rate <= 0:
            raise SpokenW2VError(missing_espeak_message("its data files (espeak-ng-data) were not found"))
        data = ctypes.c_char_p()
        self.version = (lib.espeak_Info(ctypes.byref(data)) or b"").decode()
        self.data_path = Path((data.value or b"").decode())
        self._chunks: list[np.ndarray] = []
        self._marks: list[tuple[str, int]] = []
        self._events: list[SpeechEvent] = []
        self._callback = _SynthCallback(self._on_audio)  # keep a reference: ctypes must not free it
        lib.espeak_SetSynthCallback(self._callback)
        self._current: tuple[str, str] | None = None

    @staticmethod
    def _load(names: Sequence[str] | None):
        """``names`` or, by default, what ``ctypes.util.find_library`` finds plus :data:`LIBRARY_NAMES`."""
        if names is None:
            found = ctypes.util.find_library("espeak-ng")
            names = ([found] if found else []) + list(LIBRARY_NAMES)
        for name in names:
            try:
                return ctypes.CDLL(name)
            except OSError:
                continue
        raise SpokenW2VError(missing_espeak_message(f"cannot load {' or '.join(names)}"))

    def _on_audio(self, wav, n, events) -> int:
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            if events[i].type == _EVENT_MARK and events[i].id.name is not None:
                self._marks.append((events[i].id.name.decode("utf-8"), int(events[i].sample)))
            elif events[i].type == _EVENT_WORD:
                self._events.append(SpeechEvent("word", int(events[i].text_position), int(events[i].sample)))
            elif events[i].type == _EVENT_PHONEME:
                name = bytes(events[i].id.string).split(b"\0")[0].decode("latin-1")
                self._events.append(SpeechEvent("phoneme", int(events[i].text_position), int(events[i].sample), name))
            i += 1
        if n > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    def resolve_voice(self, voice: str) -> str:
        """A name espeak-ng's ``SetVoiceByName`` accepts for ``voice`` (a voice name such
        as ``en-us`` or a language such as ``en-gb``, like ``espeak-ng -v``)."""
        self._current = None  # this changes the current voice
        if self.lib.espeak_SetVoiceByName(voice.encode()) == _EE_OK:
            return voice
        props = _Voice()
        props.languages = voice.encode()
        if self.lib.espeak_SetVoiceByProperties(ctypes.byref(props)) == _EE_OK:
            current = self.lib.espeak_GetCurrentVoice()
            if current and current.contents.identifier:
                ident = current.contents.identifier.decode()
                langs = current.contents.languages or b""
                if voice.encode().lower() in langs.lower() and self.lib.espeak_SetVoiceByName(ident.encode()) == _EE_OK:
                    return ident
        raise SpokenW2VError(f"espeak-ng has no voice {voice!r} (list them with: espeak-ng --voices=en)")

    def has_variant(self, variant: str) -> bool:
        return (self.data_path / "voices" / "!v" / variant).is_file()

    def set_voice(self, voice: str, variant: str = "") -> None:
        key = (voice, variant)
        if key == self._current:
            return
        name = f"{voice}+{variant}" if variant else voice
        if self.lib.espeak_SetVoiceByName(name.encode()) != _EE_OK:
            raise SpokenW2VError(f"espeak-ng has no voice {name!r} (list them with: espeak-ng --voices=en)")
        self._current = key

    def speak(self, text: str, rate: int, pitch: int) -> np.ndarray:
        """Synthesize plain text (no SSML, no end-of-sentence pause): (T,) int16 at :attr:`sample_rate`."""
        return self._synth(text, rate, pitch, _CHARS_UTF8)

    def speak_ssml(self, ssml: str, rate: int, pitch: int) -> tuple[np.ndarray, list[tuple[str, int]]]:
        """Synthesize SSML; returns the audio (T,) int16 and its ``<mark name=.../>`` events
        as (name, sample index) pairs.  Used to measure the mark-based alternative."""
        audio = self._synth(ssml, rate, pitch, _CHARS_UTF8 | _SSML)
        return audio, list(self._marks)

    def speak_events(self, text: str, rate: int, pitch: int) -> tuple[np.ndarray, list[SpeechEvent]]:
        """Synthesize plain text in one call; returns the audio (T,) int16 and espeak-ng's word
        and phoneme events in the order espeak-ng reports them (see :class:`SpeechEvent`)."""
        audio = self._synth(text, rate, pitch, _CHARS_UTF8)
        return audio, list(self._events)

    def phonemes(self, word: str) -> list[str]:
        """The phonemes espeak-ng speaks for ``word`` in the current voice: IPA symbols, one
        per phoneme (stress marks dropped), e.g. ``God`` in en-us -> ``['ɡ', 'ɑː', 'd']``."""
        buf = ctypes.create_string_buffer(word.encode("utf-8"))
        ptr = ctypes.c_void_p(ctypes.addressof(buf))
        out: list[str] = []
        while ptr.value:  # one call per clause of the text
            text = self.lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, _PHONEMES_IPA_SPACED)
            out.extend(p for p in (text or b"").decode("utf-8").translate(_STRESS).split() if p)
        return out

    def _synth(self, text: str, rate: int, pitch: int, flags: int) -> np.ndarray:
        self.lib.espeak_SetParameter(_PARAM_RATE, int(rate), 0)
        self.lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
        self._chunks = []
        self._marks = []
        self._events = []
        data = text.encode("utf-8")
        err = self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, flags, None, None)
        if err != _EE_OK:
            raise SpokenW2VError(f"espeak-ng failed to synthesize {text[:40]!r} (error {err})")
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)


_ENGINE: Espeak | None = None


def espeak() -> Espeak:
    """The process's espeak-ng engine (the library holds global state: one per process)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Espeak()
    return _ENGINE


def check_espeak(voices: Sequence[str], variants: Sequence[str]) -> dict[str, str]:
    """Load espeak-ng and check every voice and voice variant; return the map from each voice
    as given to the name espeak-ng accepts.  Raises a one-line error otherwise."""
    engine = espeak()
    resolved = {v: engine.resolve_voice(v) for v in voices}
    for variant in variants:
        if not engine.has_variant(variant):
            raise SpokenW2VError(
                f"espeak-ng has no voice variant {variant!r} (see {engine.data_path / 'voices' / '!v'}; "
                f"for example m1-m8, f1-f5)"
            )
    return resolved


def token_phonemes(words: Sequence[str], voices: Sequence[str]) -> list[list[str]]:
    """espeak-ng's phonemes of every token ``words[i]`` in the voice ``voices[i]`` (a name
    espeak-ng accepts); a token without phonemes gets :data:`NO_PHONEMES`."""
    engine = espeak()
    cache: dict[tuple[str, str], list[str]] = {}
    out = []
    for word, voice in zip(words, voices):
        key = (voice, word)
        if key not in cache:
            engine.set_voice(voice)
            cache[key] = engine.phonemes(word) or [NO_PHONEMES]
        out.append(cache[key])
    return out
