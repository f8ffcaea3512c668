"""The embedded demo: the whole pipeline on a synthesized King James corpus.

:class:`DemoConfig` holds the sizes of a run and :func:`layout` where its files live; the
stages themselves are ``spokenw2v`` command lines (:mod:`spokenw2v.cli.demo_plan`), which
``spokenw2v demo`` runs in order.  :func:`pipeline_statistics` gives the figures a
researcher checks between discretization and training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .frames import unit_statistics, word_unit_sequences
from .io import Segments, Units
from .segscores import boundary_scores

#: Substitution rates of the short clustering-noise sweep (paper, section 5).
SWEEP_RATES = (0.0, 0.1, 0.2, 0.4)


@dataclass
class DemoConfig:
    """Sizes of the demo run; the defaults fit 15 minutes on 2 CPU cores."""

    words: int = 30000  # words of the demo text (King James Version from Genesis 1:1)
    seed: int = 0
    jobs: int = 2  # synthesis worker processes
    device: str = "auto"
    k: int = 100  # k-means units over MFCC frames
    hop_ms: int = 20  # MFCC frame hop: 50 frames/s, the rate of HuBERT's units (shorter unit sequences than 10 ms)
    char_epochs: int = 60  # character models (e2e and two-stage; 2048 centre words per step under ``fast``)
    char_ae_epochs: int = 30  # auto-encoder epochs of the character two-stage model
    unit_epochs: int = 45  # unit models (e2e and two-stage) on the one-voice speech
    unit_ae_epochs: int = 5
    voices_epochs: int = 0  # e2e on the consensus units of the many-voice speech (0 = leave that rung out)
    voices_radius: float = 0.3  # word-units --consensus --radius of the many-voice rung
    textless_epochs: int = 0  # e2e on words discovered in continuous speech, no label read (0 = leave that rung out)
    unit_eval_every: int = 3  # e2e on units: metrics every 3rd epoch (and the last); they cost a sixth of an epoch
    sweep_rates: tuple[float, ...] = SWEEP_RATES


def layout(out: Path) -> dict[str, Path]:
    """Where every file of a demo run lives, below ``out``."""
    speech = out / "speech"
    voices = out / "speech-voices"
    continuous = out / "speech-continuous"
    return {
        "speech_continuous": continuous,
        "audio_continuous": continuous / "audio.tsv",
        "segments_continuous": continuous / "segments.tsv",
        "feats_continuous": out / "mfcc-continuous",
        "codebook_continuous": out / "codebook-continuous.npz",
        "units_continuous": out / "units-continuous.npz",
        "found": out / "found.tsv",
        "found_labelled": out / "found-labelled.tsv",
        "found_report": out / "found.json",
        "speech_voices": voices,
        "audio_voices": voices / "audio.tsv",
        "segments_voices": voices / "segments.tsv",
        "feats_voices": out / "mfcc-voices",
        "codebook_voices": out / "codebook-voices.npz",
        "units_voices": out / "units-voices.npz",
        "warps_voices": out / "warps-voices.tsv",
        "word_units_voices": out / "word-units-voices.tsv",
        "word_units_voices_report": out / "word-units-voices.json",
        "stats_voices": out / "pipeline-voices.tsv",
        "text": out / "text.txt",
        "speech": speech,
        "audio": speech / "audio.tsv",
        "segments": speech / "segments.tsv",
        "corpus": speech / "corpus.txt",
        "feats": out / "mfcc",
        "codebook": out / "codebook.npz",
        "units": out / "units.npz",
        "word_units": out / "word-units.tsv",
        "runs": out / "runs",
        "noise": out / "noise",
        "results": out / "results.tsv",
        "results_json": out / "results.json",
        "test_set": out / "test-set.tsv",
        "sweep": out / "sweep.tsv",
        "curves": out / "curves.png",
        "sweep_png": out / "sweep.png",
        "stats": out / "pipeline.tsv",
        "logs": out / "logs",
    }


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
