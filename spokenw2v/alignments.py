"""Word alignments -> word segments (:class:`spokenw2v.io.Segments`).

Three input formats are understood; silences and other non-word labels are dropped, every
other word token becomes one segment ``[start, end)`` in seconds:

* **librispeech** -- the "librispeech-alignments" files (``*.alignment.txt``), one line
  per utterance::

      84-121123-0000 ",GO,,DO,YOU,HEAR," "0.490,0.890,1.270,1.380,1.490,1.890,2.09"

  The quoted lists hold one entry per interval: a word (empty = silence) and the
  interval's **end** time.  Each interval starts where the previous one ended; the
  first starts at 0.  So ``GO`` above is ``[0.49, 0.89)`` and ``DO`` is ``[1.27, 1.38)``.
  The real files end without a newline and carry a space after the closing quote.
* **textgrid** -- Praat TextGrid files (long "ooTextFile" or short text format, UTF-8,
  UTF-16 or ``--encoding``) as written by the Montreal Forced Aligner, FAVE/P2FA, WebMAUS
  and Praat itself.  The word tier is chosen by :attr:`ReadOptions.tiers`, a list of names
  or ``*`` patterns tried in order (default ``words``, ``word``, ``* - words``,
  ``* - word``, ``ORT-MAU``, ``ORT``, ``wrd``): the first pattern that matches an interval
  tier wins, and every interval tier it matches is read.  One tier gives utterance ``FILE``
  (the file name without ``.TextGrid``); several (one per speaker, e.g. MFA's
  ``SPEAKER - words``) give one utterance ``FILE-SPEAKER`` each.
* **ctm** -- ``utt channel start duration word [confidence [type [speaker ...]]]`` lines
  (start and duration in seconds; fields after the fifth are ignored); ``;;`` lines are
  comments; sclite alternation blocks (``<ALT_BEGIN>`` ... ``<ALT>`` ... ``<ALT_END>``)
  keep their first alternative.  When an utterance has several channels (A and B of one
  conversation), every utterance of that file is named ``UTT-CHANNEL``.

Dropped labels (:attr:`ReadOptions.drop`, compared case-insensitively, ``*`` = any
text): the empty label always, by default ``sil``, ``sp``, ``spn``, ``!sil``, ``<unk>``,
``<eps>``, ``<*>`` and ``[*]`` (marks such as ``<noise>``, ``<p:>`` or ``[noise]``).  Zero-duration CTM words are
dropped; overlaps of consecutive words up to :attr:`ReadOptions.overlap_tolerance`
seconds (rounding in 2-decimal files) are trimmed by ending the earlier word where the
next starts.  Everything dropped, trimmed or renamed is counted in a :class:`ReadReport`.
"""

from __future__ import annotations

import bisect
import codecs
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .errors import SpokenW2VError, where
from .io import Segments, sort_segments, validate_segments


class AlignmentFormat(str, Enum):
    """Alignment file formats; ``auto`` detects each file's format."""

    AUTO = "auto"
    LIBRISPEECH = "librispeech"
    TEXTGRID = "textgrid"
    CTM = "ctm"


class UttId(str, Enum):
    """How TextGrid files name their utterances: ``name`` = the file name without
    ``.TextGrid`` (relative paths are used instead when two files share a name),
    ``relpath`` = the path relative to the searched directory, without ``.TextGrid``."""

    NAME = "name"
    RELPATH = "relpath"


#: File name endings that identify each format when walking a directory (lower-cased).
FORMAT_SUFFIXES: dict[AlignmentFormat, tuple[str, ...]] = {
    AlignmentFormat.LIBRISPEECH: (".alignment.txt",),
    AlignmentFormat.TEXTGRID: (".textgrid",),
    AlignmentFormat.CTM: (".ctm",),
}

#: Whole file names that identify a format (Kaldi's ``get_train_ctm.sh`` writes ``ctm``).
FORMAT_NAMES: dict[AlignmentFormat, tuple[str, ...]] = {AlignmentFormat.CTM: ("ctm",)}

#: Word tier names/patterns tried in order (MFA, multi-speaker MFA and FAVE/P2FA, WebMAUS, others).
DEFAULT_TIERS: tuple[str, ...] = ("words", "word", "* - words", "* - word", "ORT-MAU", "ORT", "wrd")

#: Non-word labels dropped by default (besides the empty label): silences, MFA's spoken
#: noise and unknown word, Kaldi's silence word and epsilon, and bracketed marks such as
#: [noise], <sil> or WebMAUS's <p:>.
DEFAULT_DROP: tuple[str, ...] = ("sil", "sp", "spn", "!sil", "<unk>", "<eps>", "<*>", "[*]")

#: Overlaps between consecutive words up to this many seconds are trimmed (rounding).
DEFAULT_OVERLAP_TOLERANCE = 0.005

#: Overlaps this small are floating-point noise: accepted as touching, not trimmed or counted.
_EPS = 1e-6


def wildcard(pattern: str) -> re.Pattern:
    """A case-insensitive full-match regex for a name pattern where ``*`` is any text
    and ``?`` one character (``[`` and ``<`` are literal, unlike in shell globs)."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.strip())
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class ReadOptions:
    """How alignment files are read (see the module docstring)."""

    tiers: tuple[str, ...] = DEFAULT_TIERS
    drop: tuple[str, ...] = DEFAULT_DROP
    utt_id: UttId = UttId.NAME
    encoding: str | None = None  # for files without a BOM; None = UTF-8
    overlap_tolerance: float = DEFAULT_OVERLAP_TOLERANCE  # seconds

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", tuple(t.strip() for t in self.tiers if t.strip()))
        object.__setattr__(self, "drop", tuple(d.strip() for d in self.drop if d.strip()))
        object.__setattr__(self, "utt_id", UttId(self.utt_id))
        if not self.tiers:
            raise SpokenW2VError("--tier: give at least one tier name or pattern")
        if not (math.isfinite(self.overlap_tolerance) and self.overlap_tolerance >= 0):
            raise SpokenW2VError(f"--overlap-tolerance must be a number of seconds >= 0, got {self.overlap_tolerance}")
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise SpokenW2VError(f"--encoding: unknown text encoding {self.encoding!r}") from None
        object.__setattr__(self, "_drop_res", tuple(wildcard(d) for d in self.drop))

    def dropped(self, label: str) -> bool:
        """Whether a (stripped, non-empty) label is a non-word mark to drop."""
        return any(r.fullmatch(label) for r in self._drop_res)  # type: ignore[attr-defined]


#: The summary line names this many dropped labels (the most frequent), then counts the rest.
_SHOWN_LABELS = 12


@dataclass
class ReadReport:
    """What reading changed, for the summary line: nothing is dropped, trimmed or renamed silently."""

    formats: Counter = field(default_factory=Counter)  # format name -> files
    tiers: Counter = field(default_factory=Counter)  # tier pattern that matched -> TextGrid files
    dropped: Counter = field(default_factory=Counter)  # label as written ("" = empty) -> tokens
    zero_duration: int = 0  # zero-duration words dropped (CTM)
    trimmed: int = 0  # overlaps <= tolerance trimmed
    tolerance: float = DEFAULT_OVERLAP_TOLERANCE
    joined: int = 0  # labels whose inner white space (line breaks, spaces) became _
    speaker_files: int = 0  # TextGrids split into one utterance per speaker tier
    speaker_utts: int = 0
    channel_files: int = 0  # CTM files split into UTT-CHANNEL utterances
    alt_blocks: int = 0  # sclite alternation blocks (first alternative kept)
    relpath: str = ""  # why utterance ids are relative paths ("" = file names)
    duplicates: int = 0  # files given twice (read once)

    def summary(self) -> str:
        """One line: files read and every change made to the input."""
        files = ", ".join(f"{k} {v}" for k, v in sorted(self.formats.items()))
        if self.tiers:
            files += "; tiers: " + ", ".join(f"'{k}' {v}" for k, v in self.tiers.most_common())
        parts = [f"Read {sum(self.formats.values())} file(s) ({files})"]
        if self.duplicates:
            parts.append(f"{self.duplicates} file(s) given twice, read once")
        if self.dropped:
            counts = sorted(self.dropped.items(), key=lambda kv: (-kv[1], kv[0]))
            labels = [f"{k or 'empty (silence)'} {v}" for k, v in counts[:_SHOWN_LABELS]]
            if len(counts) > _SHOWN_LABELS:
                rest = counts[_SHOWN_LABELS:]
                labels.append(f"{len(rest)} other labels {sum(v for _, v in rest)}")
            parts.append(f"dropped {sum(self.dropped.values())} non-word labels: " + ", ".join(labels))
        if self.zero_duration:
            parts.append(f"dropped {self.zero_duration} zero-duration word(s)")
        if self.trimmed:
            parts.append(f"trimmed {self.trimmed} overlap(s) of <= {self.tolerance:g} s")
        if self.joined:
            parts.append(f"joined the white space inside {self.joined} label(s) with _")
        if self.alt_blocks:
            parts.append(f"kept the first alternative of {self.alt_blocks} <ALT_BEGIN> block(s)")
        if self.speaker_files:
            parts.append(f"split {self.speaker_files} multi-speaker TextGrid(s) into {self.speaker_utts} "
                         "FILE-SPEAKER utterances")
        if self.channel_files:
            parts.append(f"named utterances UTT-CHANNEL in {self.channel_files} multi-channel CTM file(s)")
        if self.relpath:
            parts.append(f"utterance ids are relative paths ({self.relpath})")
        return "; ".join(parts) + "."


@dataclass
class Token:
    """One word token read from an alignment file (times in seconds)."""

    utt: str
    start: float
    end: float
    word: str
    line: int  # 1-based line of the file where the token was read


_DEFAULT_OPTIONS = ReadOptions()


def _keep(label: str, options: ReadOptions, report: ReadReport | None) -> bool:
    """False (and counted) for the empty label and the labels ``options`` drops."""
    if label and not options.dropped(label):
        return True
    if report is not None:
        report.dropped[label] += 1
    return False


# --------------------------------------------------------------------------- librispeech-alignments

_LIBRI_LINE = re.compile(r'^(\S+)\s+"([^"]*)"\s+"([^"]*)"\s*$')


def parse_librispeech(text: str, source: str | os.PathLike, options: ReadOptions = _DEFAULT_OPTIONS,
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
            word = word.strip()
            if _keep(word, options, report):
                if end == prev:
                    raise SpokenW2VError(f"{where(source, lineno, utt)}: word {word!r} has zero duration at {end:g} s")
                tokens.append(Token(utt, prev, end, word, lineno))
            prev = end
    return tokens


# --------------------------------------------------------------------------- TextGrid

# Praat's text grammar: strings in double quotes ("" is a quote; they may span lines),
# numbers, <flags>, "!" comments to the end of the line; everything else (labels such as
# "xmin =", indices such as "intervals [3]:") is skipped.
_TG_LEX = re.compile(
    r'"(?P<str>[^"]*(?:""[^"]*)*)"'
    r"|(?P<comment>![^\r\n]*)"
    r'|(?P<index>\[[^\]\r\n"]*\])'
    r"|(?P<flag><[A-Za-z]+>)"
    r"|(?<![\w.])(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])"
    r'|(?P<quote>")'
)
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _tg_tokens(text: str, source) -> list[tuple[object, int]]:
    """The values of a TextGrid in order (strings, numbers as floats, ``<flags>``) with
    their 1-based line numbers (computed from character offsets).

    Both the long and the short text format reduce to the same stream.
    """
    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(line_starts, offset)

    out: list[tuple[object, int]] = []
    for m in _TG_LEX.finditer(text):
        kind = m.lastgroup
        if kind == "str":
            out.append((m.group("str").replace('""', '"'), line_of(m.start())))
        elif kind == "num":
            out.append((float(m.group("num")), line_of(m.start())))
        elif kind == "flag":
            out.append((m.group("flag"), line_of(m.start())))
        elif kind == "quote":
            raise SpokenW2VError(f"{where(source, line_of(m.start()))}: malformed TextGrid (a string is "
                                 "opened with \" but never closed)")
    return out


_FLAGS = ("<exists>", "<absent>")


@dataclass
class _Tier:
    cls: str
    name: str
    intervals: list[tuple[float, float, str, int]]  # xmin, xmax, text, line


def _tg_tiers(text: str, source) -> list[_Tier]:
    toks = _tg_tokens(text, source)
    pos = 0

    def take(kind: type, what: str):
        nonlocal pos
        if pos >= len(toks):
            last = len(_NEWLINE.findall(text.rstrip())) + 1
            raise SpokenW2VError(f"{where(source, last)}: TextGrid ends early (expected {what})")
        value, lineno = toks[pos]
        if not isinstance(value, kind) or kind is str and value in _FLAGS:
            raise SpokenW2VError(f"{where(source, lineno)}: malformed TextGrid (expected {what}, found {value!r})")
        pos += 1
        return value, lineno

    if len(toks) < 2 or toks[0][0] not in ("ooTextFile", "ooTextFile short") or toks[1][0] != "TextGrid":
        raise SpokenW2VError(f'{source}: not a TextGrid (expected File type = "ooTextFile" and Object class = "TextGrid")')
    pos = 2
    take(float, "xmin")
    take(float, "xmax")
    if pos < len(toks) and toks[pos][0] in _FLAGS:
        flag = toks[pos][0]
        pos += 1
        if flag == "<absent>":
            raise SpokenW2VError(f"{source}: TextGrid has no tiers")
    n_tiers, _ = take(float, "number of tiers")
    tiers: list[_Tier] = []
    for _ in range(int(n_tiers)):
        cls, _ = take(str, "tier class")
        name, _ = take(str, "tier name")
        take(float, "tier xmin")
        take(float, "tier xmax")
        n, _ = take(float, "number of intervals")
        tier = _Tier(cls, name, [])
        if cls == "IntervalTier":
            for _ in range(int(n)):
                xmin, lineno = take(float, "interval xmin")
                xmax, _ = take(float, "interval xmax")
                mark, _ = take(str, "interval text")
                tier.intervals.append((xmin, xmax, mark, lineno))
        elif cls == "TextTier":
            for _ in range(int(n)):
                take(float, "point time")
                take(str, "point mark")
        else:
            raise SpokenW2VError(f"{source}: unknown TextGrid tier class {cls!r}")
        tiers.append(tier)
    return tiers


def _select_tiers(tiers: list[_Tier], source, options: ReadOptions) -> tuple[str, list[_Tier]]:
    """The first pattern of ``options.tiers`` that matches an interval tier, and its tiers."""
    for pattern in options.tiers:
        rx = wildcard(pattern)
        chosen = [t for t in tiers if t.cls == "IntervalTier" and rx.fullmatch(t.name.strip())]
        if chosen:
            return pattern, chosen
    found = ", ".join(t.name + ("" if t.cls == "IntervalTier" else " (point tier)") for t in tiers) or "none"
    more = f"; also looked for {', '.join(options.tiers[1:])}" if len(options.tiers) > 1 else ""
    raise SpokenW2VError(f"{source}: no tier named '{options.tiers[0]}' (tiers: {found}){more}; "
                         "choose the word tier with --tier NAME")


_SPEAKER_SUFFIX = re.compile(r"\s*-\s*words?\s*$", re.IGNORECASE)


def _speaker(tier_name: str) -> str:
    """``SPEAKER - words`` -> ``SPEAKER`` (white space -> ``_``); other names as they are."""
    name = _SPEAKER_SUFFIX.sub("", tier_name).strip() or tier_name.strip()
    return re.sub(r"\s+", "_", name)


def _clean_label(mark: str, report: ReadReport | None) -> str:
    label = mark.strip()
    if any(c.isspace() for c in label):
        label = "_".join(label.split())  # one word: every later stage reads a label as one token
        if report is not None:
            report.joined += 1
    return label


def parse_textgrid(text: str, source: str | os.PathLike, utt: str, options: ReadOptions = _DEFAULT_OPTIONS,
                   report: ReadReport | None = None) -> list[Token]:
    """Parse a Praat TextGrid (long or short text format) and return the tokens of its word
    tier(s): utterance ``utt`` for one tier, ``utt-SPEAKER`` per tier for several.
    Empty and dropped labels are left out; a label's line breaks become spaces."""
    if text.lstrip().startswith('"Praat chronological TextGrid text file"'):
        raise SpokenW2VError(f"{source}: a chronological TextGrid; open it in Praat and save it as a text "
                             "TextGrid (Save as text file...)")
    tiers = _tg_tiers(text, source)
    pattern, chosen = _select_tiers(tiers, source, options)
    if report is not None:
        report.tiers[pattern] += 1
    names: dict[str, str] = {}
    if len(chosen) > 1:
        for tier in chosen:
            tier_utt = f"{utt}-{_speaker(tier.name)}"
            if tier_utt in names:
                raise SpokenW2VError(f"{source}: tiers {names[tier_utt]!r} and {tier.name!r} both give utterance "
                                     f"{tier_utt}; choose one with --tier")
            names[tier_utt] = tier.name
    tokens: list[Token] = []
    for k, tier in enumerate(chosen):
        tier_utt = utt if len(chosen) == 1 else f"{utt}-{_speaker(tier.name)}"
        for xmin, xmax, mark, lineno in tier.intervals:
            label = _clean_label(mark, report)
            if not _keep(label, options, report):
                continue
            if xmax <= xmin:
                raise SpokenW2VError(
                    f"{where(source, lineno, tier_utt)}: interval {label!r} has end {xmax:g} s <= start {xmin:g} s"
                )
            tokens.append(Token(tier_utt, xmin, xmax, label, lineno))
    order = {u: k for k, u in enumerate(dict.fromkeys(t.utt for t in tokens))}
    if len(chosen) > 1 and report is not None:
        report.speaker_files += 1
        report.speaker_utts += len(order)  # speakers with at least one word
    tokens.sort(key=lambda t: (order[t.utt], t.start))
    return tokens


# --------------------------------------------------------------------------- CTM

_ALT_MARKS = ("<ALT_BEGIN>", "<ALT>", "<ALT_END>")


def parse_ctm(text: str, source: str | os.PathLike, options: ReadOptions = _DEFAULT_OPTIONS,
              report: ReadReport | None = None) -> list[Token]:
    """Parse CTM lines ``utt channel start duration word [confidence ...]`` (seconds).

    Fields after the fifth are ignored.  sclite alternation blocks keep their first
    alternative (``@`` there is the empty alternative).  Zero-duration words are dropped
    and counted.  When an utterance of the file has several channels (A and B of one
    conversation), every utterance id of the file becomes ``UTT-CHANNEL``.
    """
    rows: list[tuple[str, str, float, float, str, int]] = []
    channels: dict[str, set[str]] = {}  # utterance -> channels
    alt: str | None = None  # None outside a block, "first" in its first alternative, "other" after <ALT>
    alt_line = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(";;") or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 5:
            raise SpokenW2VError(
                f"{where(source, lineno)}: expected 'utt channel start duration word [confidence ...]' "
                f"(at least 5 fields), found {len(fields)}"
            )
        utt, channel, start_text, dur_text, word = fields[:5]
        mark = word.upper()
        if mark in _ALT_MARKS:
            if mark == "<ALT_BEGIN>":
                if alt is not None:
                    raise SpokenW2VError(f"{where(source, lineno, utt)}: <ALT_BEGIN> inside the block opened on "
                                         f"line {alt_line} (nested alternations are not supported)")
                alt, alt_line = "first", lineno
                if report is not None:
                    report.alt_blocks += 1
            elif alt is None:
                raise SpokenW2VError(f"{where(source, lineno, utt)}: {mark} outside an <ALT_BEGIN> ... <ALT_END> block")
            else:
                alt = "other" if mark == "<ALT>" else None
            continue
        if alt == "other" or alt == "first" and word == "@":
            continue
        try:
            start, dur = float(start_text), float(dur_text)
        except ValueError:
            hint = " (the first alternative of an <ALT_BEGIN> block needs times)" if alt else ""
            raise SpokenW2VError(
                f"{where(source, lineno, utt)}: start and duration must be numbers, found {start_text!r} "
                f"{dur_text!r}{hint}"
            ) from None
        if not (math.isfinite(start) and math.isfinite(dur)) or dur < 0 or start < 0:
            raise SpokenW2VError(f"{where(source, lineno, utt)}: bad time (start {start:g} s, duration {dur:g} s)")
        channels.setdefault(utt, set()).add(channel)
        if not _keep(word, options, report):
            continue
        if dur == 0:
            if report is not None:
                report.zero_duration += 1
            continue
        rows.append((utt, channel, start, dur, word, lineno))
    if alt is not None:
        raise SpokenW2VError(f"{where(source, alt_line)}: <ALT_BEGIN> block is not closed by <ALT_END>")
    split = any(len(chs) > 1 for chs in channels.values())
    if split and report is not None:
        report.channel_files += 1
    return [Token(f"{utt}-{channel}" if split else utt, start, start + dur, word, lineno)
            for utt, channel, start, dur, word, lineno in rows]


# --------------------------------------------------------------------------- files and trees


def _format_by_name(path: Path) -> AlignmentFormat | None:
    name = path.name.lower()
    for fmt, suffixes in FORMAT_SUFFIXES.items():
        if name.endswith(suffixes):
            return fmt
    for fmt, names in FORMAT_NAMES.items():
        if name in names:
            return fmt
    return None


def detect_format(path: Path, text: str) -> AlignmentFormat:
    """Format of one file from its name, else from its first non-empty line."""
    by_name = _format_by_name(path)
    if by_name is not None:
        return by_name
    first = next((ln.strip() for ln in text.splitlines()
                  if ln.strip() and not ln.lstrip().startswith((";;", "#", "!"))), "")
    if "ooTextFile" in first or first.startswith("File type") or "chronological TextGrid" in first:
        return AlignmentFormat.TEXTGRID
    if _LIBRI_LINE.match(first):
        return AlignmentFormat.LIBRISPEECH
    fields = first.split()
    if len(fields) >= 5:
        try:
            float(fields[2]), float(fields[3])
            return AlignmentFormat.CTM
        except ValueError:
            if fields[4].upper() in _ALT_MARKS:
                return AlignmentFormat.CTM
    raise SpokenW2VError(
        f"{path}: cannot tell the alignment format (expected librispeech-alignments, TextGrid or CTM; "
        "use --format)"
    )


def alignment_files(path: str | os.PathLike, fmt: AlignmentFormat = AlignmentFormat.AUTO) -> list[Path]:
    """A file, or the alignment files under a directory (recursively, sorted).

    In a directory, files are recognised by name: ``*.alignment.txt``, ``*.TextGrid``,
    ``*.ctm`` and Kaldi's ``ctm`` (only those of ``fmt`` unless it is ``auto``).
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.exists():
        raise SpokenW2VError(f"{path}: no such file or directory")
    formats = [f for f in FORMAT_SUFFIXES if fmt in (AlignmentFormat.AUTO, f)]
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and _format_by_name(p) in formats)
    if not files:
        wanted = [f"*{s}" for f in formats for s in FORMAT_SUFFIXES[f]] + [n for f in formats
                                                                         for n in FORMAT_NAMES.get(f, ())]
        raise SpokenW2VError(f"{path}: no alignment files found (looked for {', '.join(wanted)})")
    return files


def _textgrid_utt(path: Path) -> str:
    name = path.name
    return name[: -len(".textgrid")] if name.lower().endswith(".textgrid") else path.stem


def _read_text(path: Path, options: ReadOptions) -> str:
    """Decode a file: a BOM decides; else UTF-8, or ``options.encoding``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpokenW2VError(f"{path}: no such file") from None
    except OSError as exc:
        raise SpokenW2VError(f"{path}: cannot read ({exc.strerror})") from None
    if data.startswith(b"ooBinaryFile"):
        raise SpokenW2VError(f"{path}: a binary Praat TextGrid; open it in Praat and save it as a text TextGrid "
                             "(Save as text file...)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8-sig" if bom or options.encoding is None else options.encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if options.encoding is None or bom:
            raise SpokenW2VError(f"{where(path, line)}: not UTF-8 or UTF-16 text (byte 0x{data[exc.start]:02x}); "
                                 "give the file's encoding with --encoding, e.g. --encoding gb18030") from None
        raise SpokenW2VError(f"{where(path, line)}: not {options.encoding} text "
                             f"(byte 0x{data[exc.start]:02x})") from None


def _trim_overlaps(tokens: list[Token], path, options: ReadOptions, report: ReadReport | None) -> None:
    """Trim overlaps up to the tolerance (the earlier word ends where the next starts); a
    larger overlap is an error naming the line."""
    by_utt: dict[str, list[Token]] = {}
    for t in tokens:
        by_utt.setdefault(t.utt, []).append(t)
    tol = options.overlap_tolerance
    for utt, toks in by_utt.items():
        toks = sorted(toks, key=lambda t: t.start)
        for a, b in zip(toks[:-1], toks[1:]):
            overlap = a.end - b.start
            if overlap <= _EPS:
                continue
            if overlap > tol + _EPS or b.start <= a.start:
                raise SpokenW2VError(
                    f"{where(path, b.line, utt)}: segment {b.start:g}-{b.end:g} s overlaps the previous one "
                    f"({a.start:g}-{a.end:g} s) by {overlap:.4g} s, more than --overlap-tolerance {tol:g} s"
                )
            a.end = b.start
            if report is not None:
                report.trimmed += 1


def read_alignment_file(path: str | os.PathLike, fmt: AlignmentFormat = AlignmentFormat.AUTO,
                        options: ReadOptions = _DEFAULT_OPTIONS, report: ReadReport | None = None,
                        utt: str | None = None) -> list[Token]:
    """Word tokens of one alignment file (silences and dropped labels left out), checked for
    overlaps.  ``utt`` names a TextGrid's utterance (default: the file name)."""
    path = Path(path)
    text = _read_text(path, options)
    if fmt == AlignmentFormat.AUTO:
        fmt = detect_format(path, text)
    if report is not None:
        report.formats[fmt.value] += 1
        report.tolerance = options.overlap_tolerance
    if fmt == AlignmentFormat.LIBRISPEECH:
        tokens = parse_librispeech(text, path, options, report)
    elif fmt == AlignmentFormat.TEXTGRID:
        tokens = parse_textgrid(text, path, utt if utt is not None else _textgrid_utt(path), options, report)
    elif fmt == AlignmentFormat.CTM:
        tokens = parse_ctm(text, path, options, report)
    else:  # pragma: no cover - the enum is exhaustive
        raise SpokenW2VError(f"unknown alignment format {fmt!r}")
    _trim_overlaps(tokens, path, options, report)
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


def _is_textgrid(path: Path, fmt: AlignmentFormat, options: ReadOptions) -> bool:
    if fmt != AlignmentFormat.AUTO:
        return fmt == AlignmentFormat.TEXTGRID
    by_name = _format_by_name(path)
    if by_name is not None:
        return by_name == AlignmentFormat.TEXTGRID
    return detect_format(path, _read_text(path, options)) == AlignmentFormat.TEXTGRID


def read_alignments(paths: Iterable[str | os.PathLike], fmt: AlignmentFormat | str = AlignmentFormat.AUTO,
                    lowercase: bool = True, options: ReadOptions | None = None,
                    report: ReadReport | None = None) -> Segments:
    """Read alignment files and/or trees into one :class:`Segments`.

    Rows are grouped by utterance (utterances sorted by id) and sorted by start time.
    Words are lower-cased unless ``lowercase=False`` (text corpora are lower-cased by
    :func:`spokenw2v.io.tokenize`, so the two vocabularies match).
    TextGrid utterances are named by file name; when two TextGrids share a name (e.g.
    ``FADG0/SA1.TextGrid`` and ``FAKS0/SA1.TextGrid``), or with ``UttId.RELPATH``, by their
    path relative to the common directory of ``paths`` (``FADG0/SA1``).  An utterance still
    appearing in two files is an error naming both.  ``report`` (when given) is filled in.
    """
    options = options or _DEFAULT_OPTIONS
    report = report if report is not None else ReadReport()
    fmt = AlignmentFormat(fmt)
    paths = [Path(p) for p in paths]
    files: list[Path] = []
    seen: set[str] = set()
    for p in paths:
        for f in alignment_files(p, fmt):
            key = os.path.abspath(f)
            if key in seen:
                report.duplicates += 1
                continue
            seen.add(key)
            files.append(f)
    # utterance ids of TextGrid files: by name unless names collide (or relpath is asked for)
    roots = [os.path.abspath(p if p.is_dir() else p.parent) for p in paths]
    root = os.path.commonpath(roots) if roots else os.getcwd()
    grids = [f for f in files if _is_textgrid(f, fmt, options)]
    by_name: dict[str, Path] = {}
    use_relpath = options.utt_id == UttId.RELPATH
    if use_relpath:
        report.relpath = "--utt-id relpath"
    for f in grids:
        name = _textgrid_utt(f)
        if name in by_name and not use_relpath:
            use_relpath = True
            report.relpath = f"file names collide, e.g. {by_name[name]} and {f}"
        by_name.setdefault(name, f)
    tg_utt = {f: _relpath_utt(f, root) if use_relpath else _textgrid_utt(f) for f in grids}
    tokens: list[Token] = []
    owner: dict[str, Path] = {}
    for f in files:
        file_tokens = read_alignment_file(f, fmt, options, report, utt=tg_utt.get(f))
        for utt in dict.fromkeys(t.utt for t in file_tokens):
            if utt in owner and owner[utt] != f:
                raise SpokenW2VError(f"{f}: utterance {utt} is also aligned in {owner[utt]}")
            owner[utt] = f
        tokens.extend(file_tokens)
    if not tokens:
        raise SpokenW2VError(f"{', '.join(map(str, paths))}: no word tokens found (only silences or labels "
                             "dropped by --drop?)")
    tokens.sort(key=lambda t: (t.utt, t.start))
    if lowercase:
        for t in tokens:
            t.word = t.word.lower()
    return sort_segments(tokens_to_segments(tokens))


def _relpath_utt(path: Path, root: str) -> str:
    """``root/FADG0/SA1.TextGrid`` -> ``FADG0/SA1``."""
    rel = Path(os.path.relpath(os.path.abspath(path), root))
    return (rel.parent / _textgrid_utt(rel)).as_posix() if rel.parent != Path(".") else _textgrid_utt(rel)
