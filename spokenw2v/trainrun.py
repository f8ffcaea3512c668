"""One ``train`` run, from input files to a run directory.

:func:`resolve_inputs` settles which inputs a run reads (with ``resume``, the ones saved in
``OUT/last.pt``) and checks that they fit together; :func:`run_train` reads and checks every
input before anything is written, then trains the text baseline or oracle (gensim) or a
neural kind (:class:`spokenw2v.train.NeuralTrainer`) inside a locked
:class:`~spokenw2v.rundir.RunDirectory` and writes ``vectors.vec``, ``metrics.tsv``,
``config.json``, ``test_set.tsv`` and, when asked, the token vectors.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Optional, Protocol

from . import io
from .config import (DATA_INPUTS, NEURAL_KINDS, OPTIONAL_INPUTS, Kind, NegativeSampling, Preset,
                     Schedule, TypeSource, merged_config, resumed_inputs)
from .errors import SpokenW2VError
from .rundir import RunDirectory, check_run_dir, write_run_config


@dataclass
class TrainOptions:
    """The options of ``spokenw2v train`` (None: the default, or with ``resume`` the saved value)."""

    kind: Kind
    out: Path
    corpus: Optional[Path] = None
    segments: Optional[Path] = None
    units: Optional[Path] = None
    word_units: Optional[Path] = None
    merge: Optional[bool] = None
    types: Optional[TypeSource] = None
    skip_missing: bool = False
    reference: Optional[Path] = None
    test_set: Optional[Path] = None
    test_seed: Optional[int] = None
    epochs: Optional[int] = None
    scale: Optional[int] = None
    seed: Optional[int] = None
    device: str = "auto"
    resume: bool = False
    preset: Optional[Preset] = None
    lr: Optional[float] = None
    warmup: Optional[int] = None
    lr_schedule: Optional[Schedule] = None
    window: Optional[int] = None
    negatives: Optional[int] = None
    noise_power: Optional[float] = None
    subsample: Optional[float] = None
    negative_sampling: Optional[NegativeSampling] = None
    pool_size: Optional[int] = None
    batch_tokens: Optional[int] = None
    length_buckets: Optional[int] = None
    type_token_cap: Optional[int] = None
    ae_epochs: Optional[int] = None
    amp: Optional[bool] = None
    dims: Optional[int] = None
    min_count: int = 5
    workers: int = 1
    token_vectors: Optional[Path] = None
    eval_every: int = 1


class StepProgress(Protocol):
    """A progress display: entered around training, told ``on_step(epoch, step, n_steps)``."""

    def __enter__(self): ...

    def __exit__(self, *exc): ...

    def on_step(self, epoch: int, step: int, n_steps: int) -> None: ...


def resolve_inputs(opts: TrainOptions) -> tuple[TrainOptions, Optional[dict]]:
    """(options with the inputs of this run, the checkpoint of a resumed run or None).  Raises
    a one-line error when the inputs do not fit together or the kind."""
    neural = opts.kind in NEURAL_KINDS
    if not neural and (opts.resume or opts.token_vectors):
        raise SpokenW2VError(f"--resume and --token-vectors apply to e2e and two-stage, not {opts.kind.value}")
    saved = None
    if opts.resume:
        from .checkpoints import load_checkpoint  # torch: only runs that need it import it

        saved = load_checkpoint(Path(opts.out) / "last.pt")
        test_seed = _check_same_scoring(saved.get("inputs", {}), opts)
        given = {name: getattr(opts, name) for name in DATA_INPUTS + OPTIONAL_INPUTS}
        opts = replace(opts, test_seed=test_seed, **resumed_inputs(saved.get("inputs", {}), given))
        if opts.types is None:
            opts = replace(opts, types=TypeSource(saved.get("config", {}).get("types", TypeSource.labels.value)))
    elif opts.test_seed is None:
        opts = replace(opts, test_seed=0)
    if opts.types is None:
        opts = replace(opts, types=TypeSource.labels)
    if sum(x is not None for x in (opts.corpus, opts.segments, opts.word_units)) != 1:
        raise SpokenW2VError("give exactly one of --corpus TEXT.txt, --segments SEGS.tsv and --word-units "
                             "WORD-UNITS.tsv")
    if opts.units is not None and opts.segments is None:
        raise SpokenW2VError("--units needs --segments (the word boundaries)")
    if opts.units is not None and not neural:
        raise SpokenW2VError(f"{opts.kind.value} trains on words; --units applies to e2e and two-stage")
    if opts.test_set is not None and opts.reference is None:
        raise SpokenW2VError("--test-set needs --reference (the metrics it is scored with); nothing was written")
    if opts.types != TypeSource.labels:
        label_free = f"--types {opts.types.value}"
        if not neural:
            raise SpokenW2VError(f"{label_free} applies to e2e and two-stage ({opts.kind.value} trains on the "
                                 f"word column)")
        if opts.word_units is None and opts.units is None:
            raise SpokenW2VError(f"{label_free} needs speech units (--word-units, or --segments with --units); "
                                 f"the characters of a word are its label")
        if opts.reference is not None:
            raise SpokenW2VError(f"{label_free} trains without word labels, so there are no per-epoch metrics: "
                                 f"leave out --reference, write --token-vectors and score them after training "
                                 f"(label-vectors, then evaluate)")
    if opts.skip_missing and opts.units is None:
        raise SpokenW2VError("--skip-missing applies to --segments with --units (segments missing from the "
                             "units file)")
    return opts, saved


def _absolute(path: Optional[Path]) -> str:
    """An input path as a run records it (absolute; ``""`` none, ``-`` standard input)."""
    return "" if not path else io.STDIO if io.is_stdio(path) else str(Path(path).resolve())


def _check_same_scoring(saved: dict, opts: TrainOptions) -> int:
    """A resumed run is scored as it was: a ``--reference``, ``--test-set`` or ``--test-seed``
    other than the run's (``saved``: the inputs its checkpoint recorded) is a one-line error, since
    the earlier rows of ``metrics.tsv`` and the choice of ``best.pt`` were made on the run's own
    test set.  Returns the run's test-set seed."""
    out = Path(opts.out)
    for name in ("reference", "test_set"):
        given, before = getattr(opts, name), saved.get(name, "")
        if given is not None and _absolute(given) != before:
            option = "--" + name.replace("_", "-")
            was = f"scored with {option} {before}" if before else f"trained without {option}"
            raise SpokenW2VError(f"{option} {given}: the run in {out} was {was} (metrics.tsv, test_set.tsv and "
                                 f"best.pt come from it); a resumed run keeps its reference and test set: leave "
                                 f"{option} out, or train into a new --out; nothing was written")
    before = saved.get("test_seed")
    if before is None:  # a checkpoint of an earlier version: the seed is in config.json
        try:
            before = io.read_record(out / "config.json", io.RUN_CONFIG_FORMAT).get("test_seed")
        except (OSError, SpokenW2VError):
            before = None
    if opts.test_seed is not None and before is not None and opts.test_seed != before:
        raise SpokenW2VError(f"--test-seed {opts.test_seed}: the run in {out} drew its test set with --test-seed "
                             f"{before}; a resumed run keeps its test set: leave --test-seed out, or train into a "
                             f"new --out; nothing was written")
    return opts.test_seed if opts.test_seed is not None else before if before is not None else 0


def _check_same_test_set(saved: dict, digest: str, evaluator, out: Path) -> None:
    """A resumed run's reference file must hold what it held when the run began (``saved``: the
    inputs its checkpoint recorded, with the reference's sha256 since this check exists), and its
    test set, drawn again from it, must be the one in ``OUT/test_set.tsv``."""
    if saved.get("reference_sha256") and digest != saved["reference_sha256"]:
        raise SpokenW2VError(f"{saved.get('reference')}: the reference file changed since the run in {out} began "
                             f"(metrics.tsv and best.pt were scored against its earlier content); train into a new "
                             f"--out; nothing was written")
    path = out / "test_set.tsv"
    if evaluator is None or not path.is_file():
        return
    saved, now = io.read_test_set(path), evaluator.test_set
    if (saved.word1, saved.word2, saved.relation) != (now.word1, now.word2, now.relation):
        raise SpokenW2VError(f"{path}: the resumed run's reference draws another test set than the one the run "
                             f"was scored on (was the reference file changed?); train into a new --out; "
                             f"nothing was written")


def _fmt(value) -> str:
    return "-" if value == "" else f"{float(value):.3f}"


def _rate(value) -> str:
    return "-" if value == "" else f"{float(value):,.0f}"


def run_train(opts: TrainOptions, saved: Optional[dict], dist, log: Callable[[str], None],
              progress: Optional[StepProgress] = None) -> None:
    """Run ``train`` with the options of :func:`resolve_inputs`; ``dist`` is the
    :class:`~spokenw2v.distributed.Distributed` setting (rank 0 writes), ``log`` receives the
    messages and ``progress`` the steps (rank 0)."""
    from .baseline import TextConfig, train_oracle, train_text
    from .monitor import Evaluator, write_metrics

    out, kind = Path(opts.out), opts.kind
    corpus, segments, units, word_units = opts.corpus, opts.segments, opts.units, opts.word_units
    reference, test_set = opts.reference, opts.test_set
    check_run_dir(out)

    # ---- tokens (every input is read and checked before anything is written)
    seg = wu = None
    label_free = opts.types == TypeSource.sequences  # the word column is not read at all
    if corpus is not None:
        sentences = io.read_corpus(corpus)
    elif word_units is not None:
        wu = io.read_word_units(word_units, ignore_words=label_free)
        seg = wu.seg
    else:
        seg = io.read_segments(segments, require_words=not label_free, ignore_words=label_free)
    if seg is not None:
        sentences = [] if label_free else io.segment_sentences(seg)
        log(f"{len(seg)} word tokens in {len(seg.utterances())} utterances")
    else:
        log(f"{sum(len(s) for s in sentences)} word tokens in {len(sentences)} utterances")
    if opts.types != TypeSource.labels:
        log(f"word types: {opts.types.value} (no word label is read before evaluation)")

    evaluator = None
    if reference is not None and dist.main:  # metrics are rank 0's job under torchrun
        ref = io.read_vectors(reference)
        ts = io.read_test_set(test_set) if test_set is not None else None
        source = test_set if test_set is not None else corpus or segments or word_units
        try:
            evaluator = Evaluator.build(ref, sentences, seed=opts.test_seed, test_set=ts)
            evaluator(ref)  # at least one test pair must have both words in the reference
        except SpokenW2VError as exc:
            raise SpokenW2VError(f"{source} and {reference}: {exc}") from None
        log(f"metrics on {len(evaluator.test_set)} test pairs against {reference} (test split reported, "
            f"best.pt chosen on the dev split)")

    def write_test_set() -> None:
        if evaluator is not None:
            io.write_test_set(out / "test_set.tsv", evaluator.test_set)  # for `evaluate --test-set`

    inputs = {"corpus": _absolute(corpus), "segments": _absolute(segments), "units": _absolute(units),
              "word_units": _absolute(word_units),
              "reference": _absolute(reference), "test_set": _absolute(test_set)}

    def on_epoch(row: dict) -> None:
        log(f"epoch {row['epoch']}: loss {_fmt(row['loss'])}, {_rate(row['examples_per_s'])} words/s, "
            f"A {_fmt(row['A'])} (dev {_fmt(row['dev_A'])}), A_partial {_fmt(row['A_partial'])}, "
            f"B {_fmt(row['B'])}")

    if kind not in NEURAL_KINDS:
        given = {"dim": opts.dims, "window": opts.window, "negatives": opts.negatives, "epochs": opts.epochs,
                 "sample": opts.subsample, "seed": opts.seed}  # None: not given, the default
        tcfg = TextConfig(min_count=opts.min_count, workers=opts.workers,
                          **{k: v for k, v in given.items() if v is not None})
        _check_min_count(sentences, opts.min_count, corpus or segments)
        with RunDirectory(out, resume=False, keep_after=None):
            write_test_set()
            write_run_config(out, kind.value, asdict(tcfg), inputs, opts.test_seed)
            trainer = train_text if kind == Kind.text else train_oracle
            vectors, rows = trainer(sentences, tcfg, evaluator, on_epoch)
            write_metrics(out / "metrics.tsv", rows)
            io.write_vectors(out / "vectors.vec", vectors)
        log(f"wrote {len(vectors)} word vectors to {out / 'vectors.vec'}")
        return

    # ---- neural kinds
    import torch

    from .data import training_stream
    from .devices import resolve_device
    from .train import Hooks, NeuralTrainer, check_resumable, check_step_size, token_vectors

    merge = opts.merge
    u = None
    if wu is not None:
        merge = bool(merge)  # taken as written unless --merge
    elif units is not None:
        u = io.read_units(units)
    ts_ = training_stream(sentences, seg, wu, u, merge=merge, skip_missing=opts.skip_missing,
                          source=str(corpus or segments or word_units), units_source=str(units),
                          label_free=label_free)
    stream, skipped = ts_.stream, ts_.skipped
    if ts_.summary:
        log(ts_.summary)

    explicit = {"scale": opts.scale, "preset": opts.preset.value if opts.preset else None, "lr": opts.lr,
                "window": opts.window, "negatives": opts.negatives, "noise_power": opts.noise_power,
                "subsample": opts.subsample,
                "negative_sampling": opts.negative_sampling.value if opts.negative_sampling else None,
                "pool_size": opts.pool_size, "batch_tokens": opts.batch_tokens,
                "length_buckets": opts.length_buckets, "type_token_cap": opts.type_token_cap,
                "ae_epochs": opts.ae_epochs, "amp": opts.amp, "dim": opts.dims, "warmup": opts.warmup,
                "lr_schedule": opts.lr_schedule.value if opts.lr_schedule else None,
                "epochs": opts.epochs, "seed": opts.seed, "merge": merge, "types": opts.types.value}
    base = dict(kind=kind.value, symbols=stream.symbols, vocab_size=stream.vocab_size)
    cfg = merged_config(base, explicit, saved["config"] if saved is not None else None, str(out / "last.pt"))

    dev = resolve_device(opts.device)
    if dist.enabled and dev.type == "cuda":
        dev = torch.device("cuda", dist.local_rank)
        torch.cuda.set_device(dev)
    check_step_size(cfg.resolved(), len(stream))  # memory bounded before anything is written
    if saved is not None:  # every check of a resumed run passes before config.json is rewritten
        check_resumable(saved, cfg, stream.fingerprint(), out / "last.pt")
    ref_digest = io.file_sha256(reference) if dist.main else ""  # the reference is rank 0's input
    if saved is not None and dist.main:
        _check_same_test_set(saved.get("inputs", {}), ref_digest, evaluator, out)
    run_dir = RunDirectory(out, resume=opts.resume, keep_after="last.pt") if dist.main else contextlib.nullcontext()
    with run_dir:
        if dist.main:
            write_test_set()
            write_run_config(out, kind.value, cfg.resolved().to_dict(), inputs, opts.test_seed,
                             {"device": str(dev), "world_size": dist.world, "tokens": len(stream),
                              "distinct_sequences": stream.n_sequences, "data": stream.fingerprint(),
                              **({"skipped": skipped} if skipped else {})})
        log(f"training {kind.value} (s={cfg.scale}, preset {cfg.preset}) on {dev}" +
            (f", {dist.world} processes" if dist.enabled else ""))

        progress = progress if dist.main else None
        hooks = Hooks(on_step=progress.on_step if progress is not None else None, on_epoch=on_epoch,
                      on_message=log)
        trainer = NeuralTrainer(stream, cfg, dev, out, evaluator=evaluator, resume=opts.resume, dist=dist,
                                hooks=hooks, inputs={**inputs, "token_vectors": _absolute(opts.token_vectors),
                                                            "test_seed": opts.test_seed,
                                                            "reference_sha256": ref_digest},
                                eval_every=opts.eval_every)
        try:
            with progress if progress is not None else contextlib.nullcontext():
                result = trainer.run()
        finally:
            dist.close()
        if dist.main:
            tv = token_vectors(trainer, seg, ts_.rows) if opts.token_vectors is not None else None
            with io.all_or_nothing([out / "vectors.vec", opts.token_vectors]):  # both or neither
                io.write_vectors(out / "vectors.vec", result.vectors)
                if tv is not None:
                    io.write_token_vectors(opts.token_vectors, tv)
            log(f"wrote {len(result.vectors)} word-type vectors to {out / 'vectors.vec'} (best epoch "
                f"{result.best_epoch} in best.pt)")
            if tv is not None:
                log(f"wrote {len(tv.vectors)} token vectors to {opts.token_vectors}")
            if skipped:
                log(f"skipped {skipped['tokens']} of {skipped['of']} word tokens (--skip-missing): "
                    f"{skipped['missing_tokens']} in {skipped['missing_utterances']} utterances missing from {units}"
                    + (f" (first: {', '.join(skipped['first_missing'])})" if skipped["first_missing"] else "")
                    + f", {skipped['past_end_tokens']} starting past the end of their audio")


def _check_min_count(sentences, min_count: int, source: Path) -> None:
    """text/oracle: at least one word must occur ``min_count`` times (else gensim has no vocabulary)."""
    counts = Counter(w for s in sentences for w in s)
    if max(counts.values()) < min_count:
        word, n = counts.most_common(1)[0]
        raise SpokenW2VError(f"{source}: no word occurs --min-count {min_count} times (the most frequent, "
                             f"{word!r}, occurs {n} times); lower --min-count or use a larger corpus")
