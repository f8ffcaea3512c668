"""Word alignments -> word segments (:class:`spokenw2v.io.Segments`).

Three input formats are understood; silences are dropped, every other word token
becomes one segment ``[start, end)`` in seconds:

* **librispeech** -- the "librispeech-alignments" files (``*.alignment.txt``), one line
  per utterance::

      84-121123-0000 ",GO,,DO,YOU,HEAR," "0.490,0.890,1.270,1.380,1.490,1.890,2.09"

  The quoted lists hold one entry per interval: a word (empty = silence) and the
  interval's **end** time.  Each interval starts where the previous one ended; the
  first starts at 0.  So ``GO`` above is ``[0.49, 0.89)`` and ``DO`` is ``[1.27, 1.38)``.
  The real files end without a newline and carry a space after the closing quote.
* **textgrid** -- Praat TextGrid files written by the Montreal Forced Aligner, in the
  long ("ooTextFile") or the short text format, UTF-8 or UTF-16.  The tier named
  ``words`` (or ``SPEAKER - words`` in multi-speaker output) is read; the utterance id
  is the file name without ``.TextGrid``.
* **ctm** -- ``utt channel start duration word [confidence]`` lines (start and duration
  in seconds); ``;;`` lines are comments.

Silence marks: the empty word and (case-insensitively) ``<eps>``, ``sil``, ``sp``.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .errors import SpokenW2VError, where
from .io import Segments, sort_segments, validate_segments

#: Word marks that denote silence rather than a word token (compared lower-cased).
SILENCE_MARKS = frozenset({"", "<eps>", "sil", "sp"})


class AlignmentFormat(str, Enum):
    """Alignment file formats; ``auto`` detects each file's format."""

    AUTO = "auto"
    LIBRISPEECH = "librispeech"
    TEXTGRID = "textgrid"
    CTM = "ctm"


#: File name endings that identify each format when walking a directory (lower-cased).
FORMAT_SUFFIXES: dict[AlignmentFormat, tuple[str, ...]] = {
    AlignmentFormat.LIBRISPEECH: (".alignment.txt",),
    AlignmentFormat.TEXTGRID: (".textgrid",),
    AlignmentFormat.CTM: (".ctm",),
}


@dataclass
class Token:
    """One word token read from an alignment file (times in seconds)."""

    utt: str
    start: float
    end: float
    word: str
    line: int  # 1-based line of the file where the token was read


def is_silence(word: str) -> bool:
    return word.strip().lower() in SILENCE_MARKS


# --------------------------------------------------------------------------- librispeech-alignments

_LIBRI_LINE = re.compile(r'^(\S+)\s+"([^"]*)"\s+"([^"]*)"\s*$')


def parse_librispeech(text: str, source: str | os.PathLike) -> list[Token]:
    """Parse the text of a librispeech-alignments file.

    Each line: ``UTT ",W1,W2,...," "end1,end2,..."``; interval ``k`` spans
    ``[end_{k-1}, end_k)`` with ``end_{-1} = 0``.  Empty words (silences) are dropped.
    Raises :class:`SpokenW2VError` naming ``source:line`` on a malformed line, differing
    word/time counts, non-numeric or decreasing times.
    """
    tokens: list[Token] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        m = _LIBRI_LINE.match(line)
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
            if not is_silence(word):
                if end == prev:
                    raise SpokenW2VError(f"{where(source, lineno, utt)}: word {word!r} has zero duration at {end:g} s")
                tokens.append(Token(utt, prev, end, word, lineno))
            prev = end
    return tokens


# --------------------------------------------------------------------------- TextGrid

_TG_TOKEN = re.compile(r'"((?:[^"]|"")*)"|(<exists>|<absent>)|(?<![\w.])([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])')
_TG_INDEX = re.compile(r"\[\s*\d*\s*\]")


def _tg_tokens(text: str) -> list[tuple[object, int]]:
    """The values of a TextGrid in order (strings and numbers) with their line numbers.

    Both the long and the short text format reduce to the same stream: labels such as
    ``xmin =`` and indices such as ``intervals [3]:`` are skipped, as Praat does.
    """
    out: list[tuple[object, int]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = _TG_INDEX.sub(" ", line) if '"' not in line else line
        for m in _TG_TOKEN.finditer(line):
            if m.group(1) is not None:
                out.append((m.group(1).replace('""', '"'), lineno))
            elif m.group(2) is not None:
                out.append((m.group(2), lineno))
            else:
                out.append((float(m.group(3)), lineno))
    return out


def _decode(data: bytes, source) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpokenW2VError(f"{source}: not UTF-8 or UTF-16 text") from None


def _is_words_tier(name: str) -> bool:
    name = name.strip().lower()
    return name == "words" or name.endswith(" - words")


def parse_textgrid(text: str, source: str | os.PathLike, utt: str) -> list[Token]:
    """Parse a Praat TextGrid (long or short text format) and return the tokens of its
    ``words`` tier(s) for utterance ``utt``; silent intervals are dropped."""
    toks = _tg_tokens(text)
    pos = 0

    def take(kind: type, what: str):
        nonlocal pos
        if pos >= len(toks):
            raise SpokenW2VError(f"{source}: TextGrid ends early (expected {what})")
        value, lineno = toks[pos]
        if not isinstance(value, kind) or value in ("<exists>", "<absent>") and kind is str:
            raise SpokenW2VError(f"{where(source, lineno)}: malformed TextGrid (expected {what}, found {value!r})")
        pos += 1
        return value, lineno

    if len(toks) < 2 or toks[0][0] != "ooTextFile" or toks[1][0] != "TextGrid":
        raise SpokenW2VError(f'{source}: not a TextGrid (expected File type = "ooTextFile" and Object class = "TextGrid")')
    pos = 2
    take(float, "xmin")
    take(float, "xmax")
    if pos < len(toks) and toks[pos][0] in ("<exists>", "<absent>"):
        flag = toks[pos][0]
        pos += 1
        if flag == "<absent>":
            raise SpokenW2VError(f"{source}: TextGrid has no tiers")
    n_tiers, _ = take(float, "number of tiers")
    tokens: list[Token] = []
    names: list[str] = []
    for _ in range(int(n_tiers)):
        cls, _ = take(str, "tier class")
        name, _ = take(str, "tier name")
        names.append(name)
        take(float, "tier xmin")
        take(float, "tier xmax")
        n, _ = take(float, "number of intervals")
        if cls == "IntervalTier":
            for _ in range(int(n)):
                xmin, lineno = take(float, "interval xmin")
                xmax, _ = take(float, "interval xmax")
                mark, _ = take(str, "interval text")
                if _is_words_tier(name) and not is_silence(mark):
                    if xmax <= xmin:
                        raise SpokenW2VError(
                            f"{where(source, lineno, utt)}: interval {mark!r} has end {xmax:g} s <= start {xmin:g} s"
                        )
                    tokens.append(Token(utt, xmin, xmax, mark.strip(), lineno))
        elif cls == "TextTier":
            for _ in range(int(n)):
                take(float, "point time")
                take(str, "point mark")
        else:
            raise SpokenW2VError(f"{source}: unknown TextGrid tier class {cls!r}")
    if not any(_is_words_tier(n) for n in names):
        raise SpokenW2VError(f"{source}: no tier named 'words' (tiers: {', '.join(names) or 'none'})")
    tokens.sort(key=lambda t: t.start)
    return tokens


# --------------------------------------------------------------------------- CTM


def parse_ctm(text: str, source: str | os.PathLike) -> list[Token]:
    """Parse CTM lines ``utt channel start duration word [confidence]`` (seconds)."""
    tokens: list[Token] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(";;") or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) not in (5, 6):
            raise SpokenW2VError(
                f"{where(source, lineno)}: expected 'utt channel start duration word [confidence]' "
                f"(5 or 6 fields), found {len(fields)}"
            )
        utt, _channel, start_text, dur_text, word = fields[:5]
        try:
            start, dur = float(start_text), float(dur_text)
        except ValueError:
            raise SpokenW2VError(
                f"{where(source, lineno, utt)}: start and duration must be numbers, found {start_text!r} {dur_text!r}"
            ) from None
        if is_silence(word):
            continue
        if not (math.isfinite(start) and math.isfinite(dur)) or dur <= 0 or start < 0:
            raise SpokenW2VError(f"{where(source, lineno, utt)}: bad time (start {start:g} s, duration {dur:g} s)")
        tokens.append(Token(utt, start, start + dur, word, lineno))
    return tokens


# --------------------------------------------------------------------------- files and trees


def detect_format(path: Path, text: str) -> AlignmentFormat:
    """Format of one file from its name, else from its first non-empty line."""
    name = path.name.lower()
    for fmt, suffixes in FORMAT_SUFFIXES.items():
        if name.endswith(suffixes):
            return fmt
    first = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith((";;", "#"))), "")
    if "ooTextFile" in first or first.startswith("File type"):
        return AlignmentFormat.TEXTGRID
    if _LIBRI_LINE.match(first):
        return AlignmentFormat.LIBRISPEECH
    fields = first.split()
    if len(fields) in (5, 6):
        try:
            float(fields[2]), float(fields[3])
            return AlignmentFormat.CTM
        except ValueError:
            pass
    raise SpokenW2VError(
        f"{path}: cannot tell the alignment format (expected librispeech-alignments, TextGrid or CTM; "
        "use --format)"
    )


def alignment_files(path: str | os.PathLike, fmt: AlignmentFormat = AlignmentFormat.AUTO) -> list[Path]:
    """A file, or the alignment files under a directory (recursively, sorted).

    In a directory, files are recognised by name: ``*.alignment.txt``, ``*.TextGrid``,
    ``*.ctm`` (only those of ``fmt`` unless it is ``auto``).
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.exists():
        raise SpokenW2VError(f"{path}: no such file or directory")
    wanted = [s for f, ss in FORMAT_SUFFIXES.items() if fmt in (AlignmentFormat.AUTO, f) for s in ss]
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(tuple(wanted))
                   and not p.name.startswith("."))
    if not files:
        raise SpokenW2VError(f"{path}: no alignment files found (looked for {', '.join('*' + s for s in wanted)})")
    return files


def _textgrid_utt(path: Path) -> str:
    name = path.name
    return name[: -len(".textgrid")] if name.lower().endswith(".textgrid") else path.stem


def read_alignment_file(path: str | os.PathLike, fmt: AlignmentFormat = AlignmentFormat.AUTO) -> list[Token]:
    """Word tokens of one alignment file (silences dropped), checked for overlaps."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpokenW2VError(f"{path}: no such file") from None
    except OSError as exc:
        raise SpokenW2VError(f"{path}: cannot read ({exc.strerror})") from None
    text = _decode(data, path)
    if fmt == AlignmentFormat.AUTO:
        fmt = detect_format(path, text)
    if fmt == AlignmentFormat.LIBRISPEECH:
        tokens = parse_librispeech(text, path)
    elif fmt == AlignmentFormat.TEXTGRID:
        tokens = parse_textgrid(text, path, _textgrid_utt(path))
    elif fmt == AlignmentFormat.CTM:
        tokens = parse_ctm(text, path)
    else:  # pragma: no cover - the enum is exhaustive
        raise SpokenW2VError(f"unknown alignment format {fmt!r}")
    seg = tokens_to_segments(tokens)
    validate_segments(seg, path, [t.line for t in tokens])
    return tokens


def tokens_to_segments(tokens: Sequence[Token]) -> Segments:
    return Segments(
        utt=[t.utt for t in tokens],
        start=np.asarray([t.start for t in tokens], dtype=np.float64),
        end=np.asarray([t.end for t in tokens], dtype=np.float64),
        word=[t.word for t in tokens],
    )


def read_alignments(paths: Iterable[str | os.PathLike], fmt: AlignmentFormat | str = AlignmentFormat.AUTO,
                    lowercase: bool = True) -> Segments:
    """Read alignment files and/or trees into one :class:`Segments`.

    Rows are grouped by utterance (utterances sorted by id) and sorted by start time.
    Words are lower-cased unless ``lowercase=False`` (text corpora are lower-cased by
    :func:`spokenw2v.io.tokenize`, so the two vocabularies match).
    An utterance appearing in two files is an error naming both.
    """
    fmt = AlignmentFormat(fmt)
    paths = list(paths)
    tokens: list[Token] = []
    owner: dict[str, Path] = {}
    n_files = 0
    for p in paths:
        for f in alignment_files(p, fmt):
            n_files += 1
            file_tokens = read_alignment_file(f, fmt)
            for utt in dict.fromkeys(t.utt for t in file_tokens):
                if utt in owner and owner[utt] != f:
                    raise SpokenW2VError(f"{f}: utterance {utt} is also aligned in {owner[utt]}")
                owner[utt] = f
            tokens.extend(file_tokens)
    if not tokens:
        raise SpokenW2VError(f"{', '.join(map(str, paths))}: no word tokens found (only silences?)")
    tokens.sort(key=lambda t: (t.utt, t.start))
    if lowercase:
        for t in tokens:
            t.word = t.word.lower()
    return sort_segments(tokens_to_segments(tokens))
