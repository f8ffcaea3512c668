"""The command line: one thin Typer command per pipeline stage.

Each module below registers its commands on :data:`app`; commands parse options, load
files, call one library function and write files.
"""

from __future__ import annotations

import os

from .common import app
from . import segments as _segments  # noqa: F401  (alignments -> segments TSV)
from . import featurize as _featurize  # noqa: F401
from . import discretize as _discretize  # noqa: F401
from . import noise as _noise  # noqa: F401
from . import discover as _discover  # noqa: F401  (word tokens found without a transcript)
from . import train as _train  # noqa: F401
from . import evaluate as _evaluate  # noqa: F401
from . import textless as _textless  # noqa: F401  (label-free models -> gold-word vectors)
from . import plot as _plot  # noqa: F401  (figures from metrics and result tables)
from . import synthesize as _synthesize  # noqa: F401
from . import cae as _cae  # noqa: F401  (speaker-shared frame features)
from . import demo as _demo  # noqa: F401
from . import doctor as _doctor  # noqa: F401  (--version, doctor)


def _one_line_summaries() -> None:
    """The command list of ``spokenw2v --help`` shows each command's first paragraph as it is
    written, hard line breaks included; give it that paragraph on one line instead."""
    import inspect

    for info in app.registered_commands:
        text = info.help or inspect.getdoc(info.callback) or ""
        if info.short_help is None and text:
            info.short_help = " ".join(text.split("\n\n")[0].split())


_one_line_summaries()


def main() -> None:
    # OpenMP's default spin-waiting makes small torch ops many times slower on machines with
    # few cores; waiting passively costs nothing measurable elsewhere.  A user's own setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    app()
