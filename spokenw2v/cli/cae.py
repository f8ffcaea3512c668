"""``spokenw2v cae``: a correspondence-autoencoder frame encoder learned from word pairs found
without labels across speakers (train and apply), or a saved one applied to new features."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..cae import Target
from ..errors import SpokenW2VError
from .common import Log, QuietOption, app, check_paths, guarded, refuse_stdio
from .options import CONSENSUS_RADIUS, NON_NEGATIVE, POSITIVE, SEED, ranged

_NPZ_READ_BY_SEEKING = "NPZ files are binary zip archives, read by seeking"


@app.command("cae")
@guarded
def cae_command(
    features: Path = typer.Argument(..., help="Features .npz file or directory (from featurize, e.g. MFCC "
                                              "with --vtln auto)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output features .npz: the encoder's features, one "
                                                      "vector per frame (for discretize)."),
    model: Optional[Path] = typer.Option(None, "--model", help="Train an encoder and save it here (.pt)."),
    use_model: Optional[Path] = typer.Option(None, "--use-model", help="Apply this saved encoder instead of "
                                                                       "training one."),
    segments: Optional[Path] = typer.Option(None, "--segments", help="Word segments TSV (utt start end; words "
                                                                     "are not read): the tokens paired."),
    speakers: Optional[Path] = typer.Option(None, "--speakers", help="TSV with utt and speaker columns (an audio "
                                                                     "list with its speaker column)."),
    speaker_pattern: Optional[str] = typer.Option(None, "--speaker-pattern", help="The speaker of an utterance: "
                                                  "the first group of this regular expression in its id. "
                                                  "Without speakers each utterance is its own speaker."),
    pairs_from: Optional[Path] = typer.Option(None, "--pairs-from", help="Find the pairs with these features "
                                              "(e.g. a first encoder's output: a second round) instead of "
                                              "FEATURES."),
    speaker_norm: bool = typer.Option(False, "--speaker-norm", help="Normalise each speaker's features to zero "
                                      "mean and unit variance: the input (before pairs are found and the encoder "
                                      "is trained; an encoder trained so applies so) and the output."),
    max_distance: Optional[float] = ranged(CONSENSUS_RADIUS, None, "--max-distance",
                                           help="Largest cosine distance of a pair's word embeddings. Default 1.0."),
    hidden: Optional[int] = ranged(POSITIVE, None, "--hidden", help="Units per hidden layer. Default 100."),
    layers: Optional[int] = ranged(POSITIVE, None, "--layers", help="Hidden layers. Default 3."),
    feature_layer: Optional[int] = ranged(NON_NEGATIVE, None, "--feature-layer",
                                          help="Hidden layer (1-based) whose activations are the features; 0 "
                                               "the output. Default 0."),
    target: Optional[Target] = typer.Option(None, "--target", help="What a frame predicts: the mean of it and "
                                            "its aligned partner (one target for both speakers), or the partner "
                                            "itself (the original correspondence autoencoder). Default mean."),
    context: Optional[int] = ranged(NON_NEGATIVE, None, "--context", help="Frames stacked on each side of the "
                                                                          "input frame. Default 0."),
    pretrain_epochs: Optional[int] = ranged(NON_NEGATIVE, None, "--pretrain-epochs",
                                            help="Epochs of plain autoencoding first. Default 5."),
    epochs: Optional[int] = ranged(NON_NEGATIVE, None, "--epochs", help="Epochs on the aligned pairs. Default 20."),
    seed: Optional[int] = ranged(SEED, None, "--seed", help="Seed of the initialisation and batches. Default 0."),
    quiet: bool = QuietOption,
) -> None:
    """Learn frame features that speakers share: pairs of word tokens by two speakers that are
    each other's nearest (no labels read) are aligned frame by frame, and a small network learns
    to map both frames of an aligned pair to one target (a correspondence autoencoder); its output
    becomes the features. --model trains and saves the encoder; --use-model applies a saved one."""
    from ..cae import CAEConfig, encode_corpus, learn_encoder, load_encoder, save_encoder
    from ..io import all_or_nothing, iter_features, read_segments, write_features
    from ..speakers import speaker_table

    log = Log(quiet)
    for option, path in (("FEATURES", features), ("--out", out), ("--model", model), ("--use-model", use_model),
                         ("--pairs-from", pairs_from)):
        refuse_stdio(path, option, _NPZ_READ_BY_SEEKING if option != "--model" else "a model file is written by seeking")
    given = dict(max_distance=max_distance, hidden=hidden, layers=layers, feature_layer=feature_layer,
                 context=context, pretrain_epochs=pretrain_epochs, epochs=epochs, seed=seed, target=target)
    _check_train_or_apply(model, use_model, {**given, "segments": segments, "pairs_from": pairs_from})
    if speakers is not None and speaker_pattern is not None:
        raise SpokenW2VError("give --speakers FILE or --speaker-pattern REGEX, not both")
    if speaker_norm and speakers is None and speaker_pattern is None:
        raise SpokenW2VError("--speaker-norm needs --speakers FILE or --speaker-pattern REGEX")
    check_paths([features, use_model, segments, speakers, pairs_from], [out, model])

    shards = list(iter_features(features))
    table = speaker_table([u for s in shards for u in s.utt_ids], speakers, speaker_pattern)
    if use_model is not None:
        enc = load_encoder(use_model)
        log(f"applying encoder {use_model} (reads {enc.info.describe()}, {enc.dim} dims)")
    else:
        config = CAEConfig(**{k: v for k, v in given.items() if v is not None}, speaker_norm=speaker_norm)
        enc = learn_encoder(shards, read_segments(segments), table, config,
                            pairs_from=None if pairs_from is None else iter_features(pairs_from),
                            source=str(features), pairs_source=str(pairs_from),
                            speakers_source=str(speakers or "--speaker-pattern"), log=log)
    merged = encode_corpus(enc, shards, table if speaker_norm else None, source=str(features))
    with all_or_nothing([model, out]):
        if model is not None:
            save_encoder(model, enc)
            log(f"wrote encoder {model}")
        write_features(out, merged)
    log(f"wrote {merged.values.shape[0]:,} frames of {merged.values.shape[1]} dims of {len(merged)} utterances to {out}")


def _check_train_or_apply(model: Optional[Path], use_model: Optional[Path], training_options: dict) -> None:
    """Exactly one of --model (train) and --use-model (apply); the options that only shape
    training (``training_options``: parameter name -> value, None when not given) are refused
    with --use-model, and training needs --segments."""
    if (model is None) == (use_model is None):
        raise SpokenW2VError("give --model MODEL.pt (train and save an encoder) or --use-model MODEL.pt (apply a "
                             "saved one), exactly one of them")
    if use_model is not None:
        used = [f"--{name.replace('_', '-')}" for name, value in training_options.items() if value is not None]
        if used:
            raise SpokenW2VError(f"{', '.join(used)} only apply when training an encoder (--model)")
    elif training_options["segments"] is None:
        raise SpokenW2VError("--model needs --segments SEGS.tsv (the word tokens to pair)")
