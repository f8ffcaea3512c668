"""The ranges of the numeric options, declared where each option is parsed and checked once.

An option declares its range by being made with :func:`ranged` instead of ``typer.Option``; the
command's :func:`~spokenw2v.cli.common.guarded` wrapper checks every given value against it
before the command body runs, so 0, negatives, NaN, infinities and absurd sizes give one
``Error:`` line naming the option before anything is read or written.  (Typer's own
``min``/``max`` would print a boxed usage message instead of one line.)
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Callable, Optional

import typer

from ..errors import SpokenW2VError

#: Largest count any option accepts (sizes, epochs, frames): beyond it a value is a typo.
MAX_COUNT = 2**31 - 1


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
            return (f"in {'(' if self.low_open else '['}{_num(self.low)}, {_num(self.high)}"
                    f"{')' if self.high_open else ']'}")
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {_num(self.low)}"
        if self.high is not None:
            return f"{'<' if self.high_open else '<='} {_num(self.high)}"
        return "a finite number"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


#: Seeds: what every random number generator of the pipeline accepts (NumPy's legacy seed is 32-bit).
SEED = Range(0, 2**32, high_open=True)
#: Sizes and counts that must be at least one.
POSITIVE = Range(1, MAX_COUNT)
#: Counts where 0 is meaningful (0 epochs, no bootstrap, automatic choice).
NON_NEGATIVE = Range(0, MAX_COUNT)
#: Real quantities that must be above zero (seconds, learning rates).
ABOVE_ZERO = Range(0, None, low_open=True)
#: Learning rates of Adam(W) (train --lr): each step moves a weight by about lr, so above 1 is no rate.
LEARNING_RATE = Range(0, 1, low_open=True)
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


def ranged(allowed: Range, default, *param_decls: str, **kwargs):
    """``typer.Option(default, *param_decls, **kwargs)`` with its allowed values declared."""
    option = typer.Option(default, *param_decls, **kwargs)
    option.spokenw2v_range = allowed
    return option


def check_option(name: str, value, allowed: Range) -> None:
    """One-line :class:`SpokenW2VError` naming ``name`` when ``value`` is outside ``allowed``."""
    if value is not None and value not in allowed:
        raise SpokenW2VError(f"{name} must be {allowed.describe()}, found {value!r}; nothing was written")


def check_ranges(func: Callable, kwargs: dict) -> None:
    """Check every option of ``func`` (a command) declared with :func:`ranged` against the
    value ``kwargs`` gives it (None: not given, nothing to check)."""
    for name, param in inspect.signature(func).parameters.items():
        allowed = getattr(param.default, "spokenw2v_range", None)
        if allowed is not None and name in kwargs:
            decls = [d for d in getattr(param.default, "param_decls", ()) if d.startswith("--")]
            check_option(decls[0] if decls else name, kwargs[name], allowed)
