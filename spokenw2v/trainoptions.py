"""The options of ``spokenw2v train``, each declared once.

Every field of :class:`TrainOptions` carries its command-line form (:class:`~spokenw2v.settings.Option`:
help text, names, range) and says where a run keeps its value:

* ``config="NAME"``: the :class:`~spokenw2v.config.TrainConfig` field it sets (e2e, two-stage).  Its
  range is that field's; it is saved in ``config.json`` and ``last.pt`` and compared when a run is
  resumed (apart from the fields the configuration marks ``resumable``).
* ``text="NAME"``: the :class:`~spokenw2v.baseline.TextConfig` field it sets (text, oracle), saved in
  ``config.json``.
* ``kept``: :data:`INPUT` (a path recorded in the run's inputs, taken from ``last.pt`` by a resumed
  run that does not give it), :data:`OUTPUT` (likewise, recorded in ``last.pt`` only),
  :data:`RECORD` (recorded as itself) or :data:`RUN` (how this invocation runs: not kept).
  ``resume="same"``: a resumed run refuses a value other than the run's.

:func:`spokenw2v.cli.options.command_options` makes the command's parameters from these fields,
:meth:`TrainOptions.config_values` and :meth:`TrainOptions.text_values` the saved configuration, and
:meth:`TrainOptions.check` checks how the options fit together.  A new option is a field here and the
code that reads it; for a hyperparameter of the neural kinds that code is the ``TrainConfig`` field it
sets (its default and range, kept in checkpoints) and the model or loop that reads the field.
"""

from __future__ import annotations

import enum
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Optional

from .config import DEFAULT_PRESET, NEURAL_KINDS, Kind, NegativeSampling, Preset, Schedule, TrainConfig, TypeSource
from .errors import SpokenW2VError
from .settings import POSITIVE, SEED, Option, Range, option

INPUT, OUTPUT, RECORD, RUN = "input", "output", "record", "run"

KIND_HELP = ("text: gensim skipgram on words (--corpus, or the word column of --segments); "
             "oracle: skipgram on word-type ids of the tokens (perfect segmentation and clustering); "
             "e2e: end-to-end encoder over each token's characters (--corpus, or --segments without --units) "
             "or units (--segments --units); two-stage: frozen GRU auto-encoder vectors + trainable linear layers.")


@dataclass
class TrainOptions:
    """The options of ``spokenw2v train``, in the order ``--help`` lists them (None: the default,
    or with ``resume`` the run's own value)."""

    kind: Kind = option(MISSING, "text | oracle | e2e | two-stage", argument=True, config="kind")
    out: Path = option(MISSING, "Run directory: vectors.vec, metrics.tsv, config.json (and last.pt, best.pt for e2e "
                       "and two-stage; test_set.tsv with --reference).", "--out", "-o", kept=RUN)
    corpus: Optional[Path] = option(None, "Text corpus, one utterance per line; - for standard input.", kept=INPUT)
    segments: Optional[Path] = option(None, "Word segments TSV (utt start end word); - for standard input.",
                                      kept=INPUT)
    units: Optional[Path] = option(None, "Units NPZ (with --segments): train on the units of each word token.",
                                   kept=INPUT)
    word_units: Optional[Path] = option(None, "Word-units TSV (utt start end word units; the word-units output, "
                                        "phonemes from synthesize, or any tool's units): train on each token's "
                                        "symbols as given.", kept=INPUT)
    merge: Optional[bool] = option(None, "Merge consecutive duplicate units of a token (default: merge with --units; "
                                   "--word-units are taken as written).", "--merge/--no-merge", config="merge")
    types: Optional[TypeSource] = option(
        None, "Where the word types of a unit model come from (the types that subsampling, negative sampling and "
        "vectors.vec count by): labels = the word column, a transcript (default); clusters = the word column holds "
        "unsupervised cluster ids; sequences = every distinct unit sequence is a type and the word column is not "
        "read (it may be empty). clusters and sequences read no word label before evaluation: no --reference; "
        "score --token-vectors with label-vectors, then evaluate.", config="types")
    skip_missing: bool = option(False, "With --units: skip word segments whose utterance is missing from the units "
                                "file (or that start past the end of its audio) instead of stopping; the skipped "
                                "tokens are counted in a summary on stderr and in config.json.", kept=RUN)
    reference: Optional[Path] = option(None, "Reference text model (.vec): log metrics A and B with their controls "
                                       "after every epoch, on the test and dev halves of the test set; best.pt is "
                                       "chosen by A on dev.", kept=INPUT, resume="same")
    test_set: Optional[Path] = option(None, "Test-set TSV for the metrics (default: drawn from the training tokens "
                                      "with --test-seed).", kept=INPUT, resume="same")
    test_seed: Optional[int] = option(None, "Seed of the drawn test set (default 0; with --resume the run's own).",
                                      range=SEED, kept=RECORD, resume="same")
    epochs: Optional[int] = option(None, "Epochs (text/oracle default 30; e2e 150, where 30k words reached their "
                                   "plateau; two-stage 20; with --resume a larger value extends the run). "
                                   "text/oracle: gensim's own default of 5 leaves a 30k-word corpus far from "
                                   "converged; 30 is close (docs/commands.md).",
                                   config="epochs", text="epochs")
    scale: Optional[int] = option(None, "Model scale s: GRU width 50*s, s GRU layers, s linear layers, 100*s "
                                  "dimensions (default 1).", "--scale", "-s", config="scale")
    seed: Optional[int] = option(None, "Seed of initialisation and sampling (default 0).", config="seed", text="seed")
    device: str = option("auto", "auto | cpu | cuda (neural kinds).", kept=RUN)
    resume: bool = option(False, "Continue from OUT/last.pt with its configuration and inputs (neural kinds).",
                          kept=RUN)
    preset: Optional[Preset] = option(
        None, f"Optimisation preset of the neural kinds (default {DEFAULT_PRESET.value}): fast = lr 5e-3 (5e-4 for "
        f"s > 2) with a 100-step warm-up, subsampling 1e-3, unigram^0.75 negatives (characters at s = 1: 2048 "
        f"centre words per step, lr 1e-2, 25-step warm-up, cosine decay to 0); paper = lr 1e-3 (1e-4 for s > 2), "
        f"no warm-up, no subsampling, uniform negatives.", config="preset")
    lr: Optional[float] = option(None, "Learning rate (AdamW; default from the preset).", config="lr")
    warmup: Optional[int] = option(None, "Steps over which the learning rate rises linearly to --lr (0 = off; "
                                   "default from the preset: fast 100 (characters at s = 1: 25), paper 0).",
                                   config="warmup")
    lr_schedule: Optional[Schedule] = option(None, "The learning rate after the warm-up: constant, or a linear or "
                                             "cosine decay to 0 at the last epoch (default from the preset).",
                                             config="lr_schedule")
    window: Optional[int] = option(None, "Context words each side (default 5).", config="window", text="window")
    negatives: Optional[int] = option(None, "Negatives per centre word (neural default 50, text 5).",
                                      config="negatives", text="negatives")
    noise_power: Optional[float] = option(None, "Negatives ~ unigram^POWER (1 = uniform over the token stream).",
                                          config="noise_power")
    subsample: Optional[float] = option(None, "Frequent-word subsampling threshold t (0 = off; text default 1e-3).",
                                        config="subsample", text="sample")
    negative_sampling: Optional[NegativeSampling] = option(
        None, "pool: negatives from a pool shared by the batch (default); slot: every slot drawn independently.",
        config="negative_sampling")
    pool_size: Optional[int] = option(None, "Tokens in the shared negative pool (default: --batch-tokens).",
                                      config="pool_size")
    batch_tokens: Optional[int] = option(None, "Centre words per step (default 512; fast on characters at s = 1: "
                                         "2048).", config="batch_tokens")
    length_buckets: Optional[int] = option(None, "Padded GRU calls per encoder and step (default 4).",
                                           config="length_buckets")
    type_token_cap: Optional[int] = option(None, "Tokens averaged into a word type's vector (default 100).",
                                           config="type_token_cap")
    ae_epochs: Optional[int] = option(None, "two-stage: auto-encoder epochs (default 30).", config="ae_epochs")
    amp: Optional[bool] = option(None, "bf16 autocast on CUDA (default on).", "--amp/--no-amp", config="amp")
    dims: Optional[int] = option(None, "Vector dimensions (text/oracle default 100; neural default 100*s).",
                                 config="dim", text="dim")
    min_count: int = option(5, "text/oracle: ignore words with fewer tokens.", range=POSITIVE, text="min_count")
    workers: int = option(1, "text/oracle: gensim threads (1 = reproducible).", range=POSITIVE, text="workers")
    eval_every: int = option(1, "e2e/two-stage with --reference: the metrics after every N-th epoch and after the "
                             "last (encoding every test word's tokens costs about a sixth of an epoch on speech "
                             "units).", range=POSITIVE, kept=RUN)
    token_vectors: Optional[Path] = option(None, "Also write one vector per token (NPZ; neural kinds).", kept=OUTPUT)

    # ---------------------------------------------------------------- where the values go

    def config_values(self) -> dict:
        """The configuration fields the options give (field -> value; None: not given), enums as
        their values: what :func:`spokenw2v.config.merged_config` takes as ``explicit``."""
        return {spec.config: plain(getattr(self, f.name)) for f, spec in option_fields() if spec.config}

    def text_values(self) -> dict:
        """The :class:`~spokenw2v.baseline.TextConfig` fields the options give (None left out)."""
        values = {spec.text: getattr(self, f.name) for f, spec in option_fields() if spec.text}
        return {k: v for k, v in values.items() if v is not None}

    def paths(self, kept: str, resume: Optional[str] = None) -> dict[str, Optional[Path]]:
        """The path options kept as ``kept`` (:data:`INPUT`, :data:`OUTPUT`), name -> path;
        ``resume="same"``: only those a resumed run must be given as they were."""
        return {f.name: getattr(self, f.name) for f, spec in option_fields()
                if spec.kept == kept and resume in (None, spec.resume)}

    # ---------------------------------------------------------------- how the options fit together

    def check(self) -> None:
        """One-line :class:`SpokenW2VError` naming the options that do not fit together or the kind
        (after a resumed run's inputs are filled in, ``types`` set)."""
        neural = self.kind in NEURAL_KINDS
        if sum(x is not None for x in (self.corpus, self.segments, self.word_units)) != 1:
            raise SpokenW2VError("give exactly one of --corpus TEXT.txt, --segments SEGS.tsv and --word-units "
                                 "WORD-UNITS.tsv")
        if self.units is not None and self.segments is None:
            raise SpokenW2VError("--units needs --segments (the word boundaries)")
        if self.units is not None and not neural:
            raise SpokenW2VError(f"{self.kind.value} trains on words; --units applies to e2e and two-stage")
        if self.test_set is not None and self.reference is None:
            raise SpokenW2VError("--test-set needs --reference (the metrics it is scored with); nothing was written")
        if self.types != TypeSource.labels:
            label_free = f"--types {self.types.value}"
            if not neural:
                raise SpokenW2VError(f"{label_free} applies to e2e and two-stage ({self.kind.value} trains on the "
                                     f"word column)")
            if self.word_units is None and self.units is None:
                raise SpokenW2VError(f"{label_free} needs speech units (--word-units, or --segments with --units); "
                                     f"the characters of a word are its label")
            if self.reference is not None:
                raise SpokenW2VError(f"{label_free} trains without word labels, so there are no per-epoch metrics: "
                                     f"leave out --reference, write --token-vectors and score them after training "
                                     f"(label-vectors, then evaluate)")
        if self.skip_missing and self.units is None:
            raise SpokenW2VError("--skip-missing applies to --segments with --units (segments missing from the "
                                 "units file)")


def option_fields() -> list:
    """(field, :class:`Option`) of every field of :class:`TrainOptions`, in order."""
    return [(f, f.metadata["option"]) for f in fields(TrainOptions)]


def option_range(spec: Option) -> Optional[Range]:
    """The allowed values of an option: its own, or those of the configuration field it sets."""
    if spec.range is not None or not spec.config:
        return spec.range
    return CONFIG_FIELDS[spec.config].metadata.get("range")


def plain(value):
    """An enum member as its value (as a configuration stores it); any other value as is."""
    return value.value if isinstance(value, enum.Enum) else value


CONFIG_FIELDS = {f.name: f for f in fields(TrainConfig)}
