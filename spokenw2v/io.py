"""Every file format of the pipeline, in one place.

Formats (each documented with a literal example in docs/formats.md):

* **Segments TSV** -- ``utt  start  end  word`` (seconds, float), header row, one word
  token per row.  A segments file from an unsupervised segmenter may omit ``word``.
  Extra columns (for example ``gold`` and ``op`` written by ``segment-noise``) are kept.
* **Features NPZ** (``format = spokenw2v-features``) -- ragged per-utterance frames:
  ``values`` (N, D) float16 by default, ``offsets`` (U+1,) int64, ``utt_ids`` (U,),
  ``durations`` (U,) seconds, ``frame_rate`` (frames per second), ``frame_offset``
  (seconds: the centre time of frame 0), ``frame_width`` (seconds: receptive field),
  ``feature``, ``model``, ``layer``, ``sample_rate``.  A large corpus is a directory of
  shards with the same schema; every reader accepts a file or a directory.
* **Units NPZ** (``format = spokenw2v-units``) -- the same ragged layout with int16
  unit ids per frame in ``values`` (N,), plus ``k`` and the codebook's path and
  fingerprint.
* **Codebook NPZ** (``format = spokenw2v-codebook``) -- ``centroids`` (k, D) float32,
  standardization ``mean`` and ``std`` (D,), ``k``, ``seed`` and the feature
  description.
* **Word units TSV** -- ``utt  start  end  word  units`` (units space separated).
* **Word vectors** -- word2vec text format (``gensim.models.KeyedVectors.load_word2vec_format``).
* **Text corpus** -- one utterance per line; :func:`tokenize` defines the tokens.
* **Audio list TSV** -- ``utt  path``.

All NPZ files carry ``format`` and ``version`` keys, use named arrays, store ragged
data as ``values`` + ``offsets`` and are always loaded with ``allow_pickle=False``.
All outputs are written atomically (temporary name, then rename).

Standard input and output: every text reader accepts ``-`` for standard input (read
whole, once per process) and every text writer ``-`` for standard output (the output is
finished in a temporary file first and copied to stdout only once it is complete, so a
stage that fails writes nothing).  Binary files (NPZ) and directories cannot be ``-``.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import shutil
import stat
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Iterable, Iterator, Sequence, TextIO

import numpy as np

from .errors import SpokenW2VError, where

FEATURES_FORMAT = "spokenw2v-features"
UNITS_FORMAT = "spokenw2v-units"
CODEBOOK_FORMAT = "spokenw2v-codebook"
FORMAT_VERSION = 1

# --------------------------------------------------------------------------- standard input/output

#: The file name that means standard input (for a reader) or standard output (for a writer).
STDIO = "-"


def is_stdio(path: str | os.PathLike | None) -> bool:
    """True when ``path`` is ``-`` (standard input or output)."""
    return path is not None and os.fspath(path) == STDIO


class _StdinCache:
    """Standard input can be read once; every reader of ``-`` in this process gets that text.

    The cache is keyed by the ``sys.stdin`` object, so a test harness that swaps it gets
    the new stream's text.
    """

    stream: object = None
    text: str = ""


def read_stdin_text() -> str:
    """The whole of standard input, decoded as UTF-8 (read on first use, then cached)."""
    if _StdinCache.stream is not sys.stdin:
        stream = sys.stdin
        if stream is None:
            raise SpokenW2VError(f"{STDIO}: there is no standard input to read")
        raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode("utf-8")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SpokenW2VError(f"{STDIO}: standard input is not UTF-8 text ({exc.reason})") from None
        _StdinCache.stream, _StdinCache.text = stream, text
    return _StdinCache.text


def _to_stdout(tmp: Path) -> None:
    """Copy a finished output file to standard output (bytes as they are in the file)."""
    sys.stdout.flush()
    out = getattr(sys.stdout, "buffer", None)
    with open(tmp, "rb") as fh:
        if out is None:  # a text-only stream (an embedding program's stand-in for stdout)
            sys.stdout.write(fh.read().decode("utf-8"))
        else:
            shutil.copyfileobj(fh, out)
            out.flush()
    sys.stdout.flush()


# --------------------------------------------------------------------------- atomic writes


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None, stdout: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    Works for files and for directories (whatever the caller creates at the temporary
    path is moved).  On an exception the temporary file or directory is removed, so an
    interrupted run never leaves a half-written output that looks whole.

    ``path`` may be ``-`` only for text outputs (``stdout=True``): the temporary file then
    lies in the system's temporary directory and is copied to standard output on success.
    """
    if is_stdio(path):
        if not stdout:
            raise SpokenW2VError(f"{STDIO}: this output is a binary file or a directory and cannot go to "
                                 f"standard output; give a file name")
        fd, tmp = tempfile.mkstemp(prefix=".spokenw2v-stdout.", suffix=".tmp")
        os.close(fd)
        tmp_path = Path(tmp)
        try:
            yield tmp_path
            _to_stdout(tmp_path)
        finally:
            tmp_path.unlink(missing_ok=True)
        return
    path = Path(path)
    suffix = suffix if suffix is not None else "".join(path.suffixes[-1:])
    if _special_file(path):
        with _in_place(path, suffix) as tmp_path:
            yield tmp_path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    tmp_path = Path(tmp)
    try:
        with _naming_errors(path):
            yield tmp_path
        if tmp_path.is_dir():
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        os.replace(tmp_path, path)
    except BaseException:
        if tmp_path.is_dir():
            shutil.rmtree(tmp_path, ignore_errors=True)
        elif tmp_path.exists():
            tmp_path.unlink()
        raise


def _special_file(path: Path) -> bool:
    """True when ``path`` is (a link to) a character device or a FIFO, which an output is
    written into in place (``/dev/null``, ``/dev/stdout``, a named pipe, ``>(cmd)``); a socket
    or a block device is refused.  A special file is never renamed over."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if stat.S_ISSOCK(mode) or stat.S_ISBLK(mode):
        kind = "a socket" if stat.S_ISSOCK(mode) else "a block device (a disk)"
        raise SpokenW2VError(f"{path}: is {kind}; outputs are written to files, directories, character devices "
                             f"or pipes only; nothing was written")
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


@contextlib.contextmanager
def _naming_errors(path: Path) -> Iterator[None]:
    """An OS error without a file name (a failed write: disk full, quota) raised inside is
    given ``path``, so that the one-line error names the output."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
        raise


@contextlib.contextmanager
def _in_place(path: Path, suffix: str) -> Iterator[Path]:
    """Finish an output in a temporary file in the system's temporary directory, then copy it
    into the special file ``path`` (opened for writing, never replaced)."""
    fd, tmp = tempfile.mkstemp(prefix=".spokenw2v-special.", suffix=f".tmp{suffix}")
    os.close(fd)
    os.unlink(tmp)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.is_dir():
            raise SpokenW2VError(f"{path}: is a {'pipe' if stat.S_ISFIFO(os.stat(path).st_mode) else 'device'}, "
                                 f"not a directory; this output is a directory; nothing was written")
        with _naming_errors(path), open(tmp_path, "rb") as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
    finally:
        if tmp_path.is_dir():
            shutil.rmtree(tmp_path, ignore_errors=True)
        else:
            tmp_path.unlink(missing_ok=True)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns) if stat.S_ISREG(st.st_mode) else None


@contextlib.contextmanager
def all_or_nothing(paths: Iterable[str | os.PathLike | None]) -> Iterator[None]:
    """Outputs of one command written together: when the block fails, every file of ``paths``
    (None and ``-`` ignored) that it has already written is removed again, so a failed command
    leaves none of its outputs.  Files the block did not write, and special files, are kept."""
    files = [Path(p) for p in paths if p is not None and not is_stdio(p)]
    before = {p: _identity(p) for p in files}
    try:
        yield
    except BaseException:
        for p in files:
            now = _identity(p)
            if now is not None and now != before[p]:
                p.unlink(missing_ok=True)
        raise


_TEMPORARY_RE = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp[^/]*$")


def output_of_temporary(path: str | os.PathLike) -> Path | None:
    """The output an :func:`atomic_path` temporary name stands for (``.x.npz.k3j2h1g0.tmp.npz``
    -> ``x.npz`` in the same folder), or None when ``path`` is not such a name."""
    path = Path(path)
    m = _TEMPORARY_RE.match(path.name)
    return path.with_name(m["name"]) if m else None


def check_readable_file(path: str | os.PathLike, what: str = "file") -> Path:
    """``path`` as a Path when it is an existing file; else a one-line error (missing, or a
    directory where ``what`` is expected)."""
    path = Path(path)
    if path.is_dir():
        raise SpokenW2VError(f"{path}: is a directory (expected a {what})")
    if not path.exists():
        raise SpokenW2VError(f"{path}: no such file")
    return path


def read_text(path: str | os.PathLike, what: str = "UTF-8 text file") -> str:
    """The whole text of a UTF-8 input (``-``: standard input), without a leading byte-order
    mark.  A byte that is not UTF-8 gives a one-line error naming the file and line."""
    if is_stdio(path):
        text = read_stdin_text()
    else:
        path = check_readable_file(path, what)
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise SpokenW2VError(f"{where(path, line)}: not UTF-8 text (byte 0x{data[exc.start]:02x}; expected a "
                                 f"{what})") from None
    return text[1:] if text.startswith("\ufeff") else text


@contextlib.contextmanager
def open_text(path: str | os.PathLike, newline: str | None = None, what: str = "UTF-8 text file") -> Iterator[TextIO]:
    """A UTF-8 text input (``-``: standard input) as a text stream, read whole through
    :func:`read_text` (same checks and errors).  ``newline`` as for :func:`open` (``""``: lines
    keep their ``\r\n``)."""
    yield StringIO(read_text(path, what), newline=newline)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8); ``-`` writes it to standard output."""
    with atomic_path(path, stdout=True) as tmp:
        tmp.write_text(text, encoding="utf-8")


def refuse_stdio_npz(path: str | os.PathLike | None) -> None:
    """A one-line error when an NPZ file is to be read from or written to ``-``."""
    if is_stdio(path):
        raise SpokenW2VError(f"{STDIO}: NPZ files are binary zip archives, read by seeking; they cannot be "
                             f"read from standard input or written to standard output; give a file name")


def _save_npz(path: str | os.PathLike, arrays: dict, compress: bool = False) -> None:
    """Save named arrays atomically; never adds a second ``.npz`` suffix."""
    refuse_stdio_npz(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            (np.savez_compressed if compress else np.savez)(fh, **arrays)


def _load_npz(path: str | os.PathLike, expected_format: str | tuple[str, ...],
              keys: Sequence[str] | None = None) -> dict:
    """Load an NPZ with ``allow_pickle=False`` and check its format key and version.

    ``expected_format`` is one format name or a tuple of accepted ones; ``keys`` limits which
    arrays are read (``None``: all), so metadata can be read without the frames.
    """
    refuse_stdio_npz(path)
    path = Path(path)
    formats = (expected_format,) if isinstance(expected_format, str) else tuple(expected_format)
    wanted = " or ".join(formats)
    check_readable_file(path, f"{wanted} NPZ file")
    if path.is_file():
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                raise SpokenW2VError(f"{path}: not an NPZ file (expected a zip of NumPy arrays, {wanted})")
    try:
        with np.load(path, allow_pickle=False) as data:
            header = {key: data[key] for key in ("format", "version") if key in data.files}
            fmt = _str(header["format"]) if "format" in header else ""
            if fmt not in formats:
                raise SpokenW2VError(f"{path}: expected a {wanted} file, found {fmt or 'no format key'}")
            version = int(header.get("version", -1))
            if version != FORMAT_VERSION:
                raise SpokenW2VError(f"{path}: {fmt} version {version} is not supported (expected {FORMAT_VERSION})")
            lacking = [key for key in (REQUIRED_KEYS.get(fmt, ()) if keys is None else keys)
                       if key not in data.files]
            arrays = {key: data[key] for key in (data.files if keys is None else keys) if key in data.files}
            if lacking:
                raise SpokenW2VError(f"{path}: incomplete {fmt} file (no {', '.join(lacking)} array)")
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise SpokenW2VError(f"{path}: not a readable NPZ file ({exc})") from None
    return {**header, **arrays}


_FRAME_KEYS = ("frame_rate", "frame_offset", "frame_width", "feature", "model", "layer", "sample_rate")
_RAGGED_KEYS = ("utt_ids", "offsets", "values", "durations") + _FRAME_KEYS

#: The arrays each NPZ format must hold (checked on load, so a reader never meets a missing key).
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    FEATURES_FORMAT: _RAGGED_KEYS,
    UNITS_FORMAT: _RAGGED_KEYS + ("k", "codebook", "codebook_id"),
    CODEBOOK_FORMAT: ("centroids", "mean", "std", "seed", "sample_fraction", "inertia") + _FRAME_KEYS,
    "spokenw2v-token-vectors": ("vectors", "words", "utt_ids", "start", "end"),
}


def _str(value) -> str:
    return str(np.asarray(value).item()) if np.ndim(value) == 0 else str(value)


# --------------------------------------------------------------------------- text corpus

_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def tokenize(line: str) -> list[str]:
    """Tokens of one line: lower-cased runs of letters/digits; inner apostrophes kept.

    All other punctuation is a separator.  ``"Don't, STOP!"`` -> ``["don't", "stop"]``.
    """
    return _TOKEN_RE.findall(line.lower())


def read_corpus(path: str | os.PathLike) -> list[list[str]]:
    """Read a text corpus (one utterance per line) as token lists; empty lines dropped."""
    path = Path(path)
    with open_text(path, what="text corpus (UTF-8, one utterance per line)") as fh:
        sentences = [toks for toks in (tokenize(line) for line in fh) if toks]
    if not sentences:
        raise SpokenW2VError(f"{path}: the corpus has no words")
    return sentences


def write_corpus(path: str | os.PathLike, sentences: Iterable[Sequence[str]]) -> None:
    """Write token lists as a text corpus, one utterance per line, atomically (``-``: stdout)."""
    atomic_write_text(path, "".join(" ".join(s) + "\n" for s in sentences))


# --------------------------------------------------------------------------- generic TSV


def read_tsv(path: str | os.PathLike, required: Sequence[str]) -> tuple[list[str], list[tuple[int, dict]]]:
    """Read a TSV with a header row; return (header, [(line_number, row_dict), ...]).

    Raises a one-line error when the file is missing, empty, lacks a required column or
    a row has the wrong number of fields.  Blank lines and lines starting with ``#`` are
    skipped.  ``-`` reads standard input.
    """
    path = Path(path)
    rows: list[tuple[int, dict]] = []
    header: list[str] | None = None
    with open_text(path, newline="", what=f"tab-separated file with a header row ({', '.join(required)})") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if header is None:
                header = [f.strip() for f in fields]
                repeated = sorted({c for c in header if header.count(c) > 1})
                if repeated:
                    raise SpokenW2VError(f"{where(path, lineno)}: header repeats column(s) {', '.join(repeated)}")
                missing = [c for c in required if c not in header]
                if missing:
                    raise SpokenW2VError(
                        f"{where(path, lineno)}: header lacks column(s) {', '.join(missing)} "
                        f"(expected a tab-separated header with {', '.join(required)})"
                    )
                continue
            if len(fields) != len(header):
                raise SpokenW2VError(
                    f"{where(path, lineno)}: expected {len(header)} tab-separated fields, found {len(fields)}"
                )
            rows.append((lineno, dict(zip(header, fields))))
    if header is None:
        raise SpokenW2VError(f"{path}: empty file (expected a header row with {', '.join(required)})")
    return header, rows


def write_tsv(path: str | os.PathLike, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write a TSV with a header row atomically (``-``: standard output).  Floats are written
    with ``repr``-like precision."""

    def fmt(value) -> str:
        if isinstance(value, (float, np.floating)):
            return f"{float(value):.6g}" if not math.isfinite(value) else _fmt_float(float(value))
        return str(value)

    with atomic_path(path, stdout=True) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write("\t".join(header) + "\n")
            for row in rows:
                fh.write("\t".join(fmt(v) for v in row) + "\n")


def _fmt_float(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


# --------------------------------------------------------------------------- word segments


@dataclass
class Segments:
    """Word segments: one row per word token, times in seconds.

    ``utt``, ``start``, ``end`` and ``word`` are parallel sequences of length N.
    ``word`` is None for boundaries without labels (an unsupervised segmenter).
    ``extra`` holds any further columns by name (strings, length N).
    Rows are grouped by utterance and sorted by start time within each utterance.
    """

    utt: list[str]
    start: np.ndarray  # (N,) float64 seconds
    end: np.ndarray  # (N,) float64 seconds
    word: list[str] | None = None
    extra: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.utt)

    def utterances(self) -> list[str]:
        """Utterance ids in order of first appearance."""
        return list(dict.fromkeys(self.utt))

    def by_utterance(self) -> dict[str, np.ndarray]:
        """Map utterance id -> row indices (sorted by start)."""
        groups: dict[str, list[int]] = {}
        for i, u in enumerate(self.utt):
            groups.setdefault(u, []).append(i)
        return {u: np.asarray(ix, dtype=np.int64) for u, ix in groups.items()}

    def subset(self, rows: Sequence[int] | np.ndarray) -> "Segments":
        rows = np.asarray(rows, dtype=np.int64)
        return Segments(
            utt=[self.utt[i] for i in rows],
            start=self.start[rows].copy(),
            end=self.end[rows].copy(),
            word=None if self.word is None else [self.word[i] for i in rows],
            extra={k: [v[i] for i in rows] for k, v in self.extra.items()},
        )


def validate_segments(seg: Segments, source: str | os.PathLike, lines: Sequence[int] | None = None,
                      durations: dict[str, float] | None = None, tolerance: float = 0.02) -> None:
    """Check segments: finite, start < end, non-overlapping within an utterance and, when
    ``durations`` (seconds per utterance) are given, inside the audio (``tolerance``
    seconds of slack past the end are allowed and clipped by readers of frames).

    Raises :class:`SpokenW2VError` naming the source, line and utterance.
    """

    def loc(i: int) -> str:
        return where(source, None if lines is None else lines[i], seg.utt[i])

    for i in range(len(seg)):
        s, e = float(seg.start[i]), float(seg.end[i])
        if not (math.isfinite(s) and math.isfinite(e)):
            raise SpokenW2VError(f"{loc(i)}: non-finite segment time")
        if s < 0:
            raise SpokenW2VError(f"{loc(i)}: segment starts before 0 s ({s:g})")
        if e <= s:
            kind = "empty" if e == s else "reversed"
            raise SpokenW2VError(f"{loc(i)}: {kind} segment (start {s:g} s, end {e:g} s)")
    for utt, rows in seg.by_utterance().items():
        starts = seg.start[rows]
        order = np.argsort(starts, kind="stable")
        rows = rows[order]
        for a, b in zip(rows[:-1], rows[1:]):
            if seg.start[b] < seg.end[a] - 1e-6:
                raise SpokenW2VError(
                    f"{loc(int(b))}: segment {seg.start[b]:g}-{seg.end[b]:g} s overlaps the previous "
                    f"one ({seg.start[a]:g}-{seg.end[a]:g} s)"
                )
        if durations is not None:
            if utt not in durations:
                raise SpokenW2VError(f"{loc(int(rows[0]))}: utterance has no audio/features")
            last = int(rows[-1])
            if seg.end[last] > durations[utt] + tolerance:
                raise SpokenW2VError(
                    f"{loc(last)}: segment ends at {seg.end[last]:g} s, past the end of the audio "
                    f"({durations[utt]:g} s)"
                )


def sort_segments(seg: Segments) -> Segments:
    """Group rows by utterance (first-appearance order) and sort by start within each."""
    order: list[int] = []
    for _, rows in seg.by_utterance().items():
        order.extend(rows[np.argsort(seg.start[rows], kind="stable")].tolist())
    return seg.subset(order)


def read_segments(path: str | os.PathLike, require_words: bool = False,
                  durations: dict[str, float] | None = None) -> Segments:
    """Read and validate a segments TSV (``utt start end [word] [extra...]``)."""
    path = Path(path)
    header, rows = read_tsv(path, ["utt", "start", "end"] + (["word"] if require_words else []))
    if not rows:
        raise SpokenW2VError(f"{path}: no segments (only a header)")
    utt, start, end, lines = [], [], [], []
    has_word = "word" in header
    words: list[str] = []
    extra_cols = [c for c in header if c not in ("utt", "start", "end", "word")]
    extra: dict[str, list[str]] = {c: [] for c in extra_cols}
    for lineno, row in rows:
        try:
            s, e = float(row["start"]), float(row["end"])
        except ValueError:
            raise SpokenW2VError(
                f"{where(path, lineno)}: start/end must be numbers in seconds, found "
                f"{row['start']!r} and {row['end']!r}"
            ) from None
        if not row["utt"]:
            raise SpokenW2VError(f"{where(path, lineno)}: empty utterance id")
        if has_word and not row["word"].strip():
            raise SpokenW2VError(f"{where(path, lineno)}: empty word (silences are not segments)")
        if require_words and any(ch.isspace() for ch in row["word"]):
            raise SpokenW2VError(f"{where(path, lineno)}: word {row['word']!r} contains white space "
                                 f"(one word token per row)")
        utt.append(row["utt"])
        start.append(s)
        end.append(e)
        lines.append(lineno)
        if has_word:
            words.append(row["word"])
        for c in extra_cols:
            extra[c].append(row[c])
    seg = Segments(utt, np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64),
                   words if has_word else None, extra)
    validate_segments(seg, path, lines, durations)
    return sort_segments(seg)


def write_segments(path: str | os.PathLike, seg: Segments) -> None:
    """Write a segments TSV atomically (times rounded to 0.1 ms)."""
    header = ["utt", "start", "end"] + (["word"] if seg.word is not None else []) + list(seg.extra)

    def rows():
        for i in range(len(seg)):
            row = [seg.utt[i], f"{seg.start[i]:.4f}", f"{seg.end[i]:.4f}"]
            if seg.word is not None:
                row.append(seg.word[i])
            row.extend(seg.extra[c][i] for c in seg.extra)
            yield row

    write_tsv(path, header, rows())


# --------------------------------------------------------------------------- audio list


def read_audio_list(path: str | os.PathLike) -> dict[str, Path]:
    """Read an audio list TSV (``utt  path``); relative paths are relative to the TSV."""
    path = Path(path)
    _, rows = read_tsv(path, ["utt", "path"])
    out: dict[str, Path] = {}
    for lineno, row in rows:
        if row["utt"] in out:
            raise SpokenW2VError(f"{where(path, lineno)}: duplicate utterance id {row['utt']!r}")
        if not row["path"].strip():
            raise SpokenW2VError(f"{where(path, lineno)}: empty audio path (utterance {row['utt']!r})")
        p = Path(row["path"])
        out[row["utt"]] = p if p.is_absolute() else path.parent / p
    if not out:
        raise SpokenW2VError(f"{path}: no audio files listed")
    return out


def write_audio_list(path: str | os.PathLike, items: dict[str, str | os.PathLike]) -> None:
    write_tsv(path, ["utt", "path"], ([u, str(p)] for u, p in items.items()))


# --------------------------------------------------------------------------- ragged frames


@dataclass
class FrameInfo:
    """How frames map to time.  Frame ``i`` of an utterance is centred at
    ``frame_offset + i / frame_rate`` seconds and spans ``frame_width`` seconds of audio."""

    frame_rate: float  # frames per second (100 for MFCC, 50 for HuBERT/wav2vec2/WavLM)
    frame_offset: float  # seconds, centre of frame 0
    frame_width: float  # seconds, receptive field of one frame
    feature: str  # "mfcc" | "hubert" | "wav2vec2" | "wavlm"
    model: str = ""  # hub id or local directory ("" for MFCC)
    layer: int = -1  # transformer layer (see features.py), -1 for MFCC
    sample_rate: int = 16000

    def to_arrays(self) -> dict:
        return {
            "frame_rate": np.float64(self.frame_rate),
            "frame_offset": np.float64(self.frame_offset),
            "frame_width": np.float64(self.frame_width),
            "feature": np.str_(self.feature),
            "model": np.str_(self.model),
            "layer": np.int64(self.layer),
            "sample_rate": np.int64(self.sample_rate),
        }

    @classmethod
    def from_arrays(cls, a: dict) -> "FrameInfo":
        return cls(float(a["frame_rate"]), float(a["frame_offset"]), float(a["frame_width"]),
                   _str(a["feature"]), _str(a["model"]), int(a["layer"]), int(a["sample_rate"]))

    def describe(self) -> str:
        if self.feature == "mfcc":
            return "mfcc"
        return f"{self.feature}:{self.model}:layer{self.layer}"


@dataclass
class Ragged:
    """Per-utterance arrays stored as ``values`` + ``offsets``.

    ``values[offsets[u]:offsets[u+1]]`` are the frames of utterance ``utt_ids[u]``;
    ``values`` is (N, D) for features and (N,) for units.  ``durations`` (U,) seconds.
    """

    utt_ids: list[str]
    offsets: np.ndarray  # (U+1,) int64
    values: np.ndarray
    durations: np.ndarray  # (U,) float64 seconds
    info: FrameInfo

    def __len__(self) -> int:
        return len(self.utt_ids)

    def __getitem__(self, u: int) -> np.ndarray:
        return self.values[self.offsets[u]: self.offsets[u + 1]]

    def index(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.utt_ids)}

    def items(self) -> Iterator[tuple[str, np.ndarray]]:
        for u, utt in enumerate(self.utt_ids):
            yield utt, self[u]

    @classmethod
    def from_list(cls, utt_ids: Sequence[str], arrays: Sequence[np.ndarray], durations: Sequence[float],
                  info: FrameInfo, dtype=None) -> "Ragged":
        lengths = np.asarray([len(a) for a in arrays], dtype=np.int64)
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if arrays:
            values = np.concatenate(arrays, axis=0)
        else:
            values = np.zeros((0,), dtype=dtype or np.float32)
        if dtype is not None:
            values = values.astype(dtype, copy=False)
        return cls(list(utt_ids), offsets, values, np.asarray(durations, dtype=np.float64), info)


def _ragged_arrays(r: Ragged, fmt: str, **more) -> dict:
    return {
        "format": np.str_(fmt),
        "version": np.int64(FORMAT_VERSION),
        "utt_ids": np.asarray(r.utt_ids, dtype=np.str_),
        "offsets": r.offsets.astype(np.int64),
        "values": r.values,
        "durations": r.durations.astype(np.float64),
        **r.info.to_arrays(),
        **more,
    }


#: Unsigned view and exponent mask per float size: a value is NaN or infinite when all its
#: exponent bits are set (3x faster than ``np.isfinite`` on float16 features).
_EXPONENT = {2: (np.uint16, 0x7C00), 4: (np.uint32, 0x7F800000), 8: (np.uint64, 0x7FF0000000000000)}


def all_finite(a: np.ndarray, chunk: int = 1 << 22) -> bool:
    """True when every element of ``a`` is finite (integers always are); ``chunk`` elements
    at a time so the check needs little memory."""
    if a.dtype.kind != "f":
        return True
    spec = _EXPONENT.get(a.dtype.itemsize)
    flat = a.reshape(-1)
    if spec is None or not a.flags.c_contiguous:
        return bool(np.isfinite(a).all())
    view, mask = spec[0], spec[0](spec[1])
    bits = flat.view(view)
    return not any(((bits[i:i + chunk] & mask) == mask).any() for i in range(0, len(bits), chunk))


def _ragged_from(arrays: dict, path: Path) -> Ragged:
    utt_ids = [str(u) for u in arrays["utt_ids"].tolist()]
    offsets = arrays["offsets"].astype(np.int64)
    values = arrays["values"]
    if len(offsets) != len(utt_ids) + 1 or offsets[0] != 0 or offsets[-1] != len(values) or np.any(np.diff(offsets) < 0):
        raise SpokenW2VError(f"{path}: corrupt file (offsets do not match values and utt_ids)")
    durations = arrays["durations"]
    if len(durations) != len(utt_ids):
        raise SpokenW2VError(f"{path}: corrupt file (utt_ids and durations differ in length)")
    for name, a in (("values", values), ("durations", durations)):
        if a.dtype.kind not in "biuf":
            raise SpokenW2VError(f"{path}: {name} must be numbers, found {a.dtype}")
        if not all_finite(a):
            bad = int(np.flatnonzero(~np.isfinite(a).reshape(len(a), -1).all(axis=1))[0])
            u = bad if name == "durations" else int(np.searchsorted(offsets, bad, side="right") - 1)
            raise SpokenW2VError(f"{where(path, utt=utt_ids[u])}: non-finite {name[:-1] if name == 'values' else 'duration'}"
                                 f" (NaN or infinity)")
    if len(durations) and durations.min() < 0:
        u = int(np.argmin(durations))
        raise SpokenW2VError(f"{where(path, utt=utt_ids[u])}: negative duration {float(durations[u]):g} s")
    return Ragged(utt_ids, offsets, values, arrays["durations"].astype(np.float64), _frame_info(arrays, path))


def _frame_info(arrays: dict, path: Path) -> FrameInfo:
    try:
        info = FrameInfo.from_arrays(arrays)
    except (TypeError, ValueError):
        raise SpokenW2VError(f"{path}: corrupt file (frame_rate, frame_offset, frame_width, layer or sample_rate "
                             f"is not a number)") from None
    if not (math.isfinite(info.frame_rate) and info.frame_rate > 0 and math.isfinite(info.frame_offset)
            and math.isfinite(info.frame_width)):
        raise SpokenW2VError(f"{path}: corrupt file (non-finite or non-positive frame rate, offset or width)")
    return info


def npz_files(path: str | os.PathLike) -> list[Path]:
    """A file, or the sorted ``*.npz`` shards of a directory."""
    refuse_stdio_npz(path)
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.npz") if not p.name.startswith("."))
        if not files:
            raise SpokenW2VError(f"{path}: directory holds no .npz shards")
        check_shard_set(path, files)
        return files
    if not path.exists():
        raise SpokenW2VError(f"{path}: no such file or directory")
    return [path]


# Shard names of a features directory (written by spokenw2v.featurize, checked here by every
# reader): part i of an n-way split is ``part-i-of-n-k.npz`` (k = 0, 1, ...), finished by the
# list ``part-i-of-n.done``, and staged while it runs in a hidden folder ``.part-i-of-n.XXXX``.
_PART_RE = re.compile(r"^part-(\d+)-of-(\d+)-(\d+)\.npz$")
_DONE_RE = re.compile(r"^part-(\d+)-of-(\d+)\.done$")
_STAGING_RE = re.compile(r"^\.part-\d+-of-\d+\..+$")


def part_prefix(index: int, count: int) -> str:
    """``part-00000-of-00002``: the start of every file name of part ``index`` of ``count``."""
    return f"part-{index:05d}-of-{count:05d}"


def part_name(index: int, count: int, number: int) -> str:
    """Shard file name: ``part-00000-of-00001-00000.npz`` (sorts in corpus order)."""
    return f"{part_prefix(index, count)}-{number:05d}.npz"


def part_done_name(index: int, count: int) -> str:
    """``part-00000-of-00002.done``: the list of a finished part's shard files, written last."""
    return f"{part_prefix(index, count)}.done"


def part_staging_prefix(index: int, count: int) -> str:
    """``.part-00000-of-00002.``: the start of the name of a part's hidden staging folder."""
    return f".{part_prefix(index, count)}."


def check_shard_set(directory: Path, files: Sequence[Path]) -> None:
    """A directory of ``part-i-of-n-k.npz`` shards must be complete: one ``n`` for all, every
    part ``i`` in 0..n-1 present and its files numbered 0, 1, ... without a gap; when the
    directory has ``part-i-of-n.done`` lists (featurize writes one when a part is finished),
    every part needs its list and holds exactly the files it names.  Directories of other
    ``.npz`` names are not checked."""
    parts: dict[int, list[int]] = {}
    counts: dict[int, str] = {}
    for f in files:
        m = _PART_RE.match(f.name)
        if m is None:
            continue
        counts.setdefault(int(m.group(2)), f.name)
        parts.setdefault(int(m.group(1)), []).append(int(m.group(3)))
    if not counts:
        return
    if len(counts) > 1:
        names = ", ".join(f"{name} (of {n})" for n, name in sorted(counts.items()))
        raise SpokenW2VError(f"{directory}: holds shards of different splits ({names}); one featurize --out "
                             f"directory must hold one split")
    n = next(iter(counts))
    missing = [i for i in range(n) if i not in parts]
    if missing:
        shown = ", ".join(f"{i}/{n}" for i in missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise SpokenW2VError(f"{directory}: incomplete shard set: part(s) {shown} missing (run featurize "
                             f"--shard for them into this directory first)")
    for i, numbers in sorted(parts.items()):
        if i >= n:
            raise SpokenW2VError(f"{directory}: {part_name(i, n, numbers[0])} is part {i} of a {n}-way split")
        if sorted(numbers) != list(range(len(numbers))):
            gap = min(set(range(max(numbers) + 1)) - set(numbers))
            raise SpokenW2VError(f"{directory}: incomplete shard set: {part_name(i, n, gap)} missing")
    done = [p for p in directory.glob("part-*.done") if _DONE_RE.match(p.name)]
    if not done:
        return  # written before the lists existed
    for i, numbers in sorted(parts.items()):
        listing = directory / part_done_name(i, n)
        if not listing.is_file():
            raise SpokenW2VError(f"{directory}: part {i}/{n} is unfinished (no {listing.name}: its featurize "
                                 f"run stopped while moving its files in; run featurize --shard {i}/{n} again)")
        listed = sorted(read_text(listing).split())
        if listed != sorted(part_name(i, n, k) for k in numbers):
            raise SpokenW2VError(f"{listing}: lists other files than the directory holds for part {i}/{n} "
                                 f"(run featurize --shard {i}/{n} again)")


def write_features(path: str | os.PathLike, feats: Ragged) -> None:
    """Write one features NPZ (file or shard) atomically.  ``feats.values`` is (N, D)."""
    if feats.values.ndim != 2:
        raise ValueError("features values must be (N, D)")
    _save_npz(path, _ragged_arrays(feats, FEATURES_FORMAT))


def read_features(path: str | os.PathLike, mmap: bool = False) -> Ragged:
    """Read one features NPZ file (not a directory; see :func:`iter_features`)."""
    path = Path(path)
    arrays = _load_npz(path, FEATURES_FORMAT)
    if arrays["values"].dtype.kind != "f" or arrays["values"].ndim != 2:
        raise SpokenW2VError(f"{path}: feature values must be (frames, dims) floats, found {arrays['values'].ndim} "
                             f"axes of {arrays['values'].dtype}")
    return _ragged_from(arrays, path)


def iter_features(path: str | os.PathLike) -> Iterator[Ragged]:
    """Stream the shards of a features file or directory, one :class:`Ragged` at a time."""
    first: FrameInfo | None = None
    for f in npz_files(path):
        shard = read_features(f)
        if first is None:
            first = shard.info
        elif shard.info != first:
            raise SpokenW2VError(f"{f}: shard describes {shard.info.describe()}, others {first.describe()}")
        yield shard


def features_info(path: str | os.PathLike) -> tuple[FrameInfo, int]:
    """(FrameInfo, feature dimension) of a features file or directory, reading one shard."""
    f = npz_files(path)[0]
    shard = read_features(f)
    return shard.info, int(shard.values.shape[1])


def write_units(path: str | os.PathLike, units: Ragged, k: int, codebook_path: str, codebook_id: str) -> None:
    """Write a units NPZ atomically.  ``units.values`` is (N,) integer unit ids in [0, k)."""
    if units.values.ndim != 1:
        raise ValueError("unit values must be (N,)")
    _save_npz(path, _ragged_arrays(units, UNITS_FORMAT, values=units.values.astype(np.int16 if k <= 32767 else np.int32),
                                   k=np.int64(k), codebook=np.str_(codebook_path),
                                   codebook_id=np.str_(codebook_id)))


@dataclass
class Units:
    """Frame-level unit ids (ragged) plus the codebook they came from."""

    frames: Ragged  # values (N,) int
    k: int
    codebook: str
    codebook_id: str


def read_units(path: str | os.PathLike) -> Units:
    """Read a units NPZ file, or a directory of unit shards merged into one."""
    parts = []
    for f in npz_files(path):
        arrays = _load_npz(f, UNITS_FORMAT)
        if arrays["values"].dtype.kind not in "iu":
            raise SpokenW2VError(f"{f}: unit ids must be integers, found {arrays['values'].dtype} values")
        r = _ragged_from(arrays, f)
        k = int(arrays["k"])
        if len(r.values) and (int(r.values.min()) < 0 or int(r.values.max()) >= k):
            raise SpokenW2VError(f"{f}: unit ids outside [0, {k})")
        parts.append(Units(r, k, _str(arrays["codebook"]), _str(arrays["codebook_id"])))
    if len(parts) == 1:
        return parts[0]
    base = parts[0]
    for p, f in zip(parts[1:], npz_files(path)[1:]):
        if p.codebook_id != base.codebook_id:
            raise SpokenW2VError(f"{f}: shard was encoded with another codebook")
    frames = Ragged.from_list(
        [u for p in parts for u in p.frames.utt_ids],
        [p.frames[i] for p in parts for i in range(len(p.frames))],
        [d for p in parts for d in p.frames.durations],
        base.frames.info,
    )
    return Units(frames, base.k, base.codebook, base.codebook_id)


# --------------------------------------------------------------------------- codebook


@dataclass
class Codebook:
    """k-means codebook over standardized features: unit = argmin_k ||(x-mean)/std - c_k||."""

    centroids: np.ndarray  # (k, D) float32, in standardized space
    mean: np.ndarray  # (D,) float32
    std: np.ndarray  # (D,) float32
    seed: int
    info: FrameInfo
    sample_fraction: float = 0.1
    inertia: float = float("nan")

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])

    @property
    def dim(self) -> int:
        return int(self.centroids.shape[1])

    def fingerprint(self) -> str:
        h = hashlib.sha1()
        for a in (self.centroids, self.mean, self.std):
            h.update(np.ascontiguousarray(a, dtype=np.float32).tobytes())
        return h.hexdigest()[:16]


def write_codebook(path: str | os.PathLike, cb: Codebook) -> None:
    _save_npz(path, {
        "format": np.str_(CODEBOOK_FORMAT),
        "version": np.int64(FORMAT_VERSION),
        "centroids": cb.centroids.astype(np.float32),
        "mean": cb.mean.astype(np.float32),
        "std": cb.std.astype(np.float32),
        "k": np.int64(cb.k),
        "seed": np.int64(cb.seed),
        "sample_fraction": np.float64(cb.sample_fraction),
        "inertia": np.float64(cb.inertia),
        **cb.info.to_arrays(),
    })


def read_codebook(path: str | os.PathLike) -> Codebook:
    path = Path(path)
    a = _load_npz(path, CODEBOOK_FORMAT)
    c = a["centroids"].astype(np.float32)
    if c.ndim != 2 or a["mean"].shape != (c.shape[1],) or a["std"].shape != (c.shape[1],):
        raise SpokenW2VError(f"{path}: corrupt codebook (centroid/mean/std shapes disagree)")
    if "k" in a and int(a["k"]) != c.shape[0]:
        raise SpokenW2VError(f"{path}: corrupt codebook (k = {int(a['k'])} but {c.shape[0]} centroids)")
    if not all(a[key].dtype.kind in "biuf" and np.isfinite(a[key]).all() for key in ("centroids", "mean", "std")) \
            or not (a["std"] > 0).all():
        raise SpokenW2VError(f"{path}: corrupt codebook (non-finite centroids, mean or std, or std <= 0)")
    return Codebook(c, a["mean"].astype(np.float32), a["std"].astype(np.float32), int(a["seed"]),
                    _frame_info(a, path), float(a["sample_fraction"]), float(a["inertia"]))


# --------------------------------------------------------------------------- word units TSV


def write_word_units(path: str | os.PathLike, seg: Segments, sequences: Sequence[np.ndarray]) -> None:
    """Human-readable view: ``utt start end word units`` (space-separated unit ids); the
    segments must have words (every reader of the format needs them)."""
    if seg.word is None:
        raise SpokenW2VError(f"{path}: word units need the word of every segment (the segments have no word column)")
    words = seg.word
    write_tsv(path, ["utt", "start", "end", "word", "units"], (
        [seg.utt[i], f"{seg.start[i]:.4f}", f"{seg.end[i]:.4f}", words[i], " ".join(map(str, sequences[i].tolist()))]
        for i in range(len(seg))
    ))


@dataclass
class WordUnits:
    """Word tokens with a symbol sequence each (a ``word-units`` TSV or any unit source).

    ``seg`` the word segments (grouped by utterance, sorted); ``sequences[i]`` (L_i,) int64
    symbol ids of token ``seg[i]``; ``symbols`` the symbol of each id (None when the file
    holds integer unit ids, which are kept as they are); ``k`` the number of ids.
    """

    seg: Segments
    sequences: list[np.ndarray]
    symbols: list[str] | None
    k: int


def read_word_units(path: str | os.PathLike) -> WordUnits:
    """Read ``utt start end word units`` (the ``word-units`` output, or any tool's units):
    ``units`` holds space-separated symbols, either non-negative integer unit ids (kept as
    ids; k = largest + 1) or any other symbols, such as phonemes (numbered in sorted order)."""
    path = Path(path)
    _, rows = read_tsv(path, ["utt", "start", "end", "word", "units"])
    if not rows:
        raise SpokenW2VError(f"{path}: no word tokens (only a header)")
    utt, start, end, words, lines, raw = [], [], [], [], [], []
    for lineno, row in rows:
        try:
            s, e = float(row["start"]), float(row["end"])
        except ValueError:
            raise SpokenW2VError(f"{where(path, lineno)}: start/end must be numbers in seconds, found "
                                 f"{row['start']!r} and {row['end']!r}") from None
        if not row["utt"]:
            raise SpokenW2VError(f"{where(path, lineno)}: empty utterance id")
        if not row["word"].strip():
            raise SpokenW2VError(f"{where(path, lineno)}: empty word")
        symbols = row["units"].split()
        if not symbols:
            raise SpokenW2VError(f"{where(path, lineno)}: word {row['word']!r} has no units")
        utt.append(row["utt"])
        start.append(s)
        end.append(e)
        words.append(row["word"])
        lines.append(lineno)
        raw.append(symbols)
    seg = Segments(utt, np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64), words,
                   {"line": [str(n) for n in lines]})
    validate_segments(seg, path, lines)
    order = []  # group by utterance and sort by start, as read_segments does
    for _, ix in seg.by_utterance().items():
        order.extend(ix[np.argsort(seg.start[ix], kind="stable")].tolist())
    seg = seg.subset(order)
    raw = [raw[i] for i in order]
    distinct = sorted({x for r in raw for x in r})
    if all(x.isdigit() for x in distinct):
        ids = [np.asarray([int(x) for x in r], dtype=np.int64) for r in raw]
        k = 1 + max(int(a.max()) for a in ids)
        if k > 2**31 - 1:
            raise SpokenW2VError(f"{path}: unit ids up to {k - 1} (expected a codebook's ids, 0..k-1)")
        return WordUnits(seg, ids, None, k)
    number = {x: i for i, x in enumerate(distinct)}
    ids = [np.asarray([number[x] for x in r], dtype=np.int64) for r in raw]
    return WordUnits(seg, ids, distinct, len(distinct))


# --------------------------------------------------------------------------- word vectors


@dataclass
class WordVectors:
    """Word vectors: ``vectors[i]`` (D,) float32 belongs to ``words[i]``."""

    words: list[str]
    vectors: np.ndarray  # (V, D) float32

    def __post_init__(self):
        self._index = {w: i for i, w in enumerate(self.words)}

    def __contains__(self, word: str) -> bool:
        return word in self._index

    def __len__(self) -> int:
        return len(self.words)

    @property
    def index(self) -> dict[str, int]:
        return self._index

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


def write_vectors(path: str | os.PathLike, wv: WordVectors) -> None:
    """Write word2vec text format (``V D`` header, then ``word v1 ... vD``) atomically."""
    if any((not w) or any(ch.isspace() for ch in w) for w in wv.words):
        raise SpokenW2VError(f"{path}: words must be non-empty and contain no whitespace")
    with atomic_path(path, stdout=True) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(f"{len(wv.words)} {wv.dim}\n")
            for w, v in zip(wv.words, wv.vectors):
                fh.write(w + " " + " ".join(f"{x:.6g}" for x in v.tolist()) + "\n")


def read_vectors(path: str | os.PathLike) -> WordVectors:
    """Read word2vec text format with strict checks (header, row widths, duplicates, NaN);
    ``-`` reads standard input."""
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen: dict[str, int] = {}
    with open_text(path, newline="", what="word2vec text file") as fh:
        header = fh.readline()
        parts = header.split()
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise SpokenW2VError(f"{where(path, 1)}: expected a word2vec header 'COUNT DIM', found {header.strip()[:40]!r}")
        count, dim = int(parts[0]), int(parts[1])
        for lineno, line in enumerate(fh, start=2):
            fields = line.rstrip("\r\n").rstrip(" ").split(" ")
            if fields == [""]:
                continue
            if len(fields) != dim + 1:
                raise SpokenW2VError(f"{where(path, lineno)}: expected a word and {dim} numbers, found {len(fields) - 1} numbers")
            w = fields[0]
            if w in seen:
                raise SpokenW2VError(f"{where(path, lineno)}: duplicate word {w!r} (first on line {seen[w]})")
            try:
                v = np.asarray(fields[1:], dtype=np.float32)
            except ValueError:
                raise SpokenW2VError(f"{where(path, lineno)}: non-numeric vector value") from None
            if not np.all(np.isfinite(v)):
                raise SpokenW2VError(f"{where(path, lineno)}: non-finite vector value")
            seen[w] = lineno
            words.append(w)
            rows.append(v)
    if len(words) != count:
        raise SpokenW2VError(f"{path}: header promises {count} words, file has {len(words)} (truncated?)")
    if count == 0:
        raise SpokenW2VError(f"{path}: no vectors")
    return WordVectors(words, np.stack(rows).astype(np.float32))


# --------------------------------------------------------------------------- evaluation test set

TEST_SET_RELATIONS = ("semantic", "orthographic", "random")
#: Halves of the test words: ``dev`` for choices (best checkpoint, settings), ``test`` for reports.
TEST_SET_SPLITS = ("dev", "test")
TEST_SET_COLUMNS = ["word1", "word2", "relation", "freq1", "freq2", "split"]


@dataclass
class TestSet:
    """Word pairs of the paper's evaluation protocol (see ``evaluate.build_test_set``).

    ``word1``, ``word2`` and ``relation`` are parallel lists of length P (one entry per
    pair); ``word1`` is the test word, ``relation`` is ``semantic``, ``orthographic`` or
    ``random``.  ``freq1``/``freq2`` (P,) are the corpus token counts of the two words (the
    corpus the test set was drawn from) and ``split`` (P,) the half of the pair's test word,
    ``dev`` or ``test``; empty lists when not known (a test set built by hand in code).
    ``seed`` is the seed that drew the test words (-1 when not recorded) and ``params`` the
    other construction settings, both written as ``# key=value`` lines.
    """

    __test__ = False  # not a pytest test class

    word1: list[str]
    word2: list[str]
    relation: list[str]
    seed: int = -1
    params: dict[str, str] = field(default_factory=dict)
    freq1: list[int] = field(default_factory=list)
    freq2: list[int] = field(default_factory=list)
    split: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.word1)

    def test_words(self) -> list[str]:
        """Distinct test words (``word1``) in order of first appearance."""
        return list(dict.fromkeys(self.word1))


def write_test_set(path: str | os.PathLike, ts: TestSet) -> None:
    """Write a test-set TSV atomically: ``# key=value`` provenance lines (seed first),
    then the header ``word1  word2  relation  freq1  freq2  split`` and one row per pair."""
    n = len(ts)
    if len(ts.freq1) != n or len(ts.freq2) != n or len(ts.split) != n:
        raise SpokenW2VError(f"{path}: a test set is saved with the corpus frequencies and the dev/test split "
                             f"of every pair (draw it with evaluate.build_test_set)")
    lines = ["# spokenw2v test set", f"# seed={ts.seed}"]
    lines += [f"# {k}={v}" for k, v in ts.params.items() if k != "seed"]
    lines.append("\t".join(TEST_SET_COLUMNS))
    lines += [f"{a}\t{b}\t{r}\t{f1}\t{f2}\t{sp}"
              for a, b, r, f1, f2, sp in zip(ts.word1, ts.word2, ts.relation, ts.freq1, ts.freq2, ts.split)]
    atomic_write_text(path, "\n".join(lines) + "\n")


def read_test_set(path: str | os.PathLike) -> TestSet:
    """Read a test-set TSV written by :func:`write_test_set` (or by hand: the ``#`` lines
    are optional).  Raises a one-line error naming the file and line when it does not parse,
    and one saying how to regenerate the file when it lacks the frequency and split columns
    (test sets saved by earlier versions)."""
    path = Path(path)
    header, rows = read_tsv(path, ["word1", "word2", "relation"])
    missing = [c for c in TEST_SET_COLUMNS if c not in header]
    if missing:
        raise SpokenW2VError(
            f"{path}: test set without the column(s) {', '.join(missing)} (saved by an older spokenw2v, which "
            f"kept no corpus frequencies or dev/test split); regenerate it: spokenw2v evaluate MODEL.vec "
            f"--reference REF.vec --corpus CORPUS --seed SEED --save-test-set {path.name}")
    params: dict[str, str] = {}
    with open_text(path) as fh:
        for line in fh:
            if not line.startswith("#"):
                if line.strip():
                    break
                continue
            key, sep, value = line[1:].strip().partition("=")
            if sep and key.strip() and " " not in key.strip():
                params[key.strip()] = value.strip()
    w1, w2, rel, f1, f2, split = [], [], [], [], [], []
    for lineno, row in rows:
        a, b, r = row["word1"].strip(), row["word2"].strip(), row["relation"].strip()
        if not a or not b:
            raise SpokenW2VError(f"{where(path, lineno)}: empty word in a test pair")
        if r not in TEST_SET_RELATIONS:
            raise SpokenW2VError(
                f"{where(path, lineno)}: relation must be one of {', '.join(TEST_SET_RELATIONS)}, found {r!r}"
            )
        counts = []
        for col in ("freq1", "freq2"):
            text = row[col].strip()
            if not text.isdigit() or int(text) < 1:
                raise SpokenW2VError(f"{where(path, lineno)}: {col} must be a corpus count >= 1, found {text!r}")
            counts.append(int(text))
        sp = row["split"].strip()
        if sp not in TEST_SET_SPLITS:
            raise SpokenW2VError(
                f"{where(path, lineno)}: split must be one of {', '.join(TEST_SET_SPLITS)}, found {sp!r}")
        w1.append(a)
        w2.append(b)
        rel.append(r)
        f1.append(counts[0])
        f2.append(counts[1])
        split.append(sp)
    if not w1:
        raise SpokenW2VError(f"{path}: the test set has no pairs (only a header)")
    seed_text = params.pop("seed", "-1")
    try:
        seed = int(seed_text)
    except ValueError:
        raise SpokenW2VError(f"{path}: '# seed=' must be an integer, found {seed_text!r}") from None
    return TestSet(w1, w2, rel, seed, params, f1, f2, split)


# --------------------------------------------------------------------------- word-similarity pairs


@dataclass
class SimilarityPairs:
    """A word-similarity benchmark: human ``score`` (P,) float64 for pairs ``word1``/``word2``."""

    name: str
    word1: list[str]
    word2: list[str]
    score: np.ndarray  # (P,) float64, higher = more similar


def read_similarity_pairs(path: str | os.PathLike, name: str | None = None) -> SimilarityPairs:
    """Read ``word1  word2  score`` (tab-separated; extra columns ignored).

    Blank lines and ``#`` lines are skipped; a first row whose score is not a number is a
    header.  This reads gensim's bundled ``wordsim353.tsv`` and ``simlex999.txt``.
    """
    path = Path(path)
    w1: list[str] = []
    w2: list[str] = []
    scores: list[float] = []
    first = True
    with open_text(path, what="word-similarity file (word1 word2 score)") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) < 3:
                raise SpokenW2VError(
                    f"{where(path, lineno)}: expected tab-separated 'word1 word2 score', found {len(fields)} field(s)"
                )
            try:
                score = float(fields[2])
            except ValueError:
                if first:
                    first = False
                    continue
                raise SpokenW2VError(f"{where(path, lineno)}: score must be a number, found {fields[2]!r}") from None
            first = False
            if not math.isfinite(score) or not fields[0].strip() or not fields[1].strip():
                raise SpokenW2VError(f"{where(path, lineno)}: empty word or non-finite score")
            w1.append(fields[0].strip())
            w2.append(fields[1].strip())
            scores.append(score)
    if not w1:
        raise SpokenW2VError(f"{path}: no word pairs (expected tab-separated 'word1 word2 score' rows)")
    return SimilarityPairs(name or Path(path).stem, w1, w2, np.asarray(scores, dtype=np.float64))


# --------------------------------------------------------------------------- utterance durations


def read_durations(path: str | os.PathLike) -> dict[str, float]:
    """Utterance id -> duration in seconds from a features or units NPZ (file or directory
    of shards), reading only the ``utt_ids`` and ``durations`` arrays (no frames)."""
    out: dict[str, float] = {}
    for f in npz_files(path):
        arrays = _load_npz(f, (FEATURES_FORMAT, UNITS_FORMAT), keys=("utt_ids", "durations"))
        utts, durs = arrays["utt_ids"].tolist(), arrays["durations"].astype(np.float64).tolist()
        if len(utts) != len(durs):
            raise SpokenW2VError(f"{f}: corrupt file (utt_ids and durations differ in length)")
        if not all(math.isfinite(d) and d >= 0 for d in durs):
            raise SpokenW2VError(f"{f}: non-finite or negative utterance durations")
        for u, d in zip(utts, durs):
            if str(u) in out:
                raise SpokenW2VError(f"{f}: utterance {u} appears in more than one shard")
            out[str(u)] = float(d)
    return out


# --------------------------------------------------------------------------- per-token vectors

TOKEN_VECTORS_FORMAT = "spokenw2v-token-vectors"


@dataclass
class TokenVectors:
    """One vector per word token (``format = spokenw2v-token-vectors``).

    ``vectors`` (N, D) float32; ``words`` (N,) the token's label; ``utt_ids`` (N,) its
    utterance; ``start``/``end`` (N,) seconds (NaN for tokens of a text corpus).
    """

    vectors: np.ndarray
    words: list[str]
    utt_ids: list[str]
    start: np.ndarray
    end: np.ndarray


def write_token_vectors(path: str | os.PathLike, tv: TokenVectors) -> None:
    """Write per-token vectors as an NPZ atomically."""
    _save_npz(path, {
        "format": np.str_(TOKEN_VECTORS_FORMAT),
        "version": np.int64(FORMAT_VERSION),
        "vectors": tv.vectors.astype(np.float32),
        "words": np.asarray(tv.words, dtype=np.str_),
        "utt_ids": np.asarray(tv.utt_ids, dtype=np.str_),
        "start": np.asarray(tv.start, dtype=np.float64),
        "end": np.asarray(tv.end, dtype=np.float64),
    })


def read_token_vectors(path: str | os.PathLike) -> TokenVectors:
    path = Path(path)
    a = _load_npz(path, TOKEN_VECTORS_FORMAT)
    v = a["vectors"].astype(np.float32)
    n = v.shape[0]
    if not (len(a["words"]) == len(a["utt_ids"]) == len(a["start"]) == len(a["end"]) == n):
        raise SpokenW2VError(f"{path}: corrupt file (array lengths differ)")
    if not np.isfinite(v).all():
        raise SpokenW2VError(f"{path}: non-finite token vector values (NaN or infinity)")
    return TokenVectors(v, [str(w) for w in a["words"].tolist()], [str(u) for u in a["utt_ids"].tolist()],
                        a["start"].astype(np.float64), a["end"].astype(np.float64))
