"""Runs told apart: a run's name from the path of one of its files, names made unique, and
the groups of runs that differ only in their training seed, with their mean and spread."""

from __future__ import annotations

import math
import os
import re
import statistics
from pathlib import Path
from typing import Sequence

from .io import printable

#: Metrics averaged over the seeds of a group (``evaluate --tsv`` adds ``NAME_sd`` for each).
SEED_METRICS = ["A", "A_partial", "A_sem", "A_orth", "A_rand", "B", "B_partial"]
#: A run named ``NAME.seedN`` or ``NAME-seedN`` is seed N of the group ``NAME``.
SEED_NAME = re.compile(r"^(?P<group>.+?)[.-]seed(?P<seed>\d+)$")


def run_name(path: str | os.PathLike, run_file: str = "vectors") -> str:
    """A run's display name: the name of the directory holding the file when the file's stem is
    ``run_file``, a file every run directory has (``runs/e2e-s4/vectors.vec`` -> ``e2e-s4``;
    ``run_file="metrics"`` for ``RUN/metrics.tsv``); else the file stem (``text.vec`` -> ``text``)."""
    path = Path(path)
    if path.stem == run_file:
        return path.parent.name or path.resolve().parent.name or path.stem
    return path.stem


def unique_names(paths: Sequence[str | os.PathLike], run_file: str = "vectors") -> list[str]:
    """:func:`run_name` of each path, with ``-2``, ``-3``... appended to repeated names."""
    seen: dict[str, int] = {}
    names = []
    for p in paths:
        name = printable(run_name(p, run_file))  # a label: a file name that is not UTF-8 shown with \x escapes
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return names


def seed_groups(names: Sequence[str]) -> dict[str, list[int]]:
    """Groups of runs that differ only in their training seed: ``{group: [row indices]}`` for
    every ``NAME`` with at least two ``NAME.seedN`` / ``NAME-seedN`` runs, in order of first
    appearance."""
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        m = SEED_NAME.match(name)
        if m:
            groups.setdefault(m.group("group"), []).append(i)
    return {g: rows for g, rows in groups.items() if len(rows) >= 2}


def group_row(name: str, members: Sequence[dict]) -> dict:
    """Mean and sample standard deviation (``KEY_sd``) over seeds of each :data:`SEED_METRICS`
    and the mean coverage; a metric that is NaN in some seed is NaN."""
    row: dict = {"model": name, "row": "seeds", "seeds": len(members), "members": [m["model"] for m in members]}
    for key in SEED_METRICS + ["coverage"]:
        values = [float(m.get(key, math.nan)) for m in members]
        if any(math.isnan(v) for v in values):
            row[key], row[key + "_sd"] = math.nan, math.nan
        else:
            row[key], row[key + "_sd"] = statistics.fmean(values), statistics.stdev(values)
    return row


def seed_group_rows(names: Sequence[str], rows: Sequence[dict]) -> list[dict]:
    """One :func:`group_row` per seed group among ``names`` (``rows[i]`` is the row of ``names[i]``)."""
    return [group_row(g, [rows[i] for i in members]) for g, members in seed_groups(names).items()]
