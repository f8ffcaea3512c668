"""spokenw2v demo: the whole pipeline on a tiny slice of the embedded demo text."""

import json
import re
import shlex
import shutil

import pytest
from typer.testing import CliRunner

from helpers import requires_espeak
from spokenw2v.cli import app
from spokenw2v.io import read_tsv

runner = CliRunner()

pytestmark = [pytest.mark.slow, requires_espeak,
              pytest.mark.skipif(shutil.which("bible") is None, reason="needs the Debian package bible-kjv"),
              pytest.mark.skipif(shutil.which("festival") is None, reason="needs the Debian package festival")]

TINY = ["--words", "600", "--char-epochs", "1", "--unit-epochs", "1", "--voices-epochs", "1", "--textless-epochs", "1",
        "--festival-epochs", "1", "--ae-epochs", "1",
        "--k", "16", "--jobs", "1"]


def _text(result) -> str:
    try:
        err = result.stderr
    except ValueError:
        err = ""
    return result.output + err


def test_demo_runs_every_stage_and_prints_one_table(tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", str(out), *TINY])
    text = _text(result)
    assert result.exit_code == 0, text
    # every stage was logged as a re-runnable command
    logged = re.findall(r"^\[(\d+)/(\d+)\] ([\w.-]+): (spokenw2v .*)$", text, flags=re.M)
    names = list(dict.fromkeys(n for _, _, n, _ in logged))
    assert names[0] == "synthesize"
    # a stage starts only after the stages whose outputs it reads
    assert names.index("synthesize") < names.index("featurize") < names.index("discretize") < names.index("e2e-units")
    assert names.index("text") < names.index("e2e-chars") < names.index("evaluate") < names.index("evaluate-sweep")
    assert (out / "logs" / "e2e-units.log").is_file()
    record = json.loads((out / "demo.json").read_text())
    assert list(record)[:2] == ["format", "version"] and record["format"] == "spokenw2v-demo"
    assert {"two-stage-chars", "e2e-chars", "two-stage-units", "e2e-units", "synthesize-voices", "e2e-units-voices",
            "evaluate", "plot-curves"} <= set(names)
    # the demo's speech is one voice; the harder rung is the synthesizer's many voices
    synth = dict((n, c) for _, _, n, c in logged)
    assert "--voices en-us --variants '' --rates 170" in synth["synthesize"]
    assert "--voices en-us,en-gb --variants m1,m3,f1,f3 --rates 140,170,200" in synth["synthesize-voices"]
    # its units: MFCC warped per speaker, then consensus units, which e2e-units-voices reads
    assert "--vtln auto" in synth["featurize-voices"]
    assert "--consensus" in synth["word-units-voices"] and "--word-units" in synth["e2e-units-voices"]
    assert names.index("word-units-voices") < names.index("e2e-units-voices")
    for f in ["speech/audio.tsv", "speech/segments.tsv", "units.npz", "codebook.npz", "word-units.tsv",
              "runs/e2e-units/vectors.vec", "runs/e2e-units-voices/vectors.vec", "results.tsv", "sweep.tsv",
              "curves.png", "sweep.png", "pipeline.tsv", "pipeline-voices.tsv", "word-units-voices.tsv",
              "word-units-voices.json", "warps-voices.tsv"]:
        assert (out / f).is_file(), f
    # truly different voices: Festival's three, units made to hold across them, then consensus units
    assert "--engine festival" in synth["synthesize-festival"] and "--style continuous" in synth["synthesize-festival"]
    assert "--vtln leave-one-out" in synth["featurize-festival"]
    assert "--pairs-from" in synth["cae-festival"] and "--speaker-norm" in synth["cae-festival"]
    assert f"{out / 'cae-festival.npz'} --out" in synth["discretize-festival"]
    assert "--consensus" in synth["word-units-festival"] and "--speakers" in synth["word-units-festival"]
    assert (names.index("featurize-festival") < names.index("cae1-festival") < names.index("cae-festival")
            < names.index("discretize-festival") < names.index("word-units-festival")
            < names.index("e2e-units-festival") < names.index("evaluate"))
    for f in ["warps-festival.tsv", "cae-festival.pt", "codebook-festival.npz", "word-units-festival.json",
              "word-units-festival-plain.json", "runs/e2e-units-festival/vectors.vec"]:
        assert (out / f).is_file(), f
    assert "Festival's voices (warps " in result.output and "ABX error across speakers" in result.output
    # the textless rung: continuous speech, words discovered with no transcript, label-free types
    assert "--style continuous" in synth["synthesize-continuous"]
    assert "--segments" not in synth["featurize-continuous"] and "--segments" not in synth["discretize-continuous"]
    assert "--gold" not in synth["discover"]
    for name in ("e2e-textless-train", "e2e-textless-gold-train"):
        assert "--types sequences" in synth[name] and "--reference" not in synth[name]
    assert str(out / "found.tsv") in synth["e2e-textless-train"]
    assert names.index("discover") < names.index("e2e-textless-train") < names.index("e2e-textless")
    assert names.index("e2e-textless") < names.index("evaluate")
    found = json.loads((out / "found.json").read_text())["runs"][0]
    assert 0 < found["boundary_f1"] <= 1
    assert "Textless rung" in result.output and f"boundary F1 {found['boundary_f1']:.2f}" in result.output
    _, rows = read_tsv(out / "results.tsv", ["model", "A", "B"])
    assert [r["model"] for _, r in rows] == ["text", "two-stage-chars", "e2e-chars", "two-stage-units", "e2e-units",
                                             "e2e-units-voices", "e2e-units-festival", "e2e-textless",
                                             "e2e-textless-gold",
                                             "null:frequency", "null:spelling", "null:random"]
    assert float(rows[0][1]["A"]) == pytest.approx(1.0)
    _, sweep = read_tsv(out / "sweep.tsv", ["model", "A"])
    assert [r["model"] for _, r in sweep if r["row"] == "model"] == [
        "substitute-0.00", "substitute-0.10", "substitute-0.20", "substitute-0.40"]
    assert "e2e-units" in result.output and "Pipeline statistics" in result.output
    assert "consensus units" in " ".join(result.output.split())
    assert "A_partial" in result.output and "null:frequency" in result.output
    stats = dict((r["statistic"], float(r["value"])) for _, r in read_tsv(out / "pipeline.tsv", ["statistic", "value"])[1])
    assert stats["tokens"] >= 600 and 1 <= stats["mean_units"] <= stats["mean_frames"]
    assert 0 < stats["boundary_recall"] <= 1

    # a logged command re-runs its stage alone
    command = dict((n, c) for _, _, n, c in logged)["word-units"]
    (out / "word-units.tsv").unlink()
    again = runner.invoke(app, shlex.split(command)[1:] + ["--quiet"])
    assert again.exit_code == 0, _text(again)
    assert (out / "word-units.tsv").is_file()

    # a second run keeps the finished stages; other settings are refused
    result = runner.invoke(app, ["demo", str(out), *TINY, "--quiet"])
    assert result.exit_code == 0, _text(result)
    result = runner.invoke(app, ["demo", str(out), *TINY[:-2], "--k", "8"])
    assert result.exit_code == 1 and "other settings" in _text(result)
