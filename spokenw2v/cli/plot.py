"""``spokenw2v plot``: figures (PNG) from the tables other commands write: training curves
from ``metrics.tsv`` files and noise sweeps from result tables."""

from __future__ import annotations

import math
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import SpokenW2VError
from ..io import atomic_path, read_tsv
from ..runs import unique_names
from .common import Log, QuietOption, app, check_paths, check_stdio, guarded, refuse_stdio

plot_app = typer.Typer(help="Draw figures (PNG): training curves and noise sweeps.", no_args_is_help=True)
app.add_typer(plot_app, name="plot")


def _save_figure(fig, out: Path) -> None:
    if out.suffix.lower() != ".png":
        raise SpokenW2VError(f"{out}: the figure is written as PNG; name the output *.png")
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=150)


@plot_app.command("curves")
@guarded
def curves_command(
    metrics: List[Path] = typer.Argument(..., help="metrics.tsv files written by 'spokenw2v train --reference' "
                                                   "(- for standard input)."),
    out: Path = typer.Option(..., "--out", "-o", help="PNG to write."),
    label: List[str] = typer.Option([], "--label", help="Legend label per metrics file, in order (default: the "
                                    "run directory's name)."),
    title: Optional[str] = typer.Option(None, "--title", help="Figure title."),
    quiet: bool = QuietOption,
) -> None:
    """Plot metrics A (solid) and B (dashed) against the epoch, one colour per run."""
    from ..plots import plot_curves, read_run

    log = Log(quiet)
    check_stdio({"METRICS": metrics})
    refuse_stdio(out, "--out", "a PNG figure is a binary file")
    check_paths(metrics, [out])
    if label and len(label) != len(metrics):
        raise SpokenW2VError(f"--label was given {len(label)} time(s) for {len(metrics)} metrics file(s)")
    labels = label or unique_names(metrics, "metrics")
    runs = [read_run(path, name) for path, name in zip(metrics, labels)]
    _save_figure(plot_curves(runs, title), out)
    log(f"Wrote {out}: {len(runs)} run(s).")


@plot_app.command("sweep")
@guarded
def sweep_command(
    table: Path = typer.Argument(..., help="TSV with a header row, e.g. 'rate  A  A_low  A_high  kind' (- for "
                                           "standard input, e.g. piped from 'evaluate --tsv -')."),
    out: Path = typer.Option(..., "--out", "-o", help="PNG to write."),
    x: str = typer.Option("rate", "--x", help="Column on the horizontal axis (the noise rate)."),
    y: str = typer.Option("A", "--y", help="Column on the vertical axis; Y_low/Y_high columns, when present, "
                          "are drawn as a band."),
    group: Optional[str] = typer.Option(None, "--group", help="Column whose values give one line each."),
    title: Optional[str] = typer.Option(None, "--title", help="Figure title."),
    quiet: bool = QuietOption,
) -> None:
    """Plot a metric against a noise rate from a table of results, one line per group.

    Without an X column, rates are read from the ends of the model names of an 'evaluate --tsv'
    table (substitute-0.20 -> 0.2; one line per name prefix)."""
    from ..plots import plot_sweep, sweep_points

    log = Log(quiet)
    refuse_stdio(out, "--out", "a PNG figure is a binary file")
    check_paths([table], [out])
    points = sweep_points(table, x, y, group)
    fig = plot_sweep(points.x, points.y, groups=points.groups, low=points.low, high=points.high, x_label=x,
                     y_label=y, group_label=points.group_label, title=title)
    _save_figure(fig, out)
    log(f"Wrote {out}: {len(points.x)} point(s).")


@plot_app.command("scale")
@guarded
def scale_command(
    table: Path = typer.Argument(..., help="The scale study's table (bench/scale/study.py writes RESULTS.tsv): "
                                           "columns scale, words, kind, row and the metric; genre/symbols make "
                                           "panels (- for standard input)."),
    out: Path = typer.Option(..., "--out", "-o", help="PNG to write."),
    y: str = typer.Option("A_partial", "--y", help="Metric on the vertical axis, e.g. A_partial (the final "
                          "vectors, with their interval) or A_partial_budget (at the equal CPU budget)."),
    null: List[str] = typer.Option(["null:frequency"], "--null", help="Null rows drawn as floors (repeatable; "
                                   "null:frequency, null:spelling, null:random)."),
    title: Optional[str] = typer.Option(None, "--title", help="Figure title."),
    quiet: bool = QuietOption,
) -> None:
    """Plot a metric against the model scale s: one line per corpus size (e2e solid, two-stage
    dashed), one panel per genre and symbols, the null rows as dotted floors."""
    from ..plots import plot_scale, scale_table

    log = Log(quiet)
    refuse_stdio(out, "--out", "a PNG figure is a binary file")
    check_paths([table], [out])
    _, rows = read_tsv(table, ["scale", "words", "kind", "row", y])
    lines, floors = scale_table(table, rows, y, null)
    if not any(math.isfinite(v) for ln in lines for v in ln.y):
        raise SpokenW2VError(f"{table}: no model row has a value in column {y!r}")
    _save_figure(plot_scale(lines, floors, y_label=y, title=title), out)
    log(f"Wrote {out}: {len(lines)} line(s), {len(floors)} floor(s).")
