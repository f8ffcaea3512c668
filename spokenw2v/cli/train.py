"""``spokenw2v train KIND``: the text baseline, the oracle and the skipgram models."""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import numpy as np
import typer

from ..errors import SpokenW2VError
from ..config import (DATA_INPUTS, DEFAULT_PRESET, NEURAL_KINDS, OPTIONAL_INPUTS, TEXT_EPOCHS, Kind, NegativeSampling,
                      Preset, Schedule, merged_config, resumed_inputs)
from .common import (Log, QuietOption, RunDirectory, app, check_paths, check_run_dir, check_stdio, guarded, refuse_stdio)

KIND_HELP = ("text: gensim skipgram on words (--corpus, or the word column of --segments); "
             "oracle: skipgram on word-type ids of the tokens (perfect segmentation and clustering); "
             "e2e: end-to-end encoder over each token's characters (--corpus, or --segments without --units) "
             "or units (--segments --units); two-stage: frozen GRU auto-encoder vectors + trainable linear layers.")


def _sentences_from_segments(seg) -> list[list[str]]:
    return [[seg.word[i] for i in rows] for rows in seg.by_utterance().values()]


def _fmt(value) -> str:
    return "-" if value == "" else f"{float(value):.3f}"


def _rate(value) -> str:
    return "-" if value == "" else f"{float(value):,.0f}"


@app.command("train", help="Train word vectors: the text baseline, the oracle, or an end-to-end / two-stage "
                           "skipgram model over characters or speech units.\n\n" + KIND_HELP)
@guarded
def train_command(
    kind: Kind = typer.Argument(..., help="text | oracle | e2e | two-stage"),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory: vectors.vec, metrics.tsv, config.json "
                             "(and last.pt, best.pt for e2e and two-stage; test_set.tsv with --reference)."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Text corpus, one utterance per line; - for "
                                                                 "standard input."),
    segments: Optional[Path] = typer.Option(None, "--segments", help="Word segments TSV (utt start end word); - for "
                                                                     "standard input."),
    units: Optional[Path] = typer.Option(None, "--units", help="Units NPZ (with --segments): train on the units "
                                         "of each word token."),
    word_units: Optional[Path] = typer.Option(None, "--word-units", help="Word-units TSV (utt start end word "
                                              "units; the word-units output, phonemes from synthesize, or "
                                              "any tool's units): train on each token's symbols as given."),
    merge: Optional[bool] = typer.Option(None, "--merge/--no-merge", help="Merge consecutive duplicate units "
                                         "of a token (default: merge with --units; --word-units are "
                                         "taken as written)."),
    skip_missing: bool = typer.Option(False, "--skip-missing", help="With --units: skip word segments whose "
                                      "utterance is missing from the units file (or that start past the "
                                      "end of its audio) instead of stopping; the skipped tokens are "
                                      "counted in a summary on stderr and in config.json."),
    reference: Optional[Path] = typer.Option(None, "--reference", help="Reference text model (.vec): log metrics "
                                             "A and B with their controls after every epoch, on the test "
                                             "and dev halves of the test set; best.pt is chosen by A on dev."),
    test_set: Optional[Path] = typer.Option(None, "--test-set", help="Test-set TSV for the metrics (default: "
                                            "drawn from the training tokens with --test-seed)."),
    test_seed: int = typer.Option(0, "--test-seed", help="Seed of the drawn test set."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Epochs (text/oracle default 30, neural 20; "
                                         "with --resume a larger value extends the run). text/oracle: "
                                         "gensim's own default of 5 leaves a 30k-word corpus far from "
                                         "converged; 30 is close (docs/commands.md)."),
    scale: Optional[int] = typer.Option(None, "--scale", "-s", help="Model scale s: GRU width 50*s, s GRU "
                                        "layers, s linear layers, 100*s dimensions (default 1)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of initialisation and sampling (default 0)."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda (neural kinds)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT/last.pt with its configuration "
                                "and inputs (neural kinds)."),
    preset: Optional[Preset] = typer.Option(None, "--preset", help=f"Optimisation preset of the neural kinds "
                                            f"(default {DEFAULT_PRESET.value}): fast = lr 5e-3 (5e-4 for "
                                            f"s > 2) with a 100-step warm-up, subsampling 1e-3, unigram^0.75 "
                                            f"negatives; paper = lr 1e-3 (1e-4 for s > 2), no warm-up, no "
                                            f"subsampling, uniform negatives."),
    lr: Optional[float] = typer.Option(None, "--lr", help="Learning rate (AdamW; default from the preset)."),
    warmup: Optional[int] = typer.Option(None, "--warmup", help="Steps over which the learning rate rises "
                                         "linearly to --lr (0 = off; default from the preset: fast 100, "
                                         "paper 0)."),
    lr_schedule: Optional[Schedule] = typer.Option(None, "--lr-schedule", help="The learning rate after the "
                                                   "warm-up: constant, or a linear or cosine decay to 0 at the "
                                                   "last epoch (default from the preset)."),
    window: Optional[int] = typer.Option(None, "--window", help="Context words each side (default 5)."),
    negatives: Optional[int] = typer.Option(None, "--negatives", help="Negatives per centre word "
                                            "(neural default 50, text 5)."),
    noise_power: Optional[float] = typer.Option(None, "--noise-power", help="Negatives ~ unigram^POWER "
                                                "(1 = uniform over the token stream)."),
    subsample: Optional[float] = typer.Option(None, "--subsample", help="Frequent-word subsampling threshold "
                                              "t (0 = off; text default 1e-3)."),
    negative_sampling: Optional[NegativeSampling] = typer.Option(None, "--negative-sampling", help="pool: "
                                                                 "negatives from a pool shared by the batch "
                                                                 "(default); slot: every slot drawn "
                                                                 "independently."),
    pool_size: Optional[int] = typer.Option(None, "--pool-size", help="Tokens in the shared negative pool "
                                            "(default: --batch-tokens)."),
    batch_tokens: Optional[int] = typer.Option(None, "--batch-tokens", help="Centre words per step "
                                               "(default 512)."),
    length_buckets: Optional[int] = typer.Option(None, "--length-buckets", help="Padded GRU calls per "
                                                 "encoder and step (default 4)."),
    type_token_cap: Optional[int] = typer.Option(None, "--type-token-cap", help="Tokens averaged into a word "
                                                 "type's vector (default 100)."),
    ae_epochs: Optional[int] = typer.Option(None, "--ae-epochs", help="two-stage: auto-encoder epochs "
                                            "(default 30)."),
    amp: Optional[bool] = typer.Option(None, "--amp/--no-amp", help="bf16 autocast on CUDA (default on)."),
    dims: Optional[int] = typer.Option(None, "--dims", help="Vector dimensions (text/oracle default 100; "
                                       "neural default 100*s)."),
    min_count: int = typer.Option(5, "--min-count", help="text/oracle: ignore words with fewer tokens."),
    workers: int = typer.Option(1, "--workers", help="text/oracle: gensim threads (1 = reproducible)."),
    token_vectors: Optional[Path] = typer.Option(None, "--token-vectors", help="Also write one vector per "
                                                 "token (NPZ; neural kinds)."),
    quiet: bool = QuietOption,
) -> None:
    from .. import io
    from ..baseline import TextConfig, train_oracle, train_text
    from ..checkpoints import load_checkpoint
    from ..distributed import Distributed
    from ..monitor import Evaluator, write_metrics

    dist = Distributed.from_env()  # set by torchrun
    log = Log(quiet or not dist.main)  # one process speaks
    out = Path(out)
    refuse_stdio(out, "--out", "the output is a run directory")
    refuse_stdio(units, "--units", "NPZ files are binary zip archives, read by seeking")
    refuse_stdio(token_vectors, "--token-vectors", "NPZ files are binary zip archives, written by seeking")
    neural = kind in NEURAL_KINDS
    if not neural and (resume or token_vectors):
        raise SpokenW2VError(f"--resume and --token-vectors apply to e2e and two-stage, not {kind.value}")

    saved = None
    if resume:
        saved = load_checkpoint(out / "last.pt")
        paths = resumed_inputs(saved.get("inputs", {}), {
            "corpus": corpus, "segments": segments, "units": units, "word_units": word_units,
            "reference": reference, "test_set": test_set, "token_vectors": token_vectors})
        corpus, segments, units, word_units = (paths[name] for name in DATA_INPUTS)
        reference, test_set, token_vectors = (paths[name] for name in OPTIONAL_INPUTS)
    if sum(x is not None for x in (corpus, segments, word_units)) != 1:
        raise SpokenW2VError("give exactly one of --corpus TEXT.txt, --segments SEGS.tsv and --word-units "
                             "WORD-UNITS.tsv")
    check_stdio({"--corpus": corpus, "--segments": segments, "--word-units": word_units, "--reference": reference,
                 "--test-set": test_set})
    if units is not None and segments is None:
        raise SpokenW2VError("--units needs --segments (the word boundaries)")
    if units is not None and not neural:
        raise SpokenW2VError(f"{kind.value} trains on words; --units applies to e2e and two-stage")
    if skip_missing and units is None:
        raise SpokenW2VError("--skip-missing applies to --segments with --units (segments missing from the "
                             "units file)")

    check_paths([corpus, segments, units, word_units, reference, test_set], [out, token_vectors])
    check_run_dir(out)

    # ---- tokens (every input is read and checked before anything is written)
    seg = None
    wu = None
    if corpus is not None:
        sentences = io.read_corpus(corpus)
    elif word_units is not None:
        wu = io.read_word_units(word_units)
        seg = wu.seg
        sentences = _sentences_from_segments(seg)
    else:
        seg = io.read_segments(segments, require_words=True)
        sentences = _sentences_from_segments(seg)
    n_tokens = sum(len(s) for s in sentences)
    log(f"{n_tokens} word tokens in {len(sentences)} utterances")

    evaluator = None
    if reference is not None and dist.main:  # metrics are rank 0's job under torchrun
        ref = io.read_vectors(reference)
        ts = io.read_test_set(test_set) if test_set is not None else None
        source = test_set if test_set is not None else corpus or segments or word_units
        try:
            evaluator = Evaluator.build(ref, sentences, seed=test_seed, test_set=ts)
            evaluator(ref)  # at least one test pair must have both words in the reference
        except SpokenW2VError as exc:
            raise SpokenW2VError(f"{source} and {reference}: {exc}") from None
        log(f"metrics on {len(evaluator.test_set)} test pairs against {reference} (test split reported, "
            f"best.pt chosen on the dev split)")

    def write_test_set() -> None:
        if evaluator is not None:
            io.write_test_set(out / "test_set.tsv", evaluator.test_set)  # for `evaluate --test-set`

    def absolute(path: Optional[Path]) -> str:
        return "" if not path else io.STDIO if io.is_stdio(path) else str(Path(path).resolve())

    inputs = {"corpus": absolute(corpus), "segments": absolute(segments), "units": absolute(units),
              "word_units": absolute(word_units),
              "reference": absolute(reference), "test_set": absolute(test_set)}

    def on_epoch(row: dict) -> None:
        log(f"epoch {row['epoch']}: loss {_fmt(row['loss'])}, {_rate(row['examples_per_s'])} words/s, "
            f"A {_fmt(row['A'])} (dev {_fmt(row['dev_A'])}), A_partial {_fmt(row['A_partial'])}, "
            f"B {_fmt(row['B'])}")

    if not neural:
        tcfg = TextConfig(dim=dims or 100, window=window or 5, negatives=negatives or 5, min_count=min_count,
                          epochs=TEXT_EPOCHS if epochs is None else epochs,
                          sample=1e-3 if subsample is None else subsample,
                          seed=seed or 0, workers=workers)
        if tcfg.dim < 1 or tcfg.window < 1 or tcfg.negatives < 1 or tcfg.epochs < 0 or tcfg.workers < 1:
            raise SpokenW2VError("--dims, --window, --negatives and --workers must be >= 1, --epochs >= 0")
        _check_min_count(sentences, min_count, corpus or segments)
        with RunDirectory(out, resume=False, keep_after=None):
            write_test_set()
            _write_config(out, kind, asdict(tcfg), inputs, test_seed)
            trainer = train_text if kind == Kind.text else train_oracle
            vectors, rows = trainer(sentences, tcfg, evaluator, on_epoch)
            write_metrics(out / "metrics.tsv", rows)
            io.write_vectors(out / "vectors.vec", vectors)
        log(f"wrote {len(vectors)} word vectors to {out / 'vectors.vec'}")
        return

    # ---- neural kinds
    import torch

    from ..data import char_stream, unit_stream
    from ..devices import resolve_device
    from ..frames import word_unit_sequences
    from ..train import Hooks, NeuralTrainer

    skipped = None
    if wu is not None:
        from ..frames import merge_duplicates

        merge = bool(merge)  # taken as written unless --merge
        seqs = [merge_duplicates(q) for q in wu.sequences] if merge else wu.sequences
        stream = unit_stream(seqs, seg.word, seg.utt, wu.k, source=str(word_units))
        stream.alphabet = wu.symbols
        log(f"{stream.n_sequences} distinct symbol sequences among {len(stream)} tokens "
            f"({wu.k} {'symbols' if wu.symbols else 'unit ids'})")
    elif units is not None:
        u = io.read_units(units)
        try:
            seqs, kept = word_unit_sequences(u, seg, merge=True if merge is None else merge, source=str(segments),
                                             skip_missing=skip_missing)
        except SpokenW2VError as exc:
            raise SpokenW2VError(f"{exc} (--skip-missing skips such segments)") from None
        if len(kept) < len(seg):
            skipped = _skipped_summary(seg, kept, u, units)
        stream = unit_stream(seqs, [seg.word[i] for i in kept], [seg.utt[i] for i in kept], u.k,
                             source=str(units))
        log(f"{stream.n_sequences} distinct unit sequences among {len(stream)} tokens (k = {u.k})")
    else:
        stream = char_stream(sentences, source=str(corpus or segments))

    explicit = {"scale": scale, "preset": preset.value if preset else None, "lr": lr, "window": window,
                "negatives": negatives, "noise_power": noise_power, "subsample": subsample,
                "negative_sampling": negative_sampling.value if negative_sampling else None,
                "pool_size": pool_size, "batch_tokens": batch_tokens, "length_buckets": length_buckets,
                "type_token_cap": type_token_cap, "ae_epochs": ae_epochs, "amp": amp, "dim": dims,
                "warmup": warmup, "lr_schedule": lr_schedule.value if lr_schedule else None,
                "epochs": epochs, "seed": seed, "merge": merge}
    base = dict(kind=kind.value, symbols=stream.symbols, vocab_size=stream.vocab_size)
    cfg = merged_config(base, explicit, saved["config"] if saved is not None else None, str(out / "last.pt"))

    dev = resolve_device(device)
    if dist.enabled and dev.type == "cuda":
        dev = torch.device("cuda", dist.local_rank)
        torch.cuda.set_device(dev)
    run_dir = RunDirectory(out, resume=resume, keep_after="last.pt") if dist.main else contextlib.nullcontext()
    with run_dir:
        if dist.main:
            write_test_set()
            _write_config(out, kind, cfg.resolved().to_dict(), inputs, test_seed,
                          {"device": str(dev), "world_size": dist.world, "tokens": len(stream),
                           "distinct_sequences": stream.n_sequences, "data": stream.fingerprint(),
                           **({"skipped": skipped} if skipped else {})})
        log(f"training {kind.value} (s={cfg.scale}, preset {cfg.preset}) on {dev}" +
            (f", {dist.world} processes" if dist.enabled else ""))

        progress = log.progress() if dist.main else None
        task = {"id": None}

        def on_step(epoch: int, step: int, n_steps: int) -> None:
            if progress is None:
                return
            if task["id"] is None or step == 1:
                if task["id"] is not None:
                    progress.remove_task(task["id"])
                task["id"] = progress.add_task(f"epoch {epoch}", total=n_steps)
            progress.update(task["id"], completed=step)

        hooks = Hooks(on_step=on_step, on_epoch=on_epoch, on_message=log)
        trainer = NeuralTrainer(stream, cfg, dev, out, evaluator=evaluator, resume=resume, dist=dist, hooks=hooks,
                                inputs={**inputs, "token_vectors": absolute(token_vectors)})
        try:
            if progress is not None:
                with progress:
                    result = trainer.run()
            else:
                result = trainer.run()
        finally:
            dist.close()
        if dist.main:
            io.write_vectors(out / "vectors.vec", result.vectors)
            log(f"wrote {len(result.vectors)} word-type vectors to {out / 'vectors.vec'} (best epoch "
                f"{result.best_epoch} in best.pt)")
            if token_vectors is not None:
                vec = trainer.token_vectors()
                if seg is not None:
                    rows = np.arange(len(seg)) if units is None else kept
                    utt_ids = [seg.utt[i] for i in rows]
                    start, end = seg.start[rows], seg.end[rows]
                else:
                    utt_ids = [str(stream.utt_index[i]) for i in range(len(stream))]
                    start = end = np.full(len(stream), np.nan)
                io.write_token_vectors(token_vectors, io.TokenVectors(
                    vec, [stream.words[i] for i in stream.word_ids], utt_ids, start, end))
                log(f"wrote {len(vec)} token vectors to {token_vectors}")
            if skipped:
                log(f"skipped {skipped['tokens']} of {skipped['of']} word tokens (--skip-missing): "
                    f"{skipped['missing_tokens']} in {skipped['missing_utterances']} utterances missing from {units}"
                    + (f" (first: {', '.join(skipped['first_missing'])})" if skipped["first_missing"] else "")
                    + f", {skipped['past_end_tokens']} starting past the end of their audio")


def _check_min_count(sentences, min_count: int, source: Path) -> None:
    """text/oracle: at least one word must occur ``min_count`` times (else gensim has no vocabulary)."""
    from collections import Counter

    counts = Counter(w for s in sentences for w in s)
    if max(counts.values()) < min_count:
        word, n = counts.most_common(1)[0]
        raise SpokenW2VError(f"{source}: no word occurs --min-count {min_count} times (the most frequent, "
                             f"{word!r}, occurs {n} times); lower --min-count or use a larger corpus")


def _skipped_summary(seg, kept: np.ndarray, units, path: Path) -> dict:
    """What ``--skip-missing`` dropped (for the final summary and config.json)."""
    index = units.frames.index()
    missing = [i for i in range(len(seg)) if seg.utt[i] not in index]
    utts = list(dict.fromkeys(seg.utt[i] for i in missing))
    return {"tokens": len(seg) - len(kept), "of": len(seg), "missing_tokens": len(missing),
            "missing_utterances": len(utts), "first_missing": utts[:5],
            "past_end_tokens": len(seg) - len(kept) - len(missing), "units": str(path)}


def _write_config(out: Path, kind: Kind, config: dict, inputs: dict, test_seed: int, extra: dict | None = None):
    from .. import __version__
    from ..io import atomic_write_text

    out.mkdir(parents=True, exist_ok=True)
    payload = {"spokenw2v": __version__, "kind": kind.value, "config": config, "inputs": inputs,
               "test_seed": test_seed, **(extra or {})}
    atomic_write_text(out / "config.json", json.dumps(payload, indent=2, sort_keys=False) + "\n")
