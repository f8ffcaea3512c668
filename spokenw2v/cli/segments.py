"""``spokenw2v segments``: word alignments (librispeech-alignments, TextGrid, CTM) -> segments TSV."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer

from ..alignments import AlignmentFormat, read_alignments
from ..io import write_segments
from .common import Log, QuietOption, app, guarded, refuse_stdio, shown


@app.command("segments")
@guarded
def segments_command(
    alignments: List[Path] = typer.Argument(..., help="Alignment files or directories (searched recursively for "
                                                       "*.alignment.txt, *.TextGrid, *.ctm)."),
    out: Path = typer.Option(..., "--out", "-o", help="Segments TSV to write (utt start end word, seconds); "
                                                       "- for standard output."),
    fmt: AlignmentFormat = typer.Option(AlignmentFormat.AUTO, "--format", case_sensitive=False,
                                        help="Alignment format; auto detects it from each file's name or contents."),
    keep_case: bool = typer.Option(False, "--keep-case", help="Keep the words' case (default: lower-case them, "
                                                              "as text corpora are)."),
    quiet: bool = QuietOption,
) -> None:
    """Convert word alignments into a segments TSV (silences dropped, one row per word token)."""
    log = Log(quiet)
    for path in alignments:
        refuse_stdio(path, "ALIGNMENTS", "alignment files are found and recognised by their names")
    seg = read_alignments(alignments, fmt, lowercase=not keep_case)
    write_segments(out, seg)
    words = seg.word or []
    log(f"Wrote {shown(out)}: {len(seg)} word tokens, {len(set(words))} word types, {len(seg.utterances())} utterances.")
