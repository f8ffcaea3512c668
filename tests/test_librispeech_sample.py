"""Integration: the real LibriSpeech sample (49 utterances of dev-clean) through
segments -> featurize (MFCC) -> discretize -> word-units, with the command line.
The sample ships in examples/data/librispeech-sample."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from spokenw2v.cli import app
from spokenw2v.io import read_codebook, read_features, read_segments, read_tsv, read_units

runner = CliRunner()


def _run(*args) -> str:
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return " ".join(r.output.split())


def test_librispeech_sample_mfcc_units_per_word(librispeech_sample, tmp_path):
    segs, feats = tmp_path / "segs.tsv", tmp_path / "feats.npz"
    units, cb_path, wu = tmp_path / "units.npz", tmp_path / "cb.npz", tmp_path / "word_units.tsv"
    _run("segments", librispeech_sample / "alignments", "--out", segs, "-q")
    _run("featurize", librispeech_sample / "dev-clean", "--out", feats, "--feature", "mfcc", "--segments", segs,
         "--device", "cpu", "-q")
    _run("discretize", feats, "--out", units, "--codebook", cb_path, "--k", "100", "--sample-fraction", "0.5",
         "--seed", "0", "--device", "cpu", "-q")
    log = _run("word-units", units, segs, "--out", wu)

    f = read_features(feats)
    u = read_units(units)
    cb = read_codebook(cb_path)
    assert len(f) == len(u.frames) == 49 and u.frames.utt_ids == f.utt_ids
    assert f.values.shape[1] == cb.dim == 39 and cb.k == u.k == 100 and cb.info.feature == "mfcc"
    np.testing.assert_array_equal(u.frames.offsets, f.offsets)  # one unit per frame
    assert u.codebook_id == cb.fingerprint()
    counts = np.bincount(u.frames.values, minlength=100)
    assert (counts > 0).sum() == 100  # every unit is used somewhere

    header, rows = read_tsv(wu, ["utt", "start", "end", "word", "units"])
    words = [row["word"] for _, row in rows]
    assert len(rows) == 911
    assert len(set(words)) == 385
    assert len({row["utt"] for _, row in rows}) == 49
    assert all(len(row["units"].split()) >= 1 for _, row in rows)
    assert "911 word tokens" in log and "385 word types" in log
    seg = read_segments(segs)
    assert words == seg.word

    # the saved codebook applied again encodes the audio exactly as the fit did
    again = tmp_path / "again.npz"
    _run("discretize", feats, "--out", again, "--use-codebook", cb_path, "--device", "cpu", "-q")
    np.testing.assert_array_equal(read_units(again).frames.values, u.frames.values)
