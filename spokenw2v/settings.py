"""A setting declared once: its allowed values (:class:`Range`) and, for a field of an options
dataclass, its command-line form (:func:`option`).

A command's option names its range with :func:`spokenw2v.cli.options.ranged`; a configuration
field with :func:`checked`; a field of an options dataclass (:class:`spokenw2v.trainoptions.TrainOptions`)
with :func:`option`, from which :func:`spokenw2v.cli.options.command_options` makes the
command's parameters.  :func:`check_range` gives the one :class:`~spokenw2v.errors.SpokenW2VError`
line naming the option when a value falls outside its range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

from .errors import SpokenW2VError

#: Largest count any option accepts (sizes, epochs, frames): beyond it a value is a typo.
MAX_COUNT = 2**31 - 1

#: The largest learning rate: Adam(W) moves every weight by about ``lr`` per step, so beyond 1
#: the weights of these models (initialised within +-1) leave any meaningful range in one step.
MAX_LR = 1.0


def plain_number(x: float) -> str:
    """``3`` for a whole number, ``0.5`` otherwise (a bound as a range describes it)."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


@dataclass(frozen=True)
class Range:
    """Allowed values of a numeric option: ``low`` and ``high`` inclusive unless ``*_open``;
    None = unbounded on that side.  Every range excludes NaN and infinities."""

    low: Optional[float] = None
    high: Optional[float] = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return False
        return True

    def describe(self) -> str:
        """``in [0, 4294967296)``, ``>= 1``, ``> 0`` ..."""
        if self.low is not None and self.high is not None:
            return (f"in {'(' if self.low_open else '['}{plain_number(self.low)}, {plain_number(self.high)}"
                    f"{')' if self.high_open else ']'}")
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {plain_number(self.low)}"
        if self.high is not None:
            return f"{'<' if self.high_open else '<='} {plain_number(self.high)}"
        return "a finite number"


#: Seeds: what every random number generator of the pipeline accepts (NumPy's legacy seed is 32-bit).
SEED = Range(0, 2**32, high_open=True)
#: Sizes and counts that must be at least one.
POSITIVE = Range(1, MAX_COUNT)
#: Counts where 0 is meaningful (0 epochs, no bootstrap, automatic choice).
NON_NEGATIVE = Range(0, MAX_COUNT)
#: Real quantities that must be above zero (seconds, learning rates).
ABOVE_ZERO = Range(0, None, low_open=True)
#: Learning rates of Adam(W) (train --lr): each step moves a weight by about lr, so above 1 is no rate.
LEARNING_RATE = Range(0, MAX_LR, low_open=True)
#: Real quantities >= 0 (tolerances, thresholds, seconds).
AT_LEAST_ZERO = Range(0, None)
#: Fractions of a whole (rates, probabilities), 0 excluded.
FRACTION = Range(0, 1, low_open=True)
#: Any finite number.
FINITE = Range()
#: MFCC frame hops in milliseconds: at most the 25 ms window, so no sample goes unread.
HOP_MS = Range(1, 25)
#: Cosine distances between unit vectors (word-units --radius).
CONSENSUS_RADIUS = Range(0, 2)


def check_range(name: str, value, allowed: Range) -> None:
    """One-line :class:`SpokenW2VError` naming ``name`` when ``value`` is outside ``allowed``
    (None: not given, nothing to check)."""
    if value is not None and value not in allowed:
        raise SpokenW2VError(f"{name} must be {allowed.describe()}, found {value!r}; nothing was written")


def checked(default, allowed: Range, option: str = "", resumable: bool = False):
    """A configuration field whose values must lie in ``allowed`` (``option``: the option an error
    names, default the field's name; ``resumable``: a resumed run may change it)."""
    return field(default=default, metadata={"range": allowed, "option": option, "resumable": resumable})


@dataclass(frozen=True)
class Option:
    """The command-line form of one field of an options dataclass.

    ``help``: the ``--help`` text; ``flags``: the option's names (default ``--NAME``, the field's
    name with ``-`` for ``_``; ``--NAME/--no-NAME`` for a switch that may be left unset); ``range``:
    the allowed values, checked when the command line is parsed; ``argument``: a positional
    argument rather than an option.  ``config``, ``text``, ``kept`` and ``resume`` say where a run
    keeps the value and what a resumed run does with it (see :class:`spokenw2v.trainoptions.TrainOptions`).
    """

    help: str
    flags: tuple[str, ...] = ()
    range: Optional[Range] = None
    argument: bool = False
    config: str = ""
    text: str = ""
    kept: str = ""
    resume: str = ""


def option(default, help: str, *flags: str, **facts):
    """A field of an options dataclass with its command-line form (:class:`Option`)."""
    return field(default=default, metadata={"option": Option(help, flags, **facts)})
