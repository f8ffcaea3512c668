"""What every alignment reader shares: the format and utterance-id choices, the defaults,
:class:`ReadOptions` (how files are read), :class:`ReadReport` (what reading changed),
:class:`Token` (one word read) and the rule that drops non-word labels."""

from __future__ import annotations

import codecs
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from ..errors import SpokenW2VError


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


DEFAULT_OPTIONS = ReadOptions()


def keep_label(label: str, options: ReadOptions, report: ReadReport | None) -> bool:
    """False (and counted) for the empty label and the labels ``options`` drops."""
    if label and not options.dropped(label):
        return True
    if report is not None:
        report.dropped[label] += 1
    return False
