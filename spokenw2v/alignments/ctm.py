"""CTM files (``utt channel start duration word ...``), sclite alternation blocks included."""

from __future__ import annotations

import math
import os

from ..errors import SpokenW2VError, where
from .common import DEFAULT_OPTIONS, ReadOptions, ReadReport, Token, keep_label

ALT_MARKS = ("<ALT_BEGIN>", "<ALT>", "<ALT_END>")


def parse_ctm(text: str, source: str | os.PathLike, options: ReadOptions = DEFAULT_OPTIONS,
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
        if mark in ALT_MARKS:
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
        if not keep_label(word, options, report):
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
