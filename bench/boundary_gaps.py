"""Gaps between consecutive words, from segments TSVs: how much of a corpus's word boundaries
lie in silence.

For every pair of consecutive words of an utterance (segments sorted by start), the gap is
the next word's start minus this word's end.  Prints a Markdown table, one row per TSV:
boundaries, share with no gap (< 10 ms), share with a gap of at least 20 ms, median and 90th
percentile gap, words shorter than 30 ms (and of zero length), and, where the TSV sits in a
``synthesize --style continuous`` output directory, the words the engine ran together
(``merged``) and those widened to the shortest word length (``widened``, from
``utterances.tsv``).

    python bench/boundary_gaps.py NAME=SEGMENTS.tsv [NAME=SEGMENTS.tsv ...]

The LibriSpeech sample's alignments are read with ``spokenw2v segments`` first.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from spokenw2v.io import read_segments


def boundary_gaps(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(gaps (B,) seconds between consecutive words of each utterance, durations (W,) seconds)."""
    seg = read_segments(path)
    utt = np.asarray(seg.utt)
    gaps, durations = [], np.asarray(seg.end) - np.asarray(seg.start)
    order = np.lexsort((np.asarray(seg.start), utt))
    utt, start, end = utt[order], np.asarray(seg.start)[order], np.asarray(seg.end)[order]
    same = utt[1:] == utt[:-1]
    gaps = (start[1:] - end[:-1])[same]
    return gaps, durations


def fix_counts(segments: str | Path) -> tuple[int, int] | None:
    """(merged, widened) words from ``utterances.tsv`` beside ``segments``, or None."""
    table = Path(segments).parent / "utterances.tsv"
    if not table.is_file():
        return None
    with open(table, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows or "merged" not in rows[0]:
        return None
    return sum(int(r["merged"]) for r in rows), sum(int(r["widened"]) for r in rows)


def gap_row(name: str, path: str | Path) -> str:
    gaps, durations = boundary_gaps(path)
    fixes = fix_counts(path)
    n = len(durations)
    fixed = "-" if fixes is None else f"{fixes[0]} ({100 * fixes[0] / n:.1f} %) / {fixes[1]}"
    return (f"| {name} | {n} | {len(gaps)} | {100 * np.mean(gaps < 0.010):.1f} % | {100 * np.mean(gaps >= 0.020):.1f} % "
            f"| {1000 * np.median(gaps):.0f} | {1000 * np.percentile(gaps, 90):.0f} "
            f"| {100 * np.mean(durations < 0.030):.2f} % ({int(np.sum(durations <= 0))}) | {fixed} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tables", nargs="+", help="NAME=SEGMENTS.tsv")
    args = parser.parse_args()
    print("| speech | words | boundaries | no gap (< 10 ms) | gap >= 20 ms | median gap (ms) | 90th pct (ms) "
          "| words < 30 ms (zero) | merged / widened words |")
    print("|---|---|---|---|---|---|---|---|---|")
    for item in args.tables:
        name, _, path = item.partition("=")
        print(gap_row(name, path or name))


if __name__ == "__main__":
    main()
