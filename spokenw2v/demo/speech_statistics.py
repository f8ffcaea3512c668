"""Figures of the demo's discretized speech that a researcher checks between discretization
and training: units per word token, distinct unit sequences per word type, the share of
tokens whose sequence no other word shares, and how unit changes meet word boundaries."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..frames import unit_statistics, word_unit_sequences
from ..io import Segments, Units, read_segments, read_units, write_tsv
from ..segscores import boundary_scores


def unit_change_segments(units: Units) -> Segments:
    """The runs of equal consecutive frame units of every utterance as segments (seconds):
    a run of frames ``i0..i1-1`` spans ``[t(i0) - h, t(i1 - 1) + h)`` with ``t`` the frame
    centre and ``h`` half a frame step, so run boundaries fall between frames."""
    info = units.frames.info
    half = 0.5 / info.frame_rate
    utt, start, end = [], [], []
    for name, frames in units.frames.items():
        if len(frames) == 0:
            continue
        change = np.flatnonzero(np.diff(frames.astype(np.int64)) != 0) + 1
        first = np.concatenate([[0], change])
        last = np.concatenate([change, [len(frames)]]) - 1
        utt.extend([name] * len(first))
        start.append(np.maximum(info.frame_offset + first / info.frame_rate - half, 0.0))
        end.append(info.frame_offset + last / info.frame_rate + half)
    return Segments(utt, np.concatenate(start), np.concatenate(end))


def pipeline_statistics(units: Units, seg: Segments, tolerance: float = 0.02) -> dict[str, float]:
    """Figures of the discretized corpus: units per word token (consecutive duplicates
    merged), distinct unit sequences per word type, the fraction of tokens whose sequence
    no other word shares, and the agreement of unit changes with word boundaries (recall:
    word onsets/offsets with a unit change within ``tolerance`` seconds; precision: unit
    changes at a word boundary)."""
    sequences, _ = word_unit_sequences(units, seg, merge=True)
    stats = unit_statistics(sequences, seg.word)
    raw, _ = word_unit_sequences(units, seg, merge=False)
    stats["mean_frames"] = float(np.mean([len(s) for s in raw])) if raw else 0.0
    b = boundary_scores(seg, unit_change_segments(units), tolerance=tolerance)
    stats.update(boundary_recall=b.recall, boundary_precision=b.precision, boundary_f1=b.f1,
                 boundary_tolerance=tolerance)
    return stats


def write_pipeline_statistics(units_path: Path, segments_path: Path, tsv: Path) -> dict[str, float]:
    """:func:`pipeline_statistics` of the units in ``units_path`` over the word segments in
    ``segments_path`` (checked against the utterances' durations), written to ``tsv`` as
    ``statistic``/``value`` rows; returns them."""
    units = read_units(units_path)
    durations = dict(zip(units.frames.utt_ids, units.frames.durations.tolist()))
    seg = read_segments(segments_path, require_words=True, durations=durations)
    found = pipeline_statistics(units, seg)
    write_tsv(tsv, ["statistic", "value"], [[key, value] for key, value in found.items()])
    return found
