"""Shared pieces of the command line: the Typer app, error handling, logging, devices."""

from __future__ import annotations

import errno
import functools
import os
from pathlib import Path
from typing import Callable, Iterable, Optional

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import SpokenW2VError

app = typer.Typer(
    name="spokenw2v",
    help="Learn semantic word embeddings directly from speech (Spoken Word2Vec).\n\n"
    "Each subcommand is one stage of the pipeline and reads and writes plain files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Logs and progress go to stderr; data goes to files (or stdout where documented).
err_console = Console(stderr=True)
out_console = Console()


def fail(message: str) -> None:
    """Print ``Error: message`` on stderr and exit 1."""
    err_console.print(f"[bold red]Error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(1)


def guarded(func: Callable) -> Callable:
    """Turn :class:`SpokenW2VError` (and a few well-understood OS errors) into a one-line
    ``Error:`` message and exit code 1; never a traceback for bad input."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SpokenW2VError as exc:
            fail(str(exc))
        except FileNotFoundError as exc:
            fail(f"{_named(exc)}: no such file")
        except PermissionError as exc:
            fail(f"{_named(exc)}: permission denied")
        except BrokenPipeError:  # the reader of `--out -` stopped early (`| head`): quiet, as Unix tools are
            _silence_stdout()
            raise typer.Exit(141)  # 128 + SIGPIPE, the status a shell reports for a tool killed by SIGPIPE
        except IsADirectoryError as exc:
            fail(f"{_named(exc)}: is a directory (expected a file)")
        except NotADirectoryError as exc:
            fail(f"{_named(exc)}: a part of the path is a file, not a directory")
        except FileExistsError as exc:
            fail(f"{_named(exc)}: exists and is not a directory (a directory was expected there)")
        except ImportError:
            _fail_if_stack_broken()
            raise
        except OSError as exc:
            if exc.filename is None and exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                _fail_if_stack_broken()
                raise
            fail(f"{_named(exc)}: {exc.strerror or exc}")
        except KeyboardInterrupt:
            err_console.print("Interrupted; no partial output was kept.")
            raise typer.Exit(130)

    return wrapper


def _fail_if_stack_broken() -> None:
    """A library that failed to load is most often torch or torchaudio from a pair that does not
    work together: then say so in one line (versions and repair) instead of a traceback."""
    from ..environment import stack_error

    message = stack_error()
    if message is not None:
        fail(message)


def _named(exc: OSError) -> str:
    """The user's path of a failed OS call: an atomic write's hidden temporary name
    (``.NAME.XXXX.tmp...`` beside the output) is reported as the output ``NAME`` itself."""
    name = exc.filename if exc.filename is not None else exc.filename2
    if name is None:
        return "output"
    path = Path(os.fsdecode(name))
    from ..io import output_of_temporary

    return str(output_of_temporary(path) or path)


# --------------------------------------------------------------------------- inputs and outputs


def _real(path: Path) -> Path:
    """``path`` made absolute with every symbolic link resolved (also for parts that do
    not exist yet)."""
    return Path(path).resolve()


def check_paths(inputs: Iterable[Optional[os.PathLike]], outputs: Iterable[Optional[os.PathLike]]) -> None:
    """The one rule every command checks before it reads or writes anything: an output may
    never be, contain, or sit inside one of the command's inputs, and no two outputs may be
    the same path.  Symbolic links are resolved and hard links compared by inode.
    ``None`` and ``-`` (stdin/stdout) are ignored.  Raises :class:`SpokenW2VError`.
    """
    from ..io import is_stdio

    ins = [Path(p) for p in inputs if p is not None and not is_stdio(p)]
    outs = [Path(p) for p in outputs if p is not None and not is_stdio(p)]
    real_ins = [_real(p) for p in ins]
    seen: dict[Path, Path] = {}
    for out in outs:
        real_out = _real(out)
        if real_out in seen:
            raise SpokenW2VError(f"{out}: given as two different outputs (also as {seen[real_out]}); "
                                 f"each output needs its own path")
        seen[real_out] = out
        for inp, real_in in zip(ins, real_ins):
            same = real_out == real_in
            if not same and out.exists() and inp.exists():
                try:
                    same = os.path.samefile(out, inp)
                except OSError:
                    same = False
            if same:
                raise SpokenW2VError(f"{out}: the output is also an input ({inp}); nothing was written "
                                     f"(choose another output path)")
            if real_in.is_relative_to(real_out):
                raise SpokenW2VError(f"{out}: the output would contain the input {inp}; nothing was written "
                                     f"(choose an output outside the inputs)")
            if real_out.is_relative_to(real_in):
                raise SpokenW2VError(f"{out}: the output would sit inside the input {inp}; nothing was written "
                                     f"(choose an output outside the inputs)")


def check_output_dir(path: os.PathLike, marker: str, what: str) -> None:
    """An existing output directory is used (and its files replaced) only when it is empty or
    holds ``marker``, the file that marks ``what``; otherwise a one-line error and nothing is
    touched.  An existing file in its place is refused too."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if not path.is_dir():
        raise SpokenW2VError(f"{path}: exists and is not a directory (expected {what}); nothing was touched")
    if any(path.iterdir()) and not (path / marker).is_file():
        raise SpokenW2VError(f"{path}: the directory is not empty and is not {what} (no {marker} inside); "
                             f"nothing was touched (give a new or empty directory)")


class Log:
    """Progress and messages on stderr, silenced by ``--quiet``."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            err_console.print(message, highlight=False)

    def progress(self):
        """A rich Progress bar on stderr (disabled when quiet)."""
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                        console=err_console, disable=self.quiet, transient=False)


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that Python's exit flush cannot fail again."""
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # a stand-in stdout without a file descriptor
        pass


def _dashes(values: dict[str, object]) -> list[str]:
    """The option names whose value is ``-`` (a value may be a list of paths)."""
    from ..io import is_stdio

    names = []
    for name, value in values.items():
        items = value if isinstance(value, (list, tuple)) else [value]
        names += [name for item in items if is_stdio(item)]
    return names


def check_stdio(inputs: dict[str, object] | None = None, outputs: dict[str, object] | None = None) -> bool:
    """Check the uses of ``-`` of one command: at most one input (option name -> path or list
    of paths) reads standard input and at most one output writes standard output.  Returns
    True when an output goes to standard output (then nothing else may be printed there)."""
    from ..io import STDIO

    readers, writers = _dashes(inputs or {}), _dashes(outputs or {})
    if len(readers) > 1:
        raise SpokenW2VError(f"{STDIO}: only one input can be standard input (given for {' and '.join(readers)})")
    if len(writers) > 1:
        raise SpokenW2VError(f"{STDIO}: only one output can be standard output (given for {' and '.join(writers)})")
    return bool(writers)


def shown(path: object) -> str:
    """A path as log messages name it (``-`` is standard output)."""
    from ..io import is_stdio

    return "standard output" if is_stdio(path) else str(path)


def refuse_stdio(path: object, option: str, what: str) -> None:
    """A one-line error when ``path`` is ``-`` but the option needs ``what`` (a directory, a
    binary file, files found by name)."""
    from ..io import STDIO, is_stdio

    if is_stdio(path):
        raise SpokenW2VError(f"{option} {STDIO}: {what}; standard input/output cannot be used here, give a path")


QuietOption = typer.Option(False, "--quiet", "-q", help="Silence logs and progress bars (stderr).")


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        out_console.print(f"spokenw2v {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Learn semantic word embeddings directly from speech (Spoken Word2Vec)."""


# --------------------------------------------------------------------------- train run directories

#: The files ``train`` writes into its ``--out`` directory (``config.json`` marks a run directory).
RUN_FILES = ("config.json", "metrics.tsv", "vectors.vec", "last.pt", "best.pt", "test_set.tsv")
RUN_LOCK = ".spokenw2v-train.lock"


def _is_run_config(path: Path) -> bool:
    import json

    try:
        return "spokenw2v" in json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def check_run_dir(out: Path) -> None:
    """``train --out``: absent, empty, or a run directory of ours (``config.json`` written by
    spokenw2v inside); otherwise a one-line error and nothing is touched."""
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir():
        raise SpokenW2VError(f"{out}: exists and is not a directory (train writes a run directory there); "
                             f"nothing was touched")
    if any(not e.name.startswith(".") for e in out.iterdir()) and not _is_run_config(out / "config.json"):
        raise SpokenW2VError(f"{out}: the directory is not empty and is not a train run directory (no spokenw2v "
                             f"config.json inside); nothing was touched (give a new or empty directory)")


class RunDirectory:
    """Exclusive use of a ``train --out`` directory, from the first write to the last.

    On entry: creates the directory when needed, takes an exclusive lock (``fcntl.flock`` on
    ``OUT/.spokenw2v-train.lock``; the kernel drops it when the process dies, so a lock file
    left by a killed run is taken over) and, unless resuming, removes the files of an earlier
    run (:data:`RUN_FILES`) so that no run directory mixes two runs.  On an exception before
    ``keep_after`` exists (the first checkpoint; None: any failure) the files of this run are
    removed again, and the directory too when this run created it.  The lock file is removed
    on exit.
    """

    def __init__(self, out: Path, resume: bool, keep_after: Optional[str]):
        self.out, self.resume, self.keep_after = Path(out), resume, keep_after
        self.created = False
        self.fd: Optional[int] = None

    def __enter__(self) -> "RunDirectory":
        import fcntl

        check_run_dir(self.out)
        if not self.out.exists():
            self.out.mkdir(parents=True)
            self.created = True
        lock = self.out / RUN_LOCK
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise SpokenW2VError(f"{self.out}: another train process is writing this run directory (it holds "
                                     f"{lock}); wait for it to finish or use another --out") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(lock).st_ino
            except FileNotFoundError:
                same = False
            if same:  # else the previous holder removed the file meanwhile: lock the new one
                break
            os.close(fd)
        self.fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        check_run_dir(self.out)  # another process may have written meanwhile
        if not self.resume:
            for name in RUN_FILES:
                (self.out / name).unlink(missing_ok=True)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        failed = exc_type is not None
        if failed and not self.resume and not (self.keep_after and (self.out / self.keep_after).exists()):
            for name in RUN_FILES:
                (self.out / name).unlink(missing_ok=True)
        if self.fd is not None:
            (self.out / RUN_LOCK).unlink(missing_ok=True)
            os.close(self.fd)
            self.fd = None
        if failed and self.created and not self.resume:
            try:
                self.out.rmdir()  # only when empty: nothing of anyone else is removed
            except OSError:
                pass
