"""One ``train`` run, from input files to a run directory.

:func:`resolve_inputs` settles which inputs a run reads (with ``resume``, the ones saved in
``OUT/last.pt``) and checks that they fit together (:meth:`TrainOptions.check`); :func:`run_train`
reads and checks every input before anything is written, then :func:`run_text` trains the text
baseline or oracle (gensim) and :func:`run_neural` a neural kind (:class:`spokenw2v.train.NeuralTrainer`),
inside a locked :class:`~spokenw2v.rundir.RunDirectory`; they write ``vectors.vec``, ``metrics.tsv``,
``config.json``, ``test_set.tsv`` and, when asked, the token vectors.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Optional, Protocol

from . import io
from .config import NEURAL_KINDS, Kind, TypeSource, check_resumable, check_step_size, merged_config, resumed_inputs
from .errors import SpokenW2VError
from .numbers import fixed
from .rundir import RunDirectory, check_run_dir, write_run_config
from .trainoptions import INPUT, OUTPUT, TrainOptions


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
        given = {**opts.paths(INPUT), **opts.paths(OUTPUT)}
        opts = replace(opts, test_seed=test_seed, **resumed_inputs(saved.get("inputs", {}), given))
        if opts.types is None:
            opts = replace(opts, types=TypeSource(saved.get("config", {}).get("types", TypeSource.labels.value)))
    elif opts.test_seed is None:
        opts = replace(opts, test_seed=0)
    if opts.types is None:
        opts = replace(opts, types=TypeSource.labels)
    opts.check()
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
    for name in opts.paths(INPUT, resume="same"):  # --reference, --test-set
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


@dataclass
class Tokens:
    """The training tokens as read: ``sentences`` (word lists; empty with label-free types), and
    ``seg`` (word segments) or ``wu`` (word-units rows) when they came from such a file."""

    sentences: list
    seg: Optional[io.Segments] = None
    wu: Optional[io.WordUnits] = None


def run_train(opts: TrainOptions, saved: Optional[dict], dist, log: Callable[[str], None],
              progress: Optional[StepProgress] = None) -> None:
    """Run ``train`` with the options of :func:`resolve_inputs`; ``dist`` is the
    :class:`~spokenw2v.distributed.Distributed` setting (rank 0 writes), ``log`` receives the
    messages and ``progress`` the steps (rank 0).  Every input is read and checked before
    anything is written."""
    check_run_dir(Path(opts.out))
    tokens = read_tokens(opts, log)
    evaluator = build_evaluator(opts, tokens.sentences, log) if opts.reference is not None and dist.main else None
    if opts.kind in NEURAL_KINDS:
        run_neural(opts, saved, tokens, evaluator, dist, log, progress)
    else:
        run_text(opts, tokens.sentences, evaluator, log)


def read_tokens(opts: TrainOptions, log: Callable[[str], None]) -> Tokens:
    """The tokens of ``--corpus``, ``--word-units`` or ``--segments`` (with label-free types the
    word column is not read)."""
    label_free = opts.types == TypeSource.sequences
    if opts.corpus is not None:
        tokens = Tokens(io.read_corpus(opts.corpus))
        log(f"{sum(len(s) for s in tokens.sentences)} word tokens in {len(tokens.sentences)} utterances")
    else:
        wu = io.read_word_units(opts.word_units, ignore_words=label_free) if opts.word_units is not None else None
        seg = wu.seg if wu is not None else io.read_segments(opts.segments, require_words=not label_free,
                                                              ignore_words=label_free)
        tokens = Tokens([] if label_free else io.segment_sentences(seg), seg, wu)
        log(f"{len(seg)} word tokens in {len(seg.utterances())} utterances")
    if opts.types != TypeSource.labels:
        log(f"word types: {opts.types.value} (no word label is read before evaluation)")
    return tokens


def build_evaluator(opts: TrainOptions, sentences: list, log: Callable[[str], None]):
    """The per-epoch metrics against ``--reference`` (:class:`~spokenw2v.monitor.Evaluator`)."""
    from .monitor import Evaluator

    ref = io.read_vectors(opts.reference)
    ts = io.read_test_set(opts.test_set) if opts.test_set is not None else None
    source = opts.test_set if opts.test_set is not None else opts.corpus or opts.segments or opts.word_units
    try:
        evaluator = Evaluator.build(ref, sentences, seed=opts.test_seed, test_set=ts)
        evaluator(ref)  # at least one test pair must have both words in the reference
    except SpokenW2VError as exc:
        raise SpokenW2VError(f"{source} and {opts.reference}: {exc}") from None
    log(f"metrics on {len(evaluator.test_set)} test pairs against {opts.reference} (test split reported, "
        f"best.pt chosen on the dev split)")
    return evaluator


def recorded_inputs(opts: TrainOptions) -> dict[str, str]:
    """The input paths a run records (``config.json`` ``inputs``), absolute."""
    return {name: _absolute(path) for name, path in opts.paths(INPUT).items()}


def epoch_line(row: dict) -> str:
    """The log line of one row of ``metrics.tsv`` (``-`` where a value does not exist)."""
    return (f"epoch {row['epoch']}: loss {fixed(row['loss'])}, {fixed(row['examples_per_s'], 0, thousands=True)} "
            f"words/s, A {fixed(row['A'])} (dev {fixed(row['dev_A'])}), A_partial {fixed(row['A_partial'])}, "
            f"B {fixed(row['B'])}")


def write_test_set(out: Path, evaluator) -> None:
    if evaluator is not None:
        io.write_test_set(out / "test_set.tsv", evaluator.test_set)  # for `evaluate --test-set`


def run_text(opts: TrainOptions, sentences: list, evaluator, log: Callable[[str], None]) -> None:
    """text / oracle: gensim skipgram on the words, or on their word-type ids."""
    from .baseline import TextConfig, train_oracle, train_text
    from .monitor import write_metrics

    out = Path(opts.out)
    tcfg = TextConfig(**opts.text_values())
    _check_min_count(sentences, opts.min_count, opts.corpus or opts.segments)
    with RunDirectory(out, resume=False, keep_after=None):
        write_test_set(out, evaluator)
        write_run_config(out, opts.kind.value, asdict(tcfg), recorded_inputs(opts), opts.test_seed)
        trainer = train_text if opts.kind == Kind.text else train_oracle
        vectors, rows = trainer(sentences, tcfg, evaluator, lambda row: log(epoch_line(row)))
        write_metrics(out / "metrics.tsv", rows)
        io.write_vectors(out / "vectors.vec", vectors)
    log(f"wrote {len(vectors)} word vectors to {out / 'vectors.vec'}")


def run_neural(opts: TrainOptions, saved: Optional[dict], tokens: Tokens, evaluator, dist,
               log: Callable[[str], None], progress: Optional[StepProgress]) -> None:
    """e2e / two-stage: the token stream, its configuration (a resumed run's checked against its
    checkpoint), then :class:`~spokenw2v.train.NeuralTrainer` in a locked run directory."""
    from .data import training_stream

    out = Path(opts.out)
    merge = bool(opts.merge) if tokens.wu is not None else opts.merge  # word units: taken as written unless --merge
    units = io.read_units(opts.units) if tokens.wu is None and opts.units is not None else None
    ts = training_stream(tokens.sentences, tokens.seg, tokens.wu, units, merge=merge, skip_missing=opts.skip_missing,
                         source=str(opts.corpus or opts.segments or opts.word_units), units_source=str(opts.units),
                         label_free=opts.types == TypeSource.sequences)
    if ts.summary:
        log(ts.summary)
    explicit = replace(opts, merge=merge).config_values()
    base = dict(kind=explicit.pop("kind"), symbols=ts.stream.symbols, vocab_size=ts.stream.vocab_size)
    cfg = merged_config(base, explicit, saved["config"] if saved is not None else None, str(out / "last.pt"))
    dev = run_device(opts.device, dist)
    check_step_size(cfg.resolved(), len(ts.stream))  # memory bounded before anything is written
    if saved is not None:  # every check of a resumed run passes before config.json is rewritten
        check_resumable(saved, cfg, ts.stream.fingerprint(), out / "last.pt")
    ref_digest = io.file_sha256(opts.reference) if dist.main else ""  # the reference is rank 0's input
    if saved is not None and dist.main:
        _check_same_test_set(saved.get("inputs", {}), ref_digest, evaluator, out)
    run_dir = RunDirectory(out, resume=opts.resume, keep_after="last.pt") if dist.main else contextlib.nullcontext()
    with run_dir:
        if dist.main:
            write_test_set(out, evaluator)
            write_run_config(out, opts.kind.value, cfg.resolved().to_dict(), recorded_inputs(opts), opts.test_seed,
                             {"device": str(dev), "world_size": dist.world, "tokens": len(ts.stream),
                              "distinct_sequences": ts.stream.n_sequences, "data": ts.stream.fingerprint(),
                              **({"skipped": ts.skipped} if ts.skipped else {})})
        log(f"training {opts.kind.value} (s={cfg.scale}, preset {cfg.preset}) on {dev}" +
            (f", {dist.world} processes" if dist.enabled else ""))
        inputs = {**recorded_inputs(opts), "token_vectors": _absolute(opts.token_vectors),
                  "test_seed": opts.test_seed, "reference_sha256": ref_digest}
        train_neural(opts, ts, tokens.seg, cfg, dev, evaluator, inputs, dist, log, progress if dist.main else None)


def run_device(device: str, dist):
    """The torch device of this process (under torchrun on CUDA: its local rank's GPU)."""
    import torch

    from .devices import resolve_device

    dev = resolve_device(device)
    if dist.enabled and dev.type == "cuda":
        dev = torch.device("cuda", dist.local_rank)
        torch.cuda.set_device(dev)
    return dev


def train_neural(opts: TrainOptions, ts, seg: Optional[io.Segments], cfg, dev, evaluator, inputs: dict, dist,
                 log: Callable[[str], None], progress: Optional[StepProgress]) -> None:
    """Train on the :class:`~spokenw2v.data.TrainingStream` ``ts`` (``seg``: the segments its rows
    index), then write ``vectors.vec`` and the token vectors (rank 0), both or neither."""
    from .train import Hooks, NeuralTrainer, token_vectors

    hooks = Hooks(on_step=progress.on_step if progress is not None else None,
                  on_epoch=lambda row: log(epoch_line(row)), on_message=log)
    trainer = NeuralTrainer(ts.stream, cfg, dev, opts.out, evaluator=evaluator, resume=opts.resume, dist=dist,
                            hooks=hooks, inputs=inputs, eval_every=opts.eval_every)
    try:
        with progress if progress is not None else contextlib.nullcontext():
            result = trainer.run()
    finally:
        dist.close()
    if not dist.main:
        return
    out = Path(opts.out)
    tv = token_vectors(trainer, seg, ts.rows) if opts.token_vectors is not None else None
    with io.all_or_nothing([out / "vectors.vec", opts.token_vectors]):  # both or neither
        io.write_vectors(out / "vectors.vec", result.vectors)
        if tv is not None:
            io.write_token_vectors(opts.token_vectors, tv)
    log(f"wrote {len(result.vectors)} word-type vectors to {out / 'vectors.vec'} (best epoch "
        f"{result.best_epoch} in best.pt)")
    if tv is not None:
        log(f"wrote {len(tv.vectors)} token vectors to {opts.token_vectors}")
    skipped = ts.skipped
    if skipped:
        log(f"skipped {skipped['tokens']} of {skipped['of']} word tokens (--skip-missing): "
            f"{skipped['missing_tokens']} in {skipped['missing_utterances']} utterances missing from {opts.units}"
            + (f" (first: {', '.join(skipped['first_missing'])})" if skipped["first_missing"] else "")
            + f", {skipped['past_end_tokens']} starting past the end of their audio")


def _check_min_count(sentences, min_count: int, source: Path) -> None:
    """text/oracle: at least one word must occur ``min_count`` times (else gensim has no vocabulary)."""
    counts = Counter(w for s in sentences for w in s)
    if max(counts.values()) < min_count:
        word, n = counts.most_common(1)[0]
        raise SpokenW2VError(f"{source}: no word occurs --min-count {min_count} times (the most frequent, "
                             f"{word!r}, occurs {n} times); lower --min-count or use a larger corpus")
