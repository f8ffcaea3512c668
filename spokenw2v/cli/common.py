"""Shared pieces of the command line: the Typer app, error handling, logging, devices."""

from __future__ import annotations

import errno
import functools
import os
from pathlib import Path
from typing import Callable, Iterable, Optional

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from ..errors import SpokenW2VError
from .options import check_ranges


def _not_stdio(arg: str) -> str:
    """A command-line word that names a file called ``-`` (``./-``, ``dir/../-``) made absolute,
    so that only a bare ``-`` means standard input/output once it has become a ``Path`` (which
    would turn ``./-`` into ``-``).  ``--option=VALUE`` words are treated by their value."""
    head, eq, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
    if value != "-" and value.endswith("-") and os.path.normpath(value) == "-":
        value = os.path.abspath(value)
    return head + eq + value


def _empty_path(command, args: list[str]) -> Optional[str]:
    """The option (or ``PATH`` for an argument) given an empty path among ``args``, the words
    after the name of the leaf ``command``; a ``Path`` would turn ``""`` into ``.``."""
    import inspect

    kinds = {name: str(p.annotation) for name, p in inspect.signature(command.callback).parameters.items()}
    takes = {}  # option -> whether its value is a path
    for p in command.params:
        if getattr(p, "param_type_name", "") == "option" and not getattr(p, "is_flag", False):
            for opt in p.opts + p.secondary_opts:
                takes[opt] = "Path" in kinds.get(p.name, "")
    after = None
    for arg in args:
        if after is not None:
            if arg == "" and takes[after]:
                return after
            after = None
        elif arg.startswith("--") and "=" in arg:
            opt, _, value = arg.partition("=")
            if value == "" and takes.get(opt):
                return opt
        elif arg in takes:
            after = arg
        elif arg == "":
            return "PATH"
    return None


class _Group(typer.core.TyperGroup):
    def parse_args(self, ctx, args: list[str]) -> list[str]:
        args = [_not_stdio(a) for a in args]
        command, rest = self, args
        while hasattr(command, "commands") and rest:  # the leaf command named by the words
            names = [a for a in rest if not a.startswith("-")]
            if not names or names[0] not in command.commands:
                break
            command, rest = command.commands[names[0]], rest[rest.index(names[0]) + 1:]
        if not hasattr(command, "commands"):
            option = _empty_path(command, rest)
            if option is not None:
                fail(f"{option}: an empty path; give a file or directory name")
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_Group,
    name="spokenw2v",
    help="Learn semantic word embeddings directly from speech (Spoken Word2Vec).\n\n"
    "Each subcommand is one stage of the pipeline and reads and writes plain files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: The page width of a console that writes to a file or a pipe: wide enough that a table keeps
#: its natural width instead of being squeezed to the 80 columns of an unknown terminal.
PIPE_WIDTH = 10_000


class StreamConsole(Console):
    """A rich console that, writing to a file or a pipe rather than a terminal, never wraps or
    crops a line (a log line stays one line for ``grep``) and lays tables out at their natural
    width.  On a terminal it wraps at the terminal's width, as rich does."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self._width is None and not self.is_terminal:
            return ConsoleDimensions(max(size.width, PIPE_WIDTH), size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)

    def print(self, *objects, soft_wrap: Optional[bool] = None, **kwargs) -> None:
        if soft_wrap is None and not self.is_terminal:
            soft_wrap = True
        super().print(*objects, soft_wrap=soft_wrap, **kwargs)


#: Logs and progress go to stderr; data goes to files (or stdout where documented).
err_console = StreamConsole(stderr=True)
out_console = StreamConsole()


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
            check_ranges(func, kwargs)
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
        except KeyboardInterrupt as exc:
            err_console.print(str(exc) or "Interrupted; no partial output was kept.", highlight=False, markup=False)
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
        _check_writable_file_system(out)


def _check_writable_file_system(out: Path) -> None:
    """An output on a read-only file system is refused before any work (a character device or
    a pipe there is written in place, which a read-only mount allows)."""
    import stat

    try:
        if stat.S_ISCHR(os.stat(out).st_mode) or stat.S_ISFIFO(os.stat(out).st_mode):
            return
    except OSError:
        pass
    place = out
    while not place.exists() and place != place.parent:
        place = place.parent
    try:
        read_only = bool(os.statvfs(place).f_flag & os.ST_RDONLY)
    except OSError:
        return
    if read_only:
        raise SpokenW2VError(f"{out}: Read-only file system; nothing was written (choose an output on a "
                             f"writable file system)")


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


class EpochProgress:
    """A progress bar per training epoch on stderr (disabled when quiet): a context manager
    told ``on_step(epoch, step, steps in the epoch)``."""

    def __init__(self, log: Log):
        self.bar = log.progress()
        self.task = None

    def __enter__(self) -> "EpochProgress":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def on_step(self, epoch: int, step: int, n_steps: int) -> None:
        if self.task is None or step == 1:
            if self.task is not None:
                self.bar.remove_task(self.task)
            self.task = self.bar.add_task(f"epoch {epoch}", total=n_steps)
        self.bar.update(self.task, completed=step)


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
