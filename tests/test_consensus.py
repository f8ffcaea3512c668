"""Consensus units (word-units --consensus): downsampled word embeddings, exact nearest
neighbours, quick shift, and the command on tiny data where two speakers spell one word two ways."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spokenw2v.cli import app
from spokenw2v.consensus import ConsensusConfig, _downsample, nearest_neighbours, quick_shift
from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import FrameInfo, Ragged, Segments, read_word_units, write_features, write_segments, write_units

from helpers import assert_one_error_line, requires_cuda


def test_downsample_means_equal_parts_and_repeats_short_tokens():
    x = np.arange(20, dtype=np.float32).reshape(20, 1)
    assert _downsample(x, 4)[:, 0].tolist() == [2.0, 7.0, 12.0, 17.0]
    short = np.array([[0.0], [10.0], [20.0]], dtype=np.float32)
    assert _downsample(short, 6)[:, 0].tolist() == [0.0, 0.0, 10.0, 10.0, 20.0, 20.0]


def test_nearest_neighbours_match_brute_force_across_blocks():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(150, 8)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    dist, index = nearest_neighbours(x, 7, block_elements=600)  # 4 rows per block
    full = 1.0 - x @ x.T
    np.fill_diagonal(full, np.inf)
    want = np.sort(full, axis=1)[:, :7]
    assert np.allclose(dist, want, atol=1e-5)
    assert (index != np.arange(150)[:, None]).all()
    assert np.allclose(np.take_along_axis(full, index, 1), dist, atol=1e-5)
    assert nearest_neighbours(x[:3], 50)[0].shape == (3, 2)  # k capped at N - 1


def _blobs(rng, n=40, spread=0.05):
    a = np.array([1.0, 0.0, 0.0])
    b = np.array([0.0, 1.0, 0.0])
    x = np.concatenate([a + spread * rng.normal(size=(n, 3)), b + spread * rng.normal(size=(n, 3))])
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_quick_shift_finds_one_mode_per_blob_and_radius_zero_keeps_every_token():
    x = _blobs(np.random.default_rng(1))
    dist, index = nearest_neighbours(x, 20)
    mode, density = quick_shift(dist, index, bandwidth=0.05, radius=0.2)
    assert len(set(mode[:40].tolist())) == 1 and len(set(mode[40:].tolist())) == 1
    assert mode[0] < 40 <= mode[40]  # each blob's mode lies in the blob
    assert density[mode[0]] == density[:40].max()  # the densest token is the mode
    mode0, _ = quick_shift(dist, index, bandwidth=0.05, radius=0.0)
    assert (mode0 == np.arange(80)).all()
    # identical points: equal densities are ordered, so there is exactly one mode
    same = np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (5, 1))
    mode, _ = quick_shift(*nearest_neighbours(same, 4), bandwidth=0.1, radius=0.0)
    assert len(set(mode.tolist())) == 1


def test_config_checks():
    """A library caller's bad value is the project's error naming the option (or the field no
    option sets), never a ValueError that would escape the command line as a traceback."""
    with pytest.raises(SpokenW2VError, match=r"^--radius must be a cosine distance in \[0, 2\], found -0.1$"):
        ConsensusConfig(radius=-0.1)
    with pytest.raises(SpokenW2VError, match="^ConsensusConfig.bandwidth must be above 0, found 0.0$"):
        ConsensusConfig(bandwidth=0.0)
    with pytest.raises(SpokenW2VError, match="^--neighbours must be at least 1, found 0$"):
        ConsensusConfig(neighbours=0)
    with pytest.raises(SpokenW2VError, match="^ConsensusConfig.pieces must be at least 1, found 0$"):
        ConsensusConfig(pieces=0)


def _two_speakers(tmp_path):
    """Four utterances (speakers s1, s2, s1, s2), each "a b": a's features the same pattern for
    both speakers, its units 1 2 for s1 and 1 3 for s2; b's features another pattern, units 4 5."""
    rng = np.random.default_rng(0)
    info = FrameInfo(frame_rate=100.0, frame_offset=0.0, frame_width=0.025, feature="mfcc")
    feats, units, utts = [], [], []
    pat_a = np.stack([np.sin(np.linspace(0, 3, 30) + d) for d in range(6)], 1)
    pat_b = np.stack([np.cos(np.linspace(0, 5, 30) * (d + 1)) for d in range(6)], 1)
    for u in range(4):
        f = np.concatenate([pat_a, pat_b]) + 0.05 * rng.normal(size=(60, 6))
        feats.append(f.astype(np.float32))
        second = 2 if u % 2 == 0 else 3
        units.append(np.array([1] * 15 + [second] * 15 + [4] * 15 + [5] * 15, dtype=np.int64))
        utts.append(f"u{u}")
    offsets = np.arange(5) * 60
    durations = np.full(4, 0.6)
    write_features(tmp_path / "f.npz", Ragged(utts, offsets, np.concatenate(feats), durations, info))
    write_units(tmp_path / "u.npz", Ragged(utts, offsets, np.concatenate(units), durations, info), 6, "cb.npz", "x")
    write_segments(tmp_path / "s.tsv", Segments([u for u in utts for _ in (0, 1)], np.array([0.0, 0.3] * 4),
                                                np.array([0.3, 0.6] * 4), ["a", "b"] * 4))


def test_word_units_consensus_makes_the_speakers_agree(tmp_path):
    _two_speakers(tmp_path)
    base = [str(tmp_path / "u.npz"), str(tmp_path / "s.tsv")]
    r = CliRunner().invoke(app, ["word-units", *base, "--out", str(tmp_path / "plain.tsv")])
    assert r.exit_code == 0, r.output
    plain = read_word_units(tmp_path / "plain.tsv")
    assert {tuple(s) for s, w in zip(plain.sequences, plain.seg.word) if w == "a"} == {(1, 2), (1, 3)}
    r = CliRunner().invoke(app, ["word-units", *base, "--out", str(tmp_path / "cons.tsv"), "--report",
                                 str(tmp_path / "r.json"), "--consensus", str(tmp_path / "f.npz"),
                                 "--radius", "0.3", "--neighbours", "7", "--device", "cpu", "--min-count", "2"])
    assert r.exit_code == 0, r.output
    cons = read_word_units(tmp_path / "cons.tsv")
    a = {tuple(s) for s, w in zip(cons.sequences, cons.seg.word) if w == "a"}
    b = {tuple(s) for s, w in zip(cons.sequences, cons.seg.word) if w == "b"}
    assert len(a) == 1 and a <= {(1, 2), (1, 3)} and b == {(4, 5)}  # one spelling each, words kept apart
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["consensus"]["modes"] == 2 and doc["consensus"]["mode_same_word"] == 1.0
    assert doc["statistics"]["same_type_share"] == 1.0
    assert "consensus: 2 modes" in " ".join(r.output.split())
    # radius 0: nobody moves, the units are the plain ones
    r = CliRunner().invoke(app, ["word-units", *base, "--out", str(tmp_path / "zero.tsv"), "--consensus",
                                 str(tmp_path / "f.npz"), "--radius", "0", "--device", "cpu"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "zero.tsv").read_text() == (tmp_path / "plain.tsv").read_text()


def test_word_units_consensus_option_errors(tmp_path):
    _two_speakers(tmp_path)
    base = ["word-units", str(tmp_path / "u.npz"), str(tmp_path / "s.tsv"), "--out", str(tmp_path / "o.tsv")]
    assert_one_error_line(CliRunner().invoke(app, [*base, "--radius", "0.5"]), "--consensus")
    assert_one_error_line(CliRunner().invoke(app, [*base, "--device", "cpu"]), "--consensus")
    assert_one_error_line(CliRunner().invoke(app, [*base, "--consensus", str(tmp_path / "f.npz"), "--radius", "3"]),
                          "--radius")
    assert_one_error_line(CliRunner().invoke(app, [*base, "--consensus", str(tmp_path / "missing.npz")]),
                          "missing.npz")
    # features of other audio: one utterance of the segments is missing
    info = FrameInfo(frame_rate=100.0, frame_offset=0.0, frame_width=0.025, feature="mfcc")
    write_features(tmp_path / "few.npz", Ragged(["u0"], np.array([0, 60]), np.zeros((60, 6), np.float32),
                                                np.array([0.6]), info))
    assert_one_error_line(CliRunner().invoke(app, [*base, "--consensus", str(tmp_path / "few.npz"), "--device", "cpu"]),
                          "few.npz")
    assert not (tmp_path / "o.tsv").exists()


@requires_cuda
def test_nearest_neighbours_on_cuda_match_the_cpu():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    d_cpu, i_cpu = nearest_neighbours(x, 10, device="cpu")
    d_gpu, i_gpu = nearest_neighbours(x, 10, device="cuda", block_elements=3000)
    assert np.allclose(d_cpu, d_gpu, atol=1e-4)
    assert (i_cpu[:, 0] == i_gpu[:, 0]).mean() > 0.99  # nearest first (ties aside)
