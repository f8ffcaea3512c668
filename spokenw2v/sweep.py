"""A sweep: one command run at several values of one option, written as one directory.

A rate option of the noise commands may hold a comma-separated list (``--split 0,0.1,0.2``):
that is a sweep, ``--out`` is then a directory and gets one file per value, named
``OPTION-VALUE.EXT`` with the value written with at least two decimals (``split-0.00.tsv``,
``split-0.10.tsv``, ``jitter-0.005.tsv``).  At most one option may list several values.

1. :func:`parse_values` reads an option's value or list of values;
2. :func:`plan_sweep` turns the values of every option into settings, each with its output
   path, and checks that an existing sweep directory is one (:data:`SWEEP_MARKER`);
3. :func:`run_sweep` computes every setting first, then writes them all
   (:func:`write_runs`): a single output and its report all or nothing, or a sweep
   directory as a whole -- its files, its marker (listing them) and a report that lies
   inside it are made in a new directory beside it, which then replaces the directory of an
   earlier sweep, so a sweep directory never mixes two sweeps.  The report is one JSON record
   (``spokenw2v-noise-report``) whose ``runs`` hold one object per output.

Nothing here prints; the caller renders the runs.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, TypeVar

import numpy as np

from .errors import SpokenW2VError
from .io import NOISE_REPORT_FORMAT, STDIO, all_or_nothing, atomic_path, is_stdio, write_record
from .rundir import check_output_dir, listed_in

#: The file that marks a directory written by a sweep and lists the entries the sweep wrote there
#: (only such a directory holding nothing else, or an empty one, is replaced by a new sweep).
SWEEP_MARKER = ".spokenw2v-sweep"
#: The outputs of a sweep, as a sweep directory of an earlier version (whose marker lists nothing) holds them.
SWEEP_NAMES = r"^[a-z_]+-[0-9]+\.[0-9]+\.(tsv|txt)$"

Data = TypeVar("Data")


def parse_values(text: str, option: str, seconds: bool = False) -> list[float]:
    """``"0,0.1,0.2"`` -> ``[0.0, 0.1, 0.2]``; rates must lie in [0, 1], seconds be >= 0.
    ``option`` (``--split``) names the option in the error."""
    values = []
    for part in text.split(","):
        part = part.strip()
        try:
            v = float(part)
        except ValueError:
            v = float("nan")
        ok = math.isfinite(v) and v >= 0 and (seconds or v <= 1)
        if not ok:
            what = "a duration >= 0 in seconds" if seconds else "a rate in [0, 1]"
            raise SpokenW2VError(f"{option}: expected {what} or a comma-separated list of them, found {part!r}")
        values.append(v)
    if len(set(values)) != len(values):
        raise SpokenW2VError(f"{option}: the list {text!r} repeats a value")
    return values


def file_name_value(value: float) -> str:
    """Value as written in sweep file names: shortest exact decimal, at least two decimals
    (``0 -> 0.00``, ``0.1 -> 0.10``, ``0.005 -> 0.005``)."""
    text = np.format_float_positional(value, trim="-")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


@dataclass(frozen=True)
class Setting:
    """One run of a command: the value of every option (name without ``--``) and its output."""

    values: dict[str, float]
    path: Path


@dataclass(frozen=True)
class SweepPlan:
    """The runs of one command: a single setting writing ``out``, or a sweep (several
    settings) writing one file each into the directory ``out``."""

    out: Path
    settings: list[Setting]

    @property
    def is_sweep(self) -> bool:
        return len(self.settings) > 1

    @property
    def paths(self) -> list[Path]:
        return [s.path for s in self.settings]

    def outputs(self, report: Optional[Path]) -> list[Optional[Path]]:
        """Every output of the planned command, for the command line's check of its paths: a
        sweep's directory too (it is replaced as a whole, so no input may lie inside it)."""
        return ([self.out] if self.is_sweep else []) + self.paths + [report]


def plan_sweep(out: Path, options: dict[str, list[float]], suffix: str) -> SweepPlan:
    """The settings of a command whose ``options`` map option name (without ``--``) to its
    values; when one of them has several, ``out`` is a directory of ``NAME-VALUE.suffix``
    (an existing one must be a sweep directory).  Raises :class:`SpokenW2VError`."""
    swept = [name for name, values in options.items() if len(values) > 1]
    if len(swept) > 1:
        raise SpokenW2VError(f"only one option may list several values (found --{' and --'.join(swept)})")
    base = {name: values[0] for name, values in options.items()}
    if swept and is_stdio(out):
        raise SpokenW2VError(f"--out {STDIO}: a sweep (--{swept[0]} lists several values) writes one file per "
                             f"value into a directory, not to standard output")
    if not swept:
        if not is_stdio(out) and out.is_dir():
            raise SpokenW2VError(f"{out}: is a directory (give a file name, or a list of values for a sweep)")
        return SweepPlan(out, [Setting(base, out)])
    name = swept[0]
    check_output_dir(out, listed_in(SWEEP_MARKER, "a sweep directory", SWEEP_NAMES),
                     "a sweep writes one file per value into --out")
    return SweepPlan(out, [Setting({**base, name: v}, out / f"{name}-{file_name_value(v)}{suffix}")
                           for v in options[name]])


@dataclass(frozen=True)
class Output:
    """A computed output: where it goes, what is written there, and its report object."""

    path: Path
    data: object
    run: dict


def run_sweep(plan: SweepPlan, run_setting: Callable[[dict[str, float]], tuple[Data, dict]],
              write: Callable[[Path, Data], None], report: Optional[Path]) -> list[dict]:
    """Compute every setting of ``plan`` with ``run_setting(values) -> (data, run)``, then write
    each ``data`` with ``write(path, data)`` and the report (:func:`write_runs`).  Returns the
    report's runs: ``{"output": path, **run}`` per setting."""
    outputs = []
    for setting in plan.settings:
        data, run = run_setting(setting.values)
        outputs.append(Output(setting.path, data, {"output": str(setting.path), **run}))
    write_runs(outputs, write, report)
    return [o.run for o in outputs]


def write_runs(outputs: list[Output], write: Callable[[Path, Data], None], report: Optional[Path]) -> None:
    """Write every output with ``write(path, data)`` and the report of their runs: one output
    and the report all or nothing, several as a sweep directory (:func:`write_sweep_directory`).
    Called only once every output has been computed."""
    if len(outputs) > 1:
        write_sweep_directory(outputs, write, report)
        return
    with all_or_nothing([o.path for o in outputs] + [report]):
        for o in outputs:
            write(o.path, o.data)
        write_report(report, [o.run for o in outputs])


def write_sweep_directory(outputs: list[Output], write: Callable[[Path, Data], None],
                          report: Optional[Path]) -> None:
    """Write a sweep's directory as a whole: its files, its marker (listing them) and a report
    that lies inside it are made in a new directory beside it, which then replaces the directory
    of an earlier sweep (checked to hold nothing else), so a sweep directory never mixes two
    sweeps; a report outside it is written before the rename and removed again if that fails."""
    out = outputs[0].path.parent
    out = out.resolve() if out.is_symlink() else out  # the directory a link names is replaced, not the link
    inner = None
    if report is not None and not is_stdio(report) and report.resolve().is_relative_to(out.resolve()):
        inner = report.resolve().relative_to(out.resolve())
    names = [o.path.name for o in outputs] + ([inner.parts[0]] if inner is not None else [])
    with all_or_nothing([None if inner is not None else report]), atomic_path(out, suffix="") as tmp:
        tmp.mkdir()
        for o in outputs:
            write(tmp / o.path.name, o.data)
        write_report(tmp / inner if inner is not None else report, [o.run for o in outputs])
        (tmp / SWEEP_MARKER).write_bytes(b"spokenw2v sweep outputs\n" + b"".join(os.fsencode(n) + b"\n" for n in names))


def write_report(path: Optional[Path], runs: list[dict]) -> None:
    """The report of a command's runs (nothing when ``path`` is None; ``-`` is standard output)."""
    if path is not None:
        write_record(path, NOISE_REPORT_FORMAT, {"runs": runs})
