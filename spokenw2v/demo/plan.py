"""The stages of ``spokenw2v demo`` as ``spokenw2v`` command lines (so a user can re-run any
one of them alone), each with the file whose existence means it finished and the stages
whose outputs it reads.

The one-voice rung (synthesize, featurize, discretize, the text, character and unit models)
always runs; the many-voice rung (``voices_epochs``), the rung of truly different voices
(``festival_epochs``) and the textless rung (``textless_epochs``) are added when asked; the noise
sweep, the evaluation and the figures close the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import DemoConfig, layout

#: The models of the table (the many-voice rung adds e2e-units-voices, the Festival rung
#: e2e-units-festival, the textless rung e2e-textless and e2e-textless-gold).
MODELS = ("text", "two-stage-chars", "e2e-chars", "two-stage-units", "e2e-units")
#: Words whose nearest neighbours the demo table shows.
DEMO_NEIGHBOURS = "god,king,water,said"
#: The demo's speech: one espeak-ng voice at one rate (per-word pitch and rate jitter only).
ONE_VOICE = ("en-us", "", "170")
#: The harder rung: the synthesizer's default mix (2 voices x 4 variants x 3 rates, chosen per
#: utterance), about twice as many distinct unit sequences per word type; its units are made
#: consistent by per-speaker VTLN (featurize --vtln auto) and consensus (word-units --consensus).
VOICES = ("en-us,en-gb", "m1,m3,f1,f3", "140,170,200")
#: Truly different voices: Festival's three English voices (two diphone voices, male; one HTS
#: voice, female), continuous speech at one rate.  Their units are made to hold across the
#: speakers by VTLN against the other speakers (featurize --vtln leave-one-out), two rounds of
#: the correspondence autoencoder on word pairs mined across speakers (cae), then consensus units.
FESTIVAL = ("kal_diphone,ked_diphone,cmu_us_slt_arctic_hts", "", "170")
#: cae --max-distance of the Festival rung: mutual nearest word tokens of two speakers at a
#: cosine distance of at most 1 are a pair.
CAE_MAX_DISTANCE = "1"
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


def plan(out: Path, cfg: DemoConfig) -> list[Stage]:
    """The demo's stages after the text (``out/text.txt``) exists, the path to the slowest
    result first: a stage starts once its ``after`` stages have finished, and among the stages
    ready to start the earlier one in this list goes first.  The text reference and the
    character models read the demo text itself (the same tokens as the synthesized corpus's
    ``corpus.txt``), so they run while the speech is synthesized."""
    planner = StagePlanner(out, cfg)
    stages = planner.one_voice()
    if cfg.voices_epochs > 0:  # the harder rung: the same text in many voices
        stages += planner.many_voices()
    if cfg.festival_epochs > 0:  # truly different voices: another engine's three speakers
        stages += planner.festival()
    if cfg.textless_epochs > 0:  # no transcript: words discovered in continuous speech, label-free types
        stages += planner.textless()
    stages += planner.noise_sweep() + planner.evaluation() + planner.figures()
    for s in stages:
        if s.stdout is None:
            s.stdout = planner.paths["logs"] / f"{s.name}.txt"
    return stages


class StagePlanner:
    """The stages of one demo run below ``out``, rung by rung; the speech rungs are named by a
    ``rung`` suffix: ``""`` (one voice), ``"voices"`` or ``"continuous"`` (stage ``featurize-voices``
    writes the layout's ``feats_voices``)."""

    def __init__(self, out: Path, cfg: DemoConfig) -> None:
        self.cfg = cfg
        self.paths = layout(out)
        self.runs = self.paths["runs"]
        self.reference = self.runs / "text" / "vectors.vec"
        self.text = str(self.paths["text"])
        self.seed = str(cfg.seed)
        self.device = ["--device", cfg.device]

    def path(self, key: str, rung: str = "") -> Path:
        """The layout's file ``key`` of the speech rung ``rung``."""
        return self.paths[f"{key}_{rung}" if rung else key]

    def models(self) -> tuple[str, ...]:
        """The models of the table, the asked-for rungs' included."""
        textless = tuple(TEXTLESS) if self.cfg.textless_epochs > 0 else ()
        return MODELS + self.speech_rung_models() + textless

    def speech_rung_models(self) -> tuple[str, ...]:
        """The models of the asked-for many-speaker rungs (trained on word units, with curves)."""
        voices = ("e2e-units-voices",) if self.cfg.voices_epochs > 0 else ()
        return voices + (("e2e-units-festival",) if self.cfg.festival_epochs > 0 else ())

    # the speech of a rung: synthesized, featurized, discretized

    def synthesize(self, rung: str, voices: tuple[str, str, str], style: tuple[str, ...] = ()) -> Stage:
        """``style``: what comes before ``--voices`` (speech style, engine)."""
        voice, variant, rate = voices
        return Stage(named("synthesize", rung),
                     ["synthesize", self.text, "--out", str(self.path("speech", rung)), *style, "--voices", voice,
                      "--variants", variant, "--rates", rate, "--seed", self.seed, "--jobs", str(self.cfg.jobs)],
                     self.path("segments", rung))

    def featurize(self, rung: str, options: list[str], feats_key: str = "feats") -> Stage:
        """``options``: what comes after ``--hop-ms`` (word segments, VTLN); ``feats_key``: the
        layout key of the output (the rung's ``feats``, which discretize reads, by default)."""
        feats = self.path(feats_key, rung)
        return Stage(named("featurize", rung),
                     ["featurize", str(self.path("audio", rung)), "--out", str(feats), "--feature", "mfcc",
                      "--hop-ms", str(self.cfg.hop_ms), *options, "--device", "cpu"],
                     feats, (named("synthesize", rung),))

    def discretize(self, rung: str, in_words: bool, after: str = "featurize") -> Stage:
        """``in_words``: k-means over the frames inside the rung's word segments only; ``after``:
        the stage that writes the rung's ``feats``."""
        words = ["--segments", str(self.path("segments", rung)), "--in-words"] if in_words else []
        units = self.path("units", rung)
        return Stage(named("discretize", rung),
                     ["discretize", str(self.path("feats", rung)), "--out", str(units), "--codebook",
                      str(self.path("codebook", rung)), "--k", str(self.cfg.k), *words, "--seed", self.seed,
                      "--device", "cpu"],
                     units, (named(after, rung),))

    # the models

    def unit_model(self, kind: str, name: str, source: list[str], epochs: int, after: tuple[str, ...],
                   ae: bool) -> Stage:
        """``source``: the unit arguments (``--segments S --units U`` or ``--word-units W``)."""
        cfg = self.cfg
        every = ["--eval-every", str(cfg.unit_eval_every)] if kind == "e2e" and cfg.unit_eval_every > 1 else []
        ae_epochs = ["--ae-epochs", str(cfg.unit_ae_epochs)] if ae else []
        return Stage(name, ["train", kind, *source, "--out", str(self.runs / name), "--reference", str(self.reference),
                            "--epochs", str(epochs), *ae_epochs, *every, "--seed", self.seed, *self.device],
                     self.runs / name / "vectors.vec", after)

    def char_model(self, kind: str, ae: bool) -> Stage:
        name = f"{kind}-chars"
        cfg = self.cfg
        ae_epochs = ["--ae-epochs", str(cfg.char_ae_epochs)] if ae else []
        # a constant rate: the preset's cosine decay (characters at s = 1) pays over a run to the
        # plateau, and over the demo's shorter run it cost test A_partial 0.63 -> 0.51 (e2e)
        return Stage(name, ["train", kind, "--corpus", self.text, "--out", str(self.runs / name), "--reference",
                            str(self.reference), "--epochs", str(cfg.char_epochs), "--lr-schedule", "constant",
                            *ae_epochs, "--seed", self.seed, *self.device],
                     self.runs / name / "vectors.vec", ("text",))

    # the rungs

    def one_voice(self) -> list[Stage]:
        p, cfg = self.paths, self.cfg
        units = ["--segments", str(p["segments"]), "--units", str(p["units"])]
        return [
            self.synthesize("", ONE_VOICE),
            Stage("text", ["train", "text", "--corpus", self.text, "--out", str(self.runs / "text"), "--seed",
                           self.seed], self.reference),
            self.char_model("e2e", ae=False),
            self.featurize("", ["--segments", str(p["segments"])]),
            self.discretize("", in_words=True),
            self.unit_model("e2e", "e2e-units", units, cfg.unit_epochs, ("discretize", "text"), False),
            self.char_model("two-stage", ae=True),
            self.unit_model("two-stage", "two-stage-units", units, cfg.unit_epochs, ("discretize", "text"), True),
            Stage("word-units", ["word-units", str(p["units"]), str(p["segments"]), "--out", str(p["word_units"])],
                  p["word_units"], ("discretize",)),
        ]

    def many_voices(self) -> list[Stage]:
        p, cfg = self.paths, self.cfg
        return [
            self.synthesize("voices", VOICES),
            self.featurize("voices", ["--segments", str(p["segments_voices"]), "--vtln", "auto", "--warps-out",
                                      str(p["warps_voices"])]),
            self.discretize("voices", in_words=True),
            Stage("word-units-voices", ["word-units", str(p["units_voices"]), str(p["segments_voices"]), "--out",
                                        str(p["word_units_voices"]), "--report", str(p["word_units_voices_report"]),
                                        "--consensus", str(p["feats_voices"]), "--radius", f"{cfg.consensus_radius:g}",
                                        "--device", "cpu"],
                  p["word_units_voices_report"], ("discretize-voices",)),
            self.unit_model("e2e", "e2e-units-voices", ["--word-units", str(p["word_units_voices"])],
                            cfg.voices_epochs, ("word-units-voices", "text"), False),
        ]

    def festival(self) -> list[Stage]:
        """Festival's three voices speak the text continuously; MFCC warped per speaker against
        the others' codebook (on whole utterances); two rounds of the correspondence autoencoder
        (pairs of word tokens across speakers found without labels, the second round's pairs
        found with the first round's features); k-means units over in-word frames; their word
        units with the across-speaker measures, then consensus units, which e2e reads."""
        p, cfg = self.paths, self.cfg
        segments, speakers = str(p["segments_festival"]), str(p["audio_festival"])
        cae = ["cae", str(p["mfcc_festival"]), "--segments", segments, "--speakers", speakers, "--max-distance",
               CAE_MAX_DISTANCE, "--speaker-norm", "--seed", self.seed]
        report = ["--speakers", speakers]
        return [
            self.synthesize("festival", FESTIVAL, style=("--style", "continuous", "--engine", "festival")),
            self.featurize("festival", ["--vtln", "leave-one-out", "--warps-out", str(p["warps_festival"])],
                           feats_key="mfcc"),
            Stage("cae1-festival", [*cae, "--model", str(p["cae1_model_festival"]), "--out", str(p["cae1_festival"])],
                  p["cae1_festival"], ("featurize-festival",)),
            Stage("cae-festival", [*cae, "--pairs-from", str(p["cae1_festival"]), "--model",
                                   str(p["cae_model_festival"]), "--out", str(p["feats_festival"])],
                  p["feats_festival"], ("cae1-festival",)),
            self.discretize("festival", in_words=True, after="cae"),
            Stage("word-units-festival-plain", ["word-units", str(p["units_festival"]), segments, "--out",
                                                str(p["word_units_plain_festival"]), "--report",
                                                str(p["word_units_plain_festival_report"]), *report],
                  p["word_units_plain_festival_report"], ("discretize-festival",)),
            Stage("word-units-festival", ["word-units", str(p["units_festival"]), segments, "--out",
                                          str(p["word_units_festival"]), "--report",
                                          str(p["word_units_festival_report"]), *report, "--consensus",
                                          str(p["feats_festival"]), "--radius", f"{cfg.consensus_radius:g}",
                                          "--device", "cpu"],
                  p["word_units_festival_report"], ("discretize-festival",)),
            self.unit_model("e2e", "e2e-units-festival", ["--word-units", str(p["word_units_festival"])],
                            cfg.festival_epochs, ("word-units-festival", "text"), False),
        ]

    def textless(self) -> list[Stage]:
        p = self.paths
        stages = [
            self.synthesize("continuous", ONE_VOICE, style=("--style", "continuous")),
            self.featurize("continuous", []),
            self.discretize("continuous", in_words=False),
            Stage("discover", ["discover", str(p["feats_continuous"]), "--out", str(p["found"]), "--seed", self.seed],
                  p["found"], ("featurize-continuous",)),
            Stage("label-segments", ["label-segments", str(p["found"]), "--gold", str(p["segments_continuous"]),
                                     "--out", str(p["found_labelled"]), "--report", str(p["found_report"])],
                  p["found_report"], ("discover",)),
        ]
        for name, segments in TEXTLESS.items():
            stages += self.textless_model(name, segments)
        return stages

    def textless_model(self, name: str, segments: str) -> list[Stage]:
        """e2e with label-free types on the word segments ``segments`` (a layout key), then its
        token vectors labelled by the gold words into ``runs/NAME/vectors.vec``."""
        p = self.paths
        run, tokens = self.runs / f"{name}-types", self.runs / f"{name}-tokens.npz"
        found = ("discover",) if segments == "found" else ()
        return [
            Stage(f"{name}-train", ["train", "e2e", "--segments", str(p[segments]), "--units",
                                    str(p["units_continuous"]), "--types", "sequences", "--out", str(run),
                                    "--epochs", str(self.cfg.textless_epochs), "--token-vectors", str(tokens),
                                    "--seed", self.seed, *self.device], tokens, ("discretize-continuous", *found)),
            Stage(name, ["label-vectors", str(tokens), "--gold", str(p["segments_continuous"]), "--out",
                         str(self.runs / name / "vectors.vec")], self.runs / name / "vectors.vec",
                  (f"{name}-train",)),
        ]

    # the noise sweep, the tables and the figures

    def sweep_rates(self) -> list[str]:
        return [f"{r:.2f}" for r in self.cfg.sweep_rates]

    def noise_sweep(self) -> list[Stage]:
        noise, rates = self.paths["noise"], self.sweep_rates()
        stages = [Stage("text-noise", ["text-noise", self.text, "--out", str(noise), "--substitute", ",".join(rates),
                                       "--seed", self.seed], noise / f"substitute-{rates[-1]}.txt")]
        for r in rates:
            run = self.runs / f"substitute-{r}"
            # another seed than the reference's: the rate-0 model measures the seed-to-seed ceiling
            stages.append(Stage(f"text-substitute-{r}", ["train", "text", "--corpus", str(noise / f"substitute-{r}.txt"),
                                                         "--out", str(run), "--seed", str(self.cfg.seed + 1)],
                                run / "vectors.vec", ("text-noise",)))
        return stages

    def evaluation(self) -> list[Stage]:
        p, names, rates = self.paths, self.models(), self.sweep_rates()
        models = [str(self.runs / n / "vectors.vec") for n in names]
        sweep_models = [str(self.runs / f"substitute-{r}" / "vectors.vec") for r in rates]
        return [
            Stage("evaluate", ["evaluate", *models, "--reference", str(self.reference), "--corpus", self.text,
                               "--seed", self.seed, "--save-test-set", str(p["test_set"]), "--tsv", str(p["results"]),
                               "--json", str(p["results_json"]), "--neighbours", DEMO_NEIGHBOURS],
                  p["results"], names, stdout=p["logs"] / "evaluate.txt"),
            Stage("evaluate-sweep", ["evaluate", *sweep_models, "--reference", str(self.reference), "--test-set",
                                     str(p["test_set"]), "--seed", self.seed, "--no-benchmarks", "--tsv",
                                     str(p["sweep"])],
                  p["sweep"], ("evaluate", *[f"text-substitute-{r}" for r in rates]),
                  stdout=p["logs"] / "evaluate-sweep.txt"),
        ]

    def figures(self) -> list[Stage]:
        """Training curves of the neural models (the models after ``text``, the textless ones
        left out: their runs are ``NAME-types``) and the noise sweep."""
        p = self.paths
        trained = MODELS[1:] + self.speech_rung_models()
        metrics = [str(self.runs / n / "metrics.tsv") for n in trained]
        return [
            Stage("plot-curves", ["plot", "curves", *metrics, "--out", str(p["curves"]), "--title",
                                  "Demo: A (solid) and B (dashed) per epoch"], p["curves"], trained),
            Stage("plot-sweep", ["plot", "sweep", str(p["sweep"]), "--out", str(p["sweep_png"]), "--y", "A",
                                 "--title", "Demo: clustering noise (substituted tokens) vs metric A"],
                  p["sweep_png"], ("evaluate-sweep",)),
        ]


def named(stage: str, rung: str) -> str:
    """The name of a speech stage of a rung: ``featurize``, ``featurize-voices``."""
    return f"{stage}-{rung}" if rung else stage
