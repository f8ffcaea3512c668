"""File plumbing shared by every format: ``-`` for standard input/output, atomic writes,
UTF-8 text inputs.

Standard input and output: every text reader accepts ``-`` for standard input (read
whole, once per process) and every text writer ``-`` for standard output (the output is
finished in a temporary file first and copied to stdout only once it is complete, so a
stage that fails writes nothing).  Binary files (NPZ) and directories cannot be ``-``.
All outputs are written atomically (temporary name, then rename).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import sys
import tempfile
from io import StringIO
from pathlib import Path
from typing import Iterable, Iterator, TextIO

from ..errors import SpokenW2VError, where

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
    path is moved; an existing directory is first renamed aside, and removed only once the new
    one is in place).  On an exception the temporary file or directory is removed, so an
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
    old = tmp_path.with_name(tmp_path.name + ".old")  # a directory being replaced, until the new one is in place
    try:
        with _naming_errors(path):
            yield tmp_path
        if tmp_path.is_dir():
            if path.is_dir():
                os.replace(path, old)
            elif path.exists():
                path.unlink()
        os.replace(tmp_path, path)
    except BaseException:
        if tmp_path.is_dir():
            shutil.rmtree(tmp_path, ignore_errors=True)
        elif tmp_path.exists():
            tmp_path.unlink()
        if old.is_dir() and not path.exists():
            os.replace(old, path)  # interrupted between the two renames: the earlier directory is back
        raise
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)


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


def _inode_and_mtime(path: Path) -> tuple[int, int] | None:
    """(inode, modification time in ns) of a regular file, None for anything else: what tells
    :func:`all_or_nothing` whether a block wrote the file."""
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
    before = {p: _inode_and_mtime(p) for p in files}
    try:
        yield
    except BaseException:
        for p in files:
            now = _inode_and_mtime(p)
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


def os_error_text(exc: OSError) -> str:
    """The one-line text of a failed OS call on a file, ``PATH: strerror``, naming the user's
    path (an :func:`atomic_path` temporary name is reported as its output)."""
    name = exc.filename if exc.filename is not None else exc.filename2
    strerror = exc.strerror or str(exc)
    if name is None:
        return f"output: {strerror}"
    path = Path(os.fsdecode(name))
    return f"{output_of_temporary(path) or path}: {strerror}"


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


def printable(text: str) -> str:
    """``text`` as valid UTF-8: a byte of a file name that is not UTF-8 (which Python carries as
    a surrogate escape) is written as a backslash escape (byte 0xff of ``m?.vec`` as ``m\\xff.vec``),
    so that an output naming such a file can be written and read back."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace").decode("utf-8")


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8, see :func:`printable`); ``-`` writes it to
    standard output."""
    with atomic_path(path, stdout=True) as tmp:
        tmp.write_text(printable(text), encoding="utf-8")


def refuse_stdio_npz(path: str | os.PathLike | None) -> None:
    """A one-line error when an NPZ file is to be read from or written to ``-``."""
    if is_stdio(path):
        raise SpokenW2VError(f"{STDIO}: NPZ files are binary zip archives, read by seeking; they cannot be "
                             f"read from standard input or written to standard output; give a file name")


def file_sha256(path: str | os.PathLike | None) -> str:
    """sha256 (hex) of a file's bytes, read in 1 MiB blocks; ``""`` for no file or standard input."""
    if not path or is_stdio(path):
        return ""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
