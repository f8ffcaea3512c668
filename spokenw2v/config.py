"""Training configuration: the model kinds, presets and every hyperparameter (no torch here,
so the command line starts quickly).  :mod:`spokenw2v.models` builds the networks from it."""

from __future__ import annotations

import enum
import math
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import NamedTuple, Optional, Sequence

from .errors import SpokenW2VError
from .settings import AT_LEAST_ZERO, FINITE, LEARNING_RATE, NON_NEGATIVE, POSITIVE, SEED, check_range, checked

# --------------------------------------------------------------------------- choices


class Kind(str, enum.Enum):
    """What ``spokenw2v train`` trains."""

    text = "text"  # gensim skipgram on words
    oracle = "oracle"  # gensim skipgram on word-type ids of segments (perfect segmentation + clustering)
    e2e = "e2e"  # end-to-end sequence encoder trained with SGNS
    two_stage = "two-stage"  # frozen auto-encoder vectors + trainable linear layers


NEURAL_KINDS = (Kind.e2e, Kind.two_stage)


class Preset(str, enum.Enum):
    """Named optimisation settings of the neural kinds (see :data:`PRESETS`)."""

    fast = "fast"
    paper = "paper"


class NegativeSampling(str, enum.Enum):
    """How negatives are drawn for a batch.

    ``pool``: the batch draws one shared pool of ``pool_size`` tokens from the noise
    distribution and every centre word samples its ``negatives`` from that pool (uniformly,
    with replacement), so each pool token is encoded once per step.  ``slot``: every
    negative slot draws its own token from the noise distribution (the reference design).
    """

    pool = "pool"
    slot = "slot"


class Schedule(str, enum.Enum):
    """The learning rate after the warm-up, as the run progresses (``progress`` from 0 at the
    first step to 1 after the last epoch): ``constant``; ``linear`` decay to 0 (word2vec's own
    schedule); ``cosine`` decay to 0."""

    constant = "constant"
    linear = "linear"
    cosine = "cosine"


class TypeSource(str, enum.Enum):
    """Where the word types of a unit run come from: the types that frequent-word subsampling,
    negative sampling and the vocabulary (``vectors.vec``) count by.

    ``labels``: the word column, a transcript's words (metrics against ``--reference`` possible);
    ``clusters``: the word column, read as unsupervised cluster ids (a discovery stage's or a
    clustering's output; no metrics during training: the ids are not the reference's words);
    ``sequences``: every distinct unit sequence is a type, and the word column is not read at all
    (it may be empty).  Only ``labels`` reads a transcript before evaluation.
    """

    labels = "labels"
    clusters = "clusters"
    sequences = "sequences"


class Activation(str, enum.Enum):
    none = "none"
    relu = "relu"
    tanh = "tanh"


# --------------------------------------------------------------------------- configuration


class Steps(NamedTuple):
    """How a preset steps: centre words per step, learning rate, warm-up steps, schedule."""

    batch_tokens: int
    lr: float
    warmup: int
    schedule: Schedule


@dataclass(frozen=True)
class PresetValues:
    lr: float  # AdamW learning rate for s <= 2
    lr_large: float  # AdamW learning rate for s > 2
    noise_power: float  # negatives ~ unigram ** noise_power (1.0 = uniform over the token stream)
    subsample: float  # frequent-word subsampling threshold t (0 = off)
    warmup: int  # steps over which the learning rate rises linearly from lr/warmup to lr (0 = off)
    schedule: Schedule = Schedule.constant  # the learning rate after the warm-up
    batch_tokens: int = 512  # centre words per step
    #: characters at s = 1, in place of (batch_tokens, lr, warmup, schedule); None = the same as
    #: speech units
    chars_steps: Steps | None = None


#: ``paper``: the published settings (lr 1e-3, 1e-4 for s > 2; negatives drawn uniformly from
#: the token stream; no subsampling; no warm-up).  ``fast``: lr 5e-3 (5e-4 for s > 2),
#: word2vec's frequent-word subsampling with t = 1e-3, unigram^0.75 negatives and a linear
#: learning-rate warm-up over the first 100 steps; it learns semantic structure in a CPU-sized
#: run much faster than ``paper`` (measured in bench/RESULTS.md).  On characters at s = 1
#: ``fast`` takes steps of 2048 centre words at lr 1e-2 after a 25-step warm-up: a character
#: sequence is a few symbols, so a step's cost is mostly its fixed per-time-step work, and 4
#: times larger steps reached the same quality 2.1-2.8 times sooner in CPU time (3 seeds on
#: Genesis, 1 on held-out Matthew; bench/RESULTS.md, "Time to meaning").  On speech units larger
#: steps learned less per epoch and saved little per epoch (the sequences are 3.7 times longer),
#: so units keep 512.  On characters at s = 1 the rate decays to 0 by a cosine over the run: at a
#: constant 1e-2 the model stalled on 100 000 words of Debian's fortunes (test A_partial 0.13-0.22
#: from epoch 100 to 224), where the cosine reached 0.2 in 441 CPU s and went on rising, and on
#: the embedded text it changed nothing before the plateau (bench/RESULTS.md, "Presets and
#: default epochs on two genres").  The warm-up matters at s = 2, the largest scale that gets the
#: high rate: Adam's first steps move every weight by about ``lr`` whatever the gradient's size (so
#: clipping the gradient norm does not limit them), and through two GRU layers and two linear
#: layers such steps at 5e-3 blew single-step losses up to ~300 (from the starting 41.6) in the
#: first epoch.
PRESETS: dict[Preset, PresetValues] = {
    Preset.paper: PresetValues(lr=1e-3, lr_large=1e-4, noise_power=1.0, subsample=0.0, warmup=0),
    Preset.fast: PresetValues(lr=5e-3, lr_large=5e-4, noise_power=0.75, subsample=1e-3, warmup=100,
                              chars_steps=Steps(2048, 1e-2, 25, Schedule.cosine)),
}

DEFAULT_PRESET = Preset.fast

#: Default epochs of ``text``/``oracle``.  gensim's own default (5) is meant for large corpora: on
#: 30 000 words of Genesis a 5-epoch model has metric A = 0.25 against a 100-epoch one, 10 epochs
#: 0.53, 20 epochs 0.80, 30 epochs 0.90, 50 epochs 0.96 (bench/RESULTS.md); 30 epochs take about
#: a second there, and a corpus 30 times larger about half a minute per worker.
TEXT_EPOCHS = 30

#: Default epochs of ``e2e`` when ``--epochs`` is not given, by symbols and scale s (larger s as the
#: largest listed): at s = 1 the ``fast`` preset's test A_partial had reached its plateau by
#: 100-120 epochs on 30 000 words of both the embedded text and Debian's fortunes, characters and
#: one-voice units alike (bench/RESULTS.md, "Presets and default epochs on two genres"); s = 2
#: takes the same, not shown to be its plateau (on 100 000 words it was still rising at 150).
#: Larger corpora need more: on 100 000 words of the embedded text s = 1 levels off at about 250.
#: ``two-stage`` keeps :data:`NEURAL_EPOCHS`: its epochs are the second stage's, not measured to a
#: plateau here.
E2E_EPOCHS: dict[tuple[str, int], int] = {("chars", 1): 150, ("chars", 2): 150, ("units", 1): 150}

#: Default epochs of ``two-stage`` (its second stage) and of any kind not in :data:`E2E_EPOCHS`.
NEURAL_EPOCHS = 20


def default_epochs(kind: str, symbols: str, scale: int) -> int:
    """The epochs a neural run trains when ``--epochs`` is not given."""
    if kind != Kind.e2e.value:
        return NEURAL_EPOCHS
    known = [s for sym, s in E2E_EPOCHS if sym == symbols]
    if not known:
        return NEURAL_EPOCHS
    return E2E_EPOCHS[(symbols, min(scale, max(known)))]


@dataclass
class TrainConfig:
    """Every setting of a neural run.  ``None`` fields are derived in :meth:`resolved`, which
    checks every field declared with a range (:func:`~spokenw2v.settings.checked`).

    Sizes: ``embed_dim`` symbol embedding; ``hidden`` GRU width per direction (``50*s``);
    ``gru_layers`` (``s``); ``linear_layers`` (``s``); ``dim`` output dimensions (``100*s``).
    """

    kind: str = Kind.e2e.value
    scale: int = checked(1, POSITIVE, "--scale")
    preset: str = DEFAULT_PRESET.value
    symbols: str = "chars"  # "chars" (text) or "units" (speech)
    vocab_size: int = 0  # number of distinct symbols (characters, or the codebook size k)
    merge: bool = True  # consecutive duplicate units merged (speech)
    types: str = TypeSource.labels.value  # where the word types come from (a TypeSource)
    embed_dim: int = checked(50, POSITIVE)
    hidden: int | None = checked(None, POSITIVE)
    gru_layers: int | None = checked(None, POSITIVE)
    linear_layers: int | None = None
    dim: int | None = checked(None, POSITIVE, "--dims")
    activation: str = Activation.none.value  # between the linear layers
    window: int = checked(5, POSITIVE, "--window")  # context words on each side, within an utterance
    negatives: int = checked(50, POSITIVE, "--negatives")  # per centre word
    negative_sampling: str = NegativeSampling.pool.value
    #: tokens in the shared negative pool of a batch (default batch_tokens)
    pool_size: int | None = checked(None, POSITIVE, "--pool-size")
    noise_power: float | None = checked(None, FINITE, "--noise-power")  # from the preset when None
    subsample: float | None = checked(None, AT_LEAST_ZERO, "--subsample")  # from the preset when None
    lr: float | None = checked(None, LEARNING_RATE, "--lr")  # from the preset (and s) when None
    #: linear learning-rate warm-up steps (from the preset when None; 0 = off)
    warmup: int | None = checked(None, NON_NEGATIVE, "--warmup")
    lr_schedule: str | None = None  # a Schedule (from the preset when None)
    weight_decay: float = 0.01
    grad_clip: float = 5.0  # clip the gradient norm of a step (0 = off); steady-state norms are ~3
    #: centre words per step (a contiguous span of the token stream; from the preset)
    batch_tokens: int | None = checked(None, POSITIVE, "--batch-tokens")
    #: padded GRU calls per encoder per step (sequences sorted by length); only the speed
    #: depends on it (padding never changes a result), so a resumed run may change it
    length_buckets: int = checked(4, POSITIVE, "--length-buckets", resumable=True)
    #: a resumed run may extend it; from :func:`default_epochs` when None
    epochs: int | None = checked(None, NON_NEGATIVE, "--epochs", resumable=True)
    seed: int = checked(0, SEED, "--seed")
    amp: bool = True  # bf16 autocast, CUDA only
    #: tokens averaged into a word type's vector (seeded choice)
    type_token_cap: int = checked(100, POSITIVE, "--type-token-cap")
    ae_epochs: int = checked(30, NON_NEGATIVE, "--ae-epochs")  # two-stage, stage 1
    ae_lr: float = 3e-3
    ae_batch: int = checked(256, POSITIVE)

    def resolved(self) -> "TrainConfig":
        """A copy with every derived field filled in, checked."""
        s = self.scale
        try:
            preset = PRESETS[Preset(self.preset)]
            Kind(self.kind)
            NegativeSampling(self.negative_sampling)
            Activation(self.activation)
            TypeSource(self.types)
            if self.lr_schedule is not None:
                Schedule(self.lr_schedule)
        except ValueError as exc:
            raise SpokenW2VError(str(exc)) from None
        values = asdict(self)
        steps = (preset.chars_steps if self.symbols == "chars" and s == 1 and preset.chars_steps else
                 Steps(preset.batch_tokens, preset.lr if s <= 2 else preset.lr_large, preset.warmup, preset.schedule))
        batch = steps.batch_tokens if self.batch_tokens is None else self.batch_tokens
        values.update(
            batch_tokens=batch,
            hidden=50 * s if self.hidden is None else self.hidden,
            gru_layers=s if self.gru_layers is None else self.gru_layers,
            linear_layers=self.linear_layers if self.linear_layers is not None else s,
            dim=100 * s if self.dim is None else self.dim,
            noise_power=preset.noise_power if self.noise_power is None else self.noise_power,
            subsample=preset.subsample if self.subsample is None else self.subsample,
            lr=steps.lr if self.lr is None else self.lr,
            pool_size=batch if self.pool_size is None else self.pool_size,
            warmup=steps.warmup if self.warmup is None else self.warmup,
            epochs=default_epochs(self.kind, self.symbols, s) if self.epochs is None else self.epochs,
            lr_schedule=steps.schedule.value if self.lr_schedule is None else self.lr_schedule,
        )
        cfg = TrainConfig(**values)
        for f in fields(cfg):  # in order: --scale before the sizes derived from it
            if "range" in f.metadata:
                check_range(f.metadata["option"] or f.name, getattr(cfg, f.name), f.metadata["range"])
        return cfg

    def to_dict(self) -> dict:
        return asdict(self)

    def lr_at(self, step: int, progress: float = 0.0) -> float:
        """Learning rate of global step ``step`` (0-based; resolved configuration), ``progress``
        the fraction of the run done before it (epochs done plus the fraction of this epoch's
        steps, over ``epochs``): the :class:`Schedule` of ``lr_schedule``, times a linear rise
        over the first ``warmup`` steps."""
        schedule = Schedule(self.lr_schedule or Schedule.constant.value)
        progress = min(max(progress, 0.0), 1.0)
        if schedule == Schedule.linear:
            lr = self.lr * (1.0 - progress)
        elif schedule == Schedule.cosine:
            lr = self.lr * 0.5 * (1.0 + math.cos(math.pi * progress))
        else:
            lr = self.lr
        if self.warmup and step < self.warmup:
            return lr * (step + 1) / self.warmup
        return lr

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in values.items() if k in names}
        if values.get("lr") is not None and "warmup" not in values:
            values["warmup"] = 0  # a resolved configuration saved before the warm-up existed
        if values.get("lr") is not None and "lr_schedule" not in values:
            values["lr_schedule"] = Schedule.constant.value  # saved before schedules existed
        return cls(**values)


#: Fields that may differ between a checkpoint and a resumed run (declared ``resumable``):
#: ``--epochs`` extends it, and the number of length buckets changes only the speed.
RESUMABLE_FIELDS = tuple(f.name for f in fields(TrainConfig) if f.metadata.get("resumable"))


def describe_differences(saved: TrainConfig, wanted: TrainConfig,
                         ignore: Sequence[str] = RESUMABLE_FIELDS) -> list[str]:
    """Human-readable ``name SAVED (checkpoint) vs WANTED`` for every differing field."""
    a, b = saved.to_dict(), wanted.to_dict()
    return [f"{k} {a[k]!r} (checkpoint) vs {b[k]!r}" for k in a if k not in ignore and a[k] != b.get(k)]


#: Most token slots one training step may hold (centres x (context + negatives) + the negative
#: pool): about 0.5 GB of int64 ids before the encodings; beyond it a setting is a typo.
MAX_STEP_SLOTS = 2**26


def check_step_size(cfg: TrainConfig, n_tokens: int) -> None:
    """A one-line :class:`SpokenW2VError` when one step of ``cfg`` (resolved) on a stream of
    ``n_tokens`` tokens would hold more than :data:`MAX_STEP_SLOTS` token slots, so that memory
    is bounded before anything is allocated or written.  A step's centres are at most the
    stream; the negative pool is drawn whole whatever the stream's size."""
    centres = min(cfg.batch_tokens, n_tokens)
    pool = cfg.pool_size if cfg.negative_sampling == NegativeSampling.pool.value else 0
    slots = centres * (2 * cfg.window + cfg.negatives) + pool
    if slots > MAX_STEP_SLOTS:
        raise SpokenW2VError(f"--batch-tokens {cfg.batch_tokens}, --window {cfg.window}, --negatives {cfg.negatives} "
                             f"and --pool-size {cfg.pool_size} ask for {slots:,} token slots per step on "
                             f"{n_tokens:,} tokens, more than {MAX_STEP_SLOTS:,}; lower them; nothing was written")


def check_resumable(ck: dict, cfg: TrainConfig, fingerprint: str, path: str | os.PathLike) -> None:
    """A one-line :class:`SpokenW2VError` unless the checkpoint ``ck`` (loaded from ``path``) can be
    continued with the resolved configuration ``cfg`` on the token stream whose fingerprint is
    ``fingerprint``: the same configuration apart from ``epochs`` (and the speed-only fields),
    the same data, and no fewer epochs than it has already trained.  Called before anything of
    the resumed run is written."""
    saved = TrainConfig.from_dict(ck["config"])
    diffs = describe_differences(saved, cfg.resolved())
    if diffs:
        raise SpokenW2VError(f"{path}: checkpoint of another configuration ({'; '.join(diffs)}); "
                             f"use a new --out or the checkpoint's options; nothing was written")
    if ck["data"] != fingerprint:
        raise SpokenW2VError(f"{path}: checkpoint was trained on other data (token stream differs); "
                             f"nothing was written")
    done = int(ck["epoch"])
    if cfg.epochs < done:
        raise SpokenW2VError(f"--epochs {cfg.epochs}: {path} has already trained {done} epochs; give --epochs "
                             f">= {done} to continue the run (or a new --out); nothing was written")


# --------------------------------------------------------------------------- resuming a run

#: The training data of a run (``--corpus``, ``--segments`` with ``--units``, or ``--word-units``):
#: a resumed run takes them from its checkpoint as a group, and only when none is given.
DATA_INPUTS = ("corpus", "segments", "units", "word_units")

#: Paths a resumed run takes from its checkpoint one by one, each where it is not given: the
#: metrics' reference and test set, and the token-vectors output.
OPTIONAL_INPUTS = ("reference", "test_set", "token_vectors")


def resumed_inputs(saved: dict, given: dict[str, Optional[Path]]) -> dict[str, Optional[Path]]:
    """The paths of a resumed run: ``given`` (input name -> path, ``None`` = not given; names as
    in :data:`DATA_INPUTS` and :data:`OPTIONAL_INPUTS`) completed from ``saved``, the
    ``inputs`` a checkpoint recorded (name -> path string, ``""`` = none)."""
    paths = dict(given)
    if all(paths.get(name) is None for name in ("corpus", "segments", "word_units")):
        for name in DATA_INPUTS:
            paths[name] = Path(saved[name]) if saved.get(name) else None
    for name in OPTIONAL_INPUTS:
        if paths.get(name) is None and saved.get(name):
            paths[name] = Path(saved[name])
    return paths


def merged_config(base: dict, explicit: dict, saved: Optional[dict] = None, source: str = "") -> TrainConfig:
    """The configuration of a neural run.

    ``base``: the fields the data decides (``kind``, ``symbols``, ``vocab_size``); ``explicit``:
    the options given (field -> value, ``None`` = not given).  A fresh run (``saved`` None) is the
    defaults overridden by both, resolved.  A resumed run starts from ``saved``, the configuration
    of the checkpoint ``source``, takes every explicit option as it resolves (the trainer checks
    that they agree with the checkpoint, apart from :data:`RESUMABLE_FIELDS`) and ``base``; it is
    left unresolved, as saved.
    """
    explicit = {k: v for k, v in explicit.items() if v is not None}
    if saved is None:
        return TrainConfig(**base, **explicit).resolved()
    cfg = TrainConfig.from_dict(saved)
    if cfg.kind != base["kind"]:
        raise SpokenW2VError(f"{source}: checkpoint of another configuration (kind {cfg.kind}, "
                             f"not {base['kind']})")
    # explicit options must agree with the checkpoint (compared after resolving)
    wanted = TrainConfig.from_dict({**TrainConfig().to_dict(), **base, **explicit}).resolved()
    values = cfg.to_dict()
    for key in explicit:
        values[key] = getattr(wanted, key)
    values.update(base)
    return TrainConfig.from_dict(values)
