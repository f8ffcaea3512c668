"""Word segments: the :class:`Segments` model and the two TSV files built on it.

* **Segments TSV** -- ``utt  start  end  word`` (seconds, float), header row, one word
  token per row.  A segments file from an unsupervised segmenter may omit ``word``.
  Extra columns (for example ``gold`` and ``op`` written by ``segment-noise``) are kept.
* **Word units TSV** -- ``utt  start  end  word  units`` (units space separated).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import SpokenW2VError, where
from .tables import read_tsv, write_tsv

@dataclass
class Segments:
    """Word segments: one row per word token, times in seconds.

    ``utt``, ``start``, ``end`` and ``word`` are parallel sequences of length N.
    ``word`` is None for boundaries without labels (an unsupervised segmenter).
    ``extra`` holds any further columns by name (strings, length N).
    Rows are grouped by utterance and sorted by start time within each utterance.
    """

    utt: list[str]
    start: np.ndarray  # (N,) float64 seconds
    end: np.ndarray  # (N,) float64 seconds
    word: list[str] | None = None
    extra: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.utt)

    def utterances(self) -> list[str]:
        """Utterance ids in order of first appearance."""
        return list(dict.fromkeys(self.utt))

    def by_utterance(self) -> dict[str, np.ndarray]:
        """Map utterance id -> row indices (sorted by start)."""
        groups: dict[str, list[int]] = {}
        for i, u in enumerate(self.utt):
            groups.setdefault(u, []).append(i)
        return {u: np.asarray(ix, dtype=np.int64) for u, ix in groups.items()}

    def subset(self, rows: Sequence[int] | np.ndarray) -> "Segments":
        rows = np.asarray(rows, dtype=np.int64)
        return Segments(
            utt=[self.utt[i] for i in rows],
            start=self.start[rows].copy(),
            end=self.end[rows].copy(),
            word=None if self.word is None else [self.word[i] for i in rows],
            extra={k: [v[i] for i in rows] for k, v in self.extra.items()},
        )


def validate_segments(seg: Segments, source: str | os.PathLike, lines: Sequence[int] | None = None,
                      durations: dict[str, float] | None = None, tolerance: float = 0.02) -> None:
    """Check segments: finite, start < end, non-overlapping within an utterance and, when
    ``durations`` (seconds per utterance) are given, inside the audio (``tolerance``
    seconds of slack past the end are allowed and clipped by readers of frames).

    Raises :class:`SpokenW2VError` naming the source, line and utterance.
    """

    def loc(i: int) -> str:
        return where(source, None if lines is None else lines[i], seg.utt[i])

    for i in range(len(seg)):
        s, e = float(seg.start[i]), float(seg.end[i])
        if not (math.isfinite(s) and math.isfinite(e)):
            raise SpokenW2VError(f"{loc(i)}: non-finite segment time")
        if s < 0:
            raise SpokenW2VError(f"{loc(i)}: segment starts before 0 s ({s:g})")
        if e <= s:
            kind = "empty" if e == s else "reversed"
            raise SpokenW2VError(f"{loc(i)}: {kind} segment (start {s:g} s, end {e:g} s)")
    for utt, rows in seg.by_utterance().items():
        starts = seg.start[rows]
        order = np.argsort(starts, kind="stable")
        rows = rows[order]
        for a, b in zip(rows[:-1], rows[1:]):
            if seg.start[b] < seg.end[a] - 1e-6:
                raise SpokenW2VError(
                    f"{loc(int(b))}: segment {seg.start[b]:g}-{seg.end[b]:g} s overlaps the previous "
                    f"one ({seg.start[a]:g}-{seg.end[a]:g} s)"
                )
        if durations is not None:
            if utt not in durations:
                raise SpokenW2VError(f"{loc(int(rows[0]))}: utterance has no audio/features")
            last = int(rows[-1])
            if seg.end[last] > durations[utt] + tolerance:
                raise SpokenW2VError(
                    f"{loc(last)}: segment ends at {seg.end[last]:g} s, past the end of the audio "
                    f"({durations[utt]:g} s)"
                )


def segment_order(seg: Segments) -> list[int]:
    """Row indices that group rows by utterance (first-appearance order) and sort them by
    start within each."""
    order: list[int] = []
    for _, rows in seg.by_utterance().items():
        order.extend(rows[np.argsort(seg.start[rows], kind="stable")].tolist())
    return order


def segment_sentences(seg: Segments) -> list[list[str]]:
    """The word labels of word segments, one list per utterance (in order of appearance)."""
    return [[seg.word[i] for i in rows] for rows in seg.by_utterance().values()]


def sort_segments(seg: Segments) -> Segments:
    """Group rows by utterance (first-appearance order) and sort by start within each."""
    return seg.subset(segment_order(seg))


def read_segments(path: str | os.PathLike, require_words: bool = False,
                  durations: dict[str, float] | None = None, ignore_words: bool = False) -> Segments:
    """Read and validate a segments TSV (``utt start end [word] [extra...]``).  ``ignore_words``:
    a word column is not read at all (label-free use; it may be empty)."""
    path = Path(path)
    header, rows = read_tsv(path, ["utt", "start", "end"] + (["word"] if require_words else []))
    if not rows:
        raise SpokenW2VError(f"{path}: no segments (only a header)")
    utt, start, end, lines = [], [], [], []
    has_word = "word" in header and not ignore_words
    words: list[str] = []
    extra_cols = [c for c in header if c not in ("utt", "start", "end", "word")]
    extra: dict[str, list[str]] = {c: [] for c in extra_cols}
    for lineno, row in rows:
        try:
            s, e = float(row["start"]), float(row["end"])
        except ValueError:
            raise SpokenW2VError(
                f"{where(path, lineno)}: start/end must be numbers in seconds, found "
                f"{row['start']!r} and {row['end']!r}"
            ) from None
        if not row["utt"]:
            raise SpokenW2VError(f"{where(path, lineno)}: empty utterance id")
        if has_word and not row["word"].strip():
            raise SpokenW2VError(f"{where(path, lineno)}: empty word (silences are not segments)")
        if require_words and any(ch.isspace() for ch in row["word"]):
            raise SpokenW2VError(f"{where(path, lineno)}: word {row['word']!r} contains white space "
                                 f"(one word token per row)")
        utt.append(row["utt"])
        start.append(s)
        end.append(e)
        lines.append(lineno)
        if has_word:
            words.append(row["word"])
        for c in extra_cols:
            extra[c].append(row[c])
    seg = Segments(utt, np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64),
                   words if has_word else None, extra)
    validate_segments(seg, path, lines, durations)
    return sort_segments(seg)


def write_segments(path: str | os.PathLike, seg: Segments) -> None:
    """Write a segments TSV atomically (times rounded to 0.1 ms)."""
    header = ["utt", "start", "end"] + (["word"] if seg.word is not None else []) + list(seg.extra)

    def rows():
        for i in range(len(seg)):
            row = [seg.utt[i], f"{seg.start[i]:.4f}", f"{seg.end[i]:.4f}"]
            if seg.word is not None:
                row.append(seg.word[i])
            row.extend(seg.extra[c][i] for c in seg.extra)
            yield row

    write_tsv(path, header, rows())


# --------------------------------------------------------------------------- word units TSV


def write_word_units(path: str | os.PathLike, seg: Segments, sequences: Sequence[Sequence[int] | Sequence[str]],
                     symbols: Sequence[str] | None = None) -> None:
    """The word-units TSV ``utt start end word units`` (times in seconds, 4 decimals; units
    space-separated).  ``sequences[i]`` holds the units of token ``seg[i]``: integer ids (an
    array or a list), written as numbers or, with ``symbols``, as ``symbols[id]``; or symbols
    (strings, such as phonemes), written as they are."""
    if seg.word is None:
        raise SpokenW2VError(f"{path}: word units need the word of every segment (the segments have no word column)")
    words = seg.word

    def units(seq) -> str:
        items = seq.tolist() if isinstance(seq, np.ndarray) else seq
        return " ".join(map(str, items)) if symbols is None else " ".join(symbols[j] for j in items)

    write_tsv(path, ["utt", "start", "end", "word", "units"], (
        [seg.utt[i], f"{seg.start[i]:.4f}", f"{seg.end[i]:.4f}", words[i], units(sequences[i])]
        for i in range(len(seg))
    ))


#: The largest integer unit id a word-units TSV may hold: integer units are kept as ids, and the
#: model embeds ids 0..largest, so an id bounds its memory (k-means codebooks have k of 50-2000).
MAX_UNIT_ID = 65535


@dataclass
class WordUnits:
    """Word tokens with a symbol sequence each (a ``word-units`` TSV or any unit source).

    ``seg`` the word segments (grouped by utterance, sorted); ``sequences[i]`` (L_i,) int64
    symbol ids of token ``seg[i]``; ``symbols`` the symbol of each id (None when the file
    holds integer unit ids, which are kept as they are); ``k`` the number of ids.
    """

    seg: Segments
    sequences: list[np.ndarray]
    symbols: list[str] | None
    k: int


def read_word_units(path: str | os.PathLike, ignore_words: bool = False) -> WordUnits:
    """Read ``utt start end word units`` (the ``word-units`` output, or any tool's units):
    ``units`` holds space-separated symbols, either non-negative integer unit ids (kept as
    ids; k = largest + 1; at most :data:`MAX_UNIT_ID`) or any other symbols, such as phonemes
    (numbered in sorted order).  ``ignore_words``: the word column is not read at all (it may be
    empty or missing; the segments then have no words)."""
    path = Path(path)
    _, rows = read_tsv(path, ["utt", "start", "end"] + ([] if ignore_words else ["word"]) + ["units"])
    if not rows:
        raise SpokenW2VError(f"{path}: no word tokens (only a header)")
    utt, start, end, words, lines, raw = [], [], [], [], [], []
    for lineno, row in rows:
        try:
            s, e = float(row["start"]), float(row["end"])
        except ValueError:
            raise SpokenW2VError(f"{where(path, lineno)}: start/end must be numbers in seconds, found "
                                 f"{row['start']!r} and {row['end']!r}") from None
        if not row["utt"]:
            raise SpokenW2VError(f"{where(path, lineno)}: empty utterance id")
        if not ignore_words and not row["word"].strip():
            raise SpokenW2VError(f"{where(path, lineno)}: empty word")
        symbols = row["units"].split()
        if not symbols:
            token = "token" if ignore_words else f"word {row['word']!r}"
            raise SpokenW2VError(f"{where(path, lineno)}: {token} has no units")
        utt.append(row["utt"])
        start.append(s)
        end.append(e)
        if not ignore_words:
            words.append(row["word"])
        lines.append(lineno)
        raw.append(symbols)
    seg = Segments(utt, np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64),
                   None if ignore_words else words, {"line": [str(n) for n in lines]})
    validate_segments(seg, path, lines)
    order = segment_order(seg)  # grouped and sorted as read_segments returns them
    seg = seg.subset(order)
    raw = [raw[i] for i in order]
    distinct = sorted({x for r in raw for x in r})
    if all(x.isascii() and x.isdigit() for x in distinct):
        top = max(distinct, key=lambda x: (len(x.lstrip("0")), x.lstrip("0")))  # compared as numbers
        if len(top.lstrip("0")) > len(str(MAX_UNIT_ID)) or int(top) > MAX_UNIT_ID:
            line = seg.extra["line"][next(i for i, r in enumerate(raw) if top in r)]
            raise SpokenW2VError(f"{where(path, int(line))}: unit id {top[:20]}{'...' if len(top) > 20 else ''} is "
                                 f"above {MAX_UNIT_ID} (integer units are a codebook's ids 0..k-1, k <= "
                                 f"{MAX_UNIT_ID + 1}); renumber them, or write them as symbols with a letter "
                                 f"(u5, u17, ...), which are numbered in sorted order")
        ids = [np.asarray([int(x) for x in r], dtype=np.int64) for r in raw]
        k = 1 + max(int(a.max()) for a in ids)
        return WordUnits(seg, ids, None, k)
    number = {x: i for i, x in enumerate(distinct)}
    ids = [np.asarray([number[x] for x in r], dtype=np.int64) for r in raw]
    return WordUnits(seg, ids, distinct, len(distinct))
