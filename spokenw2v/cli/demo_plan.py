"""The stages of ``spokenw2v demo`` as ``spokenw2v`` command lines (so a user can re-run any
one of them alone), each with the file whose existence means it finished."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..demo import DemoConfig, layout

#: The models of the table (the many-voice rung adds e2e-units-voices, the textless rung
#: e2e-textless and e2e-textless-gold).
MODELS = ("text", "two-stage-chars", "e2e-chars", "two-stage-units", "e2e-units")
#: Words whose nearest neighbours the demo table shows.
DEMO_NEIGHBOURS = "god,king,water,said"
#: The demo's speech: one espeak-ng voice at one rate (per-word pitch and rate jitter only).
ONE_VOICE = ("en-us", "", "170")
#: The harder rung: the synthesizer's default mix (2 voices x 4 variants x 3 rates, chosen per
#: utterance), about twice as many distinct unit sequences per word type; its units are made
#: consistent by per-speaker VTLN (featurize --vtln auto) and consensus (word-units --consensus).
VOICES = ("en-us,en-gb", "m1,m3,f1,f3", "140,170,200")
#: The textless rung's models: e2e with label-free word types (each distinct unit sequence a
#: type) on the words ``discover`` found in continuous speech, and the same model on the
#: engine's own word boundaries; both scored through the gold word each token overlaps most.
TEXTLESS = {"e2e-textless": "found", "e2e-textless-gold": "segments_continuous"}


@dataclass
class Stage:
    """One step: a ``spokenw2v`` command line (``argv`` without the program name), the file
    whose existence means the step is finished, and the stages whose outputs it reads
    (``after``: it starts once they have finished; stages without a path between them may
    run side by side)."""

    name: str
    argv: list[str]
    done: Path
    after: tuple[str, ...] = ()
    stdout: Path | None = None  # where the command's stdout goes (logs/NAME.txt)
    extra: dict = field(default_factory=dict)


def plan(out: Path, cfg: DemoConfig) -> list[Stage]:
    """The demo's stages after the text (``out/text.txt``) exists, the path to the slowest
    result first: a stage starts once its ``after`` stages have finished, and among the stages
    ready to start the earlier one in this list goes first.  The text reference and the
    character models read the demo text itself (the same tokens as the synthesized corpus's
    ``corpus.txt``), so they run while the speech is synthesized."""
    p = layout(out)
    runs = p["runs"]
    ref = runs / "text" / "vectors.vec"
    text = str(p["text"])
    seed = str(cfg.seed)
    dev = ["--device", cfg.device]
    voice, variant, rate = ONE_VOICE
    names = MODELS + (("e2e-units-voices",) if cfg.voices_epochs > 0 else ())
    textless = tuple(TEXTLESS) if cfg.textless_epochs > 0 else ()

    def unit_model(kind: str, name: str, source: list[str], epochs: int, after: tuple[str, ...], ae: bool) -> Stage:
        """``source``: the unit arguments (``--segments S --units U`` or ``--word-units W``)."""
        every = ["--eval-every", str(cfg.unit_eval_every)] if kind == "e2e" and cfg.unit_eval_every > 1 else []
        return Stage(name, ["train", kind, *source, "--out", str(runs / name), "--reference", str(ref), "--epochs",
                            str(epochs), *(["--ae-epochs", str(cfg.unit_ae_epochs)] if ae else []), *every,
                            "--seed", seed, *dev],
                     runs / name / "vectors.vec", after)

    units = ["--segments", str(p["segments"]), "--units", str(p["units"])]
    stages = [
        Stage("synthesize", ["synthesize", text, "--out", str(p["speech"]), "--voices", voice,
                             "--variants", variant, "--rates", rate, "--seed", seed, "--jobs", str(cfg.jobs)],
              p["segments"]),
        Stage("text", ["train", "text", "--corpus", text, "--out", str(runs / "text"), "--seed", seed], ref),
        Stage("e2e-chars", ["train", "e2e", "--corpus", text, "--out", str(runs / "e2e-chars"),
                            "--reference", str(ref), "--epochs", str(cfg.char_epochs), "--seed", seed, *dev],
              runs / "e2e-chars" / "vectors.vec", ("text",)),
        Stage("featurize", ["featurize", str(p["audio"]), "--out", str(p["feats"]), "--feature", "mfcc",
                            "--hop-ms", str(cfg.hop_ms), "--segments", str(p["segments"]), "--device", "cpu"],
              p["feats"], ("synthesize",)),
        Stage("discretize", ["discretize", str(p["feats"]), "--out", str(p["units"]), "--codebook", str(p["codebook"]),
                             "--k", str(cfg.k), "--segments", str(p["segments"]), "--in-words", "--seed", seed,
                             "--device", "cpu"], p["units"], ("featurize",)),
        unit_model("e2e", "e2e-units", units, cfg.unit_epochs, ("discretize", "text"), False),
        Stage("two-stage-chars", ["train", "two-stage", "--corpus", text, "--out", str(runs / "two-stage-chars"),
                                  "--reference", str(ref), "--epochs", str(cfg.char_epochs), "--ae-epochs",
                                  str(cfg.char_ae_epochs), "--seed", seed, *dev],
              runs / "two-stage-chars" / "vectors.vec", ("text",)),
        unit_model("two-stage", "two-stage-units", units, cfg.unit_epochs, ("discretize", "text"), True),
        Stage("word-units", ["word-units", str(p["units"]), str(p["segments"]), "--out", str(p["word_units"])],
              p["word_units"], ("discretize",)),
    ]
    if cfg.voices_epochs > 0:  # the harder rung: the same text in many voices
        voices, variants, rates_ = VOICES
        stages += [
            Stage("synthesize-voices", ["synthesize", text, "--out", str(p["speech_voices"]), "--voices",
                                        voices, "--variants", variants, "--rates", rates_, "--seed", seed,
                                        "--jobs", str(cfg.jobs)], p["segments_voices"]),
            Stage("featurize-voices", ["featurize", str(p["audio_voices"]), "--out", str(p["feats_voices"]),
                                       "--feature", "mfcc", "--hop-ms", str(cfg.hop_ms), "--segments",
                                       str(p["segments_voices"]), "--vtln", "auto", "--warps-out",
                                       str(p["warps_voices"]), "--device", "cpu"],
                  p["feats_voices"], ("synthesize-voices",)),
            Stage("discretize-voices", ["discretize", str(p["feats_voices"]), "--out", str(p["units_voices"]),
                                        "--codebook", str(p["codebook_voices"]), "--k", str(cfg.k), "--segments",
                                        str(p["segments_voices"]), "--in-words", "--seed", seed, "--device", "cpu"],
                  p["units_voices"], ("featurize-voices",)),
            Stage("word-units-voices", ["word-units", str(p["units_voices"]), str(p["segments_voices"]), "--out",
                                        str(p["word_units_voices"]), "--report", str(p["word_units_voices_report"]),
                                        "--consensus", str(p["feats_voices"]), "--radius", f"{cfg.voices_radius:g}",
                                        "--device", "cpu"],
                  p["word_units_voices_report"], ("discretize-voices",)),
            unit_model("e2e", "e2e-units-voices", ["--word-units", str(p["word_units_voices"])], cfg.voices_epochs,
                       ("word-units-voices", "text"), False),
        ]
    if cfg.textless_epochs > 0:  # no transcript: words discovered in continuous speech, label-free types
        stages += [
            Stage("synthesize-continuous", ["synthesize", text, "--out", str(p["speech_continuous"]), "--style",
                                            "continuous", "--voices", voice, "--variants", variant, "--rates", rate,
                                            "--seed", seed, "--jobs", str(cfg.jobs)], p["segments_continuous"]),
            Stage("featurize-continuous", ["featurize", str(p["audio_continuous"]), "--out", str(p["feats_continuous"]),
                                           "--feature", "mfcc", "--hop-ms", str(cfg.hop_ms), "--device", "cpu"],
                  p["feats_continuous"], ("synthesize-continuous",)),
            Stage("discretize-continuous", ["discretize", str(p["feats_continuous"]), "--out",
                                            str(p["units_continuous"]), "--codebook", str(p["codebook_continuous"]),
                                            "--k", str(cfg.k), "--seed", seed, "--device", "cpu"],
                  p["units_continuous"], ("featurize-continuous",)),
            Stage("discover", ["discover", str(p["feats_continuous"]), "--out", str(p["found"]), "--seed", seed],
                  p["found"], ("featurize-continuous",)),
            Stage("label-segments", ["label-segments", str(p["found"]), "--gold", str(p["segments_continuous"]),
                                     "--out", str(p["found_labelled"]), "--report", str(p["found_report"])],
                  p["found_report"], ("discover",)),
        ]
        for name, segments in TEXTLESS.items():
            run, tokens = runs / f"{name}-types", runs / f"{name}-tokens.npz"
            found = ("discover",) if segments == "found" else ()
            stages += [
                Stage(f"{name}-train", ["train", "e2e", "--segments", str(p[segments]), "--units",
                                        str(p["units_continuous"]), "--types", "sequences", "--out", str(run),
                                        "--epochs", str(cfg.textless_epochs), "--token-vectors", str(tokens),
                                        "--seed", seed, *dev], tokens, ("discretize-continuous", *found)),
                Stage(name, ["label-vectors", str(tokens), "--gold", str(p["segments_continuous"]), "--out",
                             str(runs / name / "vectors.vec")], runs / name / "vectors.vec", (f"{name}-train",)),
            ]
    rates = [f"{r:.2f}" for r in cfg.sweep_rates]
    stages.append(Stage("text-noise", ["text-noise", text, "--out", str(p["noise"]), "--substitute",
                                       ",".join(rates), "--seed", seed], p["noise"] / f"substitute-{rates[-1]}.txt"))
    sweep_runs = []
    for r in rates:
        run = runs / f"substitute-{r}"
        sweep_runs.append(run)
        # another seed than the reference's: the rate-0 model measures the seed-to-seed ceiling
        stages.append(Stage(f"text-substitute-{r}", ["train", "text", "--corpus", str(p["noise"] / f"substitute-{r}.txt"),
                                                     "--out", str(run), "--seed", str(cfg.seed + 1)],
                            run / "vectors.vec", ("text-noise",)))
    models = [runs / n / "vectors.vec" for n in names + textless]
    stages.append(Stage("evaluate", ["evaluate", *map(str, models), "--reference", str(ref), "--corpus", text,
                                     "--seed", seed, "--save-test-set", str(p["test_set"]), "--tsv", str(p["results"]),
                                     "--json", str(p["results_json"]), "--neighbours", DEMO_NEIGHBOURS],
                        p["results"], names + textless, stdout=p["logs"] / "evaluate.txt"))
    stages.append(Stage("evaluate-sweep", ["evaluate", *[str(r / "vectors.vec") for r in sweep_runs], "--reference",
                                           str(ref), "--test-set", str(p["test_set"]), "--seed", seed, "--no-benchmarks",
                                           "--tsv", str(p["sweep"])],
                        p["sweep"], ("evaluate", *[f"text-substitute-{r}" for r in rates]),
                        stdout=p["logs"] / "evaluate-sweep.txt"))
    metrics = [runs / n / "metrics.tsv" for n in names[1:]]
    stages.append(Stage("plot-curves", ["plot", "curves", *map(str, metrics), "--out", str(p["curves"]), "--title",
                                        "Demo: A (solid) and B (dashed) per epoch"], p["curves"], names[1:]))
    stages.append(Stage("plot-sweep", ["plot", "sweep", str(p["sweep"]), "--out", str(p["sweep_png"]), "--y", "A",
                                       "--title", "Demo: clustering noise (substituted tokens) vs metric A"],
                        p["sweep_png"], ("evaluate-sweep",)))
    for s in stages:
        if s.stdout is None:
            s.stdout = p["logs"] / f"{s.name}.txt"
    return stages
