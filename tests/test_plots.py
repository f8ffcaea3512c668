"""Training-curve and noise-sweep figures, and the ``plot`` commands."""

import numpy as np
import pytest
from matplotlib.image import imread
from typer.testing import CliRunner

from spokenw2v.cli import app
from spokenw2v.plots import Run, plot_curves, plot_sweep

runner = CliRunner()
HEADER = "epoch\tloss\texamples_per_s\telapsed_s\tA\tB\tA_spearman\tB_spearman\tcoverage\n"


def write_metrics(path, a, b):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [HEADER]
    for e, (x, y) in enumerate(zip(a, b)):
        loss = "" if e == 0 else "1.5"
        lines.append(f"{e}\t{loss}\t100\t{e}\t{x}\t{y}\t{x}\t{y}\t1\n")
    path.write_text("".join(lines))


def test_plot_curves_draws_a_solid_and_a_dashed_line_per_run():
    runs = [Run("one", np.arange(3.0), np.array([0.1, 0.2, 0.3]), np.array([0.6, 0.5, np.nan])),
            Run("two", np.arange(2.0), np.array([0.0, 0.4]), np.array([0.5, 0.4]))]
    ax = plot_curves(runs).axes[0]
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert [ln.get_linestyle() for ln in lines] == ["-", "--", "-", "--"]
    assert [ln.get_label() for ln in lines] == ["one A", "one B", "two A", "two B"]
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    np.testing.assert_allclose(lines[0].get_ydata(), [0.1, 0.2, 0.3])
    np.testing.assert_allclose(lines[1].get_xdata(), [0, 1])  # the NaN epoch is left out
    assert [t.get_text() for t in ax.get_legend().get_texts()][0].startswith("A:")


def test_plot_sweep_sorts_each_group_by_x():
    x = np.array([0.2, 0.0, 0.1, 0.0, 0.2])
    y = np.array([0.5, 0.9, 0.7, 0.95, 0.8])
    fig = plot_sweep(x, y, groups=["sub", "sub", "sub", "jit", "jit"], low=y - 0.05, high=y + 0.05)
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(lines[0].get_xdata(), [0.0, 0.1, 0.2])
    np.testing.assert_allclose(lines[0].get_ydata(), [0.9, 0.7, 0.5])
    np.testing.assert_allclose(lines[1].get_ydata(), [0.95, 0.8])
    assert len(fig.axes[0].collections) == 2  # one shaded band per group


def test_plot_commands_write_pngs(tmp_path):
    write_metrics(tmp_path / "runs" / "s1" / "metrics.tsv", ["", 0.1, 0.2], ["", 0.6, 0.5])
    write_metrics(tmp_path / "runs" / "s4" / "metrics.tsv", [0.0, 0.2, 0.4], [0.6, 0.4, 0.3])
    out = tmp_path / "curves.png"
    r = runner.invoke(app, ["plot", "curves", str(tmp_path / "runs" / "s1" / "metrics.tsv"),
                            str(tmp_path / "runs" / "s4" / "metrics.tsv"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    img = imread(out)
    assert img.shape[0] > 300 and img.shape[1] > 600
    assert "2 run(s)" in " ".join(r.output.split())

    (tmp_path / "sweep.tsv").write_text("kind\trate\tA\tA_low\tA_high\nsub\t0\t0.9\t0.88\t0.92\n"
                                        "sub\t0.2\t0.6\t0.55\t0.65\njit\t0\t0.9\t\t\n")
    r = runner.invoke(app, ["plot", "sweep", str(tmp_path / "sweep.tsv"), "--out", str(tmp_path / "s.png"),
                            "--group", "kind", "--quiet"])
    assert r.exit_code == 0, r.output
    assert imread(tmp_path / "s.png").ndim == 3


def test_plot_bad_input(tmp_path):
    write_metrics(tmp_path / "m.tsv", ["", ""], ["", ""])
    r = runner.invoke(app, ["plot", "curves", str(tmp_path / "m.tsv"), "--out", str(tmp_path / "c.png")])
    assert r.exit_code == 1 and "columns A and B are empty" in r.output
    write_metrics(tmp_path / "m.tsv", ["0.1", "x"], ["0.1", "0.2"])
    r = runner.invoke(app, ["plot", "curves", str(tmp_path / "m.tsv"), "--out", str(tmp_path / "c.png")])
    assert r.exit_code == 1 and "m.tsv:3: column 'A' must be a number" in r.output
    r = runner.invoke(app, ["plot", "curves", str(tmp_path / "m.tsv"), "--out", str(tmp_path / "c.png"),
                            "--label", "a", "--label", "b"])
    assert r.exit_code == 1 and "--label" in r.output
    (tmp_path / "t.tsv").write_text("rate\tB\n0.1\t0.2\n")
    r = runner.invoke(app, ["plot", "sweep", str(tmp_path / "t.tsv"), "--out", str(tmp_path / "s.png")])
    assert r.exit_code == 1 and "header lacks column(s) A" in r.output
    assert not (tmp_path / "c.png").exists() and not (tmp_path / "s.png").exists()


@pytest.mark.parametrize("name", ["curves.jpg"])
def test_plot_refuses_a_non_png_name(tmp_path, name):
    write_metrics(tmp_path / "m.tsv", [0.1, 0.2], [0.3, 0.2])
    r = runner.invoke(app, ["plot", "curves", str(tmp_path / "m.tsv"), "--out", str(tmp_path / name)])
    assert r.exit_code == 1 and "PNG" in r.output


def test_sweep_reads_rates_from_model_names(tmp_path):
    from spokenw2v.plots import rate_from_name

    assert rate_from_name("substitute-0.20") == ("substitute", 0.2)
    assert rate_from_name("text") is None
    rows = [("substitute-0.00", 0.99), ("substitute-0.20", 0.7), ("jitter-0.01", 0.9), ("jitter-0.05", 0.8)]
    (tmp_path / "eval.tsv").write_text("model\tA\tB\n" + "".join(f"{m}\t{a}\t0.1\n" for m, a in rows))
    r = runner.invoke(app, ["plot", "sweep", str(tmp_path / "eval.tsv"), "--out", str(tmp_path / "s.png"), "-q"])
    assert r.exit_code == 0, r.output
    (tmp_path / "eval.tsv").write_text("model\tA\nsubstitute-0.00\t0.9\ntext\t0.5\n")
    r = runner.invoke(app, ["plot", "sweep", str(tmp_path / "eval.tsv"), "--out", str(tmp_path / "s.png")])
    assert r.exit_code == 1 and "eval.tsv:3: model name 'text' does not end in a rate" in r.output
