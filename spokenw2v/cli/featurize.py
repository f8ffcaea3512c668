"""``spokenw2v featurize``: audio -> frame features (MFCC, HuBERT, wav2vec 2.0, WavLM)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import SpokenW2VError
from ..io import all_or_nothing
from .options import ABOVE_ZERO, HOP_MS, MAX_COUNT, NON_NEGATIVE, POSITIVE, ranged
from .common import Log, QuietOption, app, check_paths, guarded, refuse_stdio


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/8"`` -> (2, 8); ``i`` is 0-based."""
    try:
        i_text, n_text = text.split("/")
        i, n = int(i_text), int(n_text)
    except ValueError:
        raise SpokenW2VError(f"--shard {text!r}: expected i/n, for example 0/4") from None
    if not 1 <= n <= MAX_COUNT or not 0 <= i < n:
        raise SpokenW2VError(f"--shard {text!r}: expected 0 <= i < n <= {MAX_COUNT}")
    return i, n


#: The --vtln values that name no warps file (off, or a way to estimate the factors).
VTLN_MODES = ("off", "auto", "leave-one-out")

from ..audio import SAMPLE_RATE  # noqa: E402
from ..features import FeatureDtype, FeatureKind, MFCCConfig, Normalize  # noqa: E402  (enums for the options)


@app.command("featurize")
@guarded
def featurize_command(
    audio: Path = typer.Argument(..., help="A LibriSpeech-style tree or directory of .wav/.flac/.ogg files "
                                           "(utterance id = file name), or an audio list TSV (utt path)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output: a .npz file, or a directory of shards."),
    feature: FeatureKind = typer.Option(FeatureKind.MFCC, "--feature", "-f", case_sensitive=False,
                                        help="Feature kind."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Hugging Face model id or local directory "
                                        "(hubert/wav2vec2/wavlm; default facebook/hubert-base-ls960, "
                                        "facebook/wav2vec2-base, microsoft/wavlm-base)."),
    layer: Optional[int] = ranged(NON_NEGATIVE, None, "--layer", "-l", help="Layer N = output of transformer block N "
                                                "(0 = input of the first block); default 6."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N (one GPU of several)."),
    shard: str = typer.Option("0/1", "--shard", help="Process only part i of n (0-based) of the sorted corpus; "
                                                    "parts of one --out directory can run as separate processes."),
    segments: Optional[Path] = typer.Option(None, "--segments", help="Segments TSV to check against the audio "
                                            "(utterances without audio or segments, segments past the end); "
                                            "- for standard input."),
    alignments: Optional[List[Path]] = typer.Option(None, "--alignments", help="Alignment file or tree to check "
                                                    "against the audio instead of --segments (any format)."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Skip bad utterances and count them instead of "
                                                            "stopping at the first."),
    dtype: FeatureDtype = typer.Option(FeatureDtype.FLOAT16, "--dtype", help="Stored precision."),
    shard_frames: int = ranged(POSITIVE, 200_000, "--shard-frames", help="Frames per output shard (bounds memory)."),
    batch_seconds: float = ranged(ABOVE_ZERO, 200.0, "--batch-seconds", help="Padded audio seconds per batch on CUDA."),
    workers: Optional[int] = ranged(NON_NEGATIVE, None, "--workers", help="Threads reading and resampling audio "
                                                  "(0 = read in the main thread); default 8 on CUDA, 1 on CPU."),
    hop_ms: Optional[int] = ranged(HOP_MS, None, "--hop-ms", help="MFCC: milliseconds between frames (default "
                                   "10, 100 frames/s; 20 gives 50 frames/s, the rate of HuBERT's units)."),
    normalize: Normalize = typer.Option(Normalize.AUTO, "--normalize", help="Waveform normalisation for the "
                                        "models: auto follows the model's preprocessor config."),
    vtln: str = typer.Option("off", "--vtln", help="MFCC vocal-tract-length normalisation: off, auto (estimate "
                                                  "one warp factor per speaker without labels), leave-one-out "
                                                  "(the same, each speaker against a codebook of the others: for "
                                                  "a few very different voices) or a warps TSV (speaker warp, "
                                                  "from --warps-out)."),
    speaker_pattern: Optional[str] = typer.Option(None, "--speaker-pattern", help="With --vtln: the speaker of "
                                                  "an utterance is this regular expression's first group in "
                                                  "its id (e.g. '^([^-]+)-' for LibriSpeech); default the "
                                                  "audio list's speaker column, else each utterance alone."),
    warps_out: Optional[Path] = typer.Option(None, "--warps-out", help="With --vtln: write the warp factors "
                                             "used (speaker warp utterances) to this TSV."),
    quiet: bool = QuietOption,
) -> None:
    """Compute frame features of every utterance and write them (float16 by default) to a .npz file
    or a directory of shards; silences are kept, whole utterances are stored."""
    from ..featurize import featurize_corpus
    from ..vtln import write_warps

    log = Log(quiet)
    vtln_file = _check_paths(audio, out, alignments, warps_out, vtln, segments)
    if vtln == "off" and (speaker_pattern is not None or warps_out is not None):
        raise SpokenW2VError("--speaker-pattern and --warps-out only apply with --vtln auto, leave-one-out or "
                             "WARPS.tsv")
    index, count = parse_shard(shard)
    seg, seg_source = _word_boundaries(segments, alignments)
    opts = _options(feature, model, layer, device, normalize, dtype, (index, count), shard_frames, batch_seconds,
                    workers, skip_bad, hop_ms)
    warps = None
    if vtln != "off":
        if feature != FeatureKind.MFCC:
            raise SpokenW2VError(f"--vtln applies to --feature mfcc only, not {feature.value}")
        warps = _utterance_warps(log, audio, vtln_file, speaker_pattern, seg, vtln == "leave-one-out")
        opts.warps = warps.per_utterance
    # the warps first: when they cannot be written no feature is computed, and when the features
    # fail the warps are removed again (all or nothing)
    with all_or_nothing([warps_out]), log.progress() as bar:
        if warps is not None and warps_out is not None:
            write_warps(warps_out, warps.per_speaker, warps.used)
        summary = featurize_corpus(audio, out, opts, seg, seg_source, _phase_progress(bar))
    log(f"Wrote {out}: {summary.utterances} utterances, {summary.frames} frames of {summary.dim} dims "
        f"({summary.info.describe()}, {summary.info.frame_rate:g} frames/s), {summary.seconds:.1f} s of audio, "
        f"{len(summary.files)} file(s).")
    if warps is not None and warps_out is not None:
        log(f"wrote {warps_out}")
    if summary.skipped:
        log("Skipped: " + "; ".join(f"{n} {what}" for what, n in sorted(summary.skipped.items())))


def _check_paths(audio: Path, out: Path, alignments: Optional[List[Path]], warps_out: Optional[Path], vtln: str,
                 segments: Optional[Path]) -> Optional[Path]:
    """Refuse standard input/output where a path is read by name, check inputs and outputs; the
    warps file ``--vtln`` names (None for off/auto)."""
    refuse_stdio(audio, "AUDIO", "audio is found in a directory, or listed in a TSV whose relative paths are "
                                 "relative to its own directory")
    refuse_stdio(out, "--out", "features are a binary NPZ file or a directory of shards")
    for path in alignments or []:
        refuse_stdio(path, "--alignments", "alignment files are found and recognised by their names")
    refuse_stdio(warps_out, "--warps-out", "it is written with the features")
    vtln_file = None if vtln in VTLN_MODES else Path(vtln)
    check_paths([audio, segments, *(alignments or []), vtln_file], [out, warps_out])
    return vtln_file


def _word_boundaries(segments: Optional[Path], alignments: Optional[List[Path]]):
    """(the word segments to check the audio against, where they came from): from --segments or
    --alignments, or (None, "")."""
    from ..alignments import read_alignments
    from ..io import read_segments

    if segments is not None and alignments:
        raise SpokenW2VError("give --segments or --alignments, not both")
    if segments is not None:
        return read_segments(segments), str(segments)
    if alignments:
        return read_alignments(alignments), ", ".join(map(str, alignments))
    return None, ""


def _options(feature: FeatureKind, model: Optional[str], layer: Optional[int], device: str, normalize: Normalize,
             dtype: FeatureDtype, shard: tuple[int, int], shard_frames: int, batch_seconds: float,
             workers: Optional[int], skip_bad: bool, hop_ms: Optional[int]):
    """The library's FeaturizeOptions from the command's options (the device resolved, MFCC's hop
    checked; a model's loading messages silenced)."""
    from ..devices import resolve_device
    from ..featurize import FeaturizeOptions

    dev = resolve_device(device)
    if feature != FeatureKind.MFCC:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    if hop_ms is not None and feature != FeatureKind.MFCC:
        raise SpokenW2VError(f"--hop-ms applies to --feature mfcc (a {feature.value} model has its own frame rate)")
    mfcc = MFCCConfig() if hop_ms is None else MFCCConfig(hop_length=hop_ms * SAMPLE_RATE // 1000)
    return FeaturizeOptions(feature=feature, model=model, layer=layer, device=str(dev), normalize=normalize,
                            dtype=dtype, shard_index=shard[0], shard_count=shard[1], shard_frames=shard_frames,
                            batch_seconds=batch_seconds, workers=workers, skip_bad=skip_bad, mfcc=mfcc)


def _utterance_warps(log: Log, audio: Path, warps_file: Optional[Path], pattern: Optional[str], seg,
                     leave_one_out: bool):
    """The VTLN warps (vtln.utterance_warps), with a progress bar while they are estimated."""
    from ..vtln import utterance_warps

    if warps_file is not None:
        return utterance_warps(audio, warps_file, pattern, seg, log)
    with log.progress() as bar:
        task = bar.add_task("VTLN (speakers x iterations)", total=None)
        return utterance_warps(audio, None, pattern, seg, log,
                               progress=lambda done, total: bar.update(task, completed=done, total=total),
                               leave_one_out=leave_one_out)


def _phase_progress(bar):
    """A featurize_corpus progress callback: one bar task per phase."""
    tasks: dict[str, int] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done)

    return progress
