"""``spokenw2v doctor`` and ``spokenw2v --version``: what this installation is made of."""

from __future__ import annotations

import typer
from rich.markup import escape

from .. import __version__
from ..environment import check_stack, report
from .common import QuietOption, app, guarded, out_console


def _version(value: bool) -> None:
    if value:
        out_console.print(f"spokenw2v {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                           help="Print spokenw2v's version and exit (`spokenw2v doctor` prints "
                                                "the versions of everything it runs on)."),
) -> None:
    """Learn semantic word embeddings directly from speech (Spoken Word2Vec).

    Each subcommand is one stage of the pipeline and reads and writes plain files."""


@app.command("doctor")
@guarded
def doctor_command(quiet: bool = QuietOption) -> None:
    """Print the versions of spokenw2v, Python, torch, torchaudio, CUDA, espeak-ng and the other
    packages, and whether they match requirements-lock.txt (paste it into a bug report); exit 1
    with one Error: line when torch and torchaudio cannot load together."""
    if not quiet:
        rows = report()
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            out_console.print(f"{name:<{width}}  {escape(value)}", highlight=False, soft_wrap=True)
    check_stack()
