"""Shared pieces of the command line: the Typer app, error handling, logging, devices."""

from __future__ import annotations

import functools
from typing import Callable

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
            fail(f"{exc.filename}: no such file")
        except PermissionError as exc:
            fail(f"{exc.filename}: permission denied")
        except BrokenPipeError:  # the reader of `--out -` stopped early (`| head`): quiet, as Unix tools are
            _silence_stdout()
            raise typer.Exit(141)  # 128 + SIGPIPE, the status a shell reports for a tool killed by SIGPIPE
        except KeyboardInterrupt:
            err_console.print("Interrupted; no partial output was kept.")
            raise typer.Exit(130)

    return wrapper


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
