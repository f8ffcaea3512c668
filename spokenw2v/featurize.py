"""The corpus driver of ``spokenw2v featurize``: audio found -> checked -> featurized -> shards.

Finds and probes the audio, checks word segments against it, picks this process's part of a
``--shard i/n`` split (balanced by duration), loads waveforms ahead in threads, groups them
into length batches, and writes a ``.npz`` file or a directory of shards atomically (the shard
names and the completeness check of a directory live in :mod:`spokenw2v.io.shards`).  The featurizers
themselves are in :mod:`spokenw2v.features`.
"""

from __future__ import annotations

import collections
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from glob import escape as glob_escape
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from .audio import SAMPLE_RATE, AudioInfo, find_audio, load_audio, probe_audio
from .errors import SpokenW2VError, where
from .features import DTYPES, FeatureDtype, FeatureKind, Featurizer, MFCCConfig, Normalize, make_featurizer
from .io import (FrameInfo, Ragged, Segments, atomic_path, atomic_write_text, is_shard_entry, part_done_name, part_name,
                 part_prefix, part_staging_prefix, shard_part, write_features)
from .rundir import check_output_dir


@dataclass
class FeaturizeOptions:
    """Options of :func:`featurize_corpus`."""

    feature: FeatureKind = FeatureKind.MFCC
    model: str | None = None  # hub id or local directory (self-supervised kinds)
    layer: int | None = None  # None = the kind's default (6)
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1" (MFCC always runs on the CPU)
    normalize: Normalize = Normalize.AUTO
    dtype: FeatureDtype = FeatureDtype.FLOAT16
    shard_index: int = 0  # this process's part of the corpus, 0-based
    shard_count: int = 1
    shard_frames: int = 200_000  # frames per output file (bounds peak memory)
    batch_seconds: float = 200.0  # padded audio per length batch
    batch: bool | None = None  # length batches for the models; None = on CUDA only (CPU: one at a time)
    window: int = 256  # utterances read ahead to sort into length batches (CUDA)
    workers: int | None = None  # threads reading/resampling audio; None = 8 on CUDA, 1 on CPU
    skip_bad: bool = False
    segments_tolerance: float = 0.02  # seconds a segment may end past the audio
    mfcc: MFCCConfig = field(default_factory=MFCCConfig)
    warps: dict[str, float] | None = None  # MFCC only: VTLN warp factor per utterance (absent = 1.0)

    def __post_init__(self):
        self.feature = FeatureKind(self.feature)
        self.normalize = Normalize(self.normalize)
        self.dtype = FeatureDtype(self.dtype)
        from .devices import resolve_device

        self.device = str(resolve_device(str(self.device)))


@dataclass
class FeaturizeSummary:
    """What :func:`featurize_corpus` did."""

    info: FrameInfo
    dim: int
    utterances: int = 0
    frames: int = 0
    seconds: float = 0.0  # audio featurized
    files: list[Path] = field(default_factory=list)
    skipped: collections.Counter = field(default_factory=collections.Counter)  # reason -> count


ProgressCallback = Callable[[str, int, int], None]  # (phase, done, total)


def select_shard(items: Sequence[AudioInfo], index: int, count: int) -> list[AudioInfo]:
    """Contiguous block ``index`` of ``count`` of the utterances (in the given order),
    balanced by duration: utterance ``u`` goes to part ``floor(count * t_u / total)`` where
    ``t_u`` is the audio before its midpoint."""
    if not 0 <= index < count:
        raise SpokenW2VError(f"--shard {index}/{count}: expected 0 <= i < n")
    if count == 1:
        return list(items)
    total = sum(it.duration for it in items) or 1.0
    out, t = [], 0.0
    for it in items:
        mid = t + it.duration / 2
        if min(count - 1, int(count * mid / total)) == index:
            out.append(it)
        t += it.duration
    return out


def check_segments(seg: Segments, infos: dict[str, AudioInfo], source: str, audio_source: str,
                   skip_bad: bool, tolerance: float = 0.02) -> tuple[set[str], collections.Counter]:
    """Check word segments against the audio found.

    Returns (utterances to drop, counts of skipped problems).  Without ``skip_bad`` the
    first problem raises :class:`SpokenW2VError`: segments of an utterance without audio,
    audio without segments, a segment ending past the end of the audio.
    """
    drop: set[str] = set()
    counts: collections.Counter = collections.Counter()
    groups = seg.by_utterance()
    for utt in sorted(set(groups) - set(infos)):
        if not skip_bad:
            raise SpokenW2VError(f"{where(source, utt=utt)}: utterance has segments but no audio in {audio_source}")
        counts["utterances with segments but no audio"] += 1
    for utt in sorted(set(infos) - set(groups)):
        if not skip_bad:
            raise SpokenW2VError(f"{infos[utt].path}: utterance {utt} has no segments in {source}")
        drop.add(utt)
        counts["utterances with audio but no segments"] += 1
    for utt, rows in groups.items():
        if utt not in infos:
            continue
        end = float(seg.end[rows].max())
        dur = infos[utt].duration
        if end > dur + tolerance:
            if not skip_bad:
                raise SpokenW2VError(
                    f"{where(source, utt=utt)}: segment ends at {end:g} s, past the end of the audio "
                    f"{infos[utt].path} ({dur:g} s)"
                )
            drop.add(utt)
            counts["utterances with segments past the end of the audio"] += 1
    return drop, counts


def _iter_waves(items: Sequence[AudioInfo], workers: int) -> Iterator[tuple[AudioInfo, np.ndarray | SpokenW2VError]]:
    """Load waveforms in order, ``workers`` threads reading ahead (bounded)."""
    def load(it: AudioInfo):
        try:
            return load_audio(it.path)
        except SpokenW2VError as exc:
            return exc

    if workers <= 0:
        for it in items:
            yield it, load(it)
        return
    ahead = max(2, 4 * workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: collections.deque = collections.deque()
        it_iter = iter(items)
        for it in it_iter:
            pending.append((it, pool.submit(load, it)))
            if len(pending) >= ahead:
                break
        while pending:
            it, fut = pending.popleft()
            nxt = next(it_iter, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(load, nxt)))
            yield it, fut.result()


def _batches(lengths: dict[str, int], max_samples: int) -> list[list[str]]:
    """Group utterances of similar length so that (longest x count) <= max_samples."""
    order = sorted(lengths, key=lambda u: (lengths[u], u))
    out: list[list[str]] = []
    cur: list[str] = []
    for u in order:
        if cur and lengths[u] * (len(cur) + 1) > max_samples:
            out.append(cur)
            cur = []
        cur.append(u)
    if cur:
        out.append(cur)
    return out


#: Marks a directory of features shards as featurize's own (it may then be replaced).
FEATURES_MARKER = ".spokenw2v-features"
#: Marks a hidden staging folder of a running featurize (``pid host`` inside); a rerun removes
#: the staging folders of processes that no longer run.
STAGING_MARKER = ".spokenw2v-staging"


#: What featurize writes into its ``--out`` directory (for the guard's message).
FEATURES_ROLE = "featurize writes a directory of shards there"


def not_a_features_dir(out: Path) -> str | None:
    """The test of a featurize ``--out`` directory: ours when it holds nothing but featurize's
    own files (shards ``part-*.npz`` and their lists, the marker, hidden staging folders)."""
    foreign = sorted(e.name for e in out.iterdir()
                     if not ((e.name == FEATURES_MARKER and e.is_file()) or is_shard_entry(e)))
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        return f"holds files that featurize did not write ({shown})"
    return None


def _mark_staging(folder: Path) -> None:
    import socket

    (folder / STAGING_MARKER).write_text(f"{os.getpid()} {socket.gethostname()}\n", encoding="utf-8")


def _stale(folder: Path) -> bool:
    """True for a staging folder whose marker names a process of this host that no longer runs."""
    import socket

    try:
        pid_text, host = (folder / STAGING_MARKER).read_text(encoding="utf-8").split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return False
    if host != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def remove_stale_staging(folders: Iterator[Path]) -> None:
    """Remove the staging folders (ours by name and marker) left by killed featurize runs."""
    for folder in folders:
        if folder.is_dir() and not folder.is_symlink() and _stale(folder):
            shutil.rmtree(folder, ignore_errors=True)


class _ShardWriter:
    """Collects utterances and writes a features shard every ``shard_frames`` frames."""

    def __init__(self, directory: Path | None, single_file: Path | None, info: FrameInfo, dtype,
                 shard_index: int, shard_count: int, shard_frames: int):
        self.directory, self.single_file = directory, single_file
        self.info, self.dtype = info, dtype
        self.shard_index, self.shard_count, self.shard_frames = shard_index, shard_count, shard_frames
        self.utts: list[str] = []
        self.arrays: list[np.ndarray] = []
        self.durations: list[float] = []
        self.frames = 0
        self.files: list[Path] = []

    def add(self, utt: str, frames: np.ndarray, duration: float) -> None:
        self.utts.append(utt)
        self.arrays.append(frames)
        self.durations.append(duration)
        self.frames += len(frames)
        if self.single_file is None and self.frames >= self.shard_frames:
            self.flush()

    def flush(self) -> None:
        if not self.utts and (self.single_file is None or self.files):
            return
        r = Ragged.from_list(self.utts, self.arrays, self.durations, self.info, dtype=self.dtype)
        if self.single_file is not None:
            path = self.single_file
        else:
            path = self.directory / part_name(self.shard_index, self.shard_count, len(self.files))
        write_features(path, r)
        self.files.append(path)
        self.utts, self.arrays, self.durations, self.frames = [], [], [], 0


def featurize_corpus(audio: str | os.PathLike, out: str | os.PathLike, options: FeaturizeOptions | None = None,
                     segments: Segments | None = None, segments_source: str = "segments",
                     progress: ProgressCallback | None = None) -> FeaturizeSummary:
    """Featurize every utterance found at ``audio`` and write features to ``out``.

    ``audio``: a LibriSpeech-style tree, a directory of audio files, an audio list TSV or
    one file (see :func:`spokenw2v.audio.find_audio`).  Utterances are processed in
    sorted id order; with ``shard_count > 1`` only part ``shard_index`` (a contiguous
    block balanced by duration).

    ``out``: a ``.npz`` file (everything in one file; refused when more than
    ``shard_frames`` frames are expected) or a directory of shards
    ``part-{i}-of-{n}-{k}.npz`` (each at most ~``shard_frames`` frames, so memory stays
    bounded).  A single-process run replaces the directory atomically; a ``--shard i/n``
    process stages its parts in a hidden folder and moves them in only when all are
    written, replacing earlier parts ``i`` of ``n``.  A failure leaves no output.

    ``segments``: when given, checked against the audio (:func:`check_segments`).
    ``progress(phase, done, total)`` is called as utterances are processed.
    """
    opts = options or FeaturizeOptions()
    out = Path(out)
    single = out.suffix.lower() == ".npz"
    if single and opts.shard_count > 1:
        raise SpokenW2VError(f"{out}: --shard needs a directory for --out (several processes write parts into it)")
    if opts.shard_frames <= 0:
        raise SpokenW2VError("--shard-frames must be positive")
    if single and out.is_dir():
        raise SpokenW2VError(f"{out}: is a directory (a .npz --out is one file; give a new name, or a name "
                             f"without .npz for a directory of shards)")
    if not single:
        check_output_dir(out, not_a_features_dir, FEATURES_ROLE)

    found = find_audio(audio)
    skipped: collections.Counter = collections.Counter()
    infos: dict[str, AudioInfo] = {}
    for i, (utt, path) in enumerate(found.items()):
        try:
            infos[utt] = probe_audio(utt, path)
        except SpokenW2VError:
            if not opts.skip_bad:
                raise
            skipped["unreadable, missing or empty audio files"] += 1
        if progress:
            progress("checking audio", i + 1, len(found))

    if segments is not None:
        drop, counts = check_segments(segments, infos, segments_source, str(audio), opts.skip_bad,
                                      opts.segments_tolerance)
        skipped.update(counts)
        infos = {u: it for u, it in infos.items() if u not in drop}

    if opts.warps is not None and opts.feature != FeatureKind.MFCC:
        raise SpokenW2VError(f"--vtln applies to --feature mfcc only, not {opts.feature.value}")
    featurizer = make_featurizer(opts.feature, opts.model, opts.layer, opts.device, opts.normalize, opts.mfcc)
    items = []
    for utt in sorted(infos):
        it = infos[utt]
        if it.samples_16k < featurizer.min_samples:
            if not opts.skip_bad:
                raise SpokenW2VError(
                    f"{it.path}: audio of utterance {utt} is too short for {opts.feature.value} features "
                    f"({it.duration * 1000:.1f} ms; at least {featurizer.min_samples / SAMPLE_RATE * 1000:.1f} ms)"
                )
            skipped["audio files too short for one frame"] += 1
            continue
        items.append(it)
    if not items:
        raise SpokenW2VError(f"{audio}: no utterances left to featurize")
    items = select_shard(items, opts.shard_index, opts.shard_count)
    summary = FeaturizeSummary(featurizer.info, featurizer.dim, skipped=skipped)
    dtype = DTYPES[FeatureDtype(opts.dtype)]

    if single:
        expected = sum(featurizer.n_frames(it.samples_16k) for it in items)
        if expected > opts.shard_frames:
            raise SpokenW2VError(
                f"{out}: the corpus has {expected} frames, more than --shard-frames {opts.shard_frames} for one "
                "file; give a directory as --out (or raise --shard-frames)"
            )
        writer = _ShardWriter(None, out, featurizer.info, dtype, 0, 1, opts.shard_frames)
        _run(items, featurizer, writer, opts, summary, progress)
        writer.flush()
        summary.files = writer.files
        return summary

    if opts.shard_count == 1:
        check_output_dir(out, not_a_features_dir, FEATURES_ROLE)
        remove_stale_staging(out.parent.glob(f".{glob_escape(out.name)}.*.tmp"))
        with atomic_path(out, suffix="") as tmp:
            tmp.mkdir()
            _mark_staging(tmp)
            writer = _ShardWriter(tmp, None, featurizer.info, dtype, 0, 1, opts.shard_frames)
            _run(items, featurizer, writer, opts, summary, progress)
            writer.flush()
            (tmp / FEATURES_MARKER).write_text("spokenw2v features shards\n", encoding="utf-8")
            (tmp / part_done_name(0, 1)).write_text("".join(f.name + "\n" for f in writer.files), encoding="utf-8")
            (tmp / STAGING_MARKER).unlink()
        summary.files = [out / f.name for f in writer.files]
        return summary

    check_output_dir(out, not_a_features_dir, FEATURES_ROLE)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / FEATURES_MARKER).is_file():
        atomic_write_text(out / FEATURES_MARKER, "spokenw2v features shards\n")
    remove_stale_staging(out.glob(part_staging_prefix(opts.shard_index, opts.shard_count) + "*"))
    for f in out.glob("part-*.npz"):
        part = shard_part(f.name)
        if part and part[1] != opts.shard_count:
            raise SpokenW2VError(
                f"{out}: holds parts of a {part[1]}-way split ({f.name}); cannot add part "
                f"{opts.shard_index}/{opts.shard_count} (use another directory)"
            )
    stage = Path(tempfile.mkdtemp(prefix=part_staging_prefix(opts.shard_index, opts.shard_count), dir=out))
    try:
        _mark_staging(stage)
        writer = _ShardWriter(stage, None, featurizer.info, dtype, opts.shard_index, opts.shard_count,
                              opts.shard_frames)
        _run(items, featurizer, writer, opts, summary, progress)
        writer.flush()
        done = out / part_done_name(opts.shard_index, opts.shard_count)
        done.unlink(missing_ok=True)  # until the new list is written, readers see the part as unfinished
        for old in out.glob(part_prefix(opts.shard_index, opts.shard_count) + "-*.npz"):
            old.unlink()
        for f in writer.files:
            os.replace(f, out / f.name)
        atomic_write_text(done, "".join(f.name + "\n" for f in writer.files))
        summary.files = [out / f.name for f in writer.files]
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return summary


def _run(items: Sequence[AudioInfo], featurizer: Featurizer, writer: _ShardWriter, opts: FeaturizeOptions,
         summary: FeaturizeSummary, progress: ProgressCallback | None) -> None:
    """Load, featurize and write ``items`` in order (batched by length on CUDA)."""
    cuda = str(opts.device).startswith("cuda")
    batched = (cuda if opts.batch is None else opts.batch) and opts.feature != FeatureKind.MFCC
    workers = opts.workers if opts.workers is not None else (min(8, os.cpu_count() or 1) if cuda else 1)
    window = max(1, opts.window) if batched else 1
    max_samples = int(opts.batch_seconds * SAMPLE_RATE)
    pending: list[tuple[AudioInfo, np.ndarray]] = []
    done = 0

    def emit(it: AudioInfo, feats: np.ndarray) -> None:
        nonlocal done
        expected = featurizer.n_frames(it.samples_16k)
        if feats.shape != (expected, featurizer.dim):
            raise SpokenW2VError(f"{it.path}: expected {expected} frames of {featurizer.dim} dims, "
                                 f"computed {feats.shape} (utterance {it.utt})")
        if not np.all(np.isfinite(feats)):  # computed so (before storing): --dtype cannot help
            hint = " (float16 overflow on the GPU? try --device cpu)" if getattr(featurizer, "half", False) else ""
            raise SpokenW2VError(f"{it.path}: the model computed non-finite features for utterance {it.utt}{hint}")
        stored = feats.astype(writer.dtype)
        if not np.all(np.isfinite(stored)):
            raise SpokenW2VError(f"{it.path}: non-finite features for utterance {it.utt} "
                                 "(overflow in float16? try --dtype float32)")
        writer.add(it.utt, stored, it.duration)
        summary.utterances += 1
        summary.frames += len(stored)
        summary.seconds += it.duration
        done += 1
        if progress:
            progress("featurizing", done, len(items))

    def run_window() -> None:
        waves = {it.utt: w for it, w in pending}
        results: dict[str, np.ndarray] = {}
        for group in _batches({u: len(w) for u, w in waves.items()}, max_samples):
            if opts.warps is not None:  # MFCC: one utterance per group (never batched)
                featurizer.set_warp(opts.warps.get(group[0], 1.0))
            for u, f in zip(group, featurizer([waves[u] for u in group])):
                results[u] = f
        for it, _ in pending:
            emit(it, results[it.utt])
        pending.clear()

    for it, wave in _iter_waves(items, workers):
        if isinstance(wave, SpokenW2VError):
            if not opts.skip_bad:
                raise wave
            summary.skipped["unreadable audio files"] += 1
            done += 1
            continue
        if len(wave) != it.samples_16k:  # the header lied (e.g. a truncated file)
            it = AudioInfo(it.utt, it.path, SAMPLE_RATE, len(wave), 1)
        if len(wave) < featurizer.min_samples:
            if not opts.skip_bad:
                raise SpokenW2VError(f"{it.path}: audio of utterance {it.utt} is too short for one frame")
            summary.skipped["audio files too short for one frame"] += 1
            continue
        pending.append((it, wave))
        if len(pending) >= window:
            run_window()
    if pending:
        run_window()
    if items and summary.utterances == 0:
        raise SpokenW2VError(f"{items[0].path.parent}: every utterance was skipped; nothing to write")
