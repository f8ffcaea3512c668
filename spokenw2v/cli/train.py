"""``spokenw2v train KIND``: the text baseline, the oracle and the skipgram models."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..config import DEFAULT_PRESET, Kind, NegativeSampling, Preset, Schedule, TypeSource
from ..rundir import RUN_FILES
from .options import AT_LEAST_ZERO, FINITE, LEARNING_RATE, NON_NEGATIVE, POSITIVE, SEED, ranged
from .common import EpochProgress, Log, QuietOption, app, check_paths, check_stdio, guarded, refuse_stdio

KIND_HELP = ("text: gensim skipgram on words (--corpus, or the word column of --segments); "
             "oracle: skipgram on word-type ids of the tokens (perfect segmentation and clustering); "
             "e2e: end-to-end encoder over each token's characters (--corpus, or --segments without --units) "
             "or units (--segments --units); two-stage: frozen GRU auto-encoder vectors + trainable linear layers.")


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
    types: Optional[TypeSource] = typer.Option(None, "--types", help="Where the word types of a unit model "
                                               "come from (the types that subsampling, negative sampling and "
                                               "vectors.vec count by): labels = the word column, a transcript "
                                               "(default); clusters = the word column holds unsupervised "
                                               "cluster ids; sequences = every distinct unit sequence is a type "
                                               "and the word column is not read (it may be empty). clusters and "
                                               "sequences read no word label before evaluation: no --reference; "
                                               "score --token-vectors with label-vectors, then evaluate."),
    skip_missing: bool = typer.Option(False, "--skip-missing", help="With --units: skip word segments whose "
                                      "utterance is missing from the units file (or that start past the "
                                      "end of its audio) instead of stopping; the skipped tokens are "
                                      "counted in a summary on stderr and in config.json."),
    reference: Optional[Path] = typer.Option(None, "--reference", help="Reference text model (.vec): log metrics "
                                             "A and B with their controls after every epoch, on the test "
                                             "and dev halves of the test set; best.pt is chosen by A on dev."),
    test_set: Optional[Path] = typer.Option(None, "--test-set", help="Test-set TSV for the metrics (default: "
                                            "drawn from the training tokens with --test-seed)."),
    test_seed: Optional[int] = ranged(SEED, None, "--test-seed", help="Seed of the drawn test set (default 0; with "
                                      "--resume the run's own)."),
    epochs: Optional[int] = ranged(NON_NEGATIVE, None, "--epochs", help="Epochs (text/oracle default 30, neural 20; "
                                                 "with --resume a larger value extends the run). text/oracle: "
                                                 "gensim's own default of 5 leaves a 30k-word corpus far from "
                                                 "converged; 30 is close (docs/commands.md)."),
    scale: Optional[int] = ranged(POSITIVE, None, "--scale", "-s", help="Model scale s: GRU width 50*s, s GRU "
                                            "layers, s linear layers, 100*s dimensions (default 1)."),
    seed: Optional[int] = ranged(SEED, None, "--seed", help="Seed of initialisation and sampling (default 0)."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda (neural kinds)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT/last.pt with its configuration "
                                "and inputs (neural kinds)."),
    preset: Optional[Preset] = typer.Option(None, "--preset", help=f"Optimisation preset of the neural kinds "
                                            f"(default {DEFAULT_PRESET.value}): fast = lr 5e-3 (5e-4 for "
                                            f"s > 2) with a 100-step warm-up, subsampling 1e-3, unigram^0.75 "
                                            f"negatives (characters at s = 1: 2048 centre words per step, lr "
                                            f"1e-2, 25-step warm-up); paper = lr 1e-3 (1e-4 for s > 2), no warm-up, no "
                                            f"subsampling, uniform negatives."),
    lr: Optional[float] = ranged(LEARNING_RATE, None, "--lr", help="Learning rate (AdamW; default from the preset)."),
    warmup: Optional[int] = ranged(NON_NEGATIVE, None, "--warmup", help="Steps over which the learning rate rises "
                                                 "linearly to --lr (0 = off; default from the preset: fast 100 "
                                                 "(characters at s = 1: 25), paper 0)."),
    lr_schedule: Optional[Schedule] = typer.Option(None, "--lr-schedule", help="The learning rate after the "
                                                   "warm-up: constant, or a linear or cosine decay to 0 at the "
                                                   "last epoch (default from the preset)."),
    window: Optional[int] = ranged(POSITIVE, None, "--window", help="Context words each side (default 5)."),
    negatives: Optional[int] = ranged(POSITIVE, None, "--negatives", help="Negatives per centre word "
                                                "(neural default 50, text 5)."),
    noise_power: Optional[float] = ranged(FINITE, None, "--noise-power", help="Negatives ~ unigram^POWER "
                                                  "(1 = uniform over the token stream)."),
    subsample: Optional[float] = ranged(AT_LEAST_ZERO, None, "--subsample", help="Frequent-word subsampling threshold "
                                                       "t (0 = off; text default 1e-3)."),
    negative_sampling: Optional[NegativeSampling] = typer.Option(None, "--negative-sampling", help="pool: "
                                                                 "negatives from a pool shared by the batch "
                                                                 "(default); slot: every slot drawn "
                                                                 "independently."),
    pool_size: Optional[int] = ranged(POSITIVE, None, "--pool-size", help="Tokens in the shared negative pool "
                                                "(default: --batch-tokens)."),
    batch_tokens: Optional[int] = ranged(POSITIVE, None, "--batch-tokens", help="Centre words per step "
                                                   "(default 512; fast on characters at s = 1: 2048)."),
    length_buckets: Optional[int] = ranged(POSITIVE, None, "--length-buckets", help="Padded GRU calls per "
                                                     "encoder and step (default 4)."),
    type_token_cap: Optional[int] = ranged(POSITIVE, None, "--type-token-cap", help="Tokens averaged into a word "
                                                     "type's vector (default 100)."),
    ae_epochs: Optional[int] = ranged(NON_NEGATIVE, None, "--ae-epochs", help="two-stage: auto-encoder epochs "
                                                    "(default 30)."),
    amp: Optional[bool] = typer.Option(None, "--amp/--no-amp", help="bf16 autocast on CUDA (default on)."),
    dims: Optional[int] = ranged(POSITIVE, None, "--dims", help="Vector dimensions (text/oracle default 100; "
                                           "neural default 100*s)."),
    min_count: int = ranged(POSITIVE, 5, "--min-count", help="text/oracle: ignore words with fewer tokens."),
    workers: int = ranged(POSITIVE, 1, "--workers", help="text/oracle: gensim threads (1 = reproducible)."),
    eval_every: int = ranged(POSITIVE, 1, "--eval-every", help="e2e/two-stage with --reference: the metrics after "
                             "every N-th epoch and after the last (encoding every test word's tokens costs about "
                             "a sixth of an epoch on speech units)."),
    token_vectors: Optional[Path] = typer.Option(None, "--token-vectors", help="Also write one vector per "
                                                 "token (NPZ; neural kinds)."),
    quiet: bool = QuietOption,
) -> None:
    from ..distributed import Distributed
    from ..trainrun import TrainOptions, resolve_inputs, run_train

    dist = Distributed.from_env()  # set by torchrun
    log = Log(quiet or not dist.main)  # one process speaks
    refuse_stdio(out, "--out", "the output is a run directory")
    refuse_stdio(units, "--units", "NPZ files are binary zip archives, read by seeking")
    refuse_stdio(token_vectors, "--token-vectors", "NPZ files are binary zip archives, written by seeking")
    opts, saved = resolve_inputs(TrainOptions(
        kind=kind, out=Path(out), corpus=corpus, segments=segments, units=units, word_units=word_units, merge=merge,
        types=types, skip_missing=skip_missing, reference=reference, test_set=test_set, test_seed=test_seed, epochs=epochs,
        scale=scale, seed=seed, device=device, resume=resume, preset=preset, lr=lr, warmup=warmup, lr_schedule=lr_schedule,
        window=window,
        negatives=negatives, noise_power=noise_power, subsample=subsample, negative_sampling=negative_sampling,
        pool_size=pool_size, batch_tokens=batch_tokens, length_buckets=length_buckets,
        type_token_cap=type_token_cap, ae_epochs=ae_epochs, amp=amp, dims=dims, min_count=min_count,
        workers=workers, token_vectors=token_vectors, eval_every=eval_every))
    check_stdio({"--corpus": opts.corpus, "--segments": opts.segments, "--word-units": opts.word_units,
                 "--reference": opts.reference, "--test-set": opts.test_set})
    check_paths([opts.corpus, opts.segments, opts.units, opts.word_units, opts.reference, opts.test_set],
                [opts.out, *(opts.out / name for name in RUN_FILES), opts.token_vectors])  # the run's files too
    run_train(opts, saved, dist, log, EpochProgress(log))
