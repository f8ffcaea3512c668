"""``spokenw2v segments``: word alignments (librispeech-alignments, TextGrid, CTM) -> segments TSV."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from ..alignments import (DEFAULT_DROP, DEFAULT_OVERLAP_TOLERANCE, DEFAULT_TIERS, AlignmentFormat, ReadOptions,
                          ReadReport, UttId, read_alignments)
from ..io import write_segments
from .options import AT_LEAST_ZERO, ranged
from .common import Log, QuietOption, app, check_paths, err_console, guarded, refuse_stdio, shown


@app.command("segments")
@guarded
def segments_command(
    alignments: List[Path] = typer.Argument(..., help="Alignment files or directories (searched recursively for "
                                                       "*.alignment.txt, *.TextGrid, *.ctm and Kaldi's ctm)."),
    out: Path = typer.Option(..., "--out", "-o", help="Segments TSV to write (utt start end word, seconds); "
                                                       "- for standard output."),
    fmt: AlignmentFormat = typer.Option(AlignmentFormat.AUTO, "--format", case_sensitive=False,
                                        help="Alignment format; auto detects it from each file's name or contents."),
    tier: Optional[List[str]] = typer.Option(None, "--tier", help="TextGrid word tier: a name or pattern (* = any "
                                             "text, case-insensitive); repeat it to try several in order, the first "
                                             "that matches wins and all tiers it matches are read (one utterance "
                                             "FILE-SPEAKER each). Default, in order: " + ", ".join(DEFAULT_TIERS) + "."),
    utt_id: UttId = typer.Option(UttId.NAME, "--utt-id", case_sensitive=False,
                                 help="TextGrid utterance ids: the file name without .TextGrid, or its path relative "
                                      "to the searched directory (used automatically when file names collide)."),
    drop: str = typer.Option(",".join(DEFAULT_DROP), "--drop", help="Comma-separated non-word labels to drop (* = any "
                             "text, case-insensitive); empty labels are always dropped; --drop '' keeps the rest."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Text encoding of files without a byte-order mark "
                                           "(e.g. gb18030, latin-1); default UTF-8."),
    overlap_tolerance: float = ranged(AT_LEAST_ZERO, DEFAULT_OVERLAP_TOLERANCE, "--overlap-tolerance",
                                      help="Overlaps of consecutive words up to this many seconds (rounding) are "
                                           "trimmed; larger ones are an error."),
    keep_case: bool = typer.Option(False, "--keep-case", help="Keep the words' case (default: lower-case them, "
                                                              "as text corpora are)."),
    quiet: bool = QuietOption,
) -> None:
    """Convert word alignments into a segments TSV (silences and non-word labels dropped, one row per
    word token); a summary line says what was dropped, trimmed or renamed."""
    log = Log(quiet)
    for path in alignments:
        refuse_stdio(path, "ALIGNMENTS", "alignment files are found and recognised by their names")
    check_paths(alignments, [out])
    options = ReadOptions(tiers=tuple(tier) if tier else DEFAULT_TIERS, drop=tuple(drop.split(",")), utt_id=utt_id,
                          encoding=encoding, overlap_tolerance=overlap_tolerance)
    report = ReadReport()
    seg = read_alignments(alignments, fmt, lowercase=not keep_case, options=options, report=report)
    write_segments(out, seg)
    if not quiet:
        err_console.print(escape(report.summary()), highlight=False, soft_wrap=True)
    words = seg.word or []
    log(f"Wrote {shown(out)}: {len(seg)} word tokens, {len(set(words))} word types, {len(seg.utterances())} utterances.")
