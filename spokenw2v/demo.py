"""The embedded demo: the whole pipeline on a synthesized King James corpus.

:func:`plan` lists the stages as ``spokenw2v`` command lines (so a user can re-run any
one of them) with the file each stage finishes by writing; ``spokenw2v demo`` runs them
in order.  :func:`pipeline_statistics` gives the figures a researcher checks between
discretization and training.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .discretize import unit_statistics
from .frames import word_unit_sequences
from .io import Segments, Units
from .noise import boundary_scores

#: Substitution rates of the short clustering-noise sweep (paper, section 5).
SWEEP_RATES = (0.0, 0.1, 0.2, 0.4)
#: The models of the table (the many-voice rung adds e2e-units-voices).
MODELS = ("text", "two-stage-chars", "e2e-chars", "two-stage-units", "e2e-units")
#: Words whose nearest neighbours the demo table shows.
DEMO_NEIGHBOURS = "god,king,water,said"


#: The demo's speech: one espeak-ng voice at one rate (per-word pitch and rate jitter only).
ONE_VOICE = ("en-us", "", "170")
#: The harder rung: the synthesizer's default mix (2 voices x 4 variants x 3 rates, chosen per
#: utterance), about twice as many distinct unit sequences per word type.
VOICES = ("en-us,en-gb", "m1,m3,f1,f3", "140,170,200")


@dataclass
class DemoConfig:
    """Sizes of the demo run; the defaults fit 15 minutes on 2 CPU cores."""

    words: int = 30000  # words of the demo text (King James Version from Genesis 1:1)
    seed: int = 0
    jobs: int = 2  # synthesis worker processes
    device: str = "auto"
    k: int = 100  # k-means units over MFCC frames
    char_epochs: int = 45  # character models (e2e and two-stage)
    char_ae_epochs: int = 30  # auto-encoder epochs of the character two-stage model
    unit_epochs: int = 45  # unit models (e2e and two-stage) on the one-voice speech
    unit_ae_epochs: int = 5
    voices_epochs: int = 0  # e2e on the units of the many-voice speech (0 = leave that rung out)
    sweep_rates: tuple[float, ...] = SWEEP_RATES


@dataclass
class Stage:
    """One step: a ``spokenw2v`` command line (``argv`` without the program name) and the
    file whose existence means the step is finished."""

    name: str
    argv: list[str]
    done: Path
    stdout: Path | None = None  # where the command's stdout goes (logs/NAME.txt)
    extra: dict = field(default_factory=dict)


def layout(out: Path) -> dict[str, Path]:
    """Where every file of a demo run lives, below ``out``."""
    speech = out / "speech"
    voices = out / "speech-voices"
    return {
        "speech_voices": voices,
        "audio_voices": voices / "audio.tsv",
        "segments_voices": voices / "segments.tsv",
        "feats_voices": out / "mfcc-voices",
        "codebook_voices": out / "codebook-voices.npz",
        "units_voices": out / "units-voices.npz",
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


def plan(out: Path, cfg: DemoConfig) -> list[Stage]:
    """The demo's stages after the text (``out/text.txt``) exists, in order."""
    p = layout(out)
    runs = p["runs"]
    ref = runs / "text" / "vectors.vec"
    seed = str(cfg.seed)
    dev = ["--device", cfg.device]
    voice, variant, rate = ONE_VOICE
    stages = [
        Stage("synthesize", ["synthesize", str(p["text"]), "--out", str(p["speech"]), "--voices", voice,
                             "--variants", variant, "--rates", rate, "--seed", seed, "--jobs", str(cfg.jobs)],
              p["segments"]),
        Stage("featurize", ["featurize", str(p["audio"]), "--out", str(p["feats"]), "--feature", "mfcc",
                            "--segments", str(p["segments"]), "--device", "cpu"], p["feats"]),
        Stage("discretize", ["discretize", str(p["feats"]), "--out", str(p["units"]), "--codebook", str(p["codebook"]),
                             "--k", str(cfg.k), "--segments", str(p["segments"]), "--in-words", "--seed", seed,
                             "--device", "cpu"], p["units"]),
        Stage("word-units", ["word-units", str(p["units"]), str(p["segments"]), "--out", str(p["word_units"])],
              p["word_units"]),
        Stage("text", ["train", "text", "--corpus", str(p["corpus"]), "--out", str(runs / "text"), "--seed", seed],
              ref),
        Stage("two-stage-chars", ["train", "two-stage", "--corpus", str(p["corpus"]), "--out",
                                  str(runs / "two-stage-chars"), "--reference", str(ref), "--epochs",
                                  str(cfg.char_epochs), "--ae-epochs", str(cfg.char_ae_epochs), "--seed", seed, *dev],
              runs / "two-stage-chars" / "vectors.vec"),
        Stage("e2e-chars", ["train", "e2e", "--corpus", str(p["corpus"]), "--out", str(runs / "e2e-chars"),
                            "--reference", str(ref), "--epochs", str(cfg.char_epochs), "--seed", seed, *dev],
              runs / "e2e-chars" / "vectors.vec"),
        Stage("two-stage-units", ["train", "two-stage", "--segments", str(p["segments"]), "--units", str(p["units"]),
                                  "--out", str(runs / "two-stage-units"), "--reference", str(ref), "--epochs",
                                  str(cfg.unit_epochs), "--ae-epochs", str(cfg.unit_ae_epochs), "--seed", seed, *dev],
              runs / "two-stage-units" / "vectors.vec"),
        Stage("e2e-units", ["train", "e2e", "--segments", str(p["segments"]), "--units", str(p["units"]),
                            "--out", str(runs / "e2e-units"), "--reference", str(ref), "--epochs",
                            str(cfg.unit_epochs), "--seed", seed, *dev],
              runs / "e2e-units" / "vectors.vec"),
    ]
    if cfg.voices_epochs > 0:  # the harder rung: the same text in many voices
        voices, variants, rates_ = VOICES
        stages += [
            Stage("synthesize-voices", ["synthesize", str(p["text"]), "--out", str(p["speech_voices"]), "--voices",
                                        voices, "--variants", variants, "--rates", rates_, "--seed", seed,
                                        "--jobs", str(cfg.jobs)], p["segments_voices"]),
            Stage("featurize-voices", ["featurize", str(p["audio_voices"]), "--out", str(p["feats_voices"]),
                                       "--feature", "mfcc", "--segments", str(p["segments_voices"]), "--device",
                                       "cpu"], p["feats_voices"]),
            Stage("discretize-voices", ["discretize", str(p["feats_voices"]), "--out", str(p["units_voices"]),
                                        "--codebook", str(p["codebook_voices"]), "--k", str(cfg.k), "--segments",
                                        str(p["segments_voices"]), "--in-words", "--seed", seed, "--device", "cpu"],
                  p["units_voices"]),
            Stage("e2e-units-voices", ["train", "e2e", "--segments", str(p["segments_voices"]), "--units",
                                       str(p["units_voices"]), "--out", str(runs / "e2e-units-voices"),
                                       "--reference", str(ref), "--epochs", str(cfg.voices_epochs), "--seed",
                                       seed, *dev], runs / "e2e-units-voices" / "vectors.vec"),
        ]
    rates = [f"{r:.2f}" for r in cfg.sweep_rates]
    stages.append(Stage("text-noise", ["text-noise", str(p["corpus"]), "--out", str(p["noise"]), "--substitute",
                                       ",".join(rates), "--seed", seed], p["noise"] / f"substitute-{rates[-1]}.txt"))
    sweep_runs = []
    for r in rates:
        run = runs / f"substitute-{r}"
        sweep_runs.append(run)
        # another seed than the reference's: the rate-0 model measures the seed-to-seed ceiling
        stages.append(Stage(f"text-substitute-{r}", ["train", "text", "--corpus", str(p["noise"] / f"substitute-{r}.txt"),
                                                     "--out", str(run), "--seed", str(cfg.seed + 1)],
                            run / "vectors.vec"))
    names = MODELS + (("e2e-units-voices",) if cfg.voices_epochs > 0 else ())
    models = [runs / n / "vectors.vec" for n in names]
    stages.append(Stage("evaluate", ["evaluate", *map(str, models), "--reference", str(ref), "--corpus", str(p["corpus"]),
                                     "--seed", seed, "--save-test-set", str(p["test_set"]), "--tsv", str(p["results"]),
                                     "--json", str(p["results_json"]), "--neighbours", DEMO_NEIGHBOURS],
                        p["results"], stdout=p["logs"] / "evaluate.txt"))
    stages.append(Stage("evaluate-sweep", ["evaluate", *[str(r / "vectors.vec") for r in sweep_runs], "--reference",
                                           str(ref), "--test-set", str(p["test_set"]), "--seed", seed, "--no-benchmarks",
                                           "--tsv", str(p["sweep"])],
                        p["sweep"], stdout=p["logs"] / "evaluate-sweep.txt"))
    metrics = [runs / n / "metrics.tsv" for n in names[1:]]
    stages.append(Stage("plot-curves", ["plot", "curves", *map(str, metrics), "--out", str(p["curves"]), "--title",
                                        "Demo: A (solid) and B (dashed) per epoch"], p["curves"]))
    stages.append(Stage("plot-sweep", ["plot", "sweep", str(p["sweep"]), "--out", str(p["sweep_png"]), "--y", "A",
                                       "--title", "Demo: clustering noise (substituted tokens) vs metric A"],
                        p["sweep_png"]))
    for s in stages:
        if s.stdout is None:
            s.stdout = p["logs"] / f"{s.name}.txt"
    return stages


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
