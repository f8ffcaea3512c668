"""bench/scale/study.py: point names and command lines, the CPU-budget cut, resumability."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from helpers import REPO


def _module():
    spec = importlib.util.spec_from_file_location("scale_study", REPO / "bench" / "scale" / "study.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


study = _module()


def test_point_names_group_seeds_and_name_the_corpus():
    p = study.Point("kjv", 30000, "chars", "e2e", 2, 1)
    assert p.corpus == "kjv-30k"
    assert p.name == "kjv-30k-chars-e2e-s2.seed1"
    assert study.corpus_name("fortunes", 12345) == "fortunes-12345"
    # evaluate groups NAME.seedN runs: every seed of a point shares the name before ".seed"
    names = {q.name.split(".seed")[0] for q in study.points(["kjv"], [30000], ["e2e"], [2], [0, 1, 2])}
    assert names == {"kjv-30k-chars-e2e-s2"}


def test_points_run_small_corpora_and_small_scales_first():
    pts = study.points(["kjv", "fortunes"], [100000, 30000], ["e2e", "two-stage"], [2, 1], [0, 1])
    assert len(pts) == 2 * 2 * 2 * 2 * 2
    assert [(p.words, p.scale) for p in pts[:8]] == [(30000, 1)] * 8
    assert pts[-1].words == 100000 and pts[-1].scale == 2
    assert len(set(pts)) == len(pts)


def test_units_points_train_on_the_synthesized_speech(tmp_path):
    p = study.Point("kjv", 100000, "units", "e2e", 1, 0)
    cmd = study.train_command(p, tmp_path, spokenw2v="python -m spokenw2v")
    assert cmd[:5] == ["python", "-m", "spokenw2v", "train", "e2e"]
    assert cmd[cmd.index("--units") + 1] == str(tmp_path / "data" / "kjv-100k" / "units.npz")
    assert "--corpus" not in cmd


def test_the_train_command_gives_only_inputs_scale_seed_and_epochs(tmp_path):
    p = study.Point("kjv", 30000, "chars", "two-stage", 3, 2)
    cmd = study.train_command(p, tmp_path)
    assert cmd[:3] == ["spokenw2v", "train", "two-stage"]
    opts = {cmd[i]: cmd[i + 1] for i in range(3, len(cmd) - 1) if cmd[i].startswith("--") and cmd[i] != "--quiet"}
    assert opts == {"--corpus": str(tmp_path / "data" / "kjv-30k" / "corpus.txt"),
                    "--reference": str(tmp_path / "data" / "kjv-30k" / "reference" / "vectors.vec"),
                    "--scale": "3", "--seed": "2", "--out": str(tmp_path / "runs" / p.name)}
    assert study.train_command(p, tmp_path, epochs=60)[-2:] == ["--epochs", "60"]


def _rows(cpu):
    return [{"epoch": str(e), "cpu_s": c, "A": f"0.{e}", "A_partial": f"0.{e}5", "B": "0.3"} for e, c in enumerate(cpu)]


def test_budget_cut_takes_the_last_epoch_within_the_budget():
    rows = _rows(["0.0", "10.5", "21.0", "31.5"])
    assert study.budget_cut(rows, 21.0)["epoch"] == "2"
    assert study.budget_cut(rows, 30.0)["epoch"] == "2"
    assert study.budget_cut(rows, 1000)["epoch"] == "3"
    assert study.budget_cut(rows, 5.0)["epoch"] == "0"  # only the untrained model fits
    assert study.budget_cut(_rows(["", "", ""]), 100) is None  # a run without cpu_s
    cols = study.budget_columns(rows, 25.0)
    assert cols["epochs"] == "3" and cols["cpu_s"] == "31.5"
    assert (cols["budget_epoch"], cols["budget_cpu_s"], cols["A_partial_budget"]) == ("2", "21.0", "0.25")
    assert study.budget_columns(_rows(["", ""]), 25.0)["A_partial_budget"] == ""
    other = study.budget_columns(_rows(["0.0", "30.0"]), 25.0)  # seed 2 fits only epoch 0 in the budget
    mean = study.mean_budget_columns([cols, other])
    assert mean["A_partial_budget"] == pytest.approx((0.25 + 0.05) / 2) and mean["budget_s"] == 25.0
    assert study.mean_budget_columns([cols, study.budget_columns(_rows(["", ""]), 25.0)])["A_budget"] == ""


def test_a_finished_point_is_skipped(tmp_path, capsys):
    pts = study.points(["kjv"], [30000], ["e2e"], [1, 2], [0])
    done = study.run_dir(pts[0], tmp_path)
    done.mkdir(parents=True)
    (done / "metrics.tsv").write_text("epoch\n0\n")
    assert study.pending(pts, tmp_path) == pts  # a run without vectors.vec is unfinished
    (done / "vectors.vec").write_text("1 1\na 0.5\n")
    assert study.pending(pts, tmp_path) == pts[1:]
    assert study.main(["--root", str(tmp_path), "--genres", "kjv", "--words", "30000", "--kinds", "e2e",
                       "--scales", "1", "2", "--seeds", "0", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    trains = [line for line in out if " train e2e " in line]
    assert len(trains) == 1 and "--scale 2" in trains[0]
    assert any(" train text " in line for line in out)  # the reference, not made yet
    assert not (tmp_path / "data").exists()  # a dry run writes nothing


@pytest.mark.parametrize("genre", ["latin"])
def test_an_unknown_genre_is_refused(genre):
    with pytest.raises(SystemExit):
        study.main(["--root", "x", "--genres", genre, "--dry-run"])
