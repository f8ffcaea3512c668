"""What ``word-units`` measures: how consistent the units of one word's tokens are.

1. every word token takes the units of its frames (:func:`spokenw2v.frames.word_unit_sequences`;
   runs of one unit collapsed with ``merge``);
2. with ``consensus`` features, every token takes the units of the most typical token of its
   acoustic neighbourhood (:mod:`spokenw2v.consensus`; no label read);
3. the statistics of the sequences (:func:`spokenw2v.frames.unit_statistics`: distinct
   sequences per type, the share of tokens whose sequence no other word has), the chance that
   two tokens of one type share their sequence and a same-word/different-word ABX error on
   normalized edit distances (:func:`spokenw2v.frames.unit_discrimination`, types with at least
   ``min_count`` tokens);
4. with a speaker of every utterance (``speakers`` TSV or ``speaker_pattern``), ABX across and
   within speakers and the distances of one word's tokens across and within speakers
   (:func:`spokenw2v.speakers.speaker_discrimination`).

:class:`WordUnitsReport` holds it all: :meth:`~WordUnitsReport.record` is the JSON report
(``spokenw2v-word-units-report``), :meth:`~WordUnitsReport.lines` the statistics lines the
command logs.  Nothing here prints; the consensus line goes to a ``log`` callable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .errors import SpokenW2VError
from .frames import unit_discrimination, unit_statistics, word_unit_sequences
from .io import Segments, Units
from .numbers import fixed


@dataclass(frozen=True)
class WordUnitsOptions:
    """The options of ``word-units`` (their names in the errors).  ``consensus`` a features file
    or directory; ``radius``, ``neighbours`` and ``device`` apply only with it (None: the
    defaults of :class:`spokenw2v.consensus.ConsensusConfig`, device auto).  ``speakers`` a TSV
    with utt and speaker columns, or ``speaker_pattern`` a regular expression, not both."""

    merge: bool = True
    min_count: int = 10
    triplets: int = 10000
    seed: int = 0
    consensus: Optional[Path] = None
    radius: Optional[float] = None
    neighbours: Optional[int] = None
    device: Optional[str] = None
    speakers: Optional[Path] = None
    speaker_pattern: Optional[str] = None

    def __post_init__(self) -> None:
        if self.consensus is None:
            given = [f"--{name}" for name in ("radius", "neighbours", "device") if getattr(self, name) is not None]
            if given:
                raise SpokenW2VError(f"{', '.join(given)} only apply with --consensus FEATURES")
        if self.speakers is not None and self.speaker_pattern is not None:
            raise SpokenW2VError("give --speakers FILE or --speaker-pattern REGEX, not both")

    @property
    def across_speakers(self) -> bool:
        return self.speakers is not None or self.speaker_pattern is not None


@dataclass(frozen=True)
class WordUnitsReport:
    """The measures of :func:`measure_word_units`.  ``sequences[i]`` (L_i,) the units of token
    ``i``; ``consensus``, ``statistics``, ``discrimination``, ``speakers``: the JSON report's
    objects (``consensus`` and ``speakers`` None when not measured)."""

    units: str
    segments: str
    options: WordUnitsOptions
    sequences: list[np.ndarray]
    consensus: Optional[dict]
    statistics: dict
    discrimination: dict
    speakers: Optional[dict]

    def record(self) -> dict:
        """The payload of the JSON report (``spokenw2v-word-units-report``)."""
        return {"units": self.units, "segments": self.segments, "merge": self.options.merge,
                "seed": self.options.seed, "consensus": self.consensus,
                "statistics": {**self.statistics, **self.discrimination}, "speakers": self.speakers}

    def lines(self) -> list[str]:
        """The statistics as the command logs them, one line per measure family."""
        stats, disc = self.statistics, self.discrimination
        text = (f"{stats['tokens']:,} word tokens, {stats['mean_units']:.2f} units per token "
                f"({'merged' if self.options.merge else 'not merged'}), {stats['distinct_sequences']:,} distinct "
                f"sequences")
        if "types" in stats:
            text += (f"; {stats['types']:,} word types, {stats['mean_sequences_per_type']:.2f} distinct sequences "
                     f"per type, {100 * stats['unique_fraction']:.1f}% of tokens have a sequence no other word "
                     f"shares")
        lines = [text]
        if disc["same_type_share"] is not None:
            text = (f"{disc['measured_types']:,} types with >= {self.options.min_count} tokens: two tokens of a type "
                    f"share their sequence {100 * disc['same_type_share']:.1f}% of the time")
            if disc["abx_error"] is not None:
                text += (f"; ABX error {100 * disc['abx_error']:.1f}% ({disc['abx_triplets']:,} triplets; normalized "
                         f"edit distance {disc['same_word_distance']:.3f} same word, "
                         f"{disc['different_word_distance']:.3f} different words)")
            lines.append(text)
        if self.speakers is not None:
            lines.append(across_speakers_line(self.speakers))
        return lines


def percent(value: Optional[float]) -> str:
    """``0.123`` -> ``12.3%``; ``n/a`` for None."""
    return "n/a" if value is None else f"{fixed(100 * value, 1)}%"


def across_speakers_line(m: dict) -> str:
    """One log line of :func:`spokenw2v.speakers.speaker_discrimination`'s measures."""
    return (f"{m['speakers']} speakers, {m['across_types']:,} words said by two or more: ABX error across "
            f"speakers {percent(m['abx_across'])}, within a speaker {percent(m['abx_within'])} ({m['triplets']:,} "
            f"triplets each); normalized edit distance of one word's tokens {fixed(m['same_word_across'], missing='n/a')} "
            f"across speakers, {fixed(m['same_word_within'], missing='n/a')} within a speaker, "
            f"{fixed(m['different_words'], missing='n/a')} different words")


def consensus_units(sequences: list[np.ndarray], seg: Segments, options: WordUnitsOptions,
                    log: Callable[[str], None]) -> tuple[list[np.ndarray], dict]:
    """Every token's units replaced by those of its mode (step 2 of the module docstring) and
    the report's ``consensus`` object; logs one line on what changed."""
    from .consensus import ConsensusConfig, consensus
    from .devices import resolve_device
    from .io import iter_features

    given = dict(radius=options.radius, neighbours=options.neighbours)
    config = ConsensusConfig(**{name: value for name, value in given.items() if value is not None})
    device = resolve_device(options.device)
    found = consensus(iter_features(options.consensus), seg, config, device=str(device),
                      source=str(options.consensus))
    changed, agreement = found.changed, found.agreement(seg.word)
    log(f"consensus: {found.n_modes:,} modes among {len(seg):,} tokens (radius {config.radius:g}, "
        f"{config.neighbours} neighbours); {changed:,} tokens took the units of their mode; the mode of "
        f"{100 * agreement:.1f}% of tokens is a token of the same word")
    record = {"features": str(options.consensus), "radius": config.radius, "neighbours": config.neighbours,
              "bandwidth": config.bandwidth, "pieces": config.pieces, "modes": found.n_modes, "changed": changed,
              "mode_same_word": agreement}
    return found.sequences(sequences), record


def speaker_measures(sequences: list[np.ndarray], seg: Segments, options: WordUnitsOptions) -> dict:
    """Step 4 of the module docstring: the report's ``speakers`` object."""
    from .speakers import speaker_discrimination, speaker_table, token_speakers

    table = speaker_table(sorted(set(seg.utt)), options.speakers, options.speaker_pattern)
    speakers = token_speakers(seg.utt, table, source=str(options.speakers or "--speaker-pattern"))
    return speaker_discrimination(sequences, seg.word, speakers, triplets=options.triplets, seed=options.seed)


def measure_word_units(units: Units, seg: Segments, options: WordUnitsOptions, *, units_source: str,
                       segments_source: str, log: Callable[[str], None] = lambda message: None) -> WordUnitsReport:
    """Measure the word units of the words ``seg`` (with words; seconds) in the frame units
    ``units`` (read from ``units_source`` and ``segments_source``, named in errors and the
    report), as the module docstring describes."""
    sequences, _ = word_unit_sequences(units, seg, merge=options.merge, source=segments_source)
    consensus = None
    if options.consensus is not None:
        sequences, consensus = consensus_units(sequences, seg, options, log)
    statistics = unit_statistics(sequences, seg.word)
    discrimination = unit_discrimination(sequences, seg.word, min_count=options.min_count,
                                         triplets=options.triplets, seed=options.seed)
    speakers = speaker_measures(sequences, seg, options) if options.across_speakers else None
    return WordUnitsReport(units_source, segments_source, options, sequences, consensus, statistics,
                           discrimination, speakers)
