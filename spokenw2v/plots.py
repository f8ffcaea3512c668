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
from .io import printable, read_tsv

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


def read_run(path: str | Path, label: str) -> Run:
    """One run's curves from its ``metrics.tsv`` (columns epoch, A, B; empty A/B cells are NaN);
    an error naming the file when it has no epochs or neither metric."""
    _, rows = read_tsv(path, ["epoch", "A", "B"])
    if not rows:
        raise SpokenW2VError(f"{path}: no epochs (only a header)")
    cols = numeric_columns(path, rows, ["epoch", "A", "B"], allow_empty=("A", "B"))
    if not (any(math.isfinite(v) for v in cols["A"]) or any(math.isfinite(v) for v in cols["B"])):
        raise SpokenW2VError(f"{path}: columns A and B are empty (train with --reference REF.vec to log them)")
    return Run(label, cols["epoch"], cols["A"], cols["B"])


@dataclass
class SweepPoints:
    """The points of :func:`plot_sweep`: ``x``/``y`` (N,), the group of each point (or None), the
    band ``low``/``high`` (or None) and the name of the grouping column."""

    x: np.ndarray
    y: np.ndarray
    groups: list[str] | None
    low: np.ndarray | None
    high: np.ndarray | None
    group_label: str | None


def sweep_points(source: str | Path, x: str = "rate", y: str = "A", group: str | None = None) -> SweepPoints:
    """A sweep's points from a TSV with a header row.  Without an ``x`` column the rates are read
    from the ends of the names of a ``model`` column (``substitute-0.20`` -> 0.2, one group per
    name prefix when there are several); the seed-group and null rows of an ``evaluate --tsv``
    table are not points.  ``y_low``/``y_high`` columns, when present, are the band."""
    header, rows = read_tsv(source, [y] + ([group] if group else []))
    if "row" in header:  # an 'evaluate --tsv' table: its seed-group and null rows are not points of a sweep
        rows = [(lineno, row) for lineno, row in rows if row["row"] in ("", "model")]
    if not rows:
        raise SpokenW2VError(f"{source}: no rows (only a header)")
    band = f"{y}_low" in header and f"{y}_high" in header
    cols = numeric_columns(source, rows, [y] + ([f"{y}_low", f"{y}_high"] if band else []),
                           allow_empty=(y, f"{y}_low", f"{y}_high"))
    groups = [row[group] for _, row in rows] if group else None
    if x in header:
        cols.update(numeric_columns(source, rows, [x]))
    elif "model" in header:  # rates from model names such as substitute-0.20 (see docs/commands.md)
        parsed = []
        for lineno, row in rows:
            p = rate_from_name(row["model"])
            if p is None:
                raise SpokenW2VError(f"{where(source, lineno)}: model name {row['model']!r} does not end in a rate "
                                     f"(and the table has no {x!r} column)")
            parsed.append(p)
        cols[x] = np.asarray([rate for _, rate in parsed], dtype=np.float64)
        if groups is None and len({prefix for prefix, _ in parsed}) > 1:
            groups = [prefix for prefix, _ in parsed]
            group = "noise"
    else:
        raise SpokenW2VError(f"{source}: header lacks column {x!r} (and a 'model' column to read rates from)")
    return SweepPoints(cols[x], cols[y], groups, cols.get(f"{y}_low"), cols.get(f"{y}_high"), group)


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


@dataclass
class ScaleLine:
    """One line of the scale figure: a model kind trained on one corpus size, ``scale`` (N,)
    against ``y`` (N,) with an interval ``low``/``high`` (N,) (NaN where there is none)."""

    panel: str
    kind: str
    words: str
    scale: np.ndarray
    y: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass
class Floor:
    """A horizontal floor of a panel: a null row's score on the corpus of one size."""

    panel: str
    name: str
    words: str
    y: float


#: Line styles of the floors of :func:`plot_scale`, one per null (in order of first appearance).
FLOOR_STYLES = [":", "-.", (0, (1, 4))]


def plot_scale(lines: Sequence[ScaleLine], floors: Sequence[Floor] = (), y_label: str = "A_partial",
               title: str | None = None) -> Figure:
    """A metric against the model scale s: one panel per ``panel`` (genre, symbols), one colour
    per corpus size, ``e2e`` solid and other kinds dashed, intervals as error bars, and the
    floors as horizontal lines in their corpus size's colour (dotted, dash-dotted, ... per null)."""
    panels = list(dict.fromkeys([ln.panel for ln in lines] + [f.panel for f in floors])) or [""]
    sizes = list(dict.fromkeys([ln.words for ln in lines] + [f.words for f in floors]))
    colour = {w: f"C{i % 10}" for i, w in enumerate(sizes)}
    null_names = list(dict.fromkeys(f.name for f in floors))
    fig = Figure(figsize=(4.2 * len(panels) + 1.8, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        for ln in (ln for ln in lines if ln.panel == panel):
            ok = np.isfinite(ln.y) & np.isfinite(ln.scale)
            if not ok.any():
                continue
            order = np.argsort(ln.scale[ok], kind="stable")
            x, y = ln.scale[ok][order], ln.y[ok][order]
            lo, hi = ln.low[ok][order], ln.high[ok][order]
            err = None
            if np.isfinite(lo).any() and np.isfinite(hi).any():
                err = np.vstack([np.where(np.isfinite(lo), y - lo, 0.0), np.where(np.isfinite(hi), hi - y, 0.0)])
            ax.errorbar(x, y, yerr=err, fmt="-o" if ln.kind == "e2e" else "--s", color=colour[ln.words],
                        markersize=4, capsize=3, linewidth=1.6, label=printable(f"{ln.kind}, {ln.words} words"))
        for f in (f for f in floors if f.panel == panel and math.isfinite(f.y)):
            ax.axhline(f.y, linestyle=FLOOR_STYLES[null_names.index(f.name) % len(FLOOR_STYLES)],
                       color=colour[f.words], linewidth=1.2,
                       label=printable(f"{f.name}, {f.words} words"))
        ax.set_xlabel("model scale s")
        ax.set_xticks(sorted({float(s) for ln in lines if ln.panel == panel for s in ln.scale if np.isfinite(s)}))
        ax.axhline(0.0, color="0.8", linewidth=0.8, zorder=0)
        ax.grid(True, alpha=0.3)
        if panel:
            ax.set_title(printable(panel), fontsize=10)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    axes[0].set_ylabel(printable(y_label))
    if title:
        fig.suptitle(printable(title))
    return fig


def scale_table(source: str | Path, rows: Sequence[tuple[int, dict]], y: str = "A_partial",
                nulls: Sequence[str] = ("null:frequency",)) -> tuple[list[ScaleLine], list[Floor]]:
    """The lines and floors of :func:`plot_scale` from a scale study's table (rows from
    :func:`spokenw2v.io.read_tsv` with columns ``scale words kind row`` and ``y``; optional
    ``genre``/``symbols`` make panels).  Per (panel, kind, words) the mean-of-seeds rows
    (``row`` = ``seeds``, interval: ± ``Y_sd``) are drawn where there are any, else the single
    runs (``row`` = ``model``, interval: ``Y_low``..``Y_high``).  Null rows named in ``nulls``
    become floors of every panel of their genre (their ``Y``, or the column without a
    ``_budget`` suffix: a null does not train)."""
    def panel(row: dict) -> str:
        return " ".join(v for v in (row.get("genre", ""), row.get("symbols", "")) if v)

    def num(row: dict, col: str) -> float:
        text = (row.get(col) or "").strip()
        return float(text) if text else math.nan

    picked: dict[tuple[str, str, str], list[tuple[int, dict]]] = {}
    floors_raw = []
    for lineno, row in rows:
        kind = row["row"]
        if kind == "null":
            if row.get("model", row.get("point", "")) in nulls:
                floors_raw.append((lineno, row))
            continue
        if kind not in ("seeds", "model", ""):
            continue
        picked.setdefault((panel(row), row["kind"], row["words"]), []).append((lineno, row))
    lines = []
    for (pan, kind, words), members in picked.items():
        use = [m for m in members if m[1]["row"] == "seeds"] or [m for m in members if m[1]["row"] != "seeds"]
        cols = numeric_columns(source, use, ["scale"])
        yv = numeric_columns(source, use, [y], allow_empty=(y,))[y]
        if use[0][1]["row"] == "seeds":
            sd = np.asarray([num(r, f"{y}_sd") for _, r in use])
            low, high = yv - sd, yv + sd
        else:
            low = np.asarray([num(r, f"{y}_low") for _, r in use])
            high = np.asarray([num(r, f"{y}_high") for _, r in use])
        lines.append(ScaleLine(pan, kind, words, cols["scale"], yv, low, high))
    panels = list(dict.fromkeys(ln.panel for ln in lines))
    floors = []
    for lineno, row in floors_raw:
        value = num(row, y)
        if not math.isfinite(value) and y.endswith("_budget"):
            value = num(row, y[: -len("_budget")])
        genre = row.get("genre", "")
        for pan in [p for p in panels if not genre or p.split(" ")[0] == genre] or [panel(row)]:
            floors.append(Floor(pan, row.get("model", ""), row["words"], value))
    return lines, floors
