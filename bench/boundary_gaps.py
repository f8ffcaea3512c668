"""Gaps between consecutive words, from segments TSVs: how much of a corpus's word boundaries
lie in silence.

For every pair of consecutive words of an utterance (segments sorted by start), the gap is
the next word's start minus this word's end.  Prints a Markdown table, one row per TSV:
boundaries, share with no gap (< 10 ms), share with a gap of at least 20 ms, median and 90th
percentile gap, the shortest word (and how many have zero length), and, where the TSV sits in a
``synthesize --style continuous`` output directory, the words the engine ran together
(``merged``) and those widened to the shortest word length (``widened``, from
``utterances.tsv``).

With ``--edges N`` (TSVs in synthesize output directories, beside ``audio.tsv``): for the
pauses of at least 50 ms in the first N utterances, where the sound really stops and starts
(5 ms frames above -40 dB of the utterance's loudest frame) relative to the word end before
the pause and the word start after it (median and 10th-90th percentiles, ms; negative: the
sound stops before the segment ends / starts before the segment starts), and the share of
loud frames inside the pauses: a check of the engine's word times where the audio can tell.

    python bench/boundary_gaps.py [--edges 300] NAME=SEGMENTS.tsv [NAME=SEGMENTS.tsv ...]

The LibriSpeech sample's alignments are read with ``spokenw2v segments`` first.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from spokenw2v.io import read_audio_list, read_segments


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
    return (f"| {name} | {n} | {len(gaps)} | {100 * np.mean(gaps < 0.010):.1f} % "
            f"| {100 * np.mean(gaps >= 0.020):.1f} % "
            f"| {1000 * np.median(gaps):.0f} | {1000 * np.percentile(gaps, 90):.0f} "
            f"| {1000 * durations.min():.0f} ({int(np.sum(durations <= 0))}) | {fixed} |")


def pause_edges(segments: str | Path, max_utts: int, min_pause: float = 0.05,
                frame: float = 0.005) -> tuple[np.ndarray, np.ndarray, float]:
    """(sound end - word end, sound start - next word start) seconds for every pause of at
    least ``min_pause`` s in the first ``max_utts`` utterances, and the share of loud frames
    inside those pauses (the middle, one frame from each edge)."""
    import soundfile as sf

    seg = read_segments(segments)
    audio = read_audio_list(Path(segments).parent / "audio.tsv")
    ends, starts, inside = [], [], []
    for utt, ix in list(seg.by_utterance().items())[:max_utts]:
        x, sr = sf.read(str(audio[utt]), dtype="float32")
        n = int(frame * sr)
        m = len(x) // n
        energy = np.sqrt((x[: m * n].reshape(m, n) ** 2).mean(axis=1))  # (m,) RMS per frame
        loud = energy > energy.max() * 10 ** (-40 / 20)
        start, end = seg.start[ix], seg.end[ix]
        for i in np.flatnonzero(start[1:] - end[:-1] >= min_pause):
            a, b = int(end[i] * sr) // n, int(start[i + 1] * sr) // n
            mid = (a + b) // 2
            before, after = np.flatnonzero(loud[:mid]), np.flatnonzero(loud[mid:])
            if len(before):
                ends.append((before[-1] + 1) * frame - end[i])
            if len(after):
                starts.append((mid + after[0]) * frame - start[i + 1])
            inside.extend(loud[a + 1: b - 1])
    return np.asarray(ends), np.asarray(starts), float(np.mean(inside)) if inside else 0.0


def edge_row(name: str, path: str | Path, max_utts: int) -> str:
    ends, starts, inside = pause_edges(path, max_utts)
    e, s = (1000 * np.percentile(v, [50, 10, 90]) for v in (ends, starts))
    return (f"| {name} | {len(ends)} | {e[0]:.0f} [{e[1]:.0f}, {e[2]:.0f}] | {s[0]:.0f} [{s[1]:.0f}, {s[2]:.0f}] "
            f"| {100 * inside:.1f} % |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tables", nargs="+", help="NAME=SEGMENTS.tsv")
    parser.add_argument("--edges", type=int, default=0, help="check the pauses of the first N utterances")
    args = parser.parse_args()
    print("| speech | words | boundaries | no gap (< 10 ms) | gap >= 20 ms | median gap (ms) | 90th pct (ms) "
          "| shortest word, ms (zero-length) | merged / widened words |")
    print("|---|---|---|---|---|---|---|---|---|")
    for item in args.tables:
        name, _, path = item.partition("=")
        print(gap_row(name, path or name))
    if args.edges:
        print("\n| speech | pauses >= 50 ms | sound end - word end, ms: median [p10, p90] "
              "| sound start - word start | loud frames inside pauses |")
        print("|---|---|---|---|---|")
        for item in args.tables:
            name, _, path = item.partition("=")
            print(edge_row(name, path or name, args.edges))


if __name__ == "__main__":
    main()
