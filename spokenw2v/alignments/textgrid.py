"""Praat TextGrid files (long and short text format): the word tier(s) chosen by
:attr:`ReadOptions.tiers`, one utterance per file or per speaker tier."""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass

from ..errors import SpokenW2VError, where
from .common import DEFAULT_OPTIONS, ReadOptions, ReadReport, Token, keep_label, wildcard

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


def parse_textgrid(text: str, source: str | os.PathLike, utt: str, options: ReadOptions = DEFAULT_OPTIONS,
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
            if not keep_label(label, options, report):
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
