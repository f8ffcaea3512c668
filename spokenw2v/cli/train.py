"""``spokenw2v train KIND``: the text baseline, the oracle and the skipgram models.  The options
are the fields of :class:`spokenw2v.trainoptions.TrainOptions`."""

from __future__ import annotations

from ..rundir import RUN_FILES
from ..trainoptions import KIND_HELP, TrainOptions, option_range
from .common import EpochProgress, Log, QuietOption, app, check_paths, check_stdio, guarded, refuse_stdio
from .options import command_options


@app.command("train", help="Train word vectors: the text baseline, the oracle, or an end-to-end / two-stage "
                           "skipgram model over characters or speech units.\n\n" + KIND_HELP)
@guarded
@command_options(TrainOptions, option_range, quiet=(bool, QuietOption))
def train_command(quiet: bool = False, **options) -> None:
    from ..distributed import Distributed
    from ..trainrun import resolve_inputs, run_train

    dist = Distributed.from_env()  # set by torchrun
    log = Log(quiet or not dist.main)  # one process speaks
    refuse_stdio(options["out"], "--out", "the output is a run directory")
    refuse_stdio(options["units"], "--units", "NPZ files are binary zip archives, read by seeking")
    refuse_stdio(options["token_vectors"], "--token-vectors", "NPZ files are binary zip archives, written by seeking")
    opts, saved = resolve_inputs(TrainOptions(**options))
    check_stdio({"--corpus": opts.corpus, "--segments": opts.segments, "--word-units": opts.word_units,
                 "--reference": opts.reference, "--test-set": opts.test_set})
    check_paths([opts.corpus, opts.segments, opts.units, opts.word_units, opts.reference, opts.test_set],
                [opts.out, *(opts.out / name for name in RUN_FILES), opts.token_vectors])  # the run's files too
    run_train(opts, saved, dist, log, EpochProgress(log))
