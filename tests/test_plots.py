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


SCALE_TABLE = (
    "point\tgenre\twords\tsymbols\tkind\tscale\tseed\tmodel\trow\tA_partial\tA_partial_low\tA_partial_high\t"
    "A_partial_sd\tA_partial_budget\n"
    "a.seed0\tkjv\t30000\tchars\te2e\t2\t0\ta.seed0\tmodel\t0.39\t0.3\t0.45\t\t0.2\n"
    "b.seed0\tkjv\t30000\tchars\te2e\t1\t0\tb.seed0\tmodel\t0.57\t0.5\t0.6\t\t0.5\n"
    "c.seed0\tkjv\t100000\tchars\te2e\t1\t0\tc.seed0\tmodel\t0.6\t0.55\t0.65\t\t0.55\n"
    "c.seed1\tkjv\t100000\tchars\te2e\t1\t1\tc.seed1\tmodel\t0.62\t0.57\t0.67\t\t0.56\n"
    "c\tkjv\t100000\tchars\te2e\t1\t\tc\tseeds\t0.61\t\t\t0.01\t\n"
    "d.seed0\tkjv\t30000\tchars\ttwo-stage\t1\t0\td.seed0\tmodel\t0.05\t0.0\t0.1\t\t0.05\n"
    "null:frequency\tkjv\t30000\t\tnull\t\t\tnull:frequency\tnull\t0.01\t\t\t\t\n"
    "null:random\tkjv\t30000\t\tnull\t\t\tnull:random\tnull\t0.0\t\t\t\t\n"
)


def test_scale_table_prefers_the_mean_of_seeds_and_keeps_the_chosen_floors(tmp_path):
    from spokenw2v.io import read_tsv
    from spokenw2v.plots import plot_scale, scale_table

    (tmp_path / "r.tsv").write_text(SCALE_TABLE)
    _, rows = read_tsv(tmp_path / "r.tsv", ["scale"])
    lines, floors = scale_table(tmp_path / "r.tsv", rows, "A_partial")
    by = {(ln.kind, ln.words): ln for ln in lines}
    assert set(by) == {("e2e", "30000"), ("e2e", "100000"), ("two-stage", "30000")}
    np.testing.assert_allclose(by["e2e", "30000"].scale, [2, 1])
    np.testing.assert_allclose(by["e2e", "100000"].y, [0.61])  # the seeds' mean, not its members
    np.testing.assert_allclose(by["e2e", "100000"].high, [0.62])  # mean + sd
    assert [(f.panel, f.name, f.y) for f in floors] == [("kjv chars", "null:frequency", 0.01)]
    _, budget_floors = scale_table(tmp_path / "r.tsv", rows, "A_partial_budget", nulls=["null:random"])
    assert [f.y for f in budget_floors] == [0.0]  # a null does not train: its score at any budget
    ax = plot_scale(lines, floors).axes[0]
    solid = [c.lines[0] for c in ax.containers if c.get_label().startswith("e2e, 30000")]
    np.testing.assert_allclose(solid[0].get_xdata(), [1, 2])  # sorted by s
    np.testing.assert_allclose(solid[0].get_ydata(), [0.57, 0.39])
    assert solid[0].get_linestyle() == "-"
    dashed = [c.lines[0] for c in ax.containers if c.get_label().startswith("two-stage")]
    assert dashed[0].get_linestyle() == "--"
    assert [ln.get_label() for ln in ax.get_lines() if ln.get_linestyle() == ":"] == ["null:frequency, 30000 words"]
    assert ax.get_title() == "kjv chars"


def test_plot_scale_command_writes_a_png_and_refuses_a_missing_column(tmp_path):
    (tmp_path / "r.tsv").write_text(SCALE_TABLE)
    res = runner.invoke(app, ["plot", "scale", str(tmp_path / "r.tsv"), "--out", str(tmp_path / "s.png"),
                              "--null", "null:frequency", "--null", "null:random"])
    assert res.exit_code == 0, res.output
    assert imread(tmp_path / "s.png").shape[2] in (3, 4)
    res = runner.invoke(app, ["plot", "scale", str(tmp_path / "r.tsv"), "--out", str(tmp_path / "t.png"),
                              "--y", "B"])
    assert res.exit_code != 0 and "Error:" in res.output and "lacks column(s) B" in res.output
    assert not (tmp_path / "t.png").exists()
