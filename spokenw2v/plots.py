"""Figures: training curves of metrics A/B per epoch, and a metric against a noise rate.

Functions build and return a :class:`matplotlib.figure.Figure` without touching pyplot's
global state (so they work headless, on the Agg canvas); the command line saves them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .errors import SpokenW2VError, where
from .io import printable

#: Metrics drawn by :func:`plot_curves` -> (line style, legend text).
CURVE_STYLES = {
    "A": ("-", "A: r with the text model"),
    "B": ("--", "B: r with edit distance"),
}


@dataclass
class Run:
    """One training run's curves: ``epoch`` (E,) and per-epoch ``A``/``B`` (E,) Pearson r (NaN = missing)."""

    label: str
    epoch: np.ndarray
    A: np.ndarray
    B: np.ndarray


def numeric_columns(source: str | Path, rows: Sequence[tuple[int, dict]], columns: Sequence[str],
                    allow_empty: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Columns of rows from :func:`spokenw2v.io.read_tsv` as (N,) float64 arrays.

    Empty strings become NaN in ``allow_empty`` columns; any other non-number is an error naming
    ``source`` and the line.
    """
    out = {c: np.empty(len(rows), dtype=np.float64) for c in columns}
    for i, (lineno, row) in enumerate(rows):
        for c in columns:
            text = row[c].strip()
            if text == "" and c in allow_empty:
                out[c][i] = math.nan
                continue
            try:
                out[c][i] = float(text)
            except ValueError:
                raise SpokenW2VError(f"{where(source, lineno)}: column {c!r} must be a number, found {text!r}") from None
    return out


_RATE_RE = re.compile(r"^(?P<prefix>.*?)[-_=]?(?P<rate>\d+(?:\.\d+)?)$")


def rate_from_name(name: str) -> tuple[str, float] | None:
    """Split a name ending in a number: ``substitute-0.20`` -> ``("substitute", 0.2)``; None if
    it does not end in one.  Noise sweeps name their outputs ``OPTION-VALUE``."""
    m = _RATE_RE.match(name)
    return None if m is None else (m.group("prefix"), float(m.group("rate")))


def plot_curves(runs: Sequence[Run], title: str | None = None) -> Figure:
    """Metrics A (solid) and B (dashed) against the epoch, one colour per run (the paper's figure)."""
    fig = Figure(figsize=(8.0, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    colours = [f"C{i % 10}" for i in range(len(runs))]
    for run, colour in zip(runs, colours):
        for metric, (style, _) in CURVE_STYLES.items():
            y = getattr(run, metric)
            ok = np.isfinite(y)
            if ok.any():
                ax.plot(run.epoch[ok], y[ok], style, color=colour, marker="o" if ok.sum() < 25 else None,
                        markersize=3, linewidth=1.6, label=printable(f"{run.label} {metric}"))
    ax.set_xlabel("epoch")
    ax.set_ylabel("Pearson r")
    ax.axhline(0.0, color="0.8", linewidth=0.8, zorder=0)
    ax.grid(True, alpha=0.3)
    run_handles = [Line2D([], [], color=c, linewidth=2.5) for c in colours]
    style_handles = [Line2D([], [], color="0.3", linestyle=s) for s, _ in CURVE_STYLES.values()]
    first = ax.legend(run_handles, [printable(r.label) for r in runs], loc="upper left", bbox_to_anchor=(1.02, 1.0),
                      fontsize=8, title="run", title_fontsize=8, frameon=False)
    ax.add_artist(first)
    ax.legend(style_handles, [t for _, t in CURVE_STYLES.values()], loc="lower left", bbox_to_anchor=(1.02, 0.0),
              fontsize=8, title="metric", title_fontsize=8, frameon=False)
    if title:
        ax.set_title(printable(title))
    return fig


def plot_sweep(x: np.ndarray, y: np.ndarray, *, groups: Sequence[str] | None = None, low: np.ndarray | None = None,
               high: np.ndarray | None = None, x_label: str = "rate", y_label: str = "A",
               group_label: str | None = None, title: str | None = None) -> Figure:
    """A metric against a noise rate: one line per group (sorted by x), with a shaded interval
    where ``low``/``high`` (N,) are given.  ``x``, ``y`` are (N,) float; NaN values are skipped."""
    fig = Figure(figsize=(6.0, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    labels = [printable(g) for g in groups] if groups is not None else [""] * len(x)
    names = list(dict.fromkeys(labels))
    for i, name in enumerate(names):
        rows = np.asarray([j for j, g in enumerate(labels) if g == name and np.isfinite(y[j]) and np.isfinite(x[j])],
                          dtype=np.int64)
        if rows.size == 0:
            continue
        rows = rows[np.argsort(x[rows], kind="stable")]
        colour = f"C{i % 10}"
        ax.plot(x[rows], y[rows], "-o", color=colour, markersize=4, label=name or None)
        if low is not None and high is not None:
            ok = np.isfinite(low[rows]) & np.isfinite(high[rows])
            if ok.any():
                ax.fill_between(x[rows][ok], low[rows][ok], high[rows][ok], color=colour, alpha=0.18, linewidth=0)
    ax.set_xlabel(printable(x_label))
    ax.set_ylabel(printable(y_label))
    ax.grid(True, alpha=0.3)
    if groups is not None:
        ax.legend(title=printable(group_label) if group_label else group_label, fontsize=8, title_fontsize=8)
    if title:
        ax.set_title(printable(title))
    return fig
