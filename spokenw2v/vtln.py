"""Vocal-tract-length normalisation (VTLN) of MFCCs without labels: one warp factor per speaker.

A longer or shorter vocal tract moves every formant by roughly one factor; warping the mel
filters' frequencies by the inverse factor (:func:`spokenw2v.features.vtln_filterbank`)
brings speakers onto a common frequency scale, so k-means units vary less across voices.
The factor of each speaker is chosen the classic unsupervised way (maximum likelihood
against a model of all speakers, here a k-means codebook):

1. Each speaker's factor starts at 1.0.
2. A codebook of ``k`` units (fewer on little data: at most one per :data:`FRAMES_PER_UNIT`
   frames) is fitted (:func:`spokenw2v.kmeans.kmeans`, standardized frames)
   on the frames of a seeded sample of each speaker's utterances (at most
   ``max_utterances``), each MFCC'd with its speaker's current factor.
3. For each speaker and each factor of ``grid``, the speaker's sample is MFCC'd with that
   factor; the factor whose frames lie closest to the codebook (least mean squared
   distance to the nearest centroid, in the codebook's standardized space) is the new one.
4. Steps 2-3 repeat until no factor changes, or ``iterations`` times.

With ``leave_one_out`` each speaker is matched against a codebook of the *other* speakers'
frames (one fit per speaker and iteration), one speaker after the other, each with the factors
found so far (updated all at once, two speakers would each move towards the other's old place
and swing back and forth), on each utterance's frames normalised to zero mean and unit variance
(so that a voice's channel or spectral tilt does not pass for a vocal-tract difference: without
it one of three flite voices, a female one, took 1.08 against the male voices).  With a few very
different voices a codebook of all speakers gives each voice centroids of its own, every speaker
then fits best unwarped and the factors stay at 1.0; a speaker cannot match itself in a codebook
that leaves it out.

With word segments only frames inside words count (silence carries no vocal tract).  A
"speaker" is whatever groups utterances (an id pattern, a column of the audio list, or each
utterance alone).  Functions here take arrays and never print.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from .audio import AUDIO_EXTENSIONS
from .errors import SpokenW2VError, where
from .features import WARP_RANGE, MFCCFeaturizer
from .frames import frame_range

#: The codebook has at most one unit per this many frames (a codebook as fine as the data would
#: model each speaker apart, and then no warp looks better than none).
FRAMES_PER_UNIT = 100
#: The default grid of warp factors: 0.80, 0.82, ..., 1.20.
DEFAULT_GRID = tuple(round(0.8 + 0.02 * i, 2) for i in range(21))


@dataclass
class VTLNConfig:
    """Settings of :func:`estimate_warps` (see the module's description)."""

    grid: tuple[float, ...] = DEFAULT_GRID
    iterations: int = 8
    k: int = 100
    max_utterances: int = 40
    max_frames: int = 200_000  # frames the codebook is fitted on (a seeded subset beyond it)
    seed: int = 0
    leave_one_out: bool = False  # each speaker against a codebook of the other speakers

    def check(self) -> None:
        if not self.grid or any(not WARP_RANGE[0] <= a <= WARP_RANGE[1] for a in self.grid):
            raise SpokenW2VError(f"VTLN warp factors must lie in [{WARP_RANGE[0]:g}, {WARP_RANGE[1]:g}]")
        if self.iterations < 1 or self.k < 1 or self.max_utterances < 1 or self.max_frames < self.k:
            raise SpokenW2VError("VTLN: iterations, k and max utterances must be positive, max frames at least k")


@dataclass
class WarpEstimate:
    """What :func:`estimate_warps` found: ``warps`` speaker -> factor, the factors after each
    iteration (``history``), whether they stopped changing (``converged``) and how many
    utterances of each speaker were used (``used``)."""

    warps: dict[str, float]
    history: list[dict[str, float]] = field(default_factory=list)
    converged: bool = False
    used: dict[str, int] = field(default_factory=dict)


def sample_utterances(speakers: Mapping[str, str], max_utterances: int, seed: int) -> dict[str, list[str]]:
    """Speaker -> a seeded sample (at most ``max_utterances``, in sorted id order) of its utterances."""
    groups: dict[str, list[str]] = {}
    for utt in sorted(speakers):
        groups.setdefault(speakers[utt], []).append(utt)
    rng = np.random.default_rng(seed)
    out = {}
    for spk in sorted(groups):
        utts = groups[spk]
        if len(utts) > max_utterances:
            keep = np.sort(rng.choice(len(utts), max_utterances, replace=False))
            utts = [utts[i] for i in keep]
        out[spk] = utts
    return out


def _frames(featurizer: MFCCFeaturizer, wave: np.ndarray, alpha: float, spans: np.ndarray | None,
            normalise: bool = False) -> np.ndarray:
    """The MFCC frames of ``wave`` warped by ``alpha``; only those inside ``spans`` (W, 2) seconds
    when given; with ``normalise`` brought to zero mean and unit variance per dimension."""
    featurizer.set_warp(alpha)
    x = featurizer([wave])[0]
    if spans is not None:
        mask = np.zeros(len(x), dtype=bool)
        for start, end in spans:
            i0, i1 = frame_range(float(start), float(end), featurizer.info, len(x))
            mask[i0:i1] = True
        x = x[mask]
    if normalise and len(x):
        x = ((x - x.mean(0)) / (x.std(0) + 1e-8)).astype(x.dtype)
    return x


def estimate_warps(speakers: Mapping[str, str], load: Callable[[str], np.ndarray],
                   spans: Mapping[str, np.ndarray] | None = None, config: VTLNConfig | None = None,
                   featurizer: MFCCFeaturizer | None = None,
                   progress: Callable[[int, int], None] | None = None) -> WarpEstimate:
    """One warp factor per speaker (see the module's description).

    ``speakers``: utterance id -> speaker; ``load(utt)``: the utterance's 16 kHz waveform;
    ``spans``: utterance id -> (W, 2) word start/end seconds (only frames inside words count;
    an utterance without words is left out).  ``progress(done, total)`` counts speakers
    searched over all iterations (total = iterations x speakers, an upper bound).
    """
    import torch

    from .kmeans import kmeans, standardization

    config = config or VTLNConfig()
    config.check()
    featurizer = featurizer or MFCCFeaturizer()
    if spans is not None:
        speakers = {u: s for u, s in speakers.items() if len(spans.get(u, ())) > 0}
    chosen = sample_utterances(speakers, config.max_utterances, config.seed)
    if not chosen:
        raise SpokenW2VError("VTLN: no utterances (with words) to estimate warp factors on")
    span = (lambda u: spans[u]) if spans is not None else (lambda u: None)
    norm = config.leave_one_out
    warps = {spk: 1.0 for spk in chosen}
    est = WarpEstimate(warps, used={spk: len(u) for spk, u in chosen.items()})
    if config.leave_one_out and len(chosen) < 2:
        raise SpokenW2VError("VTLN: leave-one-out needs at least two speakers")
    rng = np.random.default_rng(config.seed)
    done, total = 0, config.iterations * len(chosen)

    def codebook(frames: np.ndarray):
        """(mean, std, centroids) of a codebook fitted on ``frames`` (a seeded subset beyond max_frames)."""
        if len(frames) > config.max_frames:
            frames = frames[np.sort(rng.choice(len(frames), config.max_frames, replace=False))]
        k = min(config.k, len(frames) // FRAMES_PER_UNIT)
        if k < 2:
            raise SpokenW2VError(f"VTLN: {len(frames)} frames (inside words) are too few to estimate warp factors")
        mean, std = standardization(frames)
        return mean, std, torch.from_numpy(kmeans(frames, k, mean=mean, std=std, seed=config.seed).centroids)

    current = {spk: np.concatenate([_frames(featurizer, load(u), 1.0, span(u), norm) for u in utts])
               for spk, utts in chosen.items()}  # each speaker's sample with its current factor
    for _ in range(config.iterations):
        if not config.leave_one_out:
            mean, std, centres = codebook(np.concatenate(list(current.values())))
        new = {}
        for spk, utts in chosen.items():
            if config.leave_one_out:
                mean, std, centres = codebook(np.concatenate([x for s, x in current.items() if s != spk]))
            waves = [load(u) for u in utts]  # one speaker's sample at a time in memory
            best = (np.inf, 1.0)
            for alpha in config.grid:
                x = np.concatenate([_frames(featurizer, w, alpha, span(u), norm) for u, w in zip(utts, waves)])
                z = torch.from_numpy((x - mean) / std)
                cost = float(torch.cdist(z, centres).min(dim=1).values.pow(2).mean())
                if cost < best[0] - 1e-9 or (abs(cost - best[0]) <= 1e-9 and abs(alpha - 1) < abs(best[1] - 1)):
                    best = (cost, float(alpha))
            new[spk] = best[1]
            if best[1] != warps[spk]:  # with leave_one_out, the next speakers match this one as it now is
                current[spk] = np.concatenate([_frames(featurizer, w, best[1], span(u), norm)
                                               for u, w in zip(utts, waves)])
            done += 1
            if progress is not None:
                progress(done, total)
        featurizer.set_warp(1.0)
        est.history.append(dict(new))
        if new == warps:
            est.converged = True
            break
        warps = new
    est.warps = warps
    if progress is not None:
        progress(total, total)
    return est


def speakers_by_pattern(utts: Sequence[str], pattern: str, source: str = "--speaker-pattern") -> dict[str, str]:
    """Utterance id -> speaker: the first group of the regular expression ``pattern`` searched
    in the id (the whole match when it has no group); an id it does not match is an error."""
    import re

    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise SpokenW2VError(f"{source}: not a regular expression ({exc})") from None
    out = {}
    for utt in utts:
        m = rx.search(utt)
        if m is None:
            raise SpokenW2VError(f"{source}: {pattern!r} does not match utterance id {utt!r}")
        out[utt] = m.group(1) if rx.groups else m.group(0)
    return out


def speakers_of(audio: str | os.PathLike, utts: Sequence[str], pattern: str | None) -> dict[str, str]:
    """Utterance id -> speaker for ``--vtln``: by ``pattern`` (:func:`speakers_by_pattern`) when
    given, else the ``speaker`` column of an audio list TSV, else each utterance its own speaker."""
    from .io import read_audio_speakers

    if pattern is not None:
        return speakers_by_pattern(utts, pattern)
    path = Path(audio)
    column = read_audio_speakers(path) if path.is_file() and path.suffix.lower() not in AUDIO_EXTENSIONS else None
    if column is None:
        return {u: u for u in utts}
    return {u: column[u] for u in utts}


def read_warps(path: str | os.PathLike) -> dict[str, float]:
    """A warps TSV (``speaker  warp``, as ``featurize --warps-out`` writes it) -> speaker -> factor."""
    from .io import read_tsv

    path = Path(path)
    _, rows = read_tsv(path, ["speaker", "warp"])
    out: dict[str, float] = {}
    for lineno, row in rows:
        try:
            alpha = float(row["warp"])
        except ValueError:
            alpha = float("nan")
        if not WARP_RANGE[0] <= alpha <= WARP_RANGE[1]:
            raise SpokenW2VError(f"{where(path, lineno)}: warp {row['warp']!r} is not a number in "
                                 f"[{WARP_RANGE[0]:g}, {WARP_RANGE[1]:g}]")
        if row["speaker"] in out:
            raise SpokenW2VError(f"{where(path, lineno)}: speaker {row['speaker']!r} is listed twice")
        out[row["speaker"]] = alpha
    if not out:
        raise SpokenW2VError(f"{path}: no warp factors listed")
    return out


def write_warps(path: str | os.PathLike, warps: Mapping[str, float], used: Mapping[str, int] | None = None) -> None:
    """A warps TSV: ``speaker  warp  utterances`` (utterances the estimate used; - when read from a file)."""
    from .io import write_tsv

    write_tsv(path, ["speaker", "warp", "utterances"],
              ([spk, f"{alpha:.2f}", str(used[spk]) if used and spk in used else "-"]
               for spk, alpha in sorted(warps.items())))


@dataclass
class UtteranceWarps:
    """The warp factor of every utterance, and the speakers' factors to save (``--warps-out``)."""

    per_utterance: dict[str, float]
    per_speaker: dict[str, float]
    used: Mapping[str, int] | None = None


def utterance_warps(audio: str | os.PathLike, warps_file: str | os.PathLike | None, pattern: str | None,
                    seg=None, log: Callable[[str], None] = lambda message: None,
                    progress: Callable[[int, int], None] | None = None,
                    leave_one_out: bool = False) -> UtteranceWarps:
    """The VTLN warp factor of every utterance of ``audio``: read per speaker from ``warps_file``,
    or (``warps_file`` None) estimated per speaker on the words of the segments ``seg`` when
    given, else on whole utterances (against a codebook of the other speakers with
    ``leave_one_out``). Speakers come from ``pattern`` or the audio list (see
    :func:`speakers_of`); an utterance whose speaker has no factor keeps 1.0."""
    from .audio import find_audio, load_audio

    found = find_audio(audio)
    speakers = speakers_of(audio, list(found), pattern)
    used = None
    if warps_file is not None:
        warps = read_warps(warps_file)
        missing = sorted({s for s in speakers.values() if s not in warps})
        if missing:
            raise SpokenW2VError(f"{warps_file}: no warp factor for speaker {missing[0]!r} "
                                 f"({len(missing)} speaker(s) missing)")
    else:
        spans = None
        if seg is not None:
            spans = {u: np.stack([seg.start[ix], seg.end[ix]], axis=1) for u, ix in seg.by_utterance().items()}
        config = VTLNConfig(leave_one_out=leave_one_out)
        log(f"VTLN: estimating a warp factor for each of {len(set(speakers.values()))} speakers "
            f"(grid {config.grid[0]:g}-{config.grid[-1]:g}, k = {config.k}"
            f"{', each against the others' if leave_one_out else ''})")
        est = estimate_warps(speakers, lambda u: load_audio(found[u]), spans, config, progress=progress)
        warps, used = est.warps, est.used
        values = sorted(warps.values())
        log(f"VTLN: warp factors {values[0]:.2f}-{values[-1]:.2f} after {len(est.history)} iteration(s)"
            f"{'' if est.converged else ' (not converged)'}")
    per_speaker = {s: warps[s] for s in sorted(set(speakers.values())) if s in warps}
    return UtteranceWarps({u: warps.get(speakers[u], 1.0) for u in found}, per_speaker, used)
