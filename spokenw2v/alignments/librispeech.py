"""The librispeech-alignments format (``*.alignment.txt``): one line per utterance with
quoted lists of words and interval end times."""

from __future__ import annotations

import math
import os
import re

from ..errors import SpokenW2VError, where
from .common import DEFAULT_OPTIONS, ReadOptions, ReadReport, Token, keep_label

LIBRI_LINE = re.compile(r'^(\S+)\s+"([^"]*)"\s+"([^"]*)"\s*$')


def parse_librispeech(text: str, source: str | os.PathLike, options: ReadOptions = DEFAULT_OPTIONS,
                      report: ReadReport | None = None) -> list[Token]:
    """Parse the text of a librispeech-alignments file.

    Each line: ``UTT ",W1,W2,...," "end1,end2,..."``; interval ``k`` spans
    ``[end_{k-1}, end_k)`` with ``end_{-1} = 0``.  Empty words (silences) and dropped
    labels are left out.  Raises :class:`SpokenW2VError` naming ``source:line`` on a
    malformed line, differing word/time counts, non-numeric or decreasing times.
    """
    tokens: list[Token] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        m = LIBRI_LINE.match(line)
        if m is None:
            raise SpokenW2VError(
                f'{where(source, lineno)}: expected UTT ",WORD,WORD,..." "END,END,..." '
                f"(librispeech-alignments format), found {line[:60]!r}"
            )
        utt, words_text, times_text = m.groups()
        if utt in seen:
            raise SpokenW2VError(f"{where(source, lineno)}: utterance {utt} already appeared on line {seen[utt]}")
        seen[utt] = lineno
        words = words_text.split(",")
        fields = times_text.split(",")
        if len(words) != len(fields):
            raise SpokenW2VError(
                f"{where(source, lineno, utt)}: {len(words)} words (silences included) but {len(fields)} end times"
            )
        try:
            ends = [float(t) for t in fields]
        except ValueError:
            raise SpokenW2VError(f"{where(source, lineno, utt)}: end times must be numbers, found {times_text[:40]!r}") from None
        prev = 0.0
        for word, end in zip(words, ends):
            if not math.isfinite(end) or end < prev:
                raise SpokenW2VError(
                    f"{where(source, lineno, utt)}: end times must increase, found {end:g} after {prev:g}"
                )
            word = word.strip()
            if keep_label(word, options, report):
                if end == prev:
                    raise SpokenW2VError(f"{where(source, lineno, utt)}: word {word!r} has zero duration at {end:g} s")
                tokens.append(Token(utt, prev, end, word, lineno))
            prev = end
    return tokens
