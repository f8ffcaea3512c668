"""Per-token unit edits (noise.unit_noise, spokenw2v unit-noise)."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spokenw2v import noise
from spokenw2v.cli import app
from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import read_word_units

runner = CliRunner()


def test_zero_rates_change_nothing_and_full_rates_change_everything():
    seqs = [np.array([1, 2, 3]), np.array([4]), np.array([0, 0])]
    same, c = noise.unit_noise(seqs, 5, noise.UnitNoiseConfig(seed=3))
    assert [q.tolist() for q in same] == [[1, 2, 3], [4], [0, 0]]
    assert (c.units_in, c.units_out, c.substituted, c.deleted, c.inserted) == (6, 6, 0, 0, 0)
    sub, c = noise.unit_noise(seqs, 5, noise.UnitNoiseConfig(substitute=1.0, seed=3))
    assert all((a != b).all() for a, b in zip(sub, seqs)) and c.realised["substitute"] == 1.0
    assert all(0 <= x < 5 for q in sub for x in q)
    gone, c = noise.unit_noise(seqs, 5, noise.UnitNoiseConfig(delete=1.0, seed=3))
    assert [len(q) for q in gone] == [1, 1, 1] and c.deleted == 3  # every token keeps one unit
    assert gone[0][0] in (1, 2, 3) and gone[1].tolist() == [4]
    more, c = noise.unit_noise(seqs, 5, noise.UnitNoiseConfig(insert=1.0, seed=3))
    assert [len(q) for q in more] == [6, 2, 4] and c.inserted == 6
    assert [q[::2].tolist() for q in more] == [[1, 2, 3], [4], [0, 0]]  # originals in place, one after each


def test_rates_are_realised_and_nested_over_rates():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 50, size=rng.integers(1, 20)) for _ in range(3000)]
    low, c_low = noise.unit_noise(seqs, 50, noise.UnitNoiseConfig(substitute=0.1, seed=1))
    high, c_high = noise.unit_noise(seqs, 50, noise.UnitNoiseConfig(substitute=0.3, seed=1))
    assert c_low.realised["substitute"] == pytest.approx(0.1, abs=0.01)
    assert c_high.realised["substitute"] == pytest.approx(0.3, abs=0.015)
    for a, b, o in zip(low, high, seqs):  # every unit changed at 0.1 is changed at 0.3
        assert ((a != o) <= (b != o)).all()
    _, c = noise.unit_noise(seqs, 50, noise.UnitNoiseConfig(delete=0.2, insert=0.1, seed=1))
    assert c.realised["delete"] == pytest.approx(0.2, abs=0.01)
    assert c.realised["insert"] == pytest.approx(0.1, abs=0.01)
    assert c.units_out == c.units_in - c.deleted + c.inserted
    again, _ = noise.unit_noise(seqs, 50, noise.UnitNoiseConfig(substitute=0.1, seed=1))
    assert all((a == b).all() for a, b in zip(low, again))
    with pytest.raises(SpokenW2VError, match="substitute"):
        noise.unit_noise(seqs, 50, noise.UnitNoiseConfig(substitute=1.5))


def test_sequences_per_type():
    seqs = [np.array([1]), np.array([1]), np.array([2]), np.array([3])]
    assert noise.sequences_per_type(seqs, ["a", "a", "a", "b"]) == 1.5


def test_unit_noise_command_sweeps_symbols_and_reports(tmp_path):
    src = tmp_path / "phonemes.tsv"
    lines = ["utt\tstart\tend\tword\tunits"]
    for u in range(30):
        lines += [f"u{u}\t0\t1\tthe\tð ə", f"u{u}\t1\t2\tgod\tɡ ɑː d", f"u{u}\t2\t3\tsaid\ts ɛ d"]
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "edited"
    r = runner.invoke(app, ["unit-noise", str(src), "--out", str(out), "--substitute", "0,0.2", "--insert", "0.1",
                            "--seed", "2", "--report", str(tmp_path / "r.json"), "-q"])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "r.json").read_text())
    assert (doc["format"], doc["version"]) == ("spokenw2v-noise-report", 1)
    runs = doc["runs"]
    assert [run["substitute"] for run in runs] == [0.0, 0.2]
    assert runs[0]["sequences_per_type_in"] == 1.0 and runs[1]["sequences_per_type"] > runs[0]["sequences_per_type"]
    edited = read_word_units(out / "substitute-0.20.tsv")
    assert set(edited.symbols) <= {"ð", "ə", "ɡ", "ɑː", "d", "s", "ɛ"}
    assert edited.seg.word == read_word_units(src).seg.word
    r = runner.invoke(app, ["unit-noise", str(src), "--out", str(tmp_path / "x.tsv"), "--delete", "2"])
    assert r.exit_code == 1 and "--delete" in r.output and not (tmp_path / "x.tsv").exists()


def test_unit_noise_checks_its_paths_like_every_command(tmp_path):
    src = tmp_path / "units.tsv"
    src.write_text("utt\tstart\tend\tword\tunits\nu0\t0.0000\t1.0000\tthe\t3 1 4\nu0\t1.0000\t2.0000\tgod\t1 5\n")
    r = runner.invoke(app, ["unit-noise", str(src), "--out", str(src), "--substitute", "0.1"])
    assert r.exit_code == 1 and "also an input" in r.output, r.output
    r = runner.invoke(app, ["unit-noise", str(src), "--out", "-", "--report", "-"])
    assert r.exit_code == 1 and "only one output can be standard output" in r.output, r.output
    # no edit writes the input back byte for byte, unit ids and symbols alike (one writer)
    for text in (src.read_text(), src.read_text().replace("3 1 4", "ð ə d").replace("1 5", "ə s")):
        src.write_text(text)
        r = runner.invoke(app, ["unit-noise", str(src), "--out", str(tmp_path / "same.tsv"), "-q"])
        assert r.exit_code == 0, r.output
        assert (tmp_path / "same.tsv").read_text() == text
