"""What each noise command computes for one output: the noisy data and its report object.

* :class:`SegmentNoiseRun`, :class:`TextNoiseRun`, :class:`UnitNoiseRun` -- one setting of
  ``segment-noise``, ``text-noise`` and ``unit-noise`` (the rates of
  :mod:`spokenw2v.noise` for each option value), run for every setting of a sweep by
  :func:`spokenw2v.sweep.run_sweep`: called with the setting's values, each returns the
  output data and its run object (inputs, options, counts and realised rates, scores);
* :func:`label_segments` -- ``label-segments``: externally found segments labelled with the
  gold word each overlaps most, and scored against the gold segments.

The run objects are the ``runs`` of the JSON report (``spokenw2v-noise-report``).  Times are
seconds.  Nothing here reads files or prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from . import noise, segscores
from .errors import SpokenW2VError
from .io import Segments, WordUnits, write_word_units


@dataclass(frozen=True)
class SegmentNoiseRun:
    """One setting of ``segment-noise`` on ``segments`` (read from ``source``), scored against
    them with boundary tolerance ``tolerance`` (seconds); ``durations`` utterance lengths
    (seconds) or None."""

    segments: Segments
    source: str
    durations: Optional[dict[str, float]]
    min_duration: float
    seed: int
    tolerance: float

    def __call__(self, values: dict[str, float]) -> tuple[Segments, dict]:
        config = noise.SegmentNoiseConfig(**values, min_duration=self.min_duration, seed=self.seed)
        noisy, counts = noise.segment_noise(self.segments, config, self.durations)
        run = {"input": self.source, "seed": self.seed, **values, "min_duration": self.min_duration}
        run.update(noise.counts_dict(counts))
        run.update({f"op_{op}": noisy.extra["op"].count(op) for op in noise.OPS})
        run.update(segscores.segment_report(self.segments, noisy, self.tolerance))
        return noisy, run


@dataclass(frozen=True)
class TextNoiseRun:
    """One setting of ``text-noise`` on the token lists ``sentences`` (read from ``source``,
    which an error names)."""

    sentences: Sequence[Sequence[str]]
    source: str
    weighting: noise.Weighting
    seed: int

    def __call__(self, values: dict[str, float]) -> tuple[list[list[str]], dict]:
        config = noise.TextNoiseConfig(**values, weighting=self.weighting, seed=self.seed)
        try:
            noisy, counts = noise.text_noise(self.sentences, config)
        except SpokenW2VError as exc:
            raise SpokenW2VError(f"{self.source}: {exc}") from None
        run = {"input": self.source, "seed": self.seed, **values, "weighting": self.weighting.value}
        run.update(noise.counts_dict(counts))
        return noisy, run


@dataclass(frozen=True)
class UnitNoiseRun:
    """One setting of ``unit-noise`` on the word units ``word_units`` (read from ``source``,
    which an error names).  ``sequences_per_type_in``: distinct unit sequences per word type
    of the input (every run reports it beside its own)."""

    word_units: WordUnits
    source: str
    seed: int
    sequences_per_type_in: float = field(init=False)

    def __post_init__(self) -> None:
        wu = self.word_units
        object.__setattr__(self, "sequences_per_type_in", noise.sequences_per_type(wu.sequences, wu.seg.word))

    def __call__(self, values: dict[str, float]) -> tuple[list[np.ndarray], dict]:
        wu = self.word_units
        try:
            edited, counts = noise.unit_noise(wu.sequences, wu.k, noise.UnitNoiseConfig(**values, seed=self.seed))
        except SpokenW2VError as exc:
            raise SpokenW2VError(f"{self.source}: {exc}") from None
        run = {"input": self.source, "seed": self.seed, **values, **noise.counts_dict(counts),
               "sequences_per_type_in": self.sequences_per_type_in,
               "sequences_per_type": noise.sequences_per_type(edited, wu.seg.word)}
        return edited, run

    def write(self, path: Path, edited: list[np.ndarray]) -> None:
        """Write one run's edited sequences as a word-units TSV (the input's tokens and symbols)."""
        write_word_units(path, self.word_units.seg, edited, self.word_units.symbols)


@dataclass(frozen=True)
class LabelledSegments:
    """What :func:`label_segments` found: the labelled ``segments`` (word = gold = the gold word
    each overlaps most), their report object ``run``, and the number of utterances ``dropped``
    because the gold segments lack them."""

    segments: Segments
    run: dict
    dropped: int


def label_segments(hyp: Segments, gold: Segments, *, tolerance: float, skip_missing: bool, output: str,
                   source: str, gold_source: str) -> LabelledSegments:
    """Label the segments ``hyp`` (read from ``source``; a word column is ignored) with the gold
    word of ``gold`` (read from ``gold_source``) each overlaps most, ``<sil>`` for none, and score
    them against the gold segments of their utterances (boundary tolerance ``tolerance``
    seconds).  An utterance of ``hyp`` that ``gold`` lacks is an error, or with ``skip_missing``
    dropped.  ``output`` names the labelled segments' file in the report object."""
    gold_utts = set(gold.utt)
    missing = [u for u in hyp.utterances() if u not in gold_utts]
    if missing and not skip_missing:
        raise SpokenW2VError(f"{source} (utterance {missing[0]}): utterance is not in the gold file {gold_source} "
                             f"({len(missing)} such utterance(s); --skip-missing drops them)")
    if missing:
        hyp = hyp.subset([i for i, u in enumerate(hyp.utt) if u in gold_utts])
        if not len(hyp):
            raise SpokenW2VError(f"{source}: no utterance is in the gold file {gold_source}")
    hyp_utts = set(hyp.utt)
    gold = gold.subset([i for i, u in enumerate(gold.utt) if u in hyp_utts])
    labels = segscores.overlap_labels(hyp, gold)
    if hyp.word is not None:
        hyp = replace(hyp, word=None)
    result = segscores.labelled(hyp, labels)
    run = {"output": output, "input": source, "gold": gold_source, "segments_out": len(result),
           "gold_segments": len(gold), "no_word": labels.word.count(segscores.NO_WORD)}
    run.update(segscores.segment_report(gold, result, tolerance, labels))
    return LabelledSegments(result, run, len(missing))
