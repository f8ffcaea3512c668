"""Continuous speech: a whole utterance in one espeak-ng call, word times from its own events.

How an utterance is made (``synthesize --style continuous``):

1. The line's tokens (exactly :func:`spokenw2v.io.tokenize`'s) are joined with spaces, each
   followed by the pause punctuation the text has after it (``, ; : . ? !``), so every
   token's character span in the spoken text is known.
2. The text is spoken in one call (one voice, variant, rate and base pitch per utterance,
   seeded; no per-word jitter) with espeak-ng's word and phoneme events.  Each phoneme event
   gives the sample where a phoneme starts; phoneme names starting with ``_`` are pauses.
3. Phonemes belong to the word whose word event came last (a word event's text position
   names its token; a number read as several words gives one token several events).  A
   token's segment runs from its first word event or phoneme to the start of whatever follows
   its last phoneme (the next word or a pause), so pauses are never put into a word.
4. espeak-ng runs some short words into the next or previous one with no event of their own
   (``in the``, ``of the``): the phonemes of such a run are split between its tokens in
   proportion to each token's phoneme count spoken alone (``merged`` words).  A segment still
   shorter than ``min_word`` takes time from a touching neighbour that can spare it
   (``widened`` words).  Both counts are reported; an utterance where a word cannot get a
   positive segment is an error naming the utterance.
5. Edge silence, a seeded gain and resampling to 16 kHz as in the word-by-word style.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

import numpy as np

from .errors import SpokenW2VError
from .espeak import Espeak, SpeechEvent

#: The punctuation spoken after a token (the pause punctuation of the word-by-word style).
SPOKEN_PUNCTUATION = ",;:.?!"


@dataclass
class WordTimes:
    """Word segments of one utterance in samples of the engine's audio: ``start``/``end`` (W,)
    int, and how many words were ``merged`` (no event of their own) or ``widened``."""

    start: np.ndarray
    end: np.ndarray
    merged: int = 0
    widened: int = 0


def spoken_text(words: Sequence[str], punctuation: Sequence[str]) -> tuple[str, list[int]]:
    """The text spoken for ``words`` (each followed by its ``punctuation``, '' for none) and the
    1-based character position where each word starts."""
    parts, starts, pos = [], [], 1
    for word, punct in zip(words, punctuation):
        starts.append(pos)
        piece = word + punct
        parts.append(piece)
        pos += len(piece) + 1
    return " ".join(parts), starts


def event_owners(events: Sequence[SpeechEvent], starts: Sequence[int], n_words: int) -> tuple[list[int], list[int]]:
    """The sample of every word and phoneme event and its owner: a phoneme's token (the token
    of the last word event), -1 for a pause phoneme, ``-2 - t`` for token t's word event."""
    samples: list[int] = []
    owners: list[int] = []
    current = 0
    for ev in events:
        if ev.kind == "word":
            current = max(0, min(n_words - 1, bisect_right(starts, ev.text_position) - 1))
            # the word event marks where the word starts (before its first phoneme event)
            samples.append(ev.sample)
            owners.append(-2 - current)  # a start marker, resolved below
        elif ev.kind == "phoneme":
            samples.append(ev.sample)
            owners.append(-1 if ev.name.startswith("_") else current)
    return samples, owners


def word_times(events: Sequence[SpeechEvent], starts: Sequence[int], n_samples: int,
               phoneme_count: Callable[[int], int], min_len: int) -> WordTimes:
    """Word segments (samples) of ``len(starts)`` tokens from espeak-ng's events (see the module
    docstring).  ``phoneme_count(i)``: how many phonemes token i has spoken alone (to split a
    run of merged words); ``min_len``: the shortest segment in samples."""
    n = len(starts)
    samples, owners = event_owners(events, starts, n)
    order = np.argsort(np.asarray(samples, dtype=np.int64), kind="stable")
    samples = [min(max(samples[i], 0), n_samples) for i in order]
    owners = [owners[i] for i in order]
    samples.append(n_samples)
    owners.append(-1)
    # phoneme intervals [samples[k], samples[k + 1]) per token; word events only give starts
    phon: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    first: list[int | None] = [None] * n
    for k in range(len(owners) - 1):
        o = owners[k]
        if o <= -2:
            t = -2 - o
            first[t] = samples[k] if first[t] is None else min(first[t], samples[k])
        elif o >= 0:
            nxt = k + 1
            while owners[nxt] <= -2 and -2 - owners[nxt] == o:  # its own word event again
                nxt += 1
            phon[o].append((samples[k], samples[nxt]))
    return segments_from_intervals(phon, first, phoneme_count, min_len)


def segments_from_intervals(phon: list[list[tuple[int, int]]], first: list[int | None],
                            weight: Callable[[int], int], min_len: int) -> WordTimes:
    """Word segments from the sound intervals each token owns (``phon[i]``, in order; pauses
    belong to no token) and, where known, the sample where the engine says it starts
    (``first[i]``).  Tokens with no interval share those of the token before them (of the
    next one at the start), split in proportion to ``weight(i)``; then every segment runs
    from its start to the end of its last interval (never past the next start) and short
    ones are widened (:func:`widen_touching`)."""
    n = len(phon)
    groups: list[list[int]] = []  # a token with phonemes and the tokens run into it after it
    for i in range(n):
        if phon[i] or not groups:
            groups.append([i])
        else:
            groups[-1].append(i)
    if not phon[groups[0][0]]:  # words before the first one with phonemes join it
        if len(groups) < 2:
            raise SpokenW2VError("the engine reported no sound for the words of the utterance")
        groups[0:2] = [groups[0] + groups[1]]
    merged = 0
    for group in groups:
        if len(group) == 1:
            continue
        pool = sorted(iv for g in group for iv in phon[g])
        merged += len(group) - 1
        for g, part in zip(group, split_intervals(pool, [max(1, weight(g)) for g in group])):
            phon[g] = part
            first[g] = None
    start = np.array([min(first[i], phon[i][0][0]) if first[i] is not None else phon[i][0][0]
                      for i in range(n)], dtype=np.int64)
    end = np.array([phon[i][-1][1] for i in range(n)], dtype=np.int64)
    end[:-1] = np.minimum(end[:-1], start[1:])
    widened = widen_touching(start, end, min_len)
    if np.any(end - start <= 0):
        raise SpokenW2VError("a word has no sound of its own")
    return WordTimes(start, end, merged, widened)


def split_intervals(pool: list[tuple[int, int]], weights: Sequence[int]) -> list[list[tuple[int, int]]]:
    """Split the phoneme intervals ``pool`` (in order) into ``len(weights)`` consecutive parts,
    part sizes in proportion to ``weights`` (exactly the weights when they add up to the pool's
    size); with fewer intervals than parts, the time of the whole pool is split instead."""
    k = len(weights)
    if len(pool) >= k:
        total = sum(weights)
        cuts = [0]
        for j in range(1, k):
            c = int(round(len(pool) * sum(weights[:j]) / total))
            cuts.append(min(max(c, cuts[-1] + 1), len(pool) - (k - j)))
        cuts.append(len(pool))
        return [pool[cuts[j]:cuts[j + 1]] for j in range(k)]
    lo, hi = pool[0][0], pool[-1][1]
    edges = np.linspace(lo, hi, k + 1).round().astype(int)
    return [[(int(edges[j]), int(edges[j + 1]))] for j in range(k)]


def widen_touching(start: np.ndarray, end: np.ndarray, min_len: int) -> int:
    """Lengthen segments shorter than ``min_len`` (in place) by moving the boundary shared with
    a touching neighbour (no gap between them) that stays at least ``min_len`` long, or into
    a gap next to it; returns how many segments were changed."""
    n = len(start)
    changed = 0
    for i in np.flatnonzero(end - start < min_len):
        need = int(min_len - (end[i] - start[i]))
        before = changed
        for side in ("gap-left", "gap-right", "left", "right"):
            if need <= 0:
                break
            if side == "gap-left":
                room = start[i] - (end[i - 1] if i > 0 else 0)
                take = min(need, max(0, room))
                start[i] -= take
            elif side == "gap-right":
                room = (start[i + 1] if i + 1 < n else end[i]) - end[i]
                take = min(need, max(0, room))
                end[i] += take
            elif side == "left" and i > 0 and end[i - 1] == start[i]:
                take = min(need, max(0, int(end[i - 1] - start[i - 1] - min_len)))
                end[i - 1] -= take
                start[i] -= take
            elif side == "right" and i + 1 < n and start[i + 1] == end[i]:
                take = min(need, max(0, int(end[i + 1] - start[i + 1] - min_len)))
                start[i + 1] += take
                end[i] += take
            else:
                take = 0
            need -= take
            if take:
                changed = before + 1
    return changed


def speak_continuous(engine: Espeak, words: Sequence[str], punctuation: Sequence[str], rate: int, pitch: int,
                     min_word: float) -> tuple[np.ndarray, WordTimes]:
    """Speak ``words`` (each followed by its ``punctuation``) in one call of ``engine`` (voice
    already set): the audio (T,) int16 at ``engine.sample_rate`` and the word segments in
    samples, none shorter than ``min_word`` seconds."""
    text, starts = spoken_text(words, punctuation)
    audio, events = engine.speak_events(text, rate, pitch)
    counts: dict[str, int] = {}

    def phoneme_count(i: int) -> int:
        if words[i] not in counts:
            counts[words[i]] = len(engine.phonemes(words[i]))
        return counts[words[i]]

    min_len = int(np.ceil(min_word * engine.sample_rate))
    return audio, word_times(events, starts, len(audio), phoneme_count, min_len)


def within_audio(times: WordTimes, n_samples: int, engine: str) -> WordTimes:
    """``times`` with every word's end clipped to the audio's ``n_samples``; an error naming
    ``engine`` when a word is left with no sound."""
    times.end = np.minimum(times.end, n_samples)
    if np.any(times.end - times.start <= 0):
        raise SpokenW2VError(f"a word lies past the end of {engine}'s audio")
    return times


Engine = TypeVar("Engine")
_WORKER_ENGINES: dict = {}


def engine_for_worker(make: Callable[[], Engine]) -> Engine:
    """The one engine ``make()`` of this worker process (made once, closed when the worker exits)."""
    if make not in _WORKER_ENGINES:
        from multiprocessing.util import Finalize

        engine = _WORKER_ENGINES[make] = make()
        Finalize(engine, engine.close, exitpriority=10)  # also when a pool worker exits
    return _WORKER_ENGINES[make]


def check_voices(make: Callable[[], Engine], name: str, voices: Sequence[str]) -> dict[str, str]:
    """Start the engine ``make()`` (called ``name`` in errors) and check every voice; returns
    each voice mapped to itself (the names the engine accepts).  Raises a one-line error otherwise."""
    engine = make()
    try:
        found = engine.voices()
    finally:
        engine.close()
    for v in voices:
        if v not in found:
            raise SpokenW2VError(f"{name} has no voice {v!r} (installed: {', '.join(found) or 'none'})")
    return {v: v for v in voices}
