"""word-units' measures that do not grow with tokens per type: the same-sequence share of a
type's token pairs and the ABX error on normalized edit distances, checked by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spokenw2v.cli import app
from spokenw2v.frames import unit_discrimination
from spokenw2v.io import write_segments

from helpers import assert_one_error_line, two_word_units


def _seqs(*lists):
    return [np.array(x, dtype=np.int64) for x in lists]


def test_same_type_share_is_averaged_over_types():
    # a: 3 tokens, 1 of 3 pairs identical; b: 2 tokens, identical; c: one token (not measured)
    seqs = _seqs([1, 2], [1, 2], [1, 3], [4], [4], [9])
    d = unit_discrimination(seqs, ["a", "a", "a", "b", "b", "c"], min_count=2, triplets=50)
    assert d["measured_types"] == 2 and d["measured_tokens"] == 5
    assert d["same_type_share"] == pytest.approx((1 / 3 + 1) / 2)  # over pairs it would be 2/4
    # min_count leaves b out
    d = unit_discrimination(seqs, ["a", "a", "a", "b", "b", "c"], min_count=3, triplets=50)
    assert d["same_type_share"] == pytest.approx(1 / 3)
    assert d["abx_error"] is None and d["abx_triplets"] == 0  # one type: no ABX


def test_abx_perfect_units_and_rare_types_are_never_b():
    # same-word tokens identical, different words disjoint; c's one token equals a's sequence:
    # were it ever drawn as B against an X of a, that triplet would be a tie (error 0.5)
    seqs = _seqs([1, 2], [1, 2], [3, 4], [3, 4], [1, 2])
    d = unit_discrimination(seqs, ["a", "a", "b", "b", "c"], min_count=2, triplets=200, seed=3)
    assert (d["abx_error"], d["same_word_distance"], d["different_word_distance"]) == (0.0, 0.0, 1.0)
    assert d["abx_triplets"] == 200


def test_abx_partial_distances_ties_and_errors():
    # within a type 1 of 4 units differ (0.25); across types 2 of 4 (0.5): never an error
    seqs = _seqs([1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 6, 7], [1, 2, 6, 8])
    d = unit_discrimination(seqs, ["a", "a", "b", "b"], min_count=2, triplets=100)
    assert d["abx_error"] == 0.0
    assert d["same_word_distance"] == pytest.approx(0.25) and d["different_word_distance"] == pytest.approx(0.5)
    # all distances 1 (nothing shared): every triplet a tie, error 0.5
    d = unit_discrimination(_seqs([1], [2], [3], [4]), ["a", "a", "b", "b"], min_count=2, triplets=100)
    assert (d["abx_error"], d["same_word_distance"], d["different_word_distance"]) == (0.5, 1.0, 1.0)
    # same-word tokens share nothing, each shares one of two units with every other word's token
    d = unit_discrimination(_seqs([1, 2], [3, 4], [1, 4], [3, 2]), ["a", "a", "b", "b"], min_count=2,
                            triplets=100)
    assert (d["abx_error"], d["same_word_distance"], d["different_word_distance"]) == (1.0, 1.0, 0.5)


def test_abx_sample_is_seeded():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(5, size=rng.integers(1, 6)) for _ in range(60)]
    words = [f"w{i % 6}" for i in range(60)]
    one = unit_discrimination(seqs, words, triplets=300, seed=1)
    assert one == unit_discrimination(seqs, words, triplets=300, seed=1)
    assert one["abx_error"] != unit_discrimination(seqs, words, triplets=300, seed=2)["abx_error"]


def test_word_units_report(tmp_path):
    write_segments(tmp_path / "s.tsv", two_word_units(tmp_path / "u.npz"))
    r = CliRunner().invoke(app, ["word-units", str(tmp_path / "u.npz"), str(tmp_path / "s.tsv"), "--out",
                                 str(tmp_path / "w.tsv"), "--report", str(tmp_path / "r.json"), "--min-count", "2",
                                 "--triplets", "40"])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "r.json").read_text())
    assert (doc["format"], doc["version"]) == ("spokenw2v-word-units-report", 1)
    st = doc["statistics"]
    assert st["same_type_share"] == 0.5  # a's pair identical, b's not
    # X of a: d(A,X) 0 < d(B,X) 1; X of b: d(A,X) 1 = d(B,X) 1 (a tie)
    # so the error is half the share of triplets whose X is b, which is the mean same-word distance
    assert st["different_word_distance"] == 1.0 and 0 < st["same_word_distance"] < 1
    assert st["abx_error"] == pytest.approx(0.5 * st["same_word_distance"])
    assert "ABX error" in " ".join(r.output.split())
    bad = CliRunner().invoke(app, ["word-units", str(tmp_path / "u.npz"), str(tmp_path / "s.tsv"), "--out",
                                   str(tmp_path / "w2.tsv"), "--triplets", "0"])
    assert_one_error_line(bad, "--triplets")
    assert not (tmp_path / "w2.tsv").exists()
