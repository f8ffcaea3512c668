"""``spokenw2v demo``: the whole pipeline on the embedded demo corpus (the run itself is
:func:`spokenw2v.demo.run_demo`)."""

from __future__ import annotations

from pathlib import Path

import typer

from .options import HOP_MS, MAX_COUNT, NON_NEGATIVE, POSITIVE, SEED, Range, ranged
from .common import QuietOption, app, err_console, guarded, out_console, refuse_stdio


@app.command("demo")
@guarded
def demo_command(
    out: Path = typer.Argument(..., help="Output directory: every intermediate file of the run stays here."),
    words: int = ranged(Range(200, MAX_COUNT), 30000, "--words",
                                               help="Words of the demo text (King James Version from Genesis 1:1)."),
    seed: int = ranged(SEED, 0, "--seed", help="Seed of every stage."),
    jobs: int = ranged(NON_NEGATIVE, 0, "--jobs", "-j", help="Synthesis worker processes, and stages run side by "
                       "side (0 = one per CPU core)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda for the neural models."),
    k: int = ranged(Range(2, MAX_COUNT), 100, "--k", help="Number of k-means units over the MFCC frames."),
    hop_ms: int = ranged(HOP_MS, 20, "--hop-ms", help="MFCC frame hop in milliseconds (20: 50 frames/s; 10: the "
                         "100 frames/s of earlier demos)."),
    char_epochs: int = ranged(POSITIVE, 60, "--char-epochs", help="Epochs of the character models (two-stage, e2e)."),
    unit_epochs: int = ranged(POSITIVE, 45, "--unit-epochs", help="Epochs of the unit models (two-stage, e2e) on the "
                                        "one-voice speech."),
    voices_epochs: int = ranged(NON_NEGATIVE, 0, "--voices-epochs",
                                help="Add the harder rung: e2e for this many epochs on the units of the same "
                                     "text spoken in 24 voice settings (about 5 more minutes on 2 cores for 15 "
                                     "epochs; 0 = leave it out)."),
    textless_epochs: int = ranged(NON_NEGATIVE, 0, "--textless-epochs",
                                  help="Add the textless rung: the text spoken continuously (no pauses between "
                                       "words), words discovered without a transcript (discover), and e2e for this "
                                       "many epochs with label-free word types, beside the same model on the "
                                       "engine's word boundaries (0 = leave it out)."),
    festival_epochs: int = ranged(NON_NEGATIVE, 0, "--festival-epochs",
                                  help="Add the rung of truly different voices: the text spoken continuously by "
                                       "Festival's three voices, units made to hold across them (VTLN against the "
                                       "other speakers, two rounds of the correspondence autoencoder, consensus "
                                       "units), and e2e for this many epochs on them (about 20 more minutes on 2 "
                                       "cores for 60 epochs; 0 = leave it out)."),
    ae_epochs: int = ranged(NON_NEGATIVE, 0, "--ae-epochs", help="Auto-encoder epochs of the two-stage models "
                            "(0 = 30 for characters, 5 for units)."),
    quiet: bool = QuietOption,
) -> None:
    """Run the whole pipeline on the embedded demo corpus (no download): synthesize the text
    in one espeak-ng voice, MFCC features, k-means units, then the text baseline, the
    character two-stage and end-to-end models, the unit models (45 epochs: long enough for
    the end-to-end model to learn meaning from the units), a clustering-noise sweep, one
    evaluation table with its null rows and the training-curve and sweep figures.
    --voices-epochs N adds the harder rung: the same text in 24 synthesized voice settings;
    --festival-epochs N the rung of truly different voices (another engine's three speakers);
    --textless-epochs N the rung without a transcript: continuous speech, discovered words.

    Every stage is logged as the spokenw2v command that re-runs it alone.  Re-running the
    demo into the same directory keeps the stages that finished (delete a stage's output
    or OUT/logs/STAGE.done to redo it and every stage that reads its outputs).
    """
    from ..demo import DemoConfig, run_demo
    from .synthesize import default_jobs

    def log(message: str) -> None:  # one line per message, never wrapped: commands stay copyable
        if not quiet:
            err_console.print(message, highlight=False, markup=False, soft_wrap=True)

    refuse_stdio(out, "OUT", "the demo writes a directory")
    cfg = DemoConfig(words=words, seed=seed, jobs=jobs if jobs > 0 else default_jobs(), device=device, k=k,
                     hop_ms=hop_ms, char_epochs=char_epochs, unit_epochs=unit_epochs, ae_epochs=ae_epochs,
                     voices_epochs=voices_epochs, textless_epochs=textless_epochs,
                     festival_epochs=festival_epochs)
    result = run_demo(out, cfg, quiet, log)
    out_console.print(result.summary, highlight=False, markup=False, soft_wrap=True)
    log(result.closing_line())
