"""The command-line form of options: their ranges, checked where each option is parsed, and the
parameters of a command made from an options dataclass.

An option declares its range by being made with :func:`ranged` instead of ``typer.Option``; the
command's :func:`~spokenw2v.cli.common.guarded` wrapper checks every given value against it
before the command body runs, so 0, negatives, NaN, infinities and absurd sizes give one
``Error:`` line naming the option before anything is read or written.  (Typer's own
``min``/``max`` would print a boxed usage message instead of one line.)  The ranges themselves
are :class:`spokenw2v.settings.Range` values, named there.

:func:`command_options` gives a command the parameters that the fields of an options dataclass
declare (:func:`spokenw2v.settings.option`), so an option is written once, as a field.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Callable, Optional

import typer

from ..settings import (ABOVE_ZERO, AT_LEAST_ZERO, CONSENSUS_RADIUS, FINITE, FRACTION, HOP_MS, LEARNING_RATE,
                        MAX_COUNT, NON_NEGATIVE, POSITIVE, SEED, Option, Range, check_range)

__all__ = ["ABOVE_ZERO", "AT_LEAST_ZERO", "CONSENSUS_RADIUS", "FINITE", "FRACTION", "HOP_MS", "LEARNING_RATE",
           "MAX_COUNT", "NON_NEGATIVE", "POSITIVE", "SEED", "Range", "check_ranges",
           "command_options", "ranged"]


def ranged(allowed: Range, default, *param_decls: str, **kwargs):
    """``typer.Option(default, *param_decls, **kwargs)`` with its allowed values declared."""
    option = typer.Option(default, *param_decls, **kwargs)
    option.spokenw2v_range = allowed
    return option


def check_ranges(func: Callable, kwargs: dict) -> None:
    """Check every option of ``func`` (a command) declared with :func:`ranged` against the
    value ``kwargs`` gives it (None: not given, nothing to check)."""
    for name, param in inspect.signature(func).parameters.items():
        allowed = getattr(param.default, "spokenw2v_range", None)
        if allowed is not None and name in kwargs:
            decls = [d for d in getattr(param.default, "param_decls", ()) if d.startswith("--")]
            check_range(decls[0] if decls else name, kwargs[name], allowed)


def command_options(options: type, range_of: Callable[[Option], Optional[Range]] = lambda spec: spec.range,
                    **more: tuple[type, typer.models.ParameterInfo]):
    """A decorator that gives a command (``def command(**options)``) one parameter per field of
    the dataclass ``options``, in field order, from the field's :class:`~spokenw2v.settings.Option`:
    its names (default ``--FIELD-NAME``), help text, default and type, and the range
    ``range_of(option)`` checked when parsed; then the ``more`` parameters, name -> (type,
    ``typer.Option``).  The signature shows each type as written (``"Optional[int]"``), as a
    module with ``from __future__ import annotations`` would."""
    types = typing.get_type_hints(options)
    params, annotations = [], {}
    for f in dataclasses.fields(options):
        spec: Option = f.metadata["option"]
        default = ... if f.default is dataclasses.MISSING else f.default
        if spec.argument:
            info = typer.Argument(default, help=spec.help)
        else:
            flags = spec.flags or ("--" + f.name.replace("_", "-"),)
            allowed = range_of(spec)
            info = (ranged(allowed, default, *flags, help=spec.help) if allowed is not None else
                    typer.Option(default, *flags, help=spec.help))
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=f.type))
        annotations[f.name] = types[f.name]
    for name, (kind, info) in more.items():
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=kind.__name__))
        annotations[name] = kind

    def decorate(command: Callable) -> Callable:
        command.__signature__ = inspect.Signature(params)
        command.__annotations__ = {**annotations, "return": None}
        return command

    return decorate
