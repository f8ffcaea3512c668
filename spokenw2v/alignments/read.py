"""Reading alignment files and trees: the format of each file (by name, else by its first
line), decoding, utterance ids of TextGrid files, overlap trimming, and one sorted
:class:`spokenw2v.io.Segments` for all of them."""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import SpokenW2VError, where
from ..io import Segments, sort_segments, validate_segments
from .common import (DEFAULT_OPTIONS, FORMAT_NAMES, FORMAT_SUFFIXES, AlignmentFormat, ReadOptions, ReadReport, Token,
                     UttId)
from .ctm import ALT_MARKS, parse_ctm
from .librispeech import LIBRI_LINE, parse_librispeech
from .textgrid import parse_textgrid

#: Overlaps this small are floating-point noise: accepted as touching, not trimmed or counted.
_EPS = 1e-6


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
    if LIBRI_LINE.match(first):
        return AlignmentFormat.LIBRISPEECH
    fields = first.split()
    if len(fields) >= 5:
        try:
            float(fields[2]), float(fields[3])
            return AlignmentFormat.CTM
        except ValueError:
            if fields[4].upper() in ALT_MARKS:
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
                        options: ReadOptions = DEFAULT_OPTIONS, report: ReadReport | None = None,
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
    options = options or DEFAULT_OPTIONS
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
