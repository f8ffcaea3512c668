"""``spokenw2v train --word-units``: training from a word-units TSV (any unit source)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spokenw2v import io
from spokenw2v.cli import app
from spokenw2v.errors import SpokenW2VError
from helpers import unit_data

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


SMALL = ["e2e", "--epochs", "1", "--batch-tokens", "64", "--negatives", "5", "--device", "cpu", "-q"]


def test_read_word_units_ids_and_symbols(tmp_path):
    ids = tmp_path / "ids.tsv"
    ids.write_text("utt\tstart\tend\tword\tunits\nb\t0.5\t0.9\tcat\t7 7 2\nb\t0\t0.4\tthe\t3\na\t0\t1\tdog\t0 12\n")
    wu = io.read_word_units(ids)
    assert wu.seg.utt == ["b", "b", "a"] and wu.seg.word == ["the", "cat", "dog"]  # sorted within utterances
    assert [s.tolist() for s in wu.sequences] == [[3], [7, 7, 2], [0, 12]]
    assert wu.symbols is None and wu.k == 13
    phon = tmp_path / "phon.tsv"
    phon.write_text("utt\tstart\tend\tword\tunits\nu\t0\t1\tthe\tD @\nu\t1\t2\tcat\tk a t\n")
    wu = io.read_word_units(phon)
    assert wu.symbols == ["@", "D", "a", "k", "t"] and wu.k == 5
    assert [s.tolist() for s in wu.sequences] == [[1, 0], [3, 2, 4]]


@pytest.mark.parametrize("body, message", [
    ("u\t0\t1\tthe\t\n", "bad.tsv:2: word 'the' has no units"),
    ("u\t0\tx\tthe\t1\n", "bad.tsv:2: start/end must be numbers"),
    ("u\t1\t0.5\tthe\t1\n", "bad.tsv:2"),
])
def test_bad_word_units_name_the_line(tmp_path, body, message):
    path = tmp_path / "bad.tsv"
    path.write_text("utt\tstart\tend\tword\tunits\n" + body)
    with pytest.raises(SpokenW2VError, match=message):
        io.read_word_units(path)


def test_train_from_word_units_equals_train_from_the_units_file(tmp_path):
    """The word-units output trains on exactly the token stream of --segments --units."""
    units, segments, seg = unit_data(tmp_path)
    table = tmp_path / "word-units.tsv"
    assert invoke("word-units", units, segments, "--out", table, "-q").exit_code == 0
    a, b = tmp_path / "from-npz", tmp_path / "from-tsv"
    r = invoke("train", *SMALL[:1], "--segments", segments, "--units", units, "--out", a, *SMALL[1:])
    assert r.exit_code == 0, r.output
    r = invoke("train", *SMALL[:1], "--word-units", table, "--out", b, *SMALL[1:])
    assert r.exit_code == 0, r.output
    ca, cb = (json.loads((d / "config.json").read_text()) for d in (a, b))
    assert ca["data"] == cb["data"] and ca["distinct_sequences"] == cb["distinct_sequences"]
    assert cb["inputs"]["word_units"].endswith("word-units.tsv") and cb["config"]["merge"] is False
    va, vb = io.read_vectors(a / "vectors.vec"), io.read_vectors(b / "vectors.vec")
    assert va.words == vb.words
    np.testing.assert_allclose(va.vectors, vb.vectors, atol=1e-4)
    # resume finds the word-units input again
    r = invoke("train", "e2e", "--out", b, "--resume", "--epochs", "2", "-q")
    assert r.exit_code == 0, r.output
    assert len(io.read_tsv(b / "metrics.tsv", ["epoch"])[1]) == 3


def test_train_two_stage_on_phoneme_symbols(tmp_path):
    rng = np.random.default_rng(0)
    lexicon = {"the": "D @", "cat": "k a t", "sat": "s a t", "dog": "d 0 g", "ran": "r a n", "on": "0 n"}
    lines = ["utt\tstart\tend\tword\tunits"]
    for u in range(40):
        for i, w in enumerate(rng.choice(list(lexicon), size=6)):
            lines.append(f"u{u}\t{i}\t{i + 0.5}\t{w}\t{lexicon[w]}")
    path = tmp_path / "phonemes.tsv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "run"
    r = invoke("train", "two-stage", "--word-units", path, "--out", out, "--ae-epochs", "1", *SMALL[1:])
    assert r.exit_code == 0, r.output
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["vocab_size"] == 11 and config["distinct_sequences"] == 6
    assert set(io.read_vectors(out / "vectors.vec").words) == set(lexicon)


def test_word_units_input_errors(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("utt\tstart\tend\tword\tunits\nu\t0\t1\tthe\t\n")
    r = invoke("train", "e2e", "--word-units", path, "--out", tmp_path / "run", "-q")
    assert r.exit_code == 1 and r.output.count("\n") == 1 and "bad.tsv:2:" in r.output
    assert not (tmp_path / "run" / "vectors.vec").exists()
    r = invoke("train", "e2e", "--word-units", path, "--corpus", path, "--out", tmp_path / "run", "-q")
    assert r.exit_code == 1 and "exactly one of" in r.output
